#!/usr/bin/env bash
# Set up a development/demo environment in this checkout:
#   .venv/                        Python virtualenv with the collection's requirements
#   .ansible-collections/...      this checkout linked as the collection printfleet.canon
# With --test-tools it also installs the system tools the test suite and benchmarks use
# (net-snmp client tools, PostgreSQL, onesixtyone, braa) when they are missing.
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
say "ready: collection printfleet.canon linked from $(pwd)"
