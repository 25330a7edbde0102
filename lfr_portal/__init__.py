try:
    from .celery import app as celery_app
except ImportError:  # the standalone audit verifier runs where Celery is not installed
    celery_app = None

__all__ = ("celery_app",)
