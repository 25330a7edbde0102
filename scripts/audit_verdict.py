"""Read pip-audit's JSON report and decide: fail on any known vulnerability.

A package that pip-audit could not look up (its vulnerability service unreachable, as on
a machine that reaches PyPI's package index but not its JSON API) is not a pass: it is
listed, and fails the run when LFR_AUDIT_STRICT=1. Without that the run goes on with a
warning, so an offline machine can still test.

    python scripts/audit_verdict.py REPORT.json
"""

import json
import os
import sys

BAR = "=" * 78


def banner(*lines):
    return [BAR, *lines, BAR]


def verdict(report, *, strict):
    """(exit code, lines to print) for a pip-audit JSON report (None if it wrote none).

    The last line is always the verdict in capitals: PASS, FAIL, NOT CHECKED or INCOMPLETE.
    Without LFR_AUDIT_STRICT=1 a run that could not look packages up still exits 0 (so an
    offline machine can test), but says loudly that nothing, or not everything, was checked.
    """
    if report is None:
        lines = banner(
            "DEPENDENCY AUDIT NOT RUN: pip-audit wrote no report: the audit did not run.",
            "NOTHING WAS CHECKED. This is not a pass.",
        )
        return (1 if strict else 0), [*lines, "NOT CHECKED: no report."]
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unchecked = [d for d in dependencies if d.get("skip_reason")]
    checked = len(dependencies) - len(unchecked)
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(
                f"VULNERABLE {dep['name']}=={dep['version']}: {vuln['id']} (fixed in {fixes})"
            )
    if unchecked:
        lines.append(
            f"NOT CHECKED: {len(unchecked)} of {len(dependencies)} packages could not be looked "
            "up; is the vulnerability service reachable?"
        )
        lines += [f"  {d['name']}: {d['skip_reason']}" for d in unchecked[:5]]
        headline = (
            f"NOTHING WAS CHECKED: none of the {len(dependencies)} packages could be looked up."
            if checked == 0
            else f"INCOMPLETE: {len(unchecked)} of {len(dependencies)} packages were not checked."
        )
        lines += banner(
            f"DEPENDENCY AUDIT: {headline}",
            "This is not a pass: the vulnerability service (PyPI's JSON API) did not answer.",
            "Run `LFR_AUDIT_STRICT=1 scripts/audit` on a machine that can reach it",
            "(README, Security controls: Dependencies).",
        )
    lines.append(f"{checked} packages checked, {len(vulnerable)} with known vulnerabilities.")
    if vulnerable:
        lines.append(f"FAIL: known vulnerabilities in {len(vulnerable)} packages.")
        return 1, lines
    if not dependencies:
        lines.append("NOT CHECKED: the report lists no packages.")
        return (1 if strict else 0), lines
    if unchecked:
        word = "NOT CHECKED" if checked == 0 else "INCOMPLETE"
        lines.append(
            f"{word}: {checked} of {len(dependencies)} packages checked"
            + ("; failing because LFR_AUDIT_STRICT=1." if strict else "; not a pass.")
        )
        return (1 if strict else 0), lines
    lines.append(f"PASS: all {checked} packages checked, none with known vulnerabilities.")
    return 0, lines


def main(path):
    try:
        with open(path) as handle:
            report = json.load(handle)
    except (OSError, ValueError):
        report = None
    code, lines = verdict(report, strict=os.environ.get("LFR_AUDIT_STRICT") == "1")
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
