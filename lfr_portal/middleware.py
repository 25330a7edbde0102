"""Makes the client's address available to services for the audit trail."""

from contextvars import ContextVar

_client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


def current_client_address():
    return _client_address.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
        # proxy rewrites it, and the audit trail must not record a forged address.
        token = _client_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _client_address.reset(token)
