"""The bundled face set is complete and credited; extra sets are optional and found in one place."""

import re
from pathlib import Path

from matcher import face_sets

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundled_set_is_the_whole_att_database_with_its_credit():
    bundled = face_sets.bundled_set()
    identities = bundled.identities()
    assert [p.name for p in identities] == sorted(f"s{n}" for n in range(1, 41))
    assert all(len(face_sets.images_of(p)) == 10 for p in identities)
    assert [p.name for p in face_sets.images_of(identities[0])][:3] == ["1.jpg", "2.jpg", "3.jpg"]
    size = sum(p.stat().st_size for p in face_sets.BUNDLED_ROOT.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024
    readme = (face_sets.BUNDLED_ROOT / "README.md").read_text()
    assert "AT&T Laboratories Cambridge" in readme and "Samaria" in readme


def test_extra_sets_come_from_the_setting_and_an_absent_folder_adds_nothing(settings, tmp_path):
    (tmp_path / "colour" / "ann").mkdir(parents=True)
    (tmp_path / "att_faces" / "s1").mkdir(parents=True)  # a copy of the bundled set
    (tmp_path / "empty").mkdir()  # no identity folders: not a set
    settings.LFR_FACE_SETS_EXTRA = [str(tmp_path), str(tmp_path / "not-here")]

    assert [(s.name, s.path, s.bundled) for s in face_sets.extra_sets()] == [
        ("colour", tmp_path / "colour", False)
    ]
    assert [s.name for s in face_sets.all_sets()] == ["att_faces", "colour"]
    assert face_sets.find_set("colour").root == tmp_path

    settings.LFR_FACE_SETS_EXTRA = []
    assert face_sets.extra_sets() == []
    assert [s.name for s in face_sets.all_sets()] == ["att_faces"]


def test_the_environment_rule_without_django(monkeypatch, tmp_path):
    from lfr_portal.settings.env import face_sets_extra

    monkeypatch.setenv("LFR_FACE_SETS_EXTRA", "")
    assert face_sets_extra() == []
    monkeypatch.setenv("LFR_FACE_SETS_EXTRA", f"{tmp_path}, {tmp_path / 'b'}")
    assert face_sets_extra() == [tmp_path, tmp_path / "b"]


def test_nothing_else_reaches_for_faces_beside_the_clone():
    """Only the settings' default names ../shared/faces; everything else asks face_sets."""
    allowed = {ROOT / "lfr_portal" / "settings" / "env.py"}
    pattern = re.compile(r"""["']shared["']\s*\)?\s*/\s*["']faces["']|\.\./shared/faces['"]""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("lfr_portal", "matcher", "benchmarks", "scripts", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if path not in allowed and pattern.search(path.read_text())
    ]
    assert offenders == []
