"""Leaflet is served from our own static files, copied from the npm package we lock."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor" / "leaflet"


def test_the_vendored_leaflet_is_the_locked_npm_version():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/leaflet"]["version"]
    header = (VENDOR / "leaflet.js").read_text()[:200]
    assert f"Leaflet {version}," in header
    for name in ("leaflet.css", "images/marker-icon.png", "images/marker-shadow.png", "LICENSE"):
        assert (VENDOR / name).is_file(), name
    installed = ROOT / "node_modules" / "leaflet" / "dist" / "leaflet.js"
    if installed.exists():  # after `npm ci`: byte for byte the package's file
        assert installed.read_bytes() == (VENDOR / "leaflet.js").read_bytes()
