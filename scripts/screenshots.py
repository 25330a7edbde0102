"""Screenshots for the README from a running demo (scripts/run), faces blurred.

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

The demo's watchlist photographs are real people (the volunteers of the bundled AT&T
face set, matcher/sample_faces); the README republishes no face, so every image on
the page is blurred before the shot.
"""

import sqlite3
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
PASSWORD = "lfr-demo-2026"  # noqa: S105 - the demo users' published password
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def public_ids():
    """The public ids of the demo's own deployments, by their exact titles."""
    titles = {"Camden": "Camden Town robbery hotspot", "Oxford": "Oxford Circus shopping day"}
    with sqlite3.connect(ROOT / "var" / "lfr_portal.sqlite3") as db:
        ids = {}
        for key, title in titles.items():
            row = db.execute(
                "SELECT public_id FROM lfr_portal_deployment WHERE title = ?", (title,)
            ).fetchone()
            if row is None:
                sys.exit(f"No demo deployment titled {title!r}: run scripts/run first.")
            raw = row[0].replace("-", "")
            ids[key] = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        return ids


def main():
    ids = public_ids()
    # (who, page, file, width): None is the public, signed out.
    shots = [
        ("ao", f"/deployments/{ids['Camden']}/review/", "review.png", 1280),
        ("operator", f"/deployments/{ids['Oxford']}/operate/", "operator.png", 1280),
        ("operator", f"/deployments/{ids['Oxford']}/operate/", "operator-phone.png", 375),
        ("ao", "/dashboard/", "dashboard-ao.png", 1280),
        ("watchlist", "/dashboard/", "dashboard-watchlist.png", 1280),
        ("compliance", "/audit/", "audit.png", 1280),
        (None, "/transparency/", "transparency.png", 1280),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for user, path, name, width in shots:
            # The blur is injected as a style, which the CSP would rightly refuse.
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            # Only the demo server: map tiles from the internet are not fetched.
            context.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(BASE) else r.abort()
            )
            page = context.new_page()
            if user is not None:
                page.goto(f"{BASE}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
            page.goto(BASE + path)
            page.wait_for_timeout(2500)
            page.add_style_tag(content="img { filter: blur(24px); }")
            out = ROOT / "docs" / "screenshots" / name
            page.screenshot(path=str(out), full_page=True)
            print(f"wrote {out}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
