#!/usr/bin/env bash
# Set everything up, then run the whole test suite (unit + integration against the simulator).
# Extra arguments go to pytest, e.g.  scripts/test.sh -k discovery
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test-tools
. .venv/bin/activate
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE || true
jobs="${PYTEST_JOBS:-2}"
exec python -m pytest -n "$jobs" -p no:cacheprovider "$@"
