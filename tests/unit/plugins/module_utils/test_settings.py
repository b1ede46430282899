"""Device settings: file reader vs the simulator's writer, plan rules, refusals, simulator store semantics."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.settings import formats, plan, report, spec
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from simulator.fleet import build_fleet
from simulator.settings import catalog, codec, store_for
from simulator.settings.store import StoreError

PW = "Secret-123"


@pytest.fixture()
def stores():
    devices = build_fleet(spec={"seed": 1, "devices": [
        {"address": "127.155.9.1", "profile": "ir-adv-dx-c5840"},
        {"address": "127.155.9.2", "profile": "ir-adv-dx-c5840"},
        {"address": "127.155.9.3", "profile": "ir-adv-c5535-iii"},
        {"address": "127.155.9.4", "profile": "mf642c"},
        {"address": "127.155.9.5", "profile": "mf642c", "settings": {"display_language": "de"}}]})
    return [store_for(d) for d in devices]


def expect(code, fn, *args, **kwargs):
    with pytest.raises(CanonError) as info:
        fn(*args, **kwargs)
    assert info.value.error_code == code, info.value
    return info.value


@pytest.mark.parametrize("index,fmt", [(0, "xml"), (3, "dcm")])
def test_the_collection_reads_what_the_simulator_writes(stores, index, fmt):
    store = stores[index]
    store.write("network.dns.primary", "192.0.2.53")
    store.write("department_id.system_manager_pin", "2468013")
    data = store.export(store.categories(), PW)
    export = formats.ExportFile(data)
    assert export.format == fmt
    values = export.values(PW)
    assert values["network.dns.primary"] == "192.0.2.53"
    assert values["department_id.system_manager_pin"] == "2468013"
    assert b"2468013" not in data                                        # the PIN travels encrypted
    manifest = export.manifest()
    assert manifest["settings_type"] == store.settings_type and manifest["sha256"] == export.checksum()
    assert set(manifest["import_all_codes"]) <= {"A", "B", "C"}


def test_wrong_password_and_edited_files_are_refused(stores):
    data = stores[0].export(["basic"], PW)
    expect("settings_wrong_password", formats.ExportFile(data).values, "other")
    edited = data.replace(b'"0.0.0.0"', b'"127.0.10.1"', 1)
    assert edited != data
    expect("settings_invalid_data", formats.ExportFile(edited).values, PW)
    with pytest.raises(StoreError) as info:
        stores[1].import_file(edited, PW)
    assert info.value.reason == "invalid_data"
    expect("settings_invalid_data", formats.ExportFile, b"not a settings file")


def facts_of(store):
    return {"settings_type": store.settings_type, "security_levels": list(store.security_levels()),
            "display_language": store.display_language, "serial": store.device.serial, "series": store.series,
            "platform_version": store.platform_version}


def test_compatibility_refusals_from_the_header(stores):
    dx, dx2, old, mf, mf_de = stores
    level2 = formats.ExportFile(dx.export(["basic"], PW))
    assert level2.security_level == 2
    expect("settings_security_level_unsupported", plan.compatibility, level2.header, level2.codes(), facts_of(old))
    level1 = formats.ExportFile(dx.export(["basic"], PW, level=1))
    _same_machine, same_series, warnings = plan.compatibility(level1.header, level1.codes(), facts_of(old))
    assert not same_series and "code B" in warnings[0]
    mf_file = formats.ExportFile(mf.export(["basic"], PW))
    expect("settings_type_mismatch", plan.compatibility, mf_file.header, mf_file.codes(), facts_of(dx))
    expect("settings_language_mismatch", plan.compatibility, mf_file.header, mf_file.codes(), facts_of(mf_de))
    only_a = {p: "A" for p in mf_file.codes()}
    other = dict(facts_of(mf), serial="OTHER")
    expect("settings_not_applicable", plan.compatibility, mf_file.header, only_a, other)


def test_simulator_applies_import_all_codes_and_restarts_when_needed(stores):
    dx, dx2, _old, _mf, _de = stores
    dx.write("network.dns.primary", "192.0.2.1")
    dx.write("device.location", "golden room")
    result = dx2.import_file(dx.export(["basic"], PW), PW)
    assert "network.dns.primary" in result["applied"]
    assert result["skipped"]["device.location"] == "code_a_other_machine"
    assert result["restart"] is True and dx2.device.restarting
    assert dx2.counters["imports"] == 1 and dx2.get("device.location") == ""


def test_department_id_import_replaces_manager_and_deletes_missing_ids(stores):
    dx, dx2, *_rest = stores
    dx.write("department_id.departments", [{"id": "2002", "name": "HR", "pin": "9"}])
    dx.write("department_id.system_manager_pin", "1111111")
    dx2.write("department_id.departments", [{"id": "1001", "name": "Sales", "pin": "1234", "counter": 77},
                                            {"id": "2002", "name": "HR", "pin": "9", "counter": 5}])
    dx2.import_file(dx.export(["department_id"], PW), PW)
    assert dx2.get("department_id.departments") == [{"id": "2002", "name": "HR", "pin": "9", "counter": 5}]
    assert dx2.get("department_id.system_manager_pin") == "1111111"


def test_locks_busy_language_and_missing_categories(stores):
    dx, dx2, _old, mf, mf_de = stores
    dx.update({"lock": 30})
    with pytest.raises(StoreError) as info:
        dx.export(["basic"], PW)
    assert info.value.reason == "busy:remote_session"
    mf.update({"busy": "report_printing"})
    with pytest.raises(StoreError):
        mf.export(["basic"], PW)
    mf.update({"busy": None, "inject": "address_books"})
    with pytest.raises(StoreError) as info:
        mf.export(["basic"], PW)
    assert info.value.reason == "address_books"
    with pytest.raises(StoreError) as info:
        mf_de.import_file(mf.export(["basic"], PW), PW)
    assert info.value.reason == "language"
    exported = codec.decode(mf.export(["basic", "box", "security_policy"], PW), PW)
    assert list(exported["categories"]) == ["basic"]            # type II: box left out, policy inside basic
    assert "security_policy.items" in exported["categories"]["basic"]["items"]


def test_acknowledgement_rules():
    missing = spec.unacknowledged(["network.dns.primary", "system.time_zone", "address_book.lists",
                                   "department_id.system_manager_pin"], [], False)
    assert set(missing) == {"network", "system_manager"}
    assert spec.unacknowledged(["address_book.lists"], [], True) == {"address_book": ["address_book.lists"]}
    assert spec.unacknowledged(["network.dns.primary"], ["network"], False) == {}
    assert "acknowledge: [network" in spec.refusal_text({"network": ["network.dns.primary"]})


def test_declared_items_are_checked_offline():
    assert plan.check_declared({"network.protocols.lpd": "off", "system.sleep_minutes": "15"}) == {
        "network.protocols.lpd": False, "system.sleep_minutes": 15}
    expect("invalid_argument", plan.check_declared, {"network.nonsense": 1})
    expect("invalid_argument", plan.check_declared, {"network.ipv4.address": "127.0.10.1"})
    expect("invalid_argument", plan.check_declared, {"network.dns.primary": "300.1.1.1"})
    added = plan.replaced_additions({"network.sntp.server": "ntp"}, pt.SETTINGS_ITEMS)
    assert added["network.sntp.enabled"] is False and "device.name" not in added and "system.time_zone" not in added


def test_compare_counts_uncomparable_items_and_masks_secrets():
    values = {"a.x": 1, "network.dns.primary": "1.1.1.1", "box.mail_box_pin": "1234", "b.y": 2}
    codes = {"a.x": "A", "network.dns.primary": "C", "box.mail_box_pin": "C", "b.y": "B"}
    device = {"a.x": 2, "network.dns.primary": "1.1.1.1", "box.mail_box_pin": "9999"}
    diffs, skipped = plan.compare(values, codes, device, same_machine=False, same_series=True)
    assert [d["item"] for d in diffs] == ["box.mail_box_pin"]
    assert diffs[0]["device"] == diffs[0]["baseline"] == "********"
    assert skipped == {"a.x": "import_all_A_other_machine", "b.y": "not_on_device"}
    departments = [{"id": "1001", "name": "Sales", "pin": "1234"}]
    assert plan.mask_value("department_id.departments", departments) == [
        {"id": "1001", "name": "Sales", "pin": "********"}]


def test_protocol_table_labels_match_the_simulator_catalog():
    for path, item in pt.SETTINGS_ITEMS.items():
        sim_item = catalog.BY_PATH[path]
        assert (sim_item.label, sim_item.kind, sim_item.category) == (item.label, item.kind, item.category), path
    assert dict(pt.SETTINGS_CATEGORIES) == catalog.CATEGORIES


def test_drift_report_rows_counts_and_neutralised_csv():
    audits = {"b": {"differences": [{"item": "system.time_zone", "category": "basic", "device": "=cmd()",
                                     "baseline": "UTC"}], "not_comparable": 3, "device": {"model": "MF"}},
              "a": {"differences": [], "not_comparable": 3}, "c": {"failed": True, "error_code": "rui_unreachable",
                                                                   "msg": "down"}}
    built = report.build(audits, {"b": "127.155.0.2"})
    assert (built["devices"], built["drifted"], built["errors"], built["differences"]) == (3, 1, 1, 1)
    assert built["categories"] == {"basic": 1}
    (suffix, details), (suffix2, summary) = report.render(built, "csv", "t")
    assert (suffix, suffix2) == (".csv", "-summary.csv") and "\t=cmd()" in details.decode("utf-8-sig")
    columns, rows = report.summary_sheet(built)
    assert columns[-1].key == "drift_basic" and rows[-1]["host"] == "TOTAL" and rows[-1]["drift_basic"] == 1
    assert report.build(audits)["fingerprint"] == built["fingerprint"]
    assert report.render(built, "xlsx", "t") == report.render(built, "xlsx", "t")      # deterministic bytes


def test_drift_report_files_are_rewritten_only_when_the_drift_changes(tmp_path):
    audits = {"a": {"differences": [{"item": "system.time_zone", "device": "UTC+09:00", "baseline": "UTC"}]}}
    built = report.build(audits)
    files, changed = report.write_files(built, str(tmp_path), "drift", ["xlsx", "csv"], "t")
    assert changed and [f.rsplit("/", 1)[1] for f in files] == ["drift.xlsx", "drift.csv", "drift-summary.csv"]
    assert report.write_files(built, str(tmp_path), "drift", ["xlsx", "csv"], "t")[1] is False


def test_types_iii_and_iv_and_devices_without_settings():
    devices = build_fleet(spec={"seed": 1, "devices": [
        {"address": "127.155.9.11", "profile": "ir-1643if"}, {"address": "127.155.9.12", "profile": "lbp6670"},
        {"address": "127.155.9.13", "profile": "generic-laser"}]})
    type3, type4, other = [store_for(d) for d in devices]
    assert (type3.settings_type, type3.categories()) == ("III", ["basic", "address_book"])
    assert "department_id.enabled" in type3.by_path and "security_policy.items" not in type3.by_path
    assert (type4.settings_type, type4.categories()) == ("IV", ["basic"])
    assert "department_id.enabled" not in type4.by_path and "fax.unit_name" not in type4.by_path
    assert formats.ExportFile(type4.export(["basic", "address_book"], PW)).categories == ["basic"]
    assert other.available is False
    with pytest.raises(StoreError) as info:
        other.export(["basic"], PW)
    assert info.value.reason == "unsupported"


def test_address_book_and_manager_travel_with_the_remote_ui_state():
    """The Address Book category is the Remote UI's book; the System Manager ID/PIN its login."""
    from simulator.remote_ui.state import RuiState
    book = {"address_list_1": [{"type": "email", "name": "Sales", "address": "sales@example.com"}]}
    devices = build_fleet(spec={"seed": 1, "devices": [
        {"address": "127.155.9.21", "profile": "ir-adv-dx-c5840", "address_book": book},
        {"address": "127.155.9.22", "profile": "ir-adv-dx-c5840"}]})
    for device in devices:
        device.extensions["remote_ui"] = RuiState(device, "classic", {"http": 1, "https": 2})
    source, target = [store_for(d) for d in devices]
    source.write("department_id.system_manager_pin", "1357911")
    result = target.import_file(source.export(["address_book", "department_id"], PW), PW)
    assert "address_book.lists" in result["applied"]
    assert target.get("address_book.lists")["address_list_1"] == book["address_list_1"]
    assert devices[1].extensions["remote_ui"].system_manager_pin == "1357911"     # the login changed


def test_security_policy_needs_the_same_policy_password(stores):
    dx, dx2, *_rest = stores
    dx.write("security_policy.items", [{"name": "restrict_http", "value": True}])
    dx.write("security_policy.password", "pol-1")
    dx2.write("security_policy.password", "pol-2")   # a device with none takes the data's password (Canon)
    dx2.write("network.dns.domain", "other.example")
    result = dx2.import_file(dx.export(["basic", "security_policy"], PW), PW)
    assert result["skipped"]["security_policy.items"] == "policy_password_mismatch"
    assert "network.dns.domain" in result["applied"] and dx2.get("security_policy.items") == []
    dx2.write("security_policy.password", "pol-1")
    result = dx2.import_file(dx.export(["security_policy"], PW), PW)
    assert dx2.get("security_policy.items") == [{"name": "restrict_http", "value": True}]
