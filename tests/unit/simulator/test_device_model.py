"""The simulator's device model: counter invariants, scenarios, fleet building, control API."""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request

import pytest

from simulator import counters
from simulator.control import ControlApi
from simulator.device import PRT_MARKER, SimDevice
from simulator.fleet import FleetError, build_fleet, load_profiles, loopback_hosts, manifest
from simulator.mib import INTEGER, NO_ERROR, NOT_WRITABLE, OCTET_STRING, Value, oid

PROFILES = load_profiles()


def invariants(v):
    assert v[101] == v[103] + v[104]
    assert v[102] == v[101] + v[103]
    assert v[108] == v[112] + v[113]
    assert v[109] == v[108] + v[112]
    assert v[112] + v[113] + v[122] + v[123] == v[101]
    assert v[124] == v[122] + v[123] + v[122]
    assert v[125] == v[122] + v[123]
    assert v[106] == v[105] + v[122]
    assert v[501] == v[503] + v[504]
    assert v[201] + v[301] <= v[101]
    assert v[507] <= v[503] and v[508] <= v[504]


@pytest.mark.parametrize("seed", range(8))
def test_counter_invariants_hold_after_random_jobs(seed):
    rng = random.Random(seed)
    model = counters.CounterModel(color_capable=True, large_capable=True)
    model.seed(rng, [1000, 500000], {"color": 0.3, "large": 0.2, "copy": 0.3, "other": 0.02, "duplex": 0.4,
                                     "scans": 0.2})
    invariants(model.values())
    for _ in range(50):
        model.output(rng.randint(0, 40), size=rng.choice(["A4", "A3", "Letter", "11x17", "B4"]),
                     color=rng.random() < 0.5, sides=rng.choice([1, 2]), function=rng.choice(["print", "copy"]))
        model.scan(rng.randint(0, 10), size=rng.choice(["A4", "A3"]), color=rng.random() < 0.3)
        invariants(model.values())


def test_one_a3_colour_page_moves_the_documented_counters():
    model = counters.CounterModel(True, True)
    before = model.values()
    model.output(1, size="A3", color=True)
    after = model.values()
    delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert delta == {101: 1, 102: 2, 103: 1, 105: 1, 106: 2, 122: 1, 124: 2, 125: 1, 301: 1, 302: 2, 303: 1, 321: 1}


def test_model_refuses_what_it_cannot_print():
    mono_a4 = counters.CounterModel(False, False)
    with pytest.raises(ValueError):
        mono_a4.output(1, color=True)
    with pytest.raises(ValueError):
        mono_a4.output(1, size="A3")


def test_b4_is_small_and_tabloid_large():
    assert counters.size_class("B4") == "small"
    assert counters.size_class("11x17") == "large"
    assert counters.size_class("Tabloid") == "large"


def test_published_counters_follow_jobs():
    dev = SimDevice("127.0.9.1", PROFILES["ir-adv-c5535-iii"], seed=1)
    display_101 = oid("1.3.6.1.4.1.1602.1.11.1.3.1.4.101")
    all_102 = oid("1.3.6.1.4.1.1602.1.11.1.4.1.4.102")
    life = oid(PRT_MARKER + ".4.1.1")                   # prtMarkerLifeCount.1.1
    v101, v102, vlife = (dev.mib.get(display_101).value, dev.mib.get(all_102).value, dev.mib.get(life).value)
    dev.print_pages(10, size="A3", color=False, sides=2)
    assert dev.mib.get(display_101).value == v101 + 10
    assert dev.mib.get(all_102).value == v102 + 20
    assert dev.mib.get(life).value == vlife + 10
    assert vlife == v101 - 13                     # prtMarkerLifeCount deliberately differs from 101
    assert dev.mib.get(oid("1.3.6.1.4.1.1602.1.11.1.4.1.3.112")).value == b"Total (Black/Large)"
    assert dev.mib.get(oid("1.3.6.1.4.1.1602.1.11.1.3.1.3.101")).value == b""   # classic: empty display names


def test_mf_has_only_the_named_table():
    dev = SimDevice("127.0.9.2", PROFILES["mf642c"], seed=1)
    assert dev.mib.get(oid("1.3.6.1.4.1.1602.1.11.2.1.1.2.17")).value == b"Copy (Total 1)"
    nxt = dev.mib.next(oid("1.3.6.1.4.1.1602.1.11"))
    assert nxt[0][:12] == oid("1.3.6.1.4.1.1602.1.11.2.1.1")
    assert dev.mib.get(oid("1.3.6.1.2.1.43.6.1.1.3.1.1")) is None     # no prtCoverStatus
    assert dev.community_access(0, b"public") == "ro"
    assert dev.community_access(1, b"public") is None                 # v2c ignored
    assert dev.v3_users == {}


def test_over_long_names_are_silently_ignored():
    dev = SimDevice("127.0.9.3", PROFILES["mf642c"], seed=1)
    key = oid("1.3.6.1.2.1.1.5.0")
    assert dev.mib.check_write(key, Value(OCTET_STRING, b"x" * 16)) == NO_ERROR
    dev.mib.write(key, Value(OCTET_STRING, b"x" * 16))
    assert dev.mib.get(key).value == b"x" * 16
    assert dev.mib.check_write(key, Value(OCTET_STRING, b"y" * 17)) == NO_ERROR
    dev.mib.write(key, Value(OCTET_STRING, b"y" * 17))
    assert dev.mib.get(key).value == b"x" * 16
    assert dev.mib.check_write(oid("1.3.6.1.2.1.1.1.0"), Value(OCTET_STRING, b"z")) == NOT_WRITABLE


def test_restart_via_prt_general_reset(monkeypatch):
    dev = SimDevice("127.0.9.4", PROFILES["ir-adv-c5535-iii"], seed=1)
    boots = dev.engine_boots
    reset = oid("1.3.6.1.2.1.43.5.1.1.3.1")
    assert dev.mib.check_write(reset, Value(INTEGER, 4)) == NO_ERROR
    dev.mib.write(reset, Value(INTEGER, 4))
    assert not dev.snmp_reachable()
    monkeypatch.setattr(time, "monotonic", lambda real=time.monotonic: real() + 10)
    assert dev.snmp_reachable()
    assert dev.engine_boots == boots + 1
    assert dev.uptime_ticks() < 100


def test_sleep_and_power():
    dev = SimDevice("127.0.9.5", PROFILES["ir-adv-c5535-iii"], seed=1)
    dev.set_sleep(True)
    assert not dev.snmp_reachable()
    dev.set_sleep(True, reject_snmp=False)
    assert dev.snmp_reachable()
    dev.set_sleep(False)
    dev.set_power(False)
    assert not dev.snmp_reachable()
    dev.set_power(True)
    assert dev.snmp_reachable()


def test_alerts_drive_status_objects():
    dev = SimDevice("127.0.9.6", PROFILES["ir-adv-c5535-iii"], seed=1)
    status = oid("1.3.6.1.2.1.25.3.2.1.5.1")
    errors = oid("1.3.6.1.2.1.25.3.5.1.2.1")
    dev.raise_alert("paper_jam")
    assert dev.mib.get(status).value == 5
    assert dev.mib.get(errors).value == b"\x04\x00"
    assert dev.mib.get(oid("1.3.6.1.2.1.43.18.1.1.7.1.1")).value == 8
    assert dev.clear_alert("paper_jam") == 1
    assert dev.mib.get(status).value == 2
    assert dev.mib.get(oid("1.3.6.1.2.1.43.18.1.1.7.1.1")) is None
    with pytest.raises(ValueError):
        dev.raise_alert("meteor_strike")


def test_sha224_users_are_refused():
    prof = dict(PROFILES["ir-adv-c5535-iii"])
    with pytest.raises(ValueError, match="SHA-224"):
        SimDevice("127.0.9.7", prof, overrides={"v3_users": [{"name": "u", "auth_protocol": "sha224",
                                                             "auth_password": "x" * 10}]})


def test_fleet_is_deterministic_and_loopback_only():
    a = build_fleet(12, "127.0.20.0/24", seed=5)
    b = build_fleet(12, "127.0.20.0/24", seed=5)
    assert [d.serial for d in a] == [d.serial for d in b]
    assert [d.counters.values() for d in a if d.profile.get("printer")] == \
        [d.counters.values() for d in b if d.profile.get("printer")]
    assert len({d.profile["id"] for d in a}) == 6
    assert build_fleet(3, "127.0.20.0/24", seed=6)[0].serial != a[0].serial
    with pytest.raises(FleetError, match="outside 127.0.0.0/8"):
        build_fleet(2, "198.51.100.0/24")    # RFC 5737 documentation range: refused, never bound
    with pytest.raises(FleetError, match="outside 127.0.0.0/8"):
        build_fleet(spec={"devices": [{"address": "192.0.2.1", "profile": "mf642c"}]})
    with pytest.raises(FleetError, match="used twice"):
        build_fleet(spec={"devices": [{"address": "127.0.0.9", "profile": "mf642c"},
                                      {"address": "127.0.0.9", "profile": "lbp6670"}]})
    with pytest.raises(FleetError, match="unknown profile"):
        build_fleet(1, "127.0.20.0/24", profiles=["no-such"])
    assert loopback_hosts("127.0.30.0/30", 2) == ["127.0.30.1", "127.0.30.2"]


def test_spec_groups_skip_explicit_addresses():
    devs = build_fleet(spec={"devices": [
        {"address": "127.0.40.1", "profile": "lbp6670", "serial": "FIXED001", "sys_name": "front-desk"},
        {"network": "127.0.40.0/29", "count": 3, "profiles": ["mf642c", "ir-adv-c5535-iii"]}]})
    assert [d.address for d in devs] == ["127.0.40.1", "127.0.40.2", "127.0.40.3", "127.0.40.4"]
    assert devs[0].serial == "FIXED001" and devs[0].sys_name == "front-desk"
    assert [d.profile["id"] for d in devs[1:]] == ["mf642c", "ir-adv-c5535-iii", "mf642c"]
    m = manifest(devs, 16100, "http://127.0.0.1:1")
    assert m["devices"][0]["serial"] == "FIXED001"
    assert m["devices"][2]["v3_users"][0]["name"] == "fleetadmin"


def test_control_api_round_trip():
    devs = build_fleet(2, "127.0.50.0/24", profiles=["ir-adv-c5535-iii"], seed=2)

    def call(url, method, path, body=None):
        req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    async def scenario():
        api = ControlApi(devs)
        url = await api.listen("127.0.0.1", 0)
        loop = asyncio.get_running_loop()
        results = []
        for method, path, body in [
            ("GET", "/health", None),
            ("POST", "/devices/127.0.50.1/print", {"pages": 3, "size": "A3", "color": True}),
            ("POST", "/devices/127.0.50.1/alerts", {"kind": "toner_low", "colorant": "black"}),
            ("GET", "/devices/127.0.50.1", None),
            ("DELETE", "/devices/127.0.50.1/alerts/toner_low", None),
            ("POST", "/devices/127.0.50.9/print", {"pages": 1}),
            ("POST", "/devices/127.0.50.1/print", {"pages": -1}),
            ("POST", "/devices/127.0.50.1/alerts", {"kind": "nope"}),
        ]:
            results.append(await loop.run_in_executor(None, call, url, method, path, body))
        await api.close()
        return results

    res = asyncio.run(scenario())
    assert res[0] == (200, {"devices": 2, "ready": True})
    changed = {"101": 3, "102": 6, "103": 3, "105": 3, "106": 6, "122": 3, "124": 6, "125": 3, "301": 3, "302": 6,
               "303": 3, "321": 3}
    assert res[1][0] == 200 and res[1][1]["changed"] == changed
    assert res[2][0] == 201 and res[2][1]["code"] == 1104
    assert res[3][1]["alerts"][0]["kind"] == "toner_low"
    assert res[4] == (200, {"cleared": 1})
    assert res[5][0] == 404
    assert res[6][0] == 400 and "pages" in res[6][1]["error"]
    assert res[7][0] == 400 and "unknown alert kind" in res[7][1]["error"]
