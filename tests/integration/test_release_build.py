"""The release artefact: ``ansible-galaxy collection build`` -> install into a clean path -> a module runs.

Proves what a user who installs the tarball gets: the collection loads from the install path alone
(no checkout, no development ansible.cfg, no PYTHONPATH), a device module runs against the simulator
through the inventory-less ad hoc path, and the tarball holds the licence and the simulator but none
of the development-only files listed in galaxy.yml build_ignore.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, bin_path

# H12's loopback range (127.145.0.0 - 127.149.255.255): one address per xdist worker.
ADDRESS = "127.147.%d.1" % (1 + int((os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = subprocess.run([bin_path("ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        version = yaml.safe_load(fh)["version"]
    tarball = out / ("printfleet-canon-%s.tar.gz" % version)
    assert tarball.is_file(), os.listdir(out)
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    return tarball, names


def test_tarball_ships_licence_and_simulator_but_no_development_files(built):
    _, names = built
    top = {n.split("/")[0] for n in names}
    for needed in ("LICENSE", "README.md", "MANIFEST.json", "FILES.json", "meta", "plugins", "roles", "playbooks",
                   "docs", "simulator", "changelogs"):
        assert needed in top, needed
    assert "plugins/modules/canon_device_info.py" in names
    assert "simulator/cli.py" in names            # users rehearse against it (docs/simulator.md)
    forbidden_prefixes = ("tests/perf", "tools", "scripts", "demo", "tests/output")
    assert not [n for n in names if n.startswith(forbidden_prefixes)]
    for name in ("conftest.py", "pyproject.toml", "ansible.cfg"):
        assert name not in names
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))]   # no dot-files/dirs
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    with tarfile.open(built_tarball(built)) as tar:
        licence = tar.extractfile("LICENSE").read().decode("utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in licence[:200] and "Version 3, 29 June 2007" in licence[:200]
    assert "END OF TERMS AND CONDITIONS" in licence   # the full text, not a stub


def built_tarball(built):
    return built[0]


def test_installed_tarball_runs_a_module_from_a_clean_path(built):
    tarball, _ = built
    work = tempfile.mkdtemp(prefix="printfleet-release-")
    collections = os.path.join(work, "collections")
    home = os.path.join(work, "home")
    cfg = os.path.join(work, "ansible.cfg")
    with open(cfg, "w", encoding="utf-8") as fh:      # nothing from the checkout's development config
        fh.write("[defaults]\ncollections_path = %s\n" % collections)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env.update({"ANSIBLE_CONFIG": cfg, "ANSIBLE_HOME": home, "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_STDOUT_CALLBACK": "minimal", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)

    proc = subprocess.run([bin_path("ansible-galaxy"), "collection", "install", "--offline", "-p", collections,
                           str(tarball)], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = os.path.join(collections, "ansible_collections", "printfleet", "canon")
    assert os.path.isfile(os.path.join(installed, "plugins", "modules", "canon_device_info.py"))
    assert not os.path.islink(installed)

    proc = subprocess.run([bin_path("ansible-galaxy"), "collection", "list", "printfleet.canon", "--format", "json"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert list(listed) == [os.path.join(collections, "ansible_collections")], listed   # only the clean path

    sim = SimulatedFleet({"seed": 3, "devices": [{"address": ADDRESS, "profile": "ir-adv-c5535-iii"}]})
    try:
        args = {"host": ADDRESS, "snmp_port": sim.port, "timeout": 1, "retries": 0, "gather_subset": ["identity"]}
        proc = subprocess.run([bin_path("ansible"), "localhost", "-m", "printfleet.canon.canon_device_info",
                               "-a", json.dumps(args)], cwd=work, env=env, capture_output=True, text=True,
                              timeout=120)
        expected = sim.device(ADDRESS)
    finally:
        sim.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, _, body = proc.stdout.partition(" => ")
    assert "SUCCESS" in head, proc.stdout
    result = json.loads(body)
    assert result["identity"]["serial"] == expected["serial"]
    assert result["identity"]["model"] == expected["model"]
    assert result["changed"] is False
