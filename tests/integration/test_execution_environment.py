"""The execution environment definition: `ansible-builder create` builds the context (no container engine
needed), with the pinned base image, ansible-core and collection version, psycopg, and the collection's own
Python requirements as ansible-builder's introspection finds them in the installed collection."""

from __future__ import annotations

import os
import subprocess

import yaml

from tests.integration.simfleet import ROOT

TOOLS = os.path.join(ROOT, ".venv-tools", "bin")


def tool(name: str) -> str:
    path = os.path.join(TOOLS, name)
    assert os.path.exists(path), "%s missing: run scripts/setup.sh --test-tools" % path
    return path


def test_ansible_builder_create_pins_everything(tmp_path):
    with open(os.path.join(ROOT, "execution-environment.yml"), encoding="utf-8") as fh:
        definition = yaml.safe_load(fh)
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        version = str(yaml.safe_load(fh)["version"])
    base = definition["images"]["base_image"]["name"]
    assert ":" in base and not base.endswith(":latest"), "pin the base image by tag: %s" % base
    [collection] = definition["dependencies"]["galaxy"]["collections"]
    assert collection == {"name": "printfleet.canon", "version": version}
    assert any(r.startswith("psycopg") for r in definition["dependencies"]["python"])

    context = tmp_path / "context"
    proc = subprocess.run([tool("ansible-builder"), "create", "-f", os.path.join(ROOT, "execution-environment.yml"),
                           "--context", str(context), "--output-filename", "Containerfile"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % base in containerfile
    assert "ansible-core==2.19.14" in containerfile
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as fh:
        assert yaml.safe_load(fh)["collections"] == [{"name": "printfleet.canon", "version": version}]
    assert "psycopg[binary]" in (context / "_build" / "requirements.txt").read_text()

    # what the build will install for the collection: ansible-builder's own introspection of the installed
    # collection (meta/execution-environment.yml -> requirements.txt), run here on the development link
    proc = subprocess.run([tool("python"), str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                           "--user-pip", str(context / "_build" / "requirements.txt"),
                           os.path.join(ROOT, ".ansible-collections")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = yaml.safe_load(proc.stdout)
    packages = {line.split("#")[0].strip().split(">")[0].split("[")[0].lower() for line in found["python"]}
    assert {"pysnmp", "cryptography", "openpyxl", "netaddr", "psycopg"} <= packages, found
    assert "requests" not in packages, found     # the web clients use the standard library
    assert found["system"] == []      # nothing from the distribution: no bindep.txt needed
