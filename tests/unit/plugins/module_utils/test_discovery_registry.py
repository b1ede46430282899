"""Registration conditions (OR within a field, AND across fields, one condition per field) and the registry of
devices seen (first/last seen, keep_missing, new devices): module_utils/discovery/registry.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.discovery import registry

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def fields(model="iR-ADV C5535", manufacturer="Canon", location="HQ"):
    return {"model": model, "manufacturer": manufacturer, "location": location}


def test_values_of_one_field_are_ored_and_fields_are_anded():
    conds = registry.parse_conditions([{"field": "model", "operator": "begins_with", "value": ["iR-ADV", "LBP"]},
                                       {"field": "vendor", "value": "CANON"}])
    assert conds[1]["field"] == "manufacturer"
    assert registry.matches(conds, fields())
    assert registry.matches(conds, fields(model="LBP6670"))
    assert not registry.matches(conds, fields(model="MF642C/643C/644C"))
    assert not registry.matches(conds, fields(manufacturer="HP"))


def test_negative_operators_with_several_values_exclude_all_of_them():
    conds = registry.parse_conditions([{"field": "location", "operator": "not_contains", "value": ["lab", "store"]}])
    assert registry.matches(conds, fields(location="HQ 2F"))
    assert not registry.matches(conds, fields(location="Main Lab"))
    assert not registry.matches(conds, fields(location="Storeroom"))


@pytest.mark.parametrize("raw,message", [
    ([{"field": "model", "value": "iR-ADV"}, {"field": "model", "value": "LBP"}], "conditions[2]: field 'model' is "
     "already tested by conditions[1]"),
    ([{"field": "manufacturer", "value": "Canon"}, {"field": "vendor", "value": "HP"}], "already tested"),
    ([{"field": "model", "value": []}], "conditions[1].value is required"),
    ([{"field": "model", "value": [["x"]]}], "string or a list of strings"),
    ([{"field": "colour", "value": "x"}], "conditions[1].field 'colour'"),
    (["model"], "conditions[1] must be a mapping"),
])
def test_bad_conditions_are_refused(raw, message):
    with pytest.raises(CanonError) as err:
        registry.parse_conditions(raw)
    assert message in err.value.msg


def rec(address, serial=None, mac=None, status="running"):
    return {"address": address, "region": "hq", "identity": {"serial": serial, "mac": mac, "model": "M"},
            "status": {"device_status": status, "error_state": ["lowToner"]}}


def test_identity_is_serial_then_mac_then_address():
    assert registry.identity_key(rec("a", serial=" x1 ", mac="AA")) == "serial:X1"
    assert registry.identity_key(rec("a", mac="aa:bb")) == "mac:AA:BB"
    assert registry.identity_key(rec("127.0.10.1")) == "address:127.0.10.1"


def test_first_and_last_seen_and_silent_devices_kept_for_keep_missing_days():
    first, store = registry.merge({}, [rec("127.0.0.1", "S1"), rec("127.0.0.2", "S2")], NOW, 30)
    assert [r["first_seen"] for r in first] == ["2026-12-04T12:00:00Z"] * 2
    assert all(r["responding"] for r in first)
    later = NOW + timedelta(days=3)
    # S1 answers from a new address; S2 is silent
    second, store = registry.merge(store, [rec("127.0.0.9", "S1")], later, 30)
    by_serial = {r["identity"]["serial"]: r for r in second}
    assert by_serial["S1"]["first_seen"] == "2026-12-04T12:00:00Z" and by_serial["S1"]["address"] == "127.0.0.9"
    assert by_serial["S1"]["last_seen"] == "2026-12-07T12:00:00Z"
    silent = by_serial["S2"]
    assert (silent["responding"], silent["status"]["device_status"], silent["status"]["error_state"]) == (
        False, "no_response", [])
    assert silent["last_seen"] == "2026-12-04T12:00:00Z"
    # still silent after 30 days: forgotten
    third, store = registry.merge(store, [rec("127.0.0.9", "S1")], NOW + timedelta(days=30, hours=1), 30)
    assert [r["identity"]["serial"] for r in third] == ["S1"] and "serial:S2" not in store["devices"]


def test_a_silent_device_whose_address_another_device_now_holds_is_dropped_and_keep_zero_forgets():
    _, store = registry.merge({}, [rec("127.0.0.1", "OLD")], NOW, 30)
    records, _ = registry.merge(store, [rec("127.0.0.1", "NEW")], NOW + timedelta(hours=1), 30)
    assert [r["identity"]["serial"] for r in records] == ["NEW"]
    records, _ = registry.merge(store, [], NOW + timedelta(hours=1), 0)
    assert records == []


def test_new_device_window_and_registry_file_round_trip(tmp_path):
    records, store = registry.merge({}, [rec("127.0.0.1", "S1")], NOW, 30)
    assert registry.is_new(records[0], NOW + timedelta(days=6), 7)
    assert not registry.is_new(records[0], NOW + timedelta(days=8), 7)
    path = str(tmp_path / "sub" / "registry.json")
    assert registry.load_file(path)["devices"] == {}
    registry.save_file(path, store)
    assert registry.load_file(path) == store
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(CanonError):
        registry.load_file(str(tmp_path / "bad.json"))
