#!/usr/bin/env bash
# Set everything up, then run every check of the collection; exits non-zero when any of them fails.
#   1. antsibull-docs lint-collection-docs --plugin-docs      (scripts/docs_lint.sh)
#   2. ansible-lint --profile production on roles/ and playbooks/ (.ansible-lint)
#   3. ansible-test sanity on the collection at a real ansible_collections/ path, locally (scripts/sanity.sh)
#   4. ansible-test units
#   5. the ansible-core matrix (tests/matrix.txt): the quick parts (plugin unit tests + smoke integration) on
#      ansible-core 2.17 and 2.18, the smoke integration on 2.19 (the development .venv, unit-tested in step 4)
#   6. the whole pytest suite (unit + integration against the simulator) on the newest ansible-core (2.20 on
#      Python 3.12; the development .venv when that Python is missing). Its summary line is printed last.
# Extra arguments go to the pytest run of step 6, e.g.  scripts/test.sh -k discovery
# PRINTFLEET_QUICK=1 skips steps 1-5 (just the suite on the development .venv, as before).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh --test-tools || exit 1
. .venv/bin/activate
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE || true
jobs="${PYTEST_JOBS:-2}"
logs=$(mktemp -d /tmp/printfleet-checks.XXXXXX)
failed=()
started=$SECONDS

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# check NAME COMMAND...: run one check, keep its output, print its last lines and how long it took.
check() {
  local name=$1 t0=$SECONDS rc; shift
  say "$name"
  "$@" > "$logs/$name.log" 2>&1
  rc=$?
  tail -n "${PRINTFLEET_CHECK_TAIL:-4}" "$logs/$name.log" | sed 's/^/    /'
  if [ "$rc" = 0 ]; then
    echo "    $name: passed in $((SECONDS - t0))s"
  else
    echo "    $name: FAILED (exit $rc) in $((SECONDS - t0))s - full output: $logs/$name.log"
    failed+=("$name")
  fi
}

# Smoke integration for the older ansible-core versions: the action plugin, a device module and the discovery
# inventory plugin end to end, plus the release build.
SMOKE=(tests/integration/test_canon_device.py tests/integration/test_connection_from_inventory.py
       tests/integration/test_release_build.py)
# quick PYTHON [unit|smoke]: the unit tests of the collection's plugins (tests/unit less the simulator's own,
# which do not touch ansible-core) and the smoke integration, with that interpreter's ansible-core.
quick() {
  local what=(tests/unit --ignore=tests/unit/simulator "${SMOKE[@]}")
  [ "${2:-}" = smoke ] && what=("${SMOKE[@]}")
  "$1" -m pytest -n "$jobs" --dist loadfile -p no:cacheprovider -q "${what[@]}"
}

full_python="$root/.venv/bin/python"
if [ -x .venv-matrix/core-2.20/bin/python ]; then full_python="$root/.venv-matrix/core-2.20/bin/python"; fi

if [ "${PRINTFLEET_QUICK:-0}" != 1 ]; then
  check docs-lint scripts/docs_lint.sh
  check ansible-lint env PATH="$root/.venv-tools/bin:$PATH" ansible-lint roles/ playbooks/
  # Sanity, in two runs so the exclusions are explicit:
  #  - everything but tests/: plugins/, simulator/, tools/, roles, playbooks, meta, docs - every sanity test;
  #  - tests/: every sanity test except pylint. Reason: ansible-test's pylint policy is written for code that
  #    ships to managed nodes and controllers (it forbids the throwaway name "_" and subprocess.run without
  #    check=, both deliberate in pytest code that asserts on return codes); tests/ still gets pep8, compile,
  #    shebang, yamllint and the rest. tests/perf/ is left out entirely: benchmarks are scripts (shebangs, no
  #    assertions) that galaxy.yml keeps out of the tarball.
  check sanity scripts/sanity.sh sanity --exclude tests/
  check sanity-tests scripts/sanity.sh sanity tests/ --exclude tests/perf/ --skip-test pylint
  # ansible-test units runs every test in a forked process, so a module-scoped fixture that starts a simulator
  # process is started again for each test (and never stopped) and its addresses collide. Unit test files that
  # start a simulator (SimulatedFleet: client tests against the simulated device, e.g.
  # test_addressbook_device.py, test_sms_client.py) are left out here and run in the pytest suite of step 6.
  unit_excludes=()
  for f in $(grep -rlE "SimulatedFleet\(" tests/unit --include='test_*.py' | sort); do unit_excludes+=(--exclude "$f"); done
  check ansible-test-units scripts/sanity.sh units --num-workers "$jobs" "${unit_excludes[@]}"
  while read -r leg _pyver _core scope; do
    case "$leg" in ''|'#'*) continue ;; esac
    if [ ! -x ".venv-matrix/$leg/bin/python" ]; then
      echo "    matrix leg $leg: left out (no interpreter for it on this machine)"
      continue
    fi
    [ "$scope" = quick ] && check "matrix-$leg" quick "$root/.venv-matrix/$leg/bin/python"
  done < tests/matrix.txt
  # 2.19 is the development .venv: ansible-test units above ran its unit tests already
  check matrix-core-2.19 quick "$root/.venv/bin/python" smoke
  echo "    checks took $((SECONDS - started))s"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED checks: ${failed[*]} (logs in $logs)"
  fi
fi

say "pytest suite on $("$full_python" -c 'import ansible.release as r, sys; print("ansible-core %s, Python %d.%d" % ((r.__version__,) + sys.version_info[:2]))')"
# --dist loadfile: the tests of one file run in one worker, in order, on the one simulator its fixtures start
"$full_python" -m pytest -n "$jobs" --dist loadfile -p no:cacheprovider "$@"
rc=$?
# pytest's summary line stays the last line of the output; a failed check fails the run all the same.
if [ "$rc" = 0 ] && [ ${#failed[@]} -gt 0 ]; then
  exit 1
fi
exit "$rc"
