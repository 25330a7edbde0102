# Shared by scripts/run and scripts/test: make .venv and install the pinned requirements.
# The lock files pin every package, so they install with --no-deps: that keeps exactly
# one OpenCV (the headless build) even though insightface's metadata asks for the GUI one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

ensure_venv() {
  local stamp=".venv/.installed-$(echo "$*" | tr -c 'a-z0-9\n' '_')" want
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [[ ! -x .venv/bin/python ]]; then
    echo "==> creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
  fi
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "==> installing pinned requirements ($*)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
    local args=()
    for f in "$@"; do args+=(-r "$f"); done
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "${args[@]}"
    echo "$want" > "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}
