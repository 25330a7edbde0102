"""The code's shape: imports run one way, and no module or function grows past what one
person can hold in their head. Both rules are written down in pyproject.toml and the
README; these tests are what keeps them true."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lfr_portal", "matcher")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def _sources() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def _lint_imports(tree: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_import_contracts_hold():
    """import-linter reads the contracts from pyproject.toml: the portal's layers, the
    matcher's boundary with the portal, and no cycles between sibling modules."""
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_would_catch_an_upward_import(tmp_path):
    """The layers contract is only worth having if it fails on the mistake it names: a
    selector that imports a service."""
    config = (ROOT / "pyproject.toml").read_text()
    tree = tmp_path / "tree"
    tree.mkdir()
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package)
    (tree / "pyproject.toml").write_text(config)
    (tree / "lfr_portal" / "selectors" / "zz_upward.py").write_text(
        "from lfr_portal.services import common  # noqa: F401\n"
    )
    result = _lint_imports(tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "lfr_portal.selectors.zz_upward -> lfr_portal.services" in result.stdout


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    text = path.read_text()
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{lines} lines; split the module"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"
