"""canon_counters ``targets_file``: the bulk target list read from a YAML or JSON file (fleets too large for
an inline list or a command line), checked like ``targets``, secrets in it masked, through real ansible runs."""

from __future__ import annotations

import json

import pytest

from tests.integration.simfleet import SimulatedFleet, ansible_module, worker_octet

MODULE = "printfleet.canon.canon_counters"


@pytest.fixture(scope="module")
def small_fleet():
    net = "127.41.%d" % (100 + worker_octet(0))
    devices = [{"address": "%s.%d" % (net, i), "profile": p}
               for i, p in enumerate(["ir-adv-c5535-iii", "mf642c", "lbp6670"], start=1)]
    devices.append({"address": net + ".4", "profile": "mf642c", "faults": {"snmp_garbage": True}})
    fleet = SimulatedFleet({"seed": 42, "devices": devices}, port=16142, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


def targets(sim):
    return [{"host": d["address"], "name": "p%d" % i, "region": "hq"} for i, d in enumerate(sim.devices)]


def test_targets_from_a_yaml_and_a_json_file_equal_inline_targets(small_fleet, tmp_path):
    sim = small_fleet
    common = {"snmp_port": sim.port, "timeout": 0.5, "retries": 0, "capture_time": "2024-03-31T22:00:00Z"}
    inline = ansible_module(MODULE, dict(common, targets=targets(sim)))
    yaml_file = tmp_path / "targets.yml"
    yaml_file.write_text("targets:\n" + "".join("  - {host: %s, name: %s, region: hq}\n" % (t["host"], t["name"])
                                                for t in targets(sim)))
    json_file = tmp_path / "targets.json"
    json_file.write_text(json.dumps(targets(sim)))
    for path in (yaml_file, json_file):
        got = ansible_module(MODULE, dict(common, targets_file=str(path)))
        assert got["_rc"] == 0, got["_stdout"][-2000:]
        assert got["results"] == inline["results"]
        assert [r.get("error_code") for r in got["results"]] == [None, None, None, "snmp_malformed_response"]
        assert got["summary"]["succeeded"] == 3 and got["results"][0]["region"] == "hq"


def test_a_bad_targets_file_fails_before_any_device_is_read_naming_file_and_entry(small_fleet, tmp_path):
    sim = small_fleet
    before = sim.control("GET", "/devices/%s" % sim.devices[0]["address"])
    cases = {
        "unknown.yml": ("- {host: %s, snmp_versoin: '2c'}\n" % sim.devices[0]["address"], "snmp_versoin"),
        "choice.yml": ("- {host: %s, snmp_version: '4'}\n" % sim.devices[0]["address"], "snmp_version"),
        "nohost.yml": ("- {name: x}\n", "host"),
        "scalar.yml": ("just text\n", "must hold a list"),
        "broken.json": ('[{"host": "%s",}]' % sim.devices[0]["address"], "not valid JSON"),
        "broken.yml": ("- {host: [\n", "not valid YAML"),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        got = ansible_module(MODULE, {"targets_file": str(path), "snmp_port": sim.port, "timeout": 0.5})
        assert got["_rc"] != 0 and got["error_code"] == "invalid_argument", (name, got)
        assert str(path) in got["msg"] and words in got["msg"], (name, got["msg"])
    got = ansible_module(MODULE, {"targets_file": str(tmp_path / "missing.yml")})
    assert got["error_code"] == "invalid_argument" and "cannot be read" in got["msg"]
    got = ansible_module(MODULE, {"targets_file": str(tmp_path / "choice.yml"), "targets": [{"host": "127.0.0.1"}]})
    assert "give one of host, targets and targets_file" in got["msg"]
    after = sim.control("GET", "/devices/%s" % sim.devices[0]["address"])
    assert after["snmp"]["requests"] == before["snmp"]["requests"]      # nothing was sent


def test_secrets_in_a_targets_file_are_masked(small_fleet, tmp_path):
    sim = small_fleet
    marker = "Marker-Community-7f3a"
    path = tmp_path / "secret.yml"
    path.write_text("- {host: %s, name: p0, community: %s}\n" % (sim.devices[0]["address"], marker))
    got = ansible_module(MODULE, {"targets_file": str(path), "snmp_port": sim.port, "timeout": 0.3, "retries": 0})
    # the device knows only 'public': it stays silent for the wrong community; the marker never shows
    assert got["results"][0]["error_code"] == "snmp_no_response"
    assert marker not in got["_stdout"]
