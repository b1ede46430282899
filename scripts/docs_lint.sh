#!/usr/bin/env bash
# antsibull-docs lint-collection-docs --plugin-docs on this checkout (all plugins, modules and roles' docs).
# Runs from .venv-tools (scripts/setup.sh --test-tools) on a copy at a real ansible_collections/printfleet/canon path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools="$root/.venv-tools/bin"
tree=$(mktemp -d /tmp/printfleet-docs-lint.XXXXXX)
trap 'rm -rf "$tree"' EXIT
dest="$tree/ansible_collections/printfleet/canon"
mkdir -p "$dest"
tar -C "$root" --exclude='./.venv*' --exclude=./.ansible-collections --exclude=./.ansible --exclude=./.ansible-test-home \
    --exclude=./.git --exclude='__pycache__' --exclude='*.pyc' --exclude=./tests/output --exclude='./*.tar.gz' \
    -cf - . | tar -C "$dest" -xf -
cd "$dest"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
export PATH="$tools:$PATH" ANSIBLE_COLLECTIONS_PATH="$tree"
exec "$tools/antsibull-docs" lint-collection-docs --plugin-docs "$@" .
