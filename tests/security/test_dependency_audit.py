"""The dependency audit in scripts/test: known vulnerabilities fail it, and packages it
could not look up are reported, never counted as safe."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "audit_verdict", ROOT / "scripts" / "audit_verdict.py"
)
audit_verdict = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_verdict)

CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {
    "name": "django",
    "version": "3.2.0",
    "vulns": [{"id": "PYSEC-2021-98", "fix_versions": ["3.2.1"], "aliases": []}],
}
UNCHECKED = {
    "name": "celery",
    "skip_reason": "Dependency not found on PyPI and could not be audited",
}


@pytest.mark.parametrize("strict", [False, True])
def test_a_known_vulnerability_fails_the_run(strict):
    code, lines = audit_verdict.verdict({"dependencies": [CLEAN, VULNERABLE]}, strict=strict)

    assert code == 1
    assert "VULNERABLE django==3.2.0: PYSEC-2021-98 (fixed in 3.2.1)" in lines
    assert lines[-1] == "FAIL: known vulnerabilities in 1 packages."


def test_a_clean_report_passes():
    code, lines = audit_verdict.verdict({"dependencies": [CLEAN]}, strict=True)

    assert code == 0
    assert lines == [
        "1 packages checked, 0 with known vulnerabilities.",
        "PASS: all 1 packages checked, none with known vulnerabilities.",
    ]


def test_packages_that_could_not_be_looked_up_are_reported_and_fail_when_strict():
    report = {"dependencies": [CLEAN, UNCHECKED]}

    relaxed, lines = audit_verdict.verdict(report, strict=False)
    strict, _ = audit_verdict.verdict(report, strict=True)

    assert (relaxed, strict) == (0, 1)
    assert any(line.startswith("NOT CHECKED: 1 of 2") for line in lines)
    assert "DEPENDENCY AUDIT: INCOMPLETE: 1 of 2 packages were not checked." in lines
    assert lines[-1] == "INCOMPLETE: 1 of 2 packages checked; not a pass."
    assert not any(line.startswith("PASS") for line in lines)


def test_when_nothing_could_be_looked_up_it_says_so_plainly_and_never_passes(capsys):
    """The offline case seen in practice: pip-audit marks all 138 packages skipped."""
    report = {"dependencies": [dict(UNCHECKED, name=f"package{i}") for i in range(138)]}

    relaxed, lines = audit_verdict.verdict(report, strict=False)
    strict, strict_lines = audit_verdict.verdict(report, strict=True)

    assert (relaxed, strict) == (0, 1)
    banner = lines.index(audit_verdict.BAR)
    assert lines[banner + 1] == (
        "DEPENDENCY AUDIT: NOTHING WAS CHECKED: none of the 138 packages could be looked up."
    )
    assert lines[banner + 2].startswith("This is not a pass")
    assert "LFR_AUDIT_STRICT=1 scripts/audit" in lines[banner + 3]
    assert lines[-1] == "NOT CHECKED: 0 of 138 packages checked; not a pass."
    assert (
        strict_lines[-1]
        == "NOT CHECKED: 0 of 138 packages checked; failing because LFR_AUDIT_STRICT=1."
    )
    assert not any(line.startswith("PASS") for line in lines + strict_lines)


def test_no_report_at_all_is_not_a_pass_when_strict(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LFR_AUDIT_STRICT", "1")

    assert audit_verdict.main(str(tmp_path / "missing.json")) == 1
    out = capsys.readouterr().out
    assert "did not run" in out and "NOTHING WAS CHECKED" in out


def test_main_reads_pip_audit_json(tmp_path, monkeypatch):
    monkeypatch.delenv("LFR_AUDIT_STRICT", raising=False)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": [VULNERABLE], "fixes": []}))

    assert audit_verdict.main(str(report)) == 1
