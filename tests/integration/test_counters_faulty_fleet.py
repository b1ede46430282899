"""A bulk capture over a fleet where some devices are silent and some answer garbage (faults set in the
simulator's fleet spec): each faulty device is its own host's failure with its own error_code, the task
goes on, and every healthy device's readings are stored, exactly as the simulator holds them.

The same fleet shape, at 10,000 devices, is tests/perf/bench_counters.py.
"""

from __future__ import annotations

import pytest

from simulator.fleet import FleetError, build_fleet
from tests.integration.simfleet import SimulatedFleet, ansible_module, worker_octet
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore

MODULE = "printfleet.canon.canon_counters"
PROFILES = ["ir-adv-c5535-iii", "ir-adv-dx-c5840", "mf642c", "lbp6670"]
SILENT, GARBAGE = {3, 17, 29, 41}, {11, 36}          # device numbers (of 50)


@pytest.fixture(scope="module")
def faulty_fleet():
    net = "127.41.%d" % worker_octet(0)
    devices = []
    for i in range(50):
        entry = {"address": "%s.%d" % (net, i + 1), "profile": PROFILES[i % len(PROFILES)]}
        if i in SILENT:
            entry["faults"] = {"snmp_loss": 100}
        elif i in GARBAGE:
            entry["faults"] = {"snmp_garbage": True}
        devices.append(entry)
    fleet = SimulatedFleet({"seed": 41, "devices": devices}, port=16141, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


def test_silent_and_garbage_devices_fail_per_host_and_healthy_readings_are_all_stored(faulty_fleet, tmp_path):
    sim = faulty_fleet
    store = str(tmp_path / "counters.sqlite")
    targets = [{"host": d["address"], "name": "printer-%02d" % i} for i, d in enumerate(sim.devices)]
    result = ansible_module(MODULE, {"targets": targets, "snmp_port": sim.port, "timeout": 0.5, "retries": 1,
                                     "store": {"path": store}, "return_counters": False,
                                     "capture_time": "2024-03-31T22:00:00Z"}, timeout=300)
    # one bad device never fails the task: the others are read and stored
    assert result["_rc"] == 0, result["_stdout"][-2000:]
    by_name = {r["name"]: r for r in result["results"]}
    assert len(by_name) == 50
    for i, device in enumerate(sim.devices):
        got = by_name["printer-%02d" % i]
        assert got["address"] == device["address"]
        if i in SILENT:
            assert got["failed"] and got["error_code"] == "snmp_no_response", got
        elif i in GARBAGE:
            assert got["failed"] and got["error_code"] == "snmp_malformed_response", got
            assert "not SNMP" in got["error"], got
        else:
            assert not got["failed"], got
            assert got["serial"] == device["serial"] and got["counters_read"] > 0
    assert result["summary"]["failed_by_error_code"] == {"snmp_malformed_response": len(GARBAGE),
                                                         "snmp_no_response": len(SILENT)}
    assert result["summary"]["succeeded"] == 50 - len(SILENT) - len(GARBAGE)

    # every healthy device's readings are in the store, with the simulator's values; no faulty device is
    healthy = [(i, d) for i, d in enumerate(sim.devices) if i not in SILENT | GARBAGE]
    with CounterStore(path=store, create=False) as db:
        readings = db.latest_readings()
    stored = {}
    for reading in readings:
        stored.setdefault(reading.serial, {})[reading.key] = reading.value
    assert set(stored) == {d["serial"] for _i, d in healthy}
    assert result["store"]["readings_new"] == len(readings)
    for i, device in healthy:
        assert len(stored[device["serial"]]) == by_name["printer-%02d" % i]["counters_read"]
        numbered = {k: v for k, v in stored[device["serial"]].items() if k.isdigit()}
        assert numbered and all(device["counters"][k] == v for k, v in numbered.items()), device["address"]
        if device["profile"].startswith("ir-adv"):
            # the all-counter table numbers every counter: all of the simulator's are stored
            assert numbered == device["counters"]

    # the faults came from the fleet spec and acted on the wire
    for i in SILENT:
        assert sim.control("GET", "/devices/%s/faults" % sim.devices[i]["address"])["fired"]["snmp_loss"] >= 2
    for i in GARBAGE:
        assert sim.control("GET", "/devices/%s/faults" % sim.devices[i]["address"])["fired"]["snmp_garbage"] >= 1


def test_fleet_spec_rejects_unknown_faults():
    with pytest.raises(FleetError, match="127.41.250.1: bad faults: unknown fault"):
        build_fleet(spec={"devices": [{"address": "127.41.250.1", "profile": "mf642c",
                                       "faults": {"snmp_lost": 100}}]})
