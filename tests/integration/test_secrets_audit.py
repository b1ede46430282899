"""Secrets audit for the whole collection (issue 18): every secret option of every module and of the
inventory plugin is set to a unique marker, each module runs at -vvv with --diff, in check mode and
for real, and stdout, stderr, the Ansible log, the result JSON and every file written under the run's
directory are searched: no marker may appear anywhere.

Modules and their secret options are discovered from the argument specs (``no_log: True``, nested
suboptions included), so a module added tomorrow is audited without touching this file. Modules run
against an address where nothing listens (127.175.250.1) with short timeouts: the failure paths, where
secrets most often leak into messages, are what runs.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Tuple
from unittest import mock

import pytest
import yaml
from ansible.module_utils import basic

from tests.fuzz.report import record
from tests.integration.simfleet import ROOT, ansible_env, bin_path

MODULES_DIR = os.path.join(ROOT, "plugins", "modules")
NOWHERE = "127.175.250.1"


class _Spec(Exception):
    pass


def module_names() -> List[str]:
    return sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.startswith("canon_") and f.endswith(".py"))


def argument_spec(name: str) -> Dict[str, Any]:
    """The module's argument spec as AnsibleModule receives it (main() is stopped right there)."""
    module = importlib.import_module("ansible_collections.printfleet.canon.plugins.modules." + name)

    def capture(self, argument_spec=None, **_kwargs):
        raise _Spec(argument_spec)
    with mock.patch.object(basic.AnsibleModule, "__init__", capture):
        try:
            module.main()
        except _Spec as found:
            return found.args[0] or {}
    raise AssertionError("%s.main() never built an AnsibleModule" % name)


def _dummy(name: str, spec: Dict[str, Any]) -> Any:
    if spec.get("choices"):
        return spec["choices"][0]
    kind = spec.get("type", "str")
    if name in ("host", "hostname"):
        return NOWHERE
    return {"int": 1, "float": 0.5, "bool": False, "list": [], "dict": {}, "path": "/nonexistent/h18",
            "raw": "x"}.get(kind, "x")


def fill(spec: Dict[str, Any], prefix: str, markers: Dict[str, str], tag: str = "") -> Dict[str, Any]:
    """Arguments with every no_log option set to a marker and every required option to a dummy."""
    args: Dict[str, Any] = {}
    for name, option in spec.items():
        path = prefix + name
        sub = option.get("options")
        if option.get("no_log"):
            marker = "MK18%s%sX" % (tag, "".join(c for c in path.title() if c.isalnum()))
            markers[path] = marker
            args[name] = marker if option.get("type", "str") != "list" else [marker]
        elif sub and (option.get("type") == "dict" or option.get("type") == "list"):
            inner = fill(sub, path + ".", markers, tag)
            if any(p.startswith(path + ".") for p in markers) or option.get("required"):
                args[name] = [inner] if option.get("type") == "list" else inner
        elif option.get("required"):
            args[name] = _dummy(name, option)
    for name, value in (("timeout", 0.5), ("retries", 0), ("snmp_port", 16199)):
        if name in spec and name not in args and spec[name].get("type") in ("int", "float"):
            args[name] = value if spec[name]["type"] == "float" else int(max(value, 0) or 0)
    if "host" in spec and "host" not in args:
        args["host"] = NOWHERE
    return args


def audit_plan() -> List[Tuple[str, Dict[str, Any], Dict[str, str]]]:
    plan = []
    for name in module_names():
        markers: Dict[str, str] = {}
        tag = "".join(part[:3].title() for part in name.split("_")[1:])     # unique per module
        args = fill(argument_spec(name), "", markers, tag)
        plan.append((name, args, markers))
    return plan


def test_every_module_declares_its_secret_options_no_log():
    """Options whose names say they are secrets must be no_log (the audit relies on the specs)."""
    words = ("password", "passphrase", "community", "token", "secret", "pin", "auth_key", "priv_key")
    missing = []
    for name in module_names():
        def walk(spec, prefix=""):
            for option, details in spec.items():
                lowered = option.lower()
                is_secret = any(w in lowered.split("_") or lowered.endswith(w) for w in words)
                if is_secret and not details.get("no_log") and not details.get("choices") \
                        and details.get("type", "str") in ("str", "raw"):
                    missing.append("%s: %s%s" % (name, prefix, option))
                if details.get("options"):
                    walk(details["options"], prefix + option + ".")
        walk(argument_spec(name))
    assert not missing, "secret-looking options without no_log: %s" % missing


def _grep_tree(root: str, markers: List[str]) -> List[str]:
    found = []
    for base, _dirs, files in os.walk(root):
        for f in files:
            path = os.path.join(base, f)
            if path.endswith(("playbook.yml", "vars.yml")):
                continue               # the inputs themselves
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            found.extend("%s in %s" % (m, path) for m in markers if m.encode() in data)
    return found


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_no_secret_in_any_output_of_any_module(tmp_path, check):
    plan = audit_plan()
    all_markers = sorted({m for _n, _a, ms in plan for m in ms.values()})
    assert len(all_markers) >= 10, "the specs yield too few secret options: %s" % all_markers
    # the markers go in through a vars file (as vault or extra vars would), never on the command line
    variables = {"audit_%d" % i: args for i, (_n, args, _m) in enumerate(plan)}
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
    tasks = [{"name": "audit %s" % name, "printfleet.canon.%s" % name: "{{ audit_%d }}" % i,
              "ignore_errors": True, "register": "r_%d" % i}
             for i, (name, _a, _m) in enumerate(plan)]
    # control: a value printed on purpose must be found, or the grep below proves nothing
    tasks.append({"name": "control", "ansible.builtin.debug": {"msg": "MK18ControlX"}})
    tasks.append({"name": "results", "ansible.builtin.copy": {
        "dest": str(tmp_path / "results.json"),
        "content": "{{ [%s] | to_nice_json }}" % ", ".join("r_%d" % i for i in range(len(plan)))},
        "check_mode": False, "no_log": True})
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "vars_files": [str(tmp_path / "vars.yml")],
        "tasks": tasks}]))
    env = ansible_env(ANSIBLE_LOG_PATH=str(tmp_path / "ansible.log"), TMPDIR=str(tmp_path / "tmp"),
                      ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_REMOTE_TEMP=str(tmp_path / "tmp"),
                      ANSIBLE_HOME=str(tmp_path / "home"))
    os.makedirs(tmp_path / "tmp", exist_ok=True)
    cmd = [bin_path("ansible-playbook"), "-i", "localhost,", "-c", "local", "-e",
           "ansible_python_interpreter=%s" % sys.executable, str(tmp_path / "playbook.yml"), "-vvv", "--diff"]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, env=env)
    out = proc.stdout + proc.stderr
    ran = [name for name, _a, _m in plan if "TASK [audit %s]" % name in out]
    assert len(ran) == len(plan), out[-3000:]
    assert "MK18ControlX" in out
    leaks = [m for m in all_markers if m in out]
    leaks += _grep_tree(str(tmp_path), all_markers)
    record({"suite": "secrets", "case": "modules (%s)" % ("check" if check else "apply"), "modules": len(plan),
            "markers": len(all_markers), "leaks": len(leaks)})
    assert not leaks, "secret markers leaked: %s" % leaks
    results = json.loads((tmp_path / "results.json").read_text())
    assert len(results) == len(plan)


def test_inventory_plugin_credentials_never_leak(tmp_path):
    markers = {"community": "MK18InvCommunityX", "auth_password": "MK18InvAuthPassX",
               "priv_password": "MK18InvPrivPassX"}
    config = {"plugin": "printfleet.canon.discovery", "regions": [{"name": "nowhere", "networks": [NOWHERE]}],
              "credentials": [{"name": "v2", "version": "2c", "community": markers["community"]},
                              {"name": "v3", "version": "3", "user": "audit", "auth_protocol": "sha256",
                               "auth_password": markers["auth_password"], "priv_protocol": "aes",
                               "priv_password": markers["priv_password"]}],
              "port": 16199, "timeout": 0.3, "retries": 0, "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache")}
    path = tmp_path / "fleet.canon.yml"
    path.write_text(yaml.safe_dump(config))
    env = ansible_env(ANSIBLE_LOG_PATH=str(tmp_path / "ansible.log"), ANSIBLE_HOME=str(tmp_path / "home"))
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", str(path), "--list", "-vvv"], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-2000:]
    leaks = [m for m in markers.values() if m in out]
    for base, _dirs, files in os.walk(str(tmp_path)):
        for f in files:
            if f == "fleet.canon.yml":
                continue
            data = open(os.path.join(base, f), "rb").read()
            leaks += ["%s in %s" % (m, f) for m in markers.values() if m.encode() in data]
    record({"suite": "secrets", "case": "inventory plugin", "modules": 1, "markers": len(markers),
            "leaks": len(leaks)})
    assert not leaks, leaks
