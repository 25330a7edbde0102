# The recognition tests' labelled test video, played like a live camera (?realtime=1).
from tests.matcher.conftest import video_set  # noqa: F401
