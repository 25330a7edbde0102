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


def verdict(report, *, strict):
    """(exit code, lines to print) for a pip-audit JSON report (None if it wrote none)."""
    if report is None:
        lines = ["pip-audit wrote no report: the audit did not run."]
        return (1 if strict else 0), lines
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unchecked = [d for d in dependencies if d.get("skip_reason")]
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
    checked = len(dependencies) - len(unchecked)
    lines.append(f"{checked} packages checked, {len(vulnerable)} with known vulnerabilities.")
    if vulnerable or (unchecked and strict) or (not dependencies and strict):
        return 1, lines
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
