"""canon_addressbook: states, check/diff mode, validation, workflows, backups and passwords, with the
Remote UI faked (a FakeDevice behind fake RemoteUiSession / AddressBookClient classes)."""

from __future__ import annotations

import base64
import copy
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import EncryptedSecret
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.resource import AddressBookResource
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp
from ansible_collections.printfleet.canon.plugins.modules import canon_addressbook

LOGIN = {"host": "127.132.250.1", "system_manager_id": "7654321", "system_manager_pin": "pin-1234-secret"}
SCAN_PASSWORD = "scan-Pass-42"


@dataclass
class FakeBookInfo:
    book_type: str
    lists: Dict[str, Tuple[int, int]]
    destination_types: List[str]
    file_protocols: List[str]
    multibyte: bool = True
    total_capacity: Optional[int] = None
    workflow_count: Optional[int] = 0
    receive_restricted: bool = False


@dataclass
class FakeDevice:
    """What the device holds (plaintext passwords, like the simulator's control API) and what was asked."""

    book_type: str = "I"
    lists: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    workflows: Optional[int] = 0
    restricted: bool = False
    flavour: str = protocol_table.CLASSIC
    login_error: Optional[CanonError] = None
    drop_on_write: Optional[str] = None       # entry name the "device" silently drops on import
    calls: List[Tuple[Any, ...]] = field(default_factory=list)

    def content(self, name: str) -> List[Dict[str, Any]]:
        return self.lists.get(name, [])

    def writes(self) -> List[Tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == "write"]


class FakeSession:
    device: FakeDevice

    def __init__(self, options: Any) -> None:
        self.options = options
        self.flavour = self.device.flavour

    def __enter__(self) -> "FakeSession":
        self.device.calls.append(("login",))
        if self.device.login_error is not None:
            raise self.device.login_error
        return self

    def __exit__(self, *exc: Any) -> None:
        self.device.calls.append(("logout",))


class FakeClient:
    """The AddressBookClient contract: passwords come back as ciphertext; ciphertext written back keeps
    them."""

    def __init__(self, session: FakeSession) -> None:
        self.device = session.device

    def info(self) -> FakeBookInfo:
        device = self.device
        spec = ab.book_type_spec(device.book_type)
        return FakeBookInfo(
            book_type=device.book_type,
            lists={item.name: (len(device.content(item.name)), item.capacity) for item in spec.lists},
            destination_types=sorted(spec.destination_types), file_protocols=sorted(spec.file_protocols),
            total_capacity=spec.pools.get("address_lists"), workflow_count=device.workflows,
            receive_restricted=device.restricted)

    def capabilities(self) -> Dict[str, Any]:
        return {"book_type": self.device.book_type}

    def read_lists(self, names: List[str]) -> Dict[str, List[Dict[str, Any]]]:
        self.device.calls.append(("read", tuple(names)))
        if self.device.restricted:
            raise CanonError("feature_restricted")
        out = {}
        for name in names:
            entries = []
            for entry in copy.deepcopy(self.device.content(name)):
                for key in ab.SECRET_FIELDS:
                    if entry.get(key):
                        entry[key] = EncryptedSecret("enc:" + entry[key])
                entries.append(entry)
            out[name] = entries
        return out

    def write_list(self, name: str, entries: List[Dict[str, Any]], mode: str = "overwrite") -> None:
        assert mode == "overwrite"
        self.device.calls.append(("write", name))
        stored = []
        for entry in copy.deepcopy(entries):
            if entry.get("name") == self.device.drop_on_write:
                continue
            for key in ab.SECRET_FIELDS:
                value = entry.get(key)
                if isinstance(value, EncryptedSecret):
                    entry[key] = value.token[len("enc:"):]
            stored.append(entry)
        self.device.lists[name] = stored
        if ab.book_type_spec(self.device.book_type).deletes_workflows:
            self.device.workflows = 0

    def export_list(self, name: str, fmt: str = "canon_csv", export_password: Optional[str] = None) -> bytes:
        self.device.calls.append(("export", name, fmt))
        entries = [dict(entry, password=None) if entry["type"] == "file" else entry
                   for entry in self.device.content(name)]
        return ab.render_list(entries, fmt, self.device.book_type, name, on_unsupported="drop").data.encode()


@pytest.fixture
def device(monkeypatch) -> FakeDevice:
    dev = FakeDevice()
    FakeSession.device = dev
    monkeypatch.setattr(AddressBookResource, "session_class", FakeSession)
    monkeypatch.setattr(AddressBookResource, "client_class", FakeClient)
    return dev


@pytest.fixture
def run(run_module):
    def go(args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
        args = dict(LOGIN, **args)
        if diff:
            args["_ansible_diff"] = True
        return run_module(canon_addressbook, args, check=check)
    return go


def email(name: str, address: str, **extra: Any) -> Dict[str, Any]:
    return dict(type="email", name=name, address=address, **extra)


def smb(name: str, password: Optional[str] = SCAN_PASSWORD, **extra: Any) -> Dict[str, Any]:
    entry = dict(dict(type="file", name=name, protocol="smb", host="\\\\fs01\\scans", path="in",
                      username="scanner"), **extra)
    if password is not None:
        entry["password"] = password
    return entry


def stored(device: FakeDevice, name: str) -> List[Dict[str, Any]]:
    return [ab.comparable(ab.normalize_entry(entry, name)) for entry in device.content(name)]


# =============================================================================================
# merged / replaced / overridden / deleted
# =============================================================================================
def test_merged_adds_then_second_run_is_unchanged(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(email("Kept", "kept@example.com"))]
    device.lists["address_list_2"] = [ab.normalize_entry(email("Other", "other@example.com"))]
    want = {"address_list_1": [email("Sales", "sales@Example.COM"), smb("Scans")]}

    first = run({"lists": want})
    assert first["changed"] is True and "failed" not in first, first
    assert [entry["name"] for entry in device.content("address_list_1")] == ["Kept", "Sales", "Scans"]
    assert device.content("address_list_1")[2]["password"] == SCAN_PASSWORD
    assert first["lists"]["address_list_1"] == {"count_before": 1, "count_after": 3, "capacity": 1600,
                                                "used_percent": 0.2}
    assert first["changes"]["address_list_1"]["added"] == [{"name": "Sales", "type": "email"},
                                                           {"name": "Scans", "type": "file"}]
    assert first["totals"]["address_lists"] == {"count_before": 2, "count_after": 4, "capacity": 1600}
    assert first["workflows_deleted"] == 0
    # before/after hold only the lists that change; the invocation shows lists as counts
    assert list(first["before"]) == list(first["after"]) == ["address_list_1"]
    assert first["invocation"]["module_args"]["lists"] == {"address_list_1": "2 entries"}
    # only the named list was read and written; address_list_2 untouched
    assert ("read", ("address_list_1",)) in device.calls
    assert device.writes() == [("write", "address_list_1")]
    reads = [call for call in device.calls if call[0] == "read"]
    assert reads == [("read", ("address_list_1",))] * 2      # plan, then verify

    device.calls.clear()
    second = run({"lists": want})
    assert second["changed"] is False and second["changes"] == {} and "after" not in second
    assert device.writes() == []
    assert SCAN_PASSWORD not in str(first) + str(second)


def test_merged_updates_fields_of_the_entry_with_the_same_identity(device, run):
    device.book_type = "II"
    device.lists["coded_dial"] = [ab.normalize_entry(dict(type="fax", name="HQ", number=1,
                                                          fax_number="0221 1"))]
    result = run({"lists": {"coded_dial": [{"number": 1, "type": "fax", "ecm": False}]},
                  "acknowledge_workflow_deletion": True})
    assert result["changed"] is True, result
    assert result["changes"]["coded_dial"]["modified"] == [
        {"number": 1, "name": "HQ", "type": "fax", "fields": ["ecm"]}]
    entry = device.content("coded_dial")[0]
    assert (entry["name"], entry["fax_number"], entry["ecm"]) == ("HQ", "0221 1", False)


def test_replaced_makes_named_lists_exact_and_names_empty_lists(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(email(n, n + "@example.com")) for n in ("a", "b")]
    device.lists["address_list_2"] = [ab.normalize_entry(email("c", "c@example.com"))]
    device.lists["address_list_3"] = [ab.normalize_entry(email("d", "d@example.com"))]
    result = run({"state": "replaced",
                  "lists": {"address_list_1": [email("b", "b@example.com"), email("e", "e@example.com")],
                            "address_list_2": []}})
    assert result["changed"] is True, result
    assert [e["name"] for e in device.content("address_list_1")] == ["b", "e"]
    assert device.content("address_list_2") == []
    assert [e["name"] for e in device.content("address_list_3")] == ["d"]      # not named: untouched
    assert result["changes"]["address_list_1"]["removed"] == [{"name": "a", "type": "email"}]
    assert set(result["lists"]) == {"address_list_1", "address_list_2"}


def test_overridden_empties_lists_not_named(device, run):
    device.lists["address_list_4"] = [ab.normalize_entry(email("x", "x@example.com"))]
    device.lists["one_touch"] = [ab.normalize_entry(dict(email("y", "y@example.com"), number=5))]
    result = run({"state": "overridden", "lists": {"address_list_1": [email("a", "a@example.com")]}})
    assert result["changed"] is True, result
    assert device.content("address_list_4") == [] and device.content("one_touch") == []
    assert [e["name"] for e in device.content("address_list_1")] == ["a"]
    assert set(result["lists"]) == set(ab.manageable_lists("I"))
    assert {name for name, _ in [(c[1], 0) for c in device.writes()]} == {"address_list_1", "address_list_4",
                                                                          "one_touch"}


def test_deleted_by_number_and_name_and_everything(device, run):
    device.lists["one_touch"] = [ab.normalize_entry(dict(email(n, n + "@example.com"), number=i))
                                 for i, n in enumerate(("a", "b", "c"), start=1)]
    device.lists["address_list_1"] = [ab.normalize_entry(email(n, n + "@example.com")) for n in ("d", "e")]
    result = run({"state": "deleted",
                  "lists": {"one_touch": [{"number": 2}], "address_list_1": [{"name": "d"}]}})
    assert result["changed"] is True, result
    assert [e["name"] for e in device.content("one_touch")] == ["a", "c"]
    assert [e["name"] for e in device.content("address_list_1")] == ["e"]

    again = run({"state": "deleted", "lists": {"one_touch": [{"number": 2}]}})
    assert again["changed"] is False

    everything = run({"state": "deleted"})
    assert everything["changed"] is True
    assert all(device.content(name) == [] for name in ab.manageable_lists("I"))


def test_deleted_removes_names_from_groups(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(e) for e in (
        email("a", "a@example.com"), email("b", "b@example.com"),
        {"type": "group", "name": "g", "members": ["a", "b"]})]
    result = run({"state": "deleted", "lists": {"address_list_1": [{"name": "a"}]}})
    assert result["changed"] is True
    group = [e for e in device.content("address_list_1") if e["type"] == "group"][0]
    assert group["members"] == ["b"]


# =============================================================================================
# gathered
# =============================================================================================
def test_gathered_reads_named_or_all_lists_and_masks_passwords(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans"))]
    named = run({"state": "gathered", "lists": {"address_list_1": []}})
    assert named["changed"] is False and list(named["gathered"]) == ["address_list_1"]
    assert named["gathered"]["address_list_1"][0]["password"] == "********"
    assert SCAN_PASSWORD not in str(named)
    assert named["lists"]["address_list_1"]["count_after"] == 1

    everything = run({"state": "gathered"})
    assert list(everything["gathered"]) == list(ab.manageable_lists("I"))
    assert device.writes() == []


# =============================================================================================
# check mode and diff mode
# =============================================================================================
def test_check_mode_plans_but_writes_nothing_and_takes_no_backup(device, run, tmp_path):
    device.lists["address_list_1"] = [ab.normalize_entry(email("a", "a@example.com"))]
    result = run({"state": "replaced", "lists": {"address_list_1": [email("b", "b@example.com")]},
                  "backup": True, "backup_options": {"dir": str(tmp_path)}}, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["changes"]["address_list_1"]["added"] == [{"name": "b", "type": "email"}]
    assert "b@example.com" in result["diff"]["after"] and "a@example.com" in result["diff"]["before"]
    assert device.writes() == [] and not any(call[0] == "export" for call in device.calls)
    assert [e["name"] for e in device.content("address_list_1")] == ["a"]
    assert list(tmp_path.iterdir()) == [] and "backup_path" not in result


def test_diff_masks_every_secret(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans", password="old-secret-1"))]
    result = run({"lists": {"address_list_1": [smb("Scans", path="out"),
                                               smb("New", password="new-secret-2")]},
                  "update_password": "always"}, diff=True)
    assert result["changed"] is True, result
    text = str(result)
    for secret in ("old-secret-1", SCAN_PASSWORD, "new-secret-2", LOGIN["system_manager_pin"]):
        assert secret not in text
    assert "password: '********'" in result["diff"]["after"]            # New
    assert "password: '******** (new)'" in result["diff"]["after"]      # Scans: only the password shows it
    assert result["changes"]["address_list_1"]["modified"][0]["fields"] == ["password", "path"]
    # the device got the real values
    assert {e["name"]: e["password"] for e in device.content("address_list_1")} == {
        "Scans": SCAN_PASSWORD, "New": "new-secret-2"}


def test_no_diff_key_without_diff_mode_and_empty_diff_when_unchanged(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(email("a", "a@example.com"))]
    plain = run({"lists": {"address_list_1": [email("a", "a@example.com")]}})
    assert "diff" not in plain and plain["changed"] is False
    diffed = run({"lists": {"address_list_1": [email("a", "a@example.com")]}}, diff=True)
    assert diffed["diff"]["before"] == diffed["diff"]["after"] == ""


# =============================================================================================
# validation before any write
# =============================================================================================
def test_invalid_entry_fails_with_code_and_names_it_before_any_write(device, run):
    device.book_type = "II"
    result = run({"acknowledge_workflow_deletion": True, "lists": {"coded_dial": [
        dict(type="email", name="ok", number=1, address="ok@example.com"),
        dict(type="email", name="x" * 17, number=2, address="long@example.com")]}})
    assert result["failed"] is True and result["error_code"] == "addressbook_invalid_entry", result
    assert "coded_dial entry No. 2" in result["msg"]
    assert result["error_details"]["list"] == "coded_dial" and result["error_details"]["field"] == "name"
    assert device.writes() == [] and result["changed"] is False


def test_yaml_number_as_fax_number_is_refused_not_converted(device, run):
    result = run({"lists": {"address_list_1": [dict(type="fax", name="f", fax_number=83)]}})
    assert result["error_code"] == "addressbook_invalid_entry" and "fax_number" in result["msg"]


@pytest.mark.parametrize("args, code", [
    ({"lists": {"coded_dial": [email("a", "a@example.com", number=1)]}}, "addressbook_unsupported_type"),
    ({"book_type": "III", "lists": {"address_list_1": []}}, "addressbook_unsupported_type"),
    ({"lists": {"one_touch": [email("a", "a@example.com", number=201)]}}, "addressbook_number_out_of_range"),
    ({"lists": {"address_list_1": [email("a", "a@example.com"), email("a", "b@example.com")]}},
     "addressbook_invalid_entry"),
])
def test_wrong_lists_and_numbers_fail_before_reading_or_writing(device, run, args, code):
    result = run(args)
    assert result["error_code"] == code, result
    assert device.writes() == []


def test_type_i_total_counts_lists_the_task_does_not_read(device, run):
    device.lists["address_list_2"] = [ab.normalize_entry(email("n%d" % i, "n%d@example.com" % i))
                                      for i in range(1599)]
    result = run({"lists": {"address_list_1": [email("a", "a@example.com"), email("b", "b@example.com")]}})
    assert result["error_code"] == "addressbook_over_limit", result
    assert device.writes() == [] and not any(c == ("read", ("address_list_2",)) for c in device.calls)


# =============================================================================================
# workflows (Type II / III)
# =============================================================================================
def test_type_ii_write_needs_acknowledgement_and_reports_deleted_workflows(device, run):
    device.book_type, device.workflows = "II", 3
    want = {"favorites": [email("a", "a@example.com", number=1)]}
    refused = run({"lists": want})
    assert refused["error_code"] == "addressbook_workflow_ack_required", refused
    assert "3 workflow(s)" in refused["msg"] and device.writes() == [] and device.workflows == 3

    checked = run({"lists": want, "acknowledge_workflow_deletion": True}, check=True)
    assert checked["workflows_deleted"] == 3 and device.workflows == 3

    done = run({"lists": want, "acknowledge_workflow_deletion": True})
    assert done["changed"] is True and done["workflows_deleted"] == 3 and device.workflows == 0
    assert any("deletes all workflows" in w for w in done.get("warnings", []))

    unchanged = run({"lists": want})          # nothing to write: no acknowledgement needed
    assert unchanged["changed"] is False and unchanged["workflows_deleted"] == 0


def test_type_iii_with_zero_workflows_needs_no_acknowledgement(device, run):
    device.book_type, device.workflows = "III", 0
    result = run({"lists": {"address_book": [dict(type="fax", name="f", number=1, fax_number="12")]}})
    assert result["changed"] is True and result["workflows_deleted"] == 0, result
    assert result["book_type"] == "III"


# =============================================================================================
# backup
# =============================================================================================
def test_backup_is_exported_before_the_write(device, run, tmp_path):
    device.lists["address_list_1"] = [ab.normalize_entry(email("old", "old@example.com"))]
    result = run({"state": "replaced", "lists": {"address_list_1": [email("new", "new@example.com")]},
                  "backup": True, "backup_options": {"dir": str(tmp_path / "bk"), "filename": "dev1"}})
    assert result["changed"] is True, result
    kinds = [call[0] for call in device.calls]
    assert kinds.index("export") < kinds.index("write")
    assert result["backup_path"] == str(tmp_path / "bk" / "dev1")
    (path,) = result["backup_files"]
    assert path.endswith("address_list_1.csv")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    parsed = ab.parse_list(open(path, "rb").read(), "canon_csv", "I", "address_list_1")
    assert [e["name"] for e in parsed.entries] == ["old"]


def test_backup_in_emc_xlsx_is_written_from_the_lists_read(device, run, tmp_path):
    device.lists["address_list_1"] = [ab.normalize_entry(e) for e in (
        email("old", "old@example.com"), {"type": "group", "name": "g", "members": ["old"]})]
    result = run({"lists": {"address_list_1": [email("new", "new@example.com")]}, "backup": True,
                  "backup_options": {"dir": str(tmp_path), "format": "emc_xlsx"}})
    (path,) = result["backup_files"]
    assert path.endswith(".xlsx") and os.path.dirname(path).startswith(str(tmp_path / LOGIN["host"]))
    parsed = ab.parse_list(open(path, "rb").read(), "emc_xlsx", "I", "address_list_1")
    assert [e["name"] for e in parsed.entries] == ["old"]          # the group cannot be carried: warned
    assert any("leaves out 1" in w for w in result["warnings"])
    assert not any(call[0] == "export" for call in device.calls)


def test_failed_validation_writes_no_backup(device, run, tmp_path):
    result = run({"lists": {"address_list_1": [email("x" * 30, "x@example.com")]}, "backup": True,
                  "backup_options": {"dir": str(tmp_path)}})
    assert result["error_code"] == "addressbook_invalid_entry"
    assert list(tmp_path.iterdir()) == []


# =============================================================================================
# passwords: update_password
# =============================================================================================
def test_update_password_on_create_keeps_the_device_password(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans", password="device-pw"))]
    result = run({"lists": {"address_list_1": [smb("Scans", password="declared-pw")]}})
    assert result["changed"] is False, result
    assert device.content("address_list_1")[0]["password"] == "device-pw"

    # another entry changes: the list is rewritten, the untouched entry keeps its (encrypted) password
    result = run({"lists": {"address_list_1": [smb("Scans", password="declared-pw"),
                                               email("a", "a@example.com")]}})
    assert result["changed"] is True
    assert device.content("address_list_1")[0]["password"] == "device-pw"


def test_update_password_always_rewrites_and_new_entries_get_theirs(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans", password="device-pw"))]
    result = run({"lists": {"address_list_1": [smb("Scans", password="declared-pw"),
                                               smb("New", password="n-pw")]},
                  "update_password": "always"})
    assert result["changed"] is True
    assert {e["name"]: e["password"] for e in device.content("address_list_1")} == {
        "Scans": "declared-pw", "New": "n-pw"}
    again = run({"lists": {"address_list_1": [smb("Scans", password="declared-pw")]},
                 "update_password": "always"})
    assert again["changed"] is True, "a password the device cannot show always counts as a change"
    assert "declared-pw" not in str(result) + str(again)


def test_gathered_entries_fed_back_keep_passwords_and_change_nothing(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans", password="device-pw"))]
    gathered = run({"state": "gathered", "lists": {"address_list_1": []}})["gathered"]
    assert gathered["address_list_1"][0]["password"] == "********"
    again = run({"state": "replaced", "lists": gathered, "update_password": "always"})
    assert again["changed"] is False, again
    copied = run({"lists": {"address_list_1": [dict(gathered["address_list_1"][0], name="Copy")]}})
    assert copied["changed"] is True
    assert {e["name"]: e["password"] for e in device.content("address_list_1")} == {
        "Scans": "device-pw", "Copy": None}, "the mask is never written as a password"


def test_undeclared_password_is_kept_even_with_always(device, run):
    device.lists["address_list_1"] = [ab.normalize_entry(smb("Scans", password="device-pw"))]
    result = run({"lists": {"address_list_1": [smb("Scans", password=None, path="new")]},
                  "update_password": "always"})
    assert result["changed"] is True
    assert device.content("address_list_1")[0]["password"] == "device-pw"


# =============================================================================================
# verification, errors, restriction
# =============================================================================================
def test_read_back_mismatch_fails_with_verify_failed(device, run):
    device.drop_on_write = "b"
    result = run({"lists": {"address_list_1": [email("a", "a@example.com"), email("b", "b@example.com")]}})
    assert result["failed"] is True and result["error_code"] == "addressbook_verify_failed", result
    assert result["changed"] is True and result["written_lists"] == ["address_list_1"]
    assert result["error_details"]["missing"] == [{"name": "b", "type": "email"}]


def test_login_failure_is_reported_once(device, run):
    device.login_error = CanonError("rui_auth_failed")
    result = run({"lists": {"address_list_1": []}})
    assert result["error_code"] == "rui_auth_failed" and result["changed"] is False
    assert device.calls.count(("login",)) == 1
    assert LOGIN["system_manager_pin"] not in str(result)


def test_host_and_credentials_are_required_for_device_states(run_module):
    no_host = run_module(canon_addressbook, {"state": "gathered"})
    assert no_host["error_code"] == "invalid_argument" and "host" in no_host["msg"]
    no_pin = run_module(canon_addressbook, {"state": "gathered", "host": "127.132.250.1"})
    assert no_pin["error_code"] == "invalid_argument" and "system_manager_pin" in no_pin["msg"]


def test_restricted_device_fails_or_reports_would_restart_in_check_mode(device, run):
    device.restricted = True
    refused = run({"lists": {"address_list_1": []}})
    assert refused["error_code"] == "feature_restricted" and "restart_if_required" in refused["hint"]
    checked = run({"lists": {"address_list_1": []}, "restart_if_required": True}, check=True)
    assert checked["changed"] is True and checked["would_restart"] is True and checked["restarted"] is False
    assert not any(call[0] == "read" for call in device.calls)


class FakeSnmp:
    """Stands in for snmp.run: records SETs; the reset clears the restriction and 'reboots'."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self.sets: List[Tuple[str, int]] = []

    def run(self, fn):
        import asyncio
        return asyncio.run(fn(self))

    async def set(self, target, values):
        for oid, value in values:
            self.sets.append((oid, value.value))
            if oid == oids.PRT_GENERAL_RESET_1:
                self.device.restricted = False

    async def get(self, target, wanted):
        return {oid: 0 for oid in wanted}       # sysUpTime 0: booted after the reset


def test_restart_if_required_lifts_the_restriction_restarts_and_continues(device, run, monkeypatch):
    device.restricted = True
    fake = FakeSnmp(device)
    monkeypatch.setattr(snmp, "run", fake.run)
    result = run({"lists": {"address_list_1": [email("a", "a@example.com")]}, "restart_if_required": True,
                  "community": "rw-community"})
    assert result["changed"] is True and result["restarted"] is True, result
    assert fake.sets == [(protocol_table.RESTRICT_ADDRESS_BOOK_RECEIVE_OID, 2), (oids.PRT_GENERAL_RESET_1, 4)]
    assert any("stays off" in w for w in result["warnings"])
    assert device.calls.count(("login",)) == 2
    assert [e["name"] for e in device.content("address_list_1")] == ["a"]
    assert "rw-community" not in str(result)


# =============================================================================================
# rendered and parsed (offline)
# =============================================================================================
def test_rendered_canon_csv_infers_the_book_type_and_validates(run_module, tmp_path):
    lists = {"one_touch": [dict(email("a", "a@example.com"), number=1, short_name="A")]}
    result = run_module(canon_addressbook, {"state": "rendered", "lists": lists})
    assert result["changed"] is False and result["book_type"] == "I", result
    text = result["rendered"]["one_touch"]
    assert text.startswith("# Canon AddressBook CSV version: 0x0002") and "# dn: fixed" in text
    bad = run_module(canon_addressbook, {"state": "rendered", "lists": {"coded_dial": [
        dict(email("a", "a@example.com"), number=300)]}})
    assert bad["error_code"] == "addressbook_number_out_of_range"
    mixed = run_module(canon_addressbook, {"state": "rendered", "lists": {"coded_dial": [], "one_touch": []}})
    assert mixed["error_code"] == "invalid_argument"


def test_rendered_to_dest_writes_private_files_idempotently(run_module, tmp_path):
    lists = {"address_list_1": [smb("Scans"), email("a", "a@example.com")]}
    args = {"state": "rendered", "format": "emc_xlsx", "dest": str(tmp_path / "out"), "lists": lists}
    first = run_module(canon_addressbook, args)
    assert first["changed"] is True, first
    (path,) = first["rendered_files"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert base64.b64decode(first["rendered"]["address_list_1"])[:2] == b"PK"
    parsed = ab.parse_list(open(path, "rb").read(), "emc_xlsx", "I", "address_list_1")
    passwords = {e["name"]: e["password"] for e in parsed.entries if e["type"] == "file"}
    assert passwords == {"Scans": SCAN_PASSWORD}
    second = run_module(canon_addressbook, args)
    assert second["changed"] is False, "the same entries give no change even though xlsx bytes differ"
    assert SCAN_PASSWORD not in str(first) + str(second)
    checked = run_module(canon_addressbook, dict(args, dest=str(tmp_path / "other")), check=True)
    assert checked["changed"] is True and not (tmp_path / "other").exists()


def test_rendered_emc_csv_gives_one_text_per_destination_type(run_module):
    lists = {"address_list_1": [email("a", "a@example.com"), dict(type="fax", name="f", fax_number="1"),
                                {"type": "group", "name": "g", "members": ["a"]}]}
    refused = run_module(canon_addressbook, {"state": "rendered", "format": "emc_csv", "lists": lists})
    assert refused["error_code"] == "addressbook_unsupported_type"
    result = run_module(canon_addressbook, {"state": "rendered", "format": "emc_csv", "lists": lists,
                                            "on_unsupported": "drop"})
    assert set(result["rendered"]["address_list_1"]) == {"email", "fax"}
    assert result["dropped"][0]["entry"] == "g" and result["dropped"][0]["list"] == "address_list_1"


def test_parsed_round_trips_rendered_content(run_module, tmp_path):
    entries = [dict(email("a", "a@example.com"), number=1),
               dict(type="fax", name="f", number=2, fax_number="12")]
    rendered = run_module(canon_addressbook, {"state": "rendered", "lists": {"one_touch": entries}})
    text = rendered["rendered"]["one_touch"]
    parsed = run_module(canon_addressbook, {"state": "parsed", "running_config": text, "book_type": "I"})
    assert list(parsed["parsed"]) == ["one_touch"], "the one-touch marker picks the list"
    assert [ab.comparable(e) for e in parsed["parsed"]["one_touch"]] == [
        ab.comparable(ab.normalize_entry(e, "one_touch")) for e in entries]

    src = tmp_path / "list.ldif"
    src.write_bytes(ab.render_list(entries[:1], "ldif", "I", "address_list_1").data.encode())
    from_file = run_module(canon_addressbook, {"state": "parsed", "src": str(src), "format": "ldif",
                                               "list_name": "address_list_1"})
    assert from_file["book_type"] == "I" and from_file["parsed"]["address_list_1"][0]["name"] == "a"


def test_parsed_masks_passwords_and_reports_bad_input(run_module):
    text = ab.render_list([smb("Scans")], "canon_csv", "I", "address_list_1").data
    parsed = run_module(canon_addressbook, {"state": "parsed", "running_config": text, "book_type": "I"})
    assert parsed["parsed"]["address_list_1"][0]["password"] == "********"
    assert SCAN_PASSWORD not in str(parsed)
    broken = run_module(canon_addressbook, {"state": "parsed", "running_config": "garbage", "book_type": "I"})
    assert broken["error_code"] == "addressbook_format_error"
    nothing = run_module(canon_addressbook, {"state": "parsed", "book_type": "I"})
    assert nothing["error_code"] == "invalid_argument"


# =============================================================================================
# the argument spec mirrors the entry model
# =============================================================================================
def test_entry_options_are_exactly_the_entry_model():
    assert set(canon_addressbook.ENTRY_OPTIONS) == set(ab.ALL_FIELD_KEYS)
    spec = canon_addressbook.argument_spec()
    assert set(spec["lists"]["options"]) == {name for book in ab.BOOK_TYPE_SPECS.values()
                                             for name in book.list_names}
    secrets = {name for name, option in canon_addressbook.ENTRY_OPTIONS.items() if option.get("no_log")}
    assert secrets == set(ab.SECRET_FIELDS)
