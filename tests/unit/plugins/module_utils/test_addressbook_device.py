# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Remote UI client and the address-book adapter against the real printer simulator.

One simulator process (``SimulatedFleet``) on this worker's 127.131.<100+n>.0/24 serves a classic
Type I device, a portal Type II and a portal Type III device plus a few special cases (lockout,
busy, TLS 1.0 only, restricted, a full Type I book). The client is used exactly as a module uses
it: HTTPS verified with the manifest's ``ca_cert``, flavour and port found by probing.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

import pytest
import requests

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import parse_device_ldif  # noqa: E501
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import (
    AddressBookClient,
    BookInfo,
)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import EncryptedSecret
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import RemoteUiOptions, RemoteUiSession
from tests.integration.simfleet import SimulatedFleet, worker_octet

NET = "127.131.%d" % worker_octet(100)
SM_ID = "8800123"
SM_PIN = "pin-5518-Q"
CREDS = {"system_manager_id": SM_ID, "system_manager_pin": SM_PIN}
SCAN_PASSWORD = "Scan-Share-Pass-1"

DEVICES = {
    "type1": ("ir-adv-c5535-iii", {}),
    "type2": ("mf642c", {}),
    "type3": ("ir-1643if", {}),
    "lockout": ("ir-adv-c5535-iii", {"lockout_threshold": 3, "lockout_seconds": 300}),
    "locked": ("mf642c", {"lockout_threshold": 1, "lockout_seconds": 300}),
    "busy": ("ir-adv-c5535-iii", {}),
    "legacy": ("mf642c", {"tls": "legacy"}),
    "restricted": ("ir-adv-c5535-iii", {"receive_restricted": True}),
    "full": ("ir-adv-c5535-iii", {}),
    "expiry": ("mf642c", {}),
}
FULL_LISTS = 10
FULL_PER_LIST = 160          # 10 x 160 = 1,600, the Type I total for Address Lists 1-10
FULL_ONE_TOUCH = 200


def full_type_i_book() -> Dict[str, List[Dict[str, Any]]]:
    """1,600 address-list entries of mixed types plus 200 one-touch buttons (collection numbering)."""
    book: Dict[str, List[Dict[str, Any]]] = {}
    for n in range(1, FULL_LISTS + 1):
        entries = []
        for i in range(FULL_PER_LIST):
            name = "L%02d-%03d" % (n, i)
            kind = i % 4
            if kind == 0:
                entries.append({"type": "email", "name": name, "address": "%s@example.com" % name.lower()})
            elif kind == 1:
                entries.append({"type": "fax", "name": name, "fax_number": "0312%06d" % (n * 1000 + i)})
            elif kind == 2:
                entries.append({"type": "file", "name": name, "protocol": "smb", "host": "files%d.example.com" % n,
                                "path": "/scans/%s" % name, "username": "scan", "password": SCAN_PASSWORD})
            else:
                entries.append({"type": "ifax", "name": name, "address": "%s@fax.example.com" % name.lower()})
        book["address_list_%d" % n] = entries
    book["one_touch"] = [{"type": "email", "name": "OT%03d" % i, "number": i, "short_name": "B%d" % i,
                          "address": "ot%d@example.com" % i} for i in range(1, FULL_ONE_TOUCH + 1)]
    return book


@pytest.fixture(scope="module")
def sim():
    devices = []
    for index, (key, (profile, remote_ui)) in enumerate(DEVICES.items(), start=1):
        entry: Dict[str, Any] = {"address": "%s.%d" % (NET, index), "profile": profile,
                                 "remote_ui": dict(CREDS, **remote_ui)}
        if key == "full":
            entry["address_book"] = full_type_i_book()
        devices.append(entry)
    fleet = SimulatedFleet({"seed": 5, "devices": devices}, port=16100)
    fleet.addresses = {key: "%s.%d" % (NET, index) for index, key in enumerate(DEVICES, start=1)}
    yield fleet
    fleet.stop()


def rui_state(sim, key: str) -> Dict[str, Any]:
    return sim.control("GET", "/devices/%s/remote_ui" % sim.addresses[key])


def set_rui(sim, key: str, **body: Any) -> Dict[str, Any]:
    return sim.control("POST", "/devices/%s/remote_ui" % sim.addresses[key], body)


def opts(sim, key: str, **overrides: Any) -> RemoteUiOptions:
    values: Dict[str, Any] = dict(host=sim.addresses[key], ca_path=sim.manifest["ca_cert"], timeout=10.0,
                                  busy_delay=0.05, **CREDS)
    values.update(overrides)
    return RemoteUiOptions(**values)


def comparable_list(entries, list_name):
    """Entries without secrets, in the device's order: by number in numbered lists, else as given."""
    normalized = [ab.comparable(ab.normalize_entry(entry, list_name)) for entry in entries]
    if any(entry["number"] is not None for entry in normalized):
        normalized.sort(key=lambda entry: entry["number"])
    return normalized


def by_name(entries):
    return {entry["name"]: entry for entry in entries}


# =============================================================================================
# Login, flavour, ports, TLS
# =============================================================================================
@pytest.mark.parametrize("key,flavour,book_type", [("type1", pt.CLASSIC, "I"), ("type2", pt.PORTAL, "II"),
                                                   ("type3", pt.PORTAL, "III")])
def test_auto_flavour_login_over_verified_https(sim, key, flavour, book_type):
    manifest = sim.device(sim.addresses[key])["remote_ui"]
    with RemoteUiSession(opts(sim, key)) as rui:                     # flavour auto, port probed
        assert (rui.flavour, rui.port) == (flavour, manifest["https_port"])
        info = AddressBookClient(rui).info()
    assert isinstance(info, BookInfo) and info.book_type == book_type
    assert set(info.lists) == set(ab.manageable_lists(book_type))
    state = rui_state(sim, key)
    assert state["sessions"] == []                                   # logged out on leaving
    assert state["counters"]["logins_failed"] == 0


def test_plain_http_and_explicit_port(sim):
    manifest = sim.device(sim.addresses["type2"])["remote_ui"]
    with RemoteUiSession(opts(sim, "type2", use_https=False)) as rui:
        assert (rui.flavour, rui.port) == (pt.PORTAL, manifest["http_port"])
    classic_https = sim.device(sim.addresses["type1"])["remote_ui"]["https_port"]
    with RemoteUiSession(opts(sim, "type1", flavour=pt.CLASSIC, port=classic_https)) as rui:
        assert rui.base_url == "https://%s:%d" % (sim.addresses["type1"], classic_https)


def test_certificate_not_verified_without_the_ca(sim):
    before = rui_state(sim, "type1")["counters"]
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts(sim, "type1", ca_path=None)).login()
    assert err.value.error_code == "rui_tls_cert"
    assert rui_state(sim, "type1")["counters"]["logins_ok"] == before["logins_ok"]


def test_tls10_only_device(sim):
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts(sim, "legacy")).login()
    assert err.value.error_code == "rui_tls_legacy"
    with RemoteUiSession(opts(sim, "legacy", allow_legacy_tls=True)) as rui:   # still verified with the CA
        assert AddressBookClient(rui).info().book_type == "II"


def test_wrong_flavour_on_a_port_is_a_port_mismatch(sim):
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts(sim, "type1", flavour=pt.PORTAL, port=8443)).login()
    assert err.value.error_code == "rui_port_mismatch"
    with pytest.raises(CanonError) as err:                           # probing: no classic port on an MF
        RemoteUiSession(opts(sim, "type2", flavour=pt.CLASSIC)).login()
    assert err.value.error_code == "rui_port_mismatch"


# =============================================================================================
# Authentication and lockout
# =============================================================================================
def test_one_failed_login_is_one_attempt_and_does_not_lock(sim):
    with pytest.raises(CanonError) as err:
        with RemoteUiSession(opts(sim, "lockout", system_manager_pin="wrong-pin", busy_retries=5, start_wait=5)):
            pass
    assert err.value.error_code == "rui_auth_failed"
    assert "wrong-pin" not in str(err.value) and "wrong-pin" not in repr(err.value.to_result())
    state = rui_state(sim, "lockout")
    assert state["counters"]["logins_failed"] == 1
    assert state["lockout"]["failures"] == 1 and not state["lockout"]["locked"]
    with RemoteUiSession(opts(sim, "lockout")) as rui:                # the account still works
        assert rui.logged_in


def test_locked_account_is_reported_once_not_hammered(sim):
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts(sim, "locked", system_manager_pin="wrong-pin")).login()
    assert err.value.error_code == "rui_auth_failed"
    assert rui_state(sim, "locked")["lockout"]["locked"]
    rui = RemoteUiSession(opts(sim, "locked", busy_retries=5))
    with pytest.raises(CanonError) as err:
        rui.login()
    assert err.value.error_code == "rui_locked_out"
    with pytest.raises(CanonError):
        rui.login()                                                  # no second POST
    counters = rui_state(sim, "locked")["counters"]
    assert (counters["logins_failed"], counters["logins_locked_out"], counters["logins_ok"]) == (1, 1, 0)
    set_rui(sim, "locked", clear_lockout=True)


# =============================================================================================
# Read / write round trips
# =============================================================================================
TYPE_I_LIST = [
    {"type": "email", "name": "Sales", "reading": "sales", "address": "Sales@Example.COM", "access_number": 42},
    {"type": "fax", "name": "Head office fax", "fax_number": "0312345678", "ecm": False, "tx_start_speed": 14400},
    {"type": "ifax", "name": "Branch ifax", "address": "ifax@example.com", "mode": "full", "color": True,
     "color_resolutions": ["300x300"]},
    {"type": "file", "name": "Scans", "protocol": "smb", "host": "files.example.com", "path": "/scans",
     "username": "scanner", "password": SCAN_PASSWORD},
    {"type": "group", "name": "Everyone", "members": ["Sales", "Head office fax"]},
]
TYPE_I_ONE_TOUCH = [
    {"type": "email", "name": "Help desk", "number": 1, "short_name": "Help", "address": "help@example.com"},
    {"type": "fax", "name": "Fax 7", "number": 7, "fax_number": "0399"},
]


def test_type_i_round_trip_keeps_unknown_passwords(sim):
    with RemoteUiSession(opts(sim, "type1")) as rui:
        client = AddressBookClient(rui)
        assert client.write_list("address_list_1", TYPE_I_LIST) == "address_list_1: 5 created, 0 changed, 0 deleted"
        client.write_list("one_touch", TYPE_I_ONE_TOUCH)
        book = client.read_lists(["address_list_1", "one_touch"])
        assert comparable_list(book["address_list_1"], "address_list_1") == comparable_list(TYPE_I_LIST, "address_list_1")
        assert comparable_list(book["one_touch"], "one_touch") == comparable_list(TYPE_I_ONE_TOUCH, "one_touch")
        scans = by_name(book["address_list_1"])["Scans"]
        assert isinstance(scans["password"], EncryptedSecret) and not ab.secret_is_known(scans["password"])
        assert SCAN_PASSWORD not in repr(scans)
        info = client.info()
        assert info.lists["address_list_1"] == (5, 1600) and info.lists["one_touch"] == (2, 200)
        caps = ab.normalize_capabilities(client.capabilities())
        assert caps.book_type == "I" and caps.pool_capacities == {"address_lists": 1600}

        # write back what was read (password unknown to us) plus one entry: the device keeps the password
        rewritten = book["address_list_1"] + [{"type": "email", "name": "New", "address": "new@example.com"}]
        counters = rui_state(sim, "type1")["counters"]
        sent = rui.request_count
        assert client.write_list("address_list_1", rewritten) == "address_list_1: 1 created, 0 changed, 0 deleted"
        assert rui.request_count - sent <= 4          # one request chain: frame, form, create (+ redirect)
        state = rui_state(sim, "type1")
        stored = by_name(state["address_book"]["address_list_1"])
        assert stored["Scans"]["password"] == SCAN_PASSWORD and "New" in stored
        assert state["counters"]["entries_created"] == counters["entries_created"] + 1
        assert state["counters"]["imports_ok"] == 0 and state["counters"]["exports"] == 0   # public flows only

        # a declared password replaces it
        changed = [dict(entry, password="Other-Pass-2") if entry["name"] == "Scans" else entry for entry in rewritten]
        client.write_list("address_list_1", changed)
        assert by_name(rui_state(sim, "type1")["address_book"]["address_list_1"])["Scans"]["password"] == "Other-Pass-2"
    assert rui.request_count < 70      # 7 entries created one by one, 1 added, 1 changed, 3 reads


@pytest.mark.parametrize("key,lists", [
    ("type2", {"coded_dial": [{"type": "email", "name": "Sales", "number": 1, "address": "s@example.com"},
                              {"type": "fax", "name": "Fax", "number": 281, "fax_number": "0311"},
                              {"type": "file", "name": "Scans", "number": 5, "host": "h.example.com",
                               "username": "u", "password": SCAN_PASSWORD}],
               "favorites": [{"type": "email", "name": "Help", "number": 19, "address": "h@example.com"}]}),
    ("type3", {"address_book": [{"type": "email", "name": "First", "number": 1, "address": "f@example.com"},
                                {"type": "fax", "name": "Last", "number": 300, "fax_number": "0312"}],
               "one_touch_speed_dial": [{"type": "email", "name": "OT", "number": 200, "address": "o@example.com"}]}),
])
def test_portal_round_trips(sim, key, lists):
    with RemoteUiSession(opts(sim, key)) as rui:
        client = AddressBookClient(rui)
        for name, entries in lists.items():
            client.write_list(name, entries)
        book = client.read_lists(list(lists))
        for name, entries in lists.items():
            assert comparable_list(book[name], name) == comparable_list(entries, name), name
        assert {name: client.info().lists[name][0] for name in lists} == {name: len(e) for name, e in lists.items()}
    stored = rui_state(sim, key)["address_book"]
    for name, entries in lists.items():
        assert sorted(e["number"] for e in stored[name]) == sorted(e["number"] for e in entries)
    state = rui_state(sim, key)
    assert state["workflows"] == 0 and state["counters"]["workflows_deleted"] > 0   # Type II/III writes drop them


def test_type_iii_files_carry_device_numbers(sim):
    with RemoteUiSession(opts(sim, "type3")) as rui:
        client = AddressBookClient(rui)
        client.write_list("address_book", [{"type": "email", "name": "Zero", "number": 1, "address": "z@example.com"}])
        data = client.export_list("address_book").decode("utf-8")
        assert client.read_lists(["address_book"])["address_book"][0]["number"] == 1
    row = [line for line in data.splitlines() if "Zero" in line][0]
    assert row.split(",")[0] == "0"                                  # collection 1 = device 000


def test_append_mode_adds_to_the_list(sim):
    with RemoteUiSession(opts(sim, "type2")) as rui:
        client = AddressBookClient(rui, write_method="bulk_import")
        client.write_list("favorites", [{"type": "email", "name": "A", "number": 1, "address": "a@example.com"}])
        client.write_list("favorites", [{"type": "email", "name": "B", "number": 2, "address": "b@example.com"}],
                          mode="append")
        names = [e["name"] for e in client.read_lists(["favorites"])["favorites"]]
    assert names == ["A", "B"]


def test_refused_form_raises_with_the_device_message(sim):
    with RemoteUiSession(opts(sim, "type2")) as rui:
        client = AddressBookClient(rui)
        client.write_list("favorites", [{"type": "email", "name": "Keep", "number": 3, "address": "k@example.com"}])
        with pytest.raises(CanonError) as err:
            client.write_list("favorites", [{"type": "email", "name": "Keep", "number": 3, "address": "k@example.com"},
                                            {"type": "email", "name": "N" * 30, "number": 4, "address": "o@example.com"}])
        assert err.value.error_code == "addressbook_import_failed"
        assert "ERR_SUBMIT_FORM" in err.value.msg and "name is 30 characters long" in err.value.msg
        assert [e["name"] for e in client.read_lists(["favorites"])["favorites"]] == ["Keep"]   # nothing changed
    assert rui_state(sim, "type2")["counters"]["forms_refused"] >= 1


def test_refused_import_raises_with_the_device_message(sim):
    with RemoteUiSession(opts(sim, "type2")) as rui:
        client = AddressBookClient(rui, write_method="bulk_import")
        client.write_list("favorites", [{"type": "email", "name": "Keep", "number": 3, "address": "k@example.com"}])
        with pytest.raises(CanonError) as err:
            client.write_list("favorites", [{"type": "email", "name": "Out", "number": 25, "address": "o@example.com"}])
        assert err.value.error_code == "addressbook_import_failed"
        assert "No. 25" in err.value.msg and "Could not import the destination" in err.value.msg
        assert [e["name"] for e in client.read_lists(["favorites"])["favorites"]] == ["Keep"]   # nothing changed


def test_exports_ldif_on_classic_and_canon_csv_with_a_password(sim):
    entries = [{"type": "email", "name": "Mail", "address": "mail@example.com"},
               {"type": "fax", "name": "Fax", "fax_number": "0312"},
               {"type": "file", "name": "Share", "host": "h.example.com", "password": SCAN_PASSWORD}]
    with RemoteUiSession(opts(sim, "type1")) as rui:
        client = AddressBookClient(rui)
        client.write_list("address_list_2", entries)
        parsed = parse_device_ldif(client.export_list("address_list_2", "ldif"))
        assert sorted((e["type"], e["name"]) for _i, e in parsed) == [("email", "Mail"), ("fax", "Fax"), ("file", "Share")]
        assert SCAN_PASSWORD.encode() not in client.export_list("address_list_2", "ldif")
        backup = client.export_list("address_list_2", "canon_csv", export_password="Backup-Pass-9")
        restored = ab.parse_list(backup, "canon_csv", "I", "address_list_2", export_password="Backup-Pass-9")
        assert by_name(restored.entries)["Share"]["password"] == SCAN_PASSWORD
        plain = client.export_list("address_list_2")
        assert SCAN_PASSWORD.encode() not in plain and b"Crypto" not in plain
    with RemoteUiSession(opts(sim, "type2")) as rui:
        with pytest.raises(CanonError) as err:
            AddressBookClient(rui).export_list("coded_dial", "ldif")
        assert err.value.error_code == "unsupported_capability"


def test_restricted_device_reports_and_refuses_transfers(sim):
    with RemoteUiSession(opts(sim, "restricted")) as rui:
        client = AddressBookClient(rui)
        assert client.info().receive_restricted is True
        with pytest.raises(CanonError) as err:
            client.read_lists(["address_list_1"])
        assert err.value.error_code == "feature_restricted"


# =============================================================================================
# Transient states
# =============================================================================================
def test_busy_device_is_retried_until_the_control_api_clears_it(sim):
    set_rui(sim, "busy", busy="address_list_open")
    timer = threading.Timer(0.8, set_rui, args=(sim, "busy"), kwargs={"busy": None})
    timer.start()
    try:
        started = time.monotonic()
        with RemoteUiSession(opts(sim, "busy", busy_retries=5, busy_delay=0.25)) as rui:
            book = AddressBookClient(rui).read_lists(["address_list_1"])
        assert book == {"address_list_1": []}
        assert time.monotonic() - started >= 0.7
    finally:
        timer.cancel()
        set_rui(sim, "busy", busy=None)


def test_busy_device_fails_after_bounded_retries(sim):
    set_rui(sim, "busy", busy="job_reserved")
    try:
        with RemoteUiSession(opts(sim, "busy", busy_retries=2, busy_delay=0.05)) as rui:
            with pytest.raises(CanonError) as err:
                AddressBookClient(rui).info()
        assert err.value.error_code == "device_busy" and err.value.details["attempts"] == 3
        assert "A job is reserved on the device" in err.value.msg
    finally:
        set_rui(sim, "busy", busy=None)


def test_session_dropped_by_the_device_is_logged_in_again_once(sim):
    address = sim.addresses["expiry"]
    port = sim.device(address)["remote_ui"]["https_port"]
    with RemoteUiSession(opts(sim, "expiry")) as rui:
        client = AddressBookClient(rui)
        client.info()
        # other browsers open sessions until the device drops ours (it keeps only a few)
        with requests.Session() as other:
            for _ in range(40):
                other.cookies.clear()
                other.get("https://%s:%d/" % (address, port), verify=sim.manifest["ca_cert"], timeout=10)
        assert client.read_lists(["coded_dial"]) == {"coded_dial": []}
        assert rui.login_posts == 2
    assert rui_state(sim, "expiry")["counters"]["session_expired"] >= 1


def test_starting_device_is_waited_for_only_with_start_wait(sim):
    address = sim.addresses["expiry"]
    set_rui(sim, "expiry", starting_seconds=2.5)
    try:
        sim.act(address, "restart", seconds=0.3)
        deadline = time.monotonic() + 10
        while sim.state(address)["restarting"] and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(CanonError) as err:
            RemoteUiSession(opts(sim, "expiry")).login()
        assert err.value.error_code == "device_starting"
        started = time.monotonic()
        with RemoteUiSession(opts(sim, "expiry", start_wait=15, busy_delay=0.2)) as rui:
            assert AddressBookClient(rui).info().book_type == "II"
        assert time.monotonic() - started < 10
    finally:
        set_rui(sim, "expiry", starting_seconds=0)


# =============================================================================================
# Pieces without a device
# =============================================================================================
def test_parse_book_info_reads_the_documented_table():
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import parse_book_info
    from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import Page

    rows = "".join("<tr><th>%s</th><td>%s</td></tr>" % pair for pair in [
        ("book_type", "III"), ("destination_types", "email,fax,group"), ("file_protocols", ""),
        ("multibyte", "false"), ("total_capacity", ""), ("workflow_count", "4"), ("receive_restricted", "true")])
    rows += '<tr class="list" data-list="address_book"><td>12</td><td>300</td></tr>'
    html = "<html><body><table>%s</table></body></html>" % rows
    info = parse_book_info(Page("book_info", "GET", "https://h/", 200, "text/html", html.encode()))
    assert info == BookInfo(book_type="III", lists={"address_book": (12, 300)},
                            destination_types=("email", "fax", "group"), file_protocols=(), multibyte=False,
                            total_capacity=None, workflow_count=4, receive_restricted=True)
    with pytest.raises(CanonError) as err:
        parse_book_info(Page("book_info", "GET", "https://h/", 200, "text/html", b"<html>nothing</html>"))
    assert err.value.error_code == "rui_unexpected_response"


def test_bad_transfer_and_export_passwords_are_refused_before_sending():
    with pytest.raises(CanonError) as err:
        AddressBookClient(None, transfer_password="x" * 33)        # type: ignore[arg-type]
    assert err.value.error_code == "invalid_argument"
    with pytest.raises(CanonError):
        AddressBookClient(None, transfer_password="caf\u00e9")      # type: ignore[arg-type]


def test_import_errors_mask_entry_passwords():
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import device as addressbook_device

    exc = CanonError("addressbook_import_failed", "entry 1 ('Scans'): password Hunter-2-x is refused",
                     device_message="password Hunter-2-x")
    masked = addressbook_device._scrubbed(exc, addressbook_device._plaintext_secrets(
        [{"type": "file", "name": "Scans", "password": "Hunter-2-x"}]))
    assert "Hunter-2-x" not in str(masked) and "Hunter-2-x" not in repr(masked.details)
    assert masked.error_code == "addressbook_import_failed" and ab.MASK in masked.msg


# =============================================================================================
# Measurement
# =============================================================================================
def test_reading_a_full_type_i_book(sim):
    """1,600 address-list entries + 200 one-touch buttons: every list read and parsed (timed)."""
    started = time.monotonic()
    with RemoteUiSession(opts(sim, "full")) as rui:
        client = AddressBookClient(rui)
        info = client.info()
        names = list(ab.manageable_lists(info.book_type))
        book = client.read_lists(names)
        requests_made = rui.request_count
    elapsed = time.monotonic() - started
    assert sum(len(book["address_list_%d" % n]) for n in range(1, 11)) == FULL_LISTS * FULL_PER_LIST
    assert len(book["one_touch"]) == FULL_ONE_TOUCH
    expected = full_type_i_book()
    assert comparable_list(book["address_list_7"], "address_list_7") == comparable_list(
        expected["address_list_7"], "address_list_7")
    print("\nfull Type I book: %d entries in %d lists read in %.2f s with %d HTTP requests"
          % (sum(len(v) for v in book.values()), len(book), elapsed, requests_made))
