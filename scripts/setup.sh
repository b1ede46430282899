#!/usr/bin/env bash
# Set up a development/demo environment in this checkout:
#   .venv/                        Python virtualenv with the collection's requirements
#   .ansible-collections/...      this checkout linked as the collection printfleet.canon
# With --test-tools it also installs the system tools the test suite and benchmarks use
# (net-snmp client tools, PostgreSQL, onesixtyone, braa) when they are missing, and builds
#   .venv-tools/                  ansible-lint, antsibull-docs, ansible-builder (tests/requirements-tools.txt)
#   .venv-matrix/<leg>/           one virtualenv per ansible-core of the matrix (tests/matrix.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_tools=0
for arg in "$@"; do
  case "$arg" in
    --test-tools) want_test_tools=1 ;;
    *) echo "usage: $0 [--test-tools]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$candidate"; return 0
    fi
  done
  echo "printfleet.canon needs Python 3.11 or newer" >&2
  return 1
}

if [ "$want_test_tools" = 1 ]; then
  missing=()
  command -v snmpget >/dev/null 2>&1 || missing+=(snmp)
  command -v onesixtyone >/dev/null 2>&1 || missing+=(onesixtyone)
  command -v braa >/dev/null 2>&1 || missing+=(braa)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PY=$(pick_python)
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements-stamp
reqs=(requirements.txt tests/requirements.txt)
if [ ! -f "$stamp" ] || [ "$(cat "${reqs[@]}" | sha1sum)" != "$(cat "$stamp")" ]; then
  say "installing Python requirements"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -r tests/requirements.txt
  cat "${reqs[@]}" | sha1sum > "$stamp"
fi

mkdir -p .ansible-collections/ansible_collections/printfleet
ln -sfn ../../.. .ansible-collections/ansible_collections/printfleet/canon

# find_python 3.12: a python3.12 on PATH that really is 3.12, else pyenv's newest 3.12 (pyenv shims refuse
# versions that are not selected).
find_python() {
  local want=$1 candidate
  for candidate in "python$want" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r); do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

# make_venv DIR PYTHON REQUIREMENT... : a virtualenv with these pip arguments, rebuilt only when they change.
make_venv() {
  local dir=$1 py=$2; shift 2
  local want arg
  want=$( { printf '%s\n' "$py" "$@"; for arg in "$@"; do if [ -f "$arg" ]; then cat "$arg"; fi; done; } | sha1sum)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
  echo "$want" > "$dir/.stamp"
}

if [ "$want_test_tools" = 1 ]; then
  # Lint/packaging tools (tests/requirements-tools.txt) and the ansible-core matrix (tests/matrix.txt), built in
  # parallel: the downloads dominate. A leg whose Python is missing is left out (scripts/test.sh says so).
  say "tool and ansible-core matrix virtualenvs"
  grep -v '^ansible-core' tests/requirements.txt > .venv/.matrix-test-requirements.txt
  pids=()
  make_venv .venv-tools "$PY" -r tests/requirements-tools.txt > .venv/.setup-tools.log 2>&1 & pids+=($!)
  while read -r leg pyver core _scope; do
    case "$leg" in ''|'#'*) continue ;; esac
    if legpy=$(find_python "$pyver"); then
      make_venv ".venv-matrix/$leg" "$legpy" "$core" -r requirements.txt -r .venv/.matrix-test-requirements.txt \
        > ".venv/.setup-$leg.log" 2>&1 & pids+=($!)
    else
      echo "matrix leg $leg: no Python $pyver found, left out" >&2
      rm -rf ".venv-matrix/$leg"
    fi
  done < tests/matrix.txt
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  if [ "$status" != 0 ]; then
    tail -n 20 .venv/.setup-*.log >&2
    echo "setting up the tool or matrix virtualenvs failed" >&2
    exit 1
  fi
fi
say "ready: collection printfleet.canon linked from $(pwd)"
