"""Where the labelled face sets are: the one bundled with the code, and any extra ones.

The bundled set (matcher/sample_faces/att_faces, the AT&T Database of Faces; terms in
matcher/sample_faces/README.md) is always present, so the tests, the test videos and the
demo need nothing beside the clone. Extra sets come from the folders in the setting
LFR_FACE_SETS_EXTRA (by default ../shared/faces when it exists); a folder that is absent
adds nothing and fails nothing.

A face set is a folder of identity folders; its identities are named "<set>/<identity>"
relative to the folder that holds the set (the "faces root"), so the same names work for
the bundled root and for ../shared/faces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from lfr_portal.settings.env import face_sets_extra

BUNDLED_ROOT = Path(__file__).resolve().parent / "sample_faces"
BUNDLED_SET_NAME = "att_faces"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp"}


@dataclass(frozen=True)
class FaceSet:
    name: str
    path: Path  # the set's folder; its subfolders are identities
    bundled: bool

    @property
    def root(self) -> Path:
        """The folder holding the set, against which "<set>/<identity>" names resolve."""
        return self.path.parent

    def identities(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.is_dir())


def images_of(identity: Path) -> list[Path]:
    """An identity folder's photographs, in a stable order (2.jpg before 10.jpg)."""
    photos = [p for p in identity.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(photos, key=lambda p: (len(p.stem), p.stem))


def bundled_set() -> FaceSet:
    return FaceSet(BUNDLED_SET_NAME, BUNDLED_ROOT / BUNDLED_SET_NAME, bundled=True)


def extra_roots() -> list[Path]:
    """The folders named by LFR_FACE_SETS_EXTRA, read from Django's settings when they are
    configured and otherwise from the environment by the same rule (the video builder
    runs as a plain script)."""
    if settings.configured:
        return [Path(p) for p in settings.LFR_FACE_SETS_EXTRA]
    return face_sets_extra()


def extra_sets() -> list[FaceSet]:
    """Every set in the extra folders that exist, except copies of the bundled set."""
    found = []
    for root in extra_roots():
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.name == BUNDLED_SET_NAME:
                continue  # the same photographs as the bundled set
            if any(child.is_dir() for child in folder.iterdir()):
                found.append(FaceSet(folder.name, folder, bundled=False))
    return found


def all_sets() -> list[FaceSet]:
    return [bundled_set(), *extra_sets()]


def find_set(name: str) -> FaceSet | None:
    return next((s for s in all_sets() if s.name == name), None)
