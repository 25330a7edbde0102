"""Demo users for every role, demo deployments, a demo camera and a year of history.
Safe to run again.

This command is the one place the demo touches the matcher: the live deployment's
watchlist is enrolled with the real engine from the bundled AT&T face set
(matcher/sample_faces, credit AT&T Laboratories Cambridge), and the demo camera plays
a street video rendered from the same set (benchmarks/make_test_videos.py).
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from lfr_portal.demo.accounts import demo_users_ensure
from lfr_portal.demo.history import demo_history_seed
from lfr_portal.demo.live import DEMO_DIR, DEMO_VIDEO, demo_deployments_create
from lfr_portal.models import Deployment
from matcher.face_sets import BUNDLED_ROOT
from matcher.watchlist_enrolment import enrol_entry_ids


class Command(BaseCommand):
    help = "Create demo users for every role and demo deployments (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo_users_ensure()
        truth = self._demo_video()
        if not Deployment.objects.exists():
            demo_deployments_create(users, truth, enrol_entry_ids)
        # After the live demo above, which is created only into an empty database.
        self.stdout.write(str(demo_history_seed()))
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _demo_video(self) -> dict[str, Any]:
        """Render the demo street video once, from the bundled face set."""
        truth_file = DEMO_DIR / "ground_truth.json"
        if truth_file.exists() and DEMO_VIDEO.exists():
            truth = json.loads(truth_file.read_text())
            # A video rendered by an older version may name photographs no longer here.
            root = Path(truth["faces_root"])
            if all(
                (root / image).is_file()
                for person in truth["watchlist"]
                for image in person["reference_images"]
            ):
                return truth
        # The video builder is a benchmark script, not a package: found on its own path.
        sys.path.insert(0, str(Path(settings.BASE_DIR) / "benchmarks"))
        from make_test_videos import build_video_set

        self.stdout.write("Rendering the demo camera video from the bundled AT&T face set ...")
        with tempfile.TemporaryDirectory() as scratch:
            truth_path = build_video_set(
                Path(scratch), faces_root=BUNDLED_ROOT, seconds=20, sizes=[(640, 360)]
            )
            DEMO_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(scratch) / "clip_640x360.avi", DEMO_VIDEO)
            shutil.copy(truth_path, truth_file)
        return json.loads(truth_file.read_text())
