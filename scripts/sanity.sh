#!/usr/bin/env bash
# ansible-test on this checkout, locally (no --venv/--docker, no download beyond the package index):
#   scripts/sanity.sh sanity [ansible-test sanity args]     e.g. scripts/sanity.sh sanity --test validate-modules
#   scripts/sanity.sh units  [ansible-test units args]
# ansible-test needs the collection at a real path .../ansible_collections/printfleet/canon (not a symlink),
# so the checkout is copied (without virtualenvs and local state) into a temporary tree first.
# ansible-test keeps its per-test virtualenvs under $HOME/.ansible/test; HOME points at .ansible-test-home/
# in the checkout so they are reused between runs and the real home stays untouched. Those virtualenvs get
# pip from tests/sanity/get_pip_offline.py (ensurepip + the package index) instead of a downloaded get-pip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python="${ANSIBLE_TEST_PYTHON:-$root/.venv/bin/python}"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
bindir=$(dirname "$python")

home="$root/.ansible-test-home"
# the pip version ansible-test bootstraps into its virtualenvs (get_venv_packages in python_requirements.py)
pip_version=$("$python" - <<'PY'
import re, ansible_test._internal.python_requirements as r
print(re.search(r"pip='([0-9.]+)'", open(r.__file__).read()).group(1))
PY
)
mkdir -p "$home/.ansible/test/cache"
cp tests/sanity/get_pip_offline.py "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# ansible-test runs pip with a scrubbed environment (no PIP_* variables) and HOME moved here, so the pip
# settings in force now (user/global config files and PIP_* variables: index, find-links, certificates)
# are written to a pip.conf that the bootstrap copies into each virtualenv (pip's per-environment config).
"$python" - "$home/.ansible/test/cache/pip.conf" <<'PY'
import ast, configparser, os, subprocess, sys
cfg = configparser.ConfigParser(interpolation=None)
out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
for line in out.splitlines():
    key, _, value = line.partition("=")
    section, _, option = key.partition(".")
    if not option:
        continue
    cfg.setdefault(section, {})
    cfg[section][option] = ast.literal_eval(value) if value[:1] in "'\"" else value
cfg.setdefault("global", {})
for name, value in os.environ.items():
    if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
        cfg["global"][name[4:].lower().replace("_", "-")] = value
with open(sys.argv[1], "w") as fh:
    cfg.write(fh)
PY

tree=$(mktemp -d /tmp/printfleet-ansible-test.XXXXXX)
cleanup() {
  # simulators started by tests in the copy (ansible-test can end pytest workers before fixture teardown)
  for pid in $(pgrep -f "simulator serve" || true); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$tree"/*) kill "$pid" 2>/dev/null || true ;; esac
  done
  rm -rf "$tree"
}
trap cleanup EXIT
dest="$tree/ansible_collections/printfleet/canon"
mkdir -p "$dest"
tar -C "$root" --exclude='./.venv*' --exclude=./.ansible-collections --exclude=./.ansible --exclude=./.ansible-test-home \
    --exclude=./.git --exclude='__pycache__' --exclude='*.pyc' --exclude=./tests/output --exclude='./*.tar.gz' \
    -cf - . | tar -C "$dest" -xf -
cd "$dest"
export HOME="$home" PATH="$bindir:$PATH"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
command=$1; shift
"$bindir/ansible-test" "$command" --python "$pyver" --color no "$@"
