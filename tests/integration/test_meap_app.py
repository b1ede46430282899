"""canon_meap_app / canon_meap_app_info against the simulator's SMS, through real ansible runs.

Devices on 127.152.<worker>.x (this helper's loopback range), one per scenario so order does not matter.
What the device holds and did (installs, writes, logins, failed logins, open sessions) is read from the
simulator's control API (GET /devices/<addr>/sms), never from the module's own answer.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path, worker_octet
from tests.meap_files import APP_ID, LOGIN_APP_ID, make_jar, make_license

PASSWORD = "MeapSecret9"


@pytest.fixture(scope="module")
def net() -> str:
    return "127.152.%d" % worker_octet(0)


NAMES = ["cycle", "check", "down", "login", "fail", "wrong", "adhoc", "pw"]


@pytest.fixture(scope="module")
def sim(net):
    devices = [{"address": "%s.%d" % (net, i), "profile": "ir-adv-c5535-iii",
                "sms": {"password": PASSWORD, "restart_seconds": 1}} for i in range(1, len(NAMES) + 1)]
    fleet = SimulatedFleet({"seed": 13, "devices": devices}, port=16152)
    yield fleet
    fleet.stop()


def addr(net, name):
    return "%s.%d" % (net, NAMES.index(name) + 1)


def sms(sim, address):
    return sim.control("GET", "/devices/%s/sms" % address)


def run(sim, address, args, check=False, diff=False, password=PASSWORD):
    """One task of the module with explicit connection arguments, run by ansible-playbook (the result, diff
    included, is registered and written to a file, since ad hoc output callbacks print the diff apart)."""
    import tempfile
    args = dict(args, host=address, ca_path=sim.manifest["ca_cert"])
    if password is not None:
        args.setdefault("sms_password", password)
    module = args.pop("_module", "printfleet.canon.canon_meap_app")
    work = tempfile.mkdtemp(prefix="meap-run-")
    out = os.path.join(work, "result.json")
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "module", module: args, "register": "r", "ignore_errors": True},
        {"name": "keep", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": out},
         "check_mode": False}]}]
    path = os.path.join(work, "play.yml")
    with open(path, "w") as fh:
        yaml.safe_dump(play, fh)
    cmd = [bin_path("ansible-playbook"), "-i", "localhost,", "-c", "local", path]
    cmd += ["--check"] if check else []
    cmd += ["--diff"] if diff else []
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180, env=ansible_env(), check=False)
    if not os.path.exists(out):
        raise AssertionError("no result (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    with open(out) as fh:
        result = json.load(fh)
    result["_rc"] = 2 if result.get("failed") else 0
    result["_out"] = proc.stdout + proc.stderr + json.dumps(result)
    return result


def app_on(sim, address, app_id=APP_ID):
    return next((a for a in sms(sim, address)["apps"] if a["id"] == app_id), None)


@pytest.fixture
def files(tmp_path):
    def jar(version="1.0.0", **kw):
        return make_jar(str(tmp_path / ("app-%s-%s.jar" % (version, kw.get("app_id", "x")))), version=version, **kw)
    return jar


def test_install_start_rerun_stop_update_uninstall_with_license_returned(sim, net, files, tmp_path):
    address = addr(net, "cycle")
    serial = sim.device(address)["serial"]
    licenses = tmp_path / "licenses"
    make_license(str(licenses / ("%s.lic" % serial)), APP_ID, serial)
    make_license(str(licenses / "OTHER999.lic"), APP_ID, "OTHER999", file_id="LF-OTHER")
    jar1 = files("1.0.0")

    first = run(sim, address, {"src": jar1, "license": str(licenses), "state": "started"}, diff=True)
    assert first["_rc"] == 0 and first["changed"], first["_out"]
    assert [a["action"] for a in first["actions"]] == ["install", "start"]
    assert first["diff"]["before"] == {"installed": False}
    assert first["diff"]["after"]["version"] == "1.0.0" and first["diff"]["after"]["status"] == "Started"
    assert PASSWORD not in first["_out"]
    assert any(a["application_id"] == "SystemOption-Send" for a in first["applications"])   # every app listed
    device = app_on(sim, address)
    assert (device["version"], device["status"], device["license_status"]) == ("1.0.0", "Started", "Installed")

    writes = sms(sim, address)["counters"]["writes"]
    again = run(sim, address, {"src": jar1, "license": str(licenses), "state": "started"})
    assert again["_rc"] == 0 and not again["changed"] and again["actions"] == []
    assert sms(sim, address)["counters"]["writes"] == writes

    stopped = run(sim, address, {"application_id": APP_ID, "state": "stopped"})
    assert stopped["changed"] and app_on(sim, address)["status"] == "Stopped"

    jar2 = files("1.1.0")
    updated = run(sim, address, {"src": jar2, "state": "latest"})
    assert updated["changed"] and [a["action"] for a in updated["actions"]] == ["update"], updated
    assert app_on(sim, address)["version"] == "1.1.0" and app_on(sim, address)["status"] == "Stopped"

    refused = run(sim, address, {"src": jar1, "state": "latest"})     # older jar: downgrade refused
    assert refused["_rc"] != 0 and refused["error_code"] == "meap_downgrade_refused"
    assert app_on(sim, address)["version"] == "1.1.0"

    no_dir = run(sim, address, {"application_id": APP_ID, "state": "absent"})
    assert no_dir["error_code"] == "meap_license_return_required" and app_on(sim, address) is not None

    returned = tmp_path / "returned"
    returned.mkdir()
    gone = run(sim, address, {"application_id": APP_ID, "state": "absent", "returned_license_dir": str(returned)})
    assert gone["changed"], gone["_out"]
    assert [a["action"] for a in gone["actions"]] == ["license_return", "uninstall"]
    assert app_on(sim, address) is None
    saved = gone["returned_licenses"]
    assert len(saved) == 1 and os.stat(saved[0]).st_mode & 0o777 == 0o600
    assert serial in open(saved[0]).read() and "State: disabled" in open(saved[0]).read()
    assert not run(sim, address, {"application_id": APP_ID, "state": "absent"})["changed"]

    # the returned license installs again on the same device (with the jar)
    back = run(sim, address, {"src": jar2, "license": saved[0], "state": "started"})
    assert back["changed"] and app_on(sim, address)["license_status"] == "Installed", back["_out"]
    counters = sms(sim, address)["counters"]
    assert counters["open_sessions"] == 0 and counters["logins"] == counters["logouts"]
    assert counters["failed_logins"] == 0


def test_check_mode_makes_no_sms_write(sim, net, files):
    address = addr(net, "check")
    result = run(sim, address, {"src": files("1.0.0", license_required=False), "state": "started"}, check=True,
                 diff=True)
    assert result["_rc"] == 0 and result["changed"], result["_out"]
    assert [a["action"] for a in result["actions"]] == ["install", "start"]
    state = sms(sim, address)
    assert state["counters"]["writes"] == 0 and state["counters"]["logins"] == 1
    assert state["counters"]["open_sessions"] == 0 and app_on(sim, address) is None


def test_downgrade_allowed_only_when_asked_and_jar_refused_before_upload(sim, net, files):
    address = addr(net, "down")
    assert run(sim, address, {"src": files("2.0.0", license_required=False)})["changed"]
    old = files("1.5.0", license_required=False)
    assert run(sim, address, {"src": old, "state": "latest"})["error_code"] == "meap_downgrade_refused"
    down = run(sim, address, {"src": old, "state": "latest", "allow_downgrade": True})
    assert down["changed"] and down["actions"][0]["downgrade"] and app_on(sim, address)["version"] == "1.5.0"
    writes = sms(sim, address)["counters"]["writes"]
    unsupported = run(sim, address, {"src": files("3.0.0", license_required=False, spec="999"), "state": "latest"})
    assert unsupported["error_code"] == "meap_app_not_supported"
    assert sms(sim, address)["counters"]["writes"] == writes          # refused before any upload


def test_login_application_rules(sim, net, files):
    address = addr(net, "login")
    jar = files("1.0.0", app_id=LOGIN_APP_ID, login=True, license_required=False, name="Card Login")
    installed = run(sim, address, {"src": jar})
    assert installed["changed"] and installed["restart_required"] and not installed.get("restarted")
    assert sms(sim, address)["restart_pending"]
    refused = run(sim, address, {"application_id": LOGIN_APP_ID, "state": "started"})
    assert refused["error_code"] == "meap_restart_required" and app_on(sim, address, LOGIN_APP_ID)["status"] != "Started"
    started = run(sim, address, {"application_id": LOGIN_APP_ID, "state": "started", "allow_restart": True,
                                 "restart_timeout": 60})
    assert started["_rc"] == 0 and started["changed"] and started["restarted"], started["_out"]
    state = sms(sim, address)
    apps = {a["id"]: a for a in state["apps"]}
    assert apps[LOGIN_APP_ID]["status"] == "Started" and apps["LoginService-Default"]["status"] == "Stopped"
    stop = run(sim, address, {"application_id": LOGIN_APP_ID, "state": "stopped"})
    assert stop["error_code"] == "meap_login_app_stop_refused"
    system = run(sim, address, {"application_id": "SystemOption-Send", "state": "absent"})
    assert system["error_code"] == "meap_system_option"
    # SMS asks for a restart after a login application's install: allow_restart restarts over SNMP
    second = files("1.0.0", app_id="login-two", login=True, license_required=False, name="PIN Login")
    boots = sim.state(address)["engine_boots"]
    restarted = run(sim, address, {"src": second, "allow_restart": True, "restart_timeout": 60,
                                   "community": "canon_admin", "snmp_port": sim.port})
    assert restarted["_rc"] == 0 and restarted["restarted"], restarted["_out"]
    assert not sms(sim, address)["restart_pending"]
    assert sim.state(address)["engine_boots"] > boots
    assert sms(sim, address)["counters"]["open_sessions"] == 0


def test_failure_mid_way_leaves_no_session_open(sim, net, files, tmp_path):
    address = addr(net, "fail")
    serial = sim.device(address)["serial"]
    lic = make_license(str(tmp_path / "l.lic"), APP_ID, serial)
    assert run(sim, address, {"src": files("1.0.0"), "license": lic, "state": "started"})["changed"]
    sim.control("POST", "/devices/%s/sms" % address, {"inject": "disk_full", "inject_on": "updates"})
    result = run(sim, address, {"src": files("1.2.0"), "state": "latest"})
    assert result["_rc"] != 0 and result["error_code"] == "meap_disk_full" and result["changed"], result
    state = sms(sim, address)
    assert state["counters"]["open_sessions"] == 0 and state["counters"]["stops"] == 1   # stopped, then failed
    assert app_on(sim, address)["version"] == "1.0.0"
    busy = sim.control("POST", "/devices/%s/sms" % address, {"hold_session": True})
    assert busy["counters"]["open_sessions"] == 1
    held = run(sim, address, {"application_id": APP_ID, "state": "started"})
    assert held["error_code"] == "sms_session_busy" and "5 minutes" in held["hint"]
    sim.control("POST", "/devices/%s/sms" % address, {"release_session": True})


def test_wrong_password_exactly_one_failed_login(sim, net):
    address = addr(net, "wrong")
    result = run(sim, address, {"state": "gathered"}, password="WrongPass77")
    assert result["error_code"] == "sms_auth_failed" and "WrongPass77" not in result["_out"]
    counters = sms(sim, address)["counters"]
    assert counters["failed_logins"] == 1 and counters["logins"] == 0 and counters["open_sessions"] == 0
    default = run(sim, address, {"state": "gathered"}, password="MeapSmsLogin")
    assert default["error_code"] == "sms_default_password"
    assert sms(sim, address)["counters"]["failed_logins"] == 1


def test_password_change_and_info_module(sim, net):
    address = addr(net, "pw")
    changed = run(sim, address, {"new_sms_password": "Rotated2026"})
    assert changed["_rc"] == 0 and changed.get("sms_password_changed"), changed["_out"]
    assert changed["actions"] == [{"action": "change_sms_password"}] and "Rotated2026" not in changed["_out"]
    assert sms(sim, address)["counters"]["password_changes"] == 1
    same = run(sim, address, {"new_sms_password": "Rotated2026"}, password="Rotated2026")
    assert same["_rc"] == 0 and not same["changed"]
    sim.control("POST", "/devices/%s/sms" % address, {"license_expires": {}})
    info = run(sim, address, {"_module": "printfleet.canon.canon_meap_app_info"}, password="Rotated2026")
    assert info["_rc"] == 0 and {a["application_id"] for a in info["applications"]} >= {"SystemOption-Send"}
    assert info["system"]["serial"] == sim.device(address)["serial"] and info["licenses_expiring"] == []


def test_ad_hoc_over_inventory_without_connection_arguments(sim, net, files, tmp_path):
    address = addr(net, "adhoc")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"vars": {
        "ansible_connection": "local", "canon_sms_password": PASSWORD,
        "canon_rui_ca_path": sim.manifest["ca_cert"]},
        "hosts": {"printer1": {"ansible_host": address}}}}))
    jar = files("1.0.0", license_required=False)
    proc = subprocess.run([bin_path("ansible"), "-i", str(inventory), "printer1", "-m", "printfleet.canon.canon_meap_app",
                           "-a", "src=%s state=started" % jar], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.partition(" => ")[2])
    assert result["changed"] and result["application"]["status"] == "Started"
    assert PASSWORD not in proc.stdout
    assert app_on(sim, address)["status"] == "Started"
