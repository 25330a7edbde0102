"""Recognition engines by name.

`get_engine(name)` returns this thread's instance, building it on first use.
The cache is keyed by process and thread: a worker forked from a parent that had
already loaded an engine builds its own instead of sharing native state, and each
thread of a camera worker's thread pool has its own, since an engine's native
sessions keep per-call state.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

from .base import Engine, EngineError, Face, ModelIntegrityError
from .config import setting
from .registry import ENGINE_NAMES, UnknownEngine, operating_point

_instances: dict[tuple[int, int, str], Engine] = {}
_lock = threading.Lock()


def engine_class(name: str) -> type[Engine]:
    """The class of the engine called name, imported on first use (its libraries are heavy)."""
    try:
        module_name, class_name = operating_point(name).class_path.split(":")
    except UnknownEngine:
        raise EngineError(
            f"Unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}."
        ) from None
    engine_type: type[Engine] = getattr(importlib.import_module(module_name), class_name)
    return engine_type


def create_engine(name: str, **options: Any) -> Engine:
    """A new instance, for callers that manage its lifetime themselves."""
    return engine_class(name)(**options)


def get_engine(name: str) -> Engine:
    key = (os.getpid(), threading.get_ident(), name)
    with _lock:
        engine = _instances.get(key)
        if engine is None:
            _pin_threads()
            engine = _instances[key] = create_engine(name)
        return engine


def _pin_threads() -> None:
    """LFR_OPENCV_THREADS caps OpenCV's threads in a worker process, 1 unless set: a
    worker runs one thread per camera and a host one worker per core, so more threads
    per call only contend (and one thread makes results repeatable)."""
    import cv2  # heavy native library, loaded only once an engine is built

    cv2.setNumThreads(max(0, int(setting("LFR_OPENCV_THREADS") or 1)))


def forget_engines() -> None:
    """Drop cached instances (tests, or after the model configuration changes)."""
    with _lock:
        _instances.clear()


__all__ = [
    "ENGINE_NAMES",
    "Engine",
    "EngineError",
    "Face",
    "ModelIntegrityError",
    "create_engine",
    "engine_class",
    "forget_engines",
    "get_engine",
]
