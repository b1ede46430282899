"""Start and drive the printer simulator from tests (a real subprocess, as users run it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, List, Optional

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker_octet(base: int) -> int:
    """A second octet per pytest-xdist worker, so parallel workers never share addresses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    n = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return base + n


class SimulatedFleet:
    """A running ``python -m simulator serve`` process and its manifest."""

    def __init__(self, spec: Dict[str, Any], port: int = 16100, extra_args: Optional[List[str]] = None,
                 ready_timeout: float = 60.0) -> None:
        self.tmp = tempfile.mkdtemp(prefix="printfleet-sim-")
        self.spec_path = os.path.join(self.tmp, "spec.yml")
        self.manifest_path = os.path.join(self.tmp, "manifest.json")
        with open(self.spec_path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(spec, fh)
        self.port = port
        args = [sys.executable, "-m", "simulator", "serve", "--spec", self.spec_path, "--port", str(port),
                "--manifest", self.manifest_path] + list(extra_args or [])
        self.log_path = os.path.join(self.tmp, "simulator.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        deadline = time.time() + ready_timeout
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY") or self.proc.poll() is not None:
                break
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError("simulator did not start: %r\n%s" % (line, open(self.log_path).read()))
        self.ready_line = line.strip()
        with open(self.manifest_path, encoding="utf-8") as fh:
            self.manifest = json.load(fh)
        self.devices: List[Dict[str, Any]] = self.manifest["devices"]
        self.control_url: str = self.manifest["control_url"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()

    # ----------------------------------------------------------------- lookups -----------
    def device(self, address: str) -> Dict[str, Any]:
        for d in self.devices:
            if d["address"] == address:
                return d
        raise KeyError(address)

    def by_profile(self, profile: str) -> List[Dict[str, Any]]:
        return [d for d in self.devices if d["profile"] == profile]

    # ----------------------------------------------------------------- control API -------
    def control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.control_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def state(self, address: str) -> Dict[str, Any]:
        return self.control("GET", "/devices/%s" % address)

    def act(self, address: str, action: str, **body: Any) -> Any:
        return self.control("POST", "/devices/%s/%s" % (address, action), body)


def ansible_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_HOME": os.path.join(tempfile.gettempdir(), "printfleet-ansible-home"),
    })
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    env.update(extra)
    return env


def bin_path(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


def ansible_module(module: str, args: Dict[str, Any], check: bool = False, diff: bool = False,
                   timeout: float = 120) -> Dict[str, Any]:
    """Run one module ad hoc on localhost (``ansible localhost -m ...``) and return its result."""
    cmd = [bin_path("ansible"), "localhost", "-m", module, "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    # the minimal callback prints 'localhost | SUCCESS => {json}' (or FAILED! / CHANGED)
    head, sep, body = proc.stdout.partition(" => ")
    try:
        result = json.loads(body)
    except ValueError:
        raise AssertionError("ansible did not print a result (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout,
                                                                                  proc.stderr))
    result["_status"] = head.split("|")[-1].strip()
    result["_rc"] = proc.returncode
    result["_stdout"] = proc.stdout
    return result


def ansible_playbook(playbook: str, inventory: Optional[str] = None, extra_vars: Optional[Dict[str, Any]] = None,
                     check: bool = False, diff: bool = False, timeout: float = 300,
                     env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    cmd = [bin_path("ansible-playbook"), playbook]
    if inventory:
        cmd += ["-i", inventory]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=ansible_env(**(env or {})))
