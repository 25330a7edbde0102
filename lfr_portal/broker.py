"""A worker must outlive a Redis crash: a fix for kombu's Redis transport (5.7.0).

When Redis dies, Celery's consumer tears the connection down twice: `collect()`, then
`close()`. kombu's `Channel.close()` first reads the answer to a BRPOP still pending and
lets the connection error of that read escape before the channel is marked closed, so the
first teardown stops half-way; the second finds the transport already cleared and fails
with AttributeError, which Celery takes as unrecoverable, and the worker exits. Here the
pending answer is read first and a dead connection counts as no answer; the message it
might have carried was lost with the broker. Remove this once kombu's own close does that.
"""

from queue import Empty

from kombu.transport import redis as kombu_redis


def redis_channel_close_tolerates_a_dead_broker():
    channel_class = kombu_redis.Channel
    if getattr(channel_class.close, "tolerates_a_dead_broker", False):
        return
    close = channel_class.close

    def close_tolerating_a_dead_broker(self):
        if self._in_poll:
            try:
                self._brpop_read()
            except (Empty, *self.connection_errors):
                pass
        return close(self)

    close_tolerating_a_dead_broker.tolerates_a_dead_broker = True
    channel_class.close = close_tolerating_a_dead_broker
