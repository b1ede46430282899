"""Discovery as the EMC guide has it, through real `ansible-inventory` runs: registration conditions (values of
one field OR'ed, fields AND'ed, a field twice refused), devices kept as no_response for keep_missing days,
new_devices, and host names from the serial."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path, worker_octet


@pytest.fixture(scope="module")
def rnet():
    return "127.%d" % worker_octet(143)


@pytest.fixture(scope="module")
def rfleet(rnet):
    sim = SimulatedFleet({"seed": 31, "devices": [
        {"address": rnet + ".1.10", "profile": "ir-adv-c5535-iii", "sys_name": "hq-c5535"},
        {"address": rnet + ".1.11", "profile": "lbp6670", "sys_name": "hq-lbp"},
        {"address": rnet + ".1.12", "profile": "mf642c", "sys_name": "hq-mf"},
    ]}, extra_args=["--no-http"])
    yield sim
    sim.stop()


def config(rnet, **over):
    data = {"plugin": "printfleet.canon.discovery",
            "regions": [{"name": "hq", "networks": [rnet + ".1.0/24"]}],
            "credentials": [{"name": "v1", "version": "1", "community": "public"}],
            "port": 16100, "timeout": 0.5, "retries": 1, "rate": 20000,
            "conditions": [{"field": "model", "operator": "begins_with", "value": ["iR-ADV", "LBP"]},
                           {"field": "vendor", "value": "canon"}],
            "hostname_source": ["serial", "address"], "registry_file": "registry.json"}
    data.update(over)
    return data


def inventory(tmp_path, data, **env):
    path = tmp_path / "fleet.canon.yml"
    path.write_text(yaml.safe_dump(data))
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", str(path), "--list"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1", **env))
    return proc


def plain(value):
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def parsed(proc):
    assert proc.returncode == 0, proc.stderr
    inv = json.loads(proc.stdout)
    hostvars = {h: {k: plain(v) for k, v in hv.items()} for h, hv in inv["_meta"]["hostvars"].items()}
    groups = {g: set(v.get("hosts", [])) for g, v in inv.items() if g != "_meta"}
    return hostvars, groups


def test_conditions_keep_missing_new_devices_and_serial_host_names(rfleet, rnet, tmp_path):
    serial = {d["address"]: d["serial"] for d in rfleet.devices}
    c5535, lbp, mf = serial[rnet + ".1.10"], serial[rnet + ".1.11"], serial[rnet + ".1.12"]
    hostvars, groups = parsed(inventory(tmp_path, config(rnet)))
    # host names are the serials; values of one field OR'ed (iR-ADV or LBP), fields AND'ed (and Canon)
    assert set(hostvars) == {c5535, lbp, mf}
    assert groups["canon"] == {c5535, lbp} and groups["unmanaged"] == {mf}
    assert groups["new_devices"] == {c5535, lbp, mf}
    first_seen = hostvars[lbp]["canon_first_seen"]
    assert first_seen == hostvars[lbp]["canon_last_seen"] and first_seen.endswith("Z")

    # the LBP goes silent: it stays a host, no_response, with its last identity and last_seen
    rfleet.act(rnet + ".1.11", "power", on=False)
    try:
        hostvars, groups = parsed(inventory(tmp_path, config(rnet)))
    finally:
        rfleet.act(rnet + ".1.11", "power", on=True)
    assert lbp in hostvars and hostvars[lbp]["canon_status"] == "no_response"
    assert hostvars[lbp]["canon_last_seen"] == first_seen and hostvars[lbp]["canon_model"] == "LBP6670"
    assert groups["no_response"] == {lbp} and lbp in groups["canon"]
    assert hostvars[c5535]["canon_status"] == "running" and hostvars[c5535]["canon_first_seen"] == first_seen

    # 31 days later (registry aged): still silent devices are forgotten, and nothing is new any more
    store = tmp_path / "registry.json"
    data = json.loads(store.read_text())
    old = (datetime.now(timezone.utc) - timedelta(days=31)).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    for device in data["devices"].values():
        device["first_seen"] = old
        device["last_seen"] = old
    store.write_text(json.dumps(data))
    rfleet.act(rnet + ".1.11", "power", on=False)
    try:
        hostvars, groups = parsed(inventory(tmp_path, config(rnet)))
    finally:
        rfleet.act(rnet + ".1.11", "power", on=True)
    assert set(hostvars) == {c5535, mf}
    assert not groups.get("new_devices") and not groups.get("no_response")
    assert hostvars[c5535]["canon_first_seen"] == old          # first seen survives; last seen is now
    assert hostvars[c5535]["canon_last_seen"] > old


def test_same_field_twice_is_a_parser_error(rfleet, rnet, tmp_path):
    proc = inventory(tmp_path, config(rnet, conditions=[{"field": "model", "operator": "begins_with", "value": "iR"},
                                                        {"field": "model", "operator": "begins_with", "value": "LBP"}]))
    assert proc.returncode != 0
    assert "conditions[2]: field 'model' is already tested by conditions[1]" in proc.stderr
    assert "OR'ed" in proc.stderr


def test_host_name_template(rfleet, rnet, tmp_path):
    hostvars, _ = parsed(inventory(tmp_path, config(
        rnet, hostname_source=["template", "address"], registry_file=None,
        hostname_template="{{ canon_region }}-{{ (canon_serial or canon_address) | lower }}")))
    serials = sorted("hq-" + d["serial"].lower() for d in rfleet.devices)
    assert sorted(hostvars) == serials
