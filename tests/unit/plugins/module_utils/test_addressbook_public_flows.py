"""The address-book client on the public Remote UI flows, against the simulator (issue 17).

What is proven here: the login fills whichever public login form the device serves (and refuses an
unknown one without sending credentials); a default run touches only public paths on a classic device;
a one-entry change is one request chain; the portal pacing is kept (and a client that does not keep
it is refused); the classic list pages (adrsList) agree with the LDIF read; the receive restriction is
detected from the device's refusal with the menu path as hint. Devices on 127.170.<worker>.x.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import (
    AddressBookClient, parse_adrs_list, parse_portal_list)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiOptions, RemoteUiSession, login_fields)
from tests.integration.simfleet import SimulatedFleet, worker_octet

NET = "127.170.%d" % worker_octet(10)
CREDS = {"system_manager_id": "5500771", "system_manager_pin": "pin-7781-X"}
DEVICES = {
    "classic": ("ir-adv-c5535-iii", {}),
    "classic_unknown": ("ir-adv-c5535-iii", {"login_form": "unknown"}),
    "i2101": ("mf642c", {"login_form": "i2101"}),
    "pin_only": ("lbp6670", {"login_form": "pin_only"}),
    "portal_unknown": ("mf642c", {"login_form": "unknown"}),
    "paced": ("mf642c", {"min_interval": 0.4}),
    "restricted": ("ir-adv-c5535-iii", {"receive_restricted": True}),
    "no_ldif": ("ir-adv-c5535-iii", {"ldif_export": False}),
    "portal_public_only": ("ir-1643if", {"info_page": False}),
}
SEED = [{"type": "email", "name": "Sales", "address": "sales@example.com"},
        {"type": "file", "name": "Scans", "protocol": "smb", "host": "fs01", "path": "in", "username": "svc",
         "password": "seed-pass-1"},
        {"type": "fax", "name": "HQ", "fax_number": "0221 555"},
        {"type": "group", "name": "Team", "members": ["Sales", "HQ"]}]


@pytest.fixture(scope="module")
def sim():
    devices = []
    for index, (key, (profile, remote_ui)) in enumerate(DEVICES.items(), start=1):
        entry: Dict[str, Any] = {"address": "%s.%d" % (NET, index), "profile": profile,
                                 "remote_ui": dict(CREDS, **remote_ui)}
        if key in ("classic", "no_ldif"):
            entry["address_book"] = {"address_list_1": SEED}
        devices.append(entry)
    fleet = SimulatedFleet({"seed": 7, "devices": devices}, port=16100)
    fleet.addresses = {key: "%s.%d" % (NET, index) for index, key in enumerate(DEVICES, start=1)}
    yield fleet
    fleet.stop()


def opts(sim, key: str, **overrides: Any) -> RemoteUiOptions:
    values: Dict[str, Any] = dict(host=sim.addresses[key], ca_path=sim.manifest["ca_cert"], timeout=10.0,
                                  busy_delay=0.05, **CREDS)
    values.update(overrides)
    return RemoteUiOptions(**values)


def rui_state(sim, key: str) -> Dict[str, Any]:
    return sim.control("GET", "/devices/%s/remote_ui" % sim.addresses[key])


def record_paths(session: RemoteUiSession) -> List[str]:
    """Wrap the session's HTTP client and keep the path of every request it sends."""
    seen: List[str] = []
    original = session._http.request

    def spy(method, url, *args, **kwargs):
        from urllib.parse import urlsplit
        seen.append("%s %s" % (method, urlsplit(url).path))
        return original(method, url, *args, **kwargs)

    session._http.request = spy
    return seen


# --------------------------------------------------------------------------- login variants --
@pytest.mark.parametrize("key", ["i2101", "pin_only"])
def test_portal_login_variants_are_filled_from_the_served_form(sim, key):
    with RemoteUiSession(opts(sim, key)) as rui:
        assert rui.logged_in and rui.flavour == pt.PORTAL and rui.login_posts == 1
    assert rui_state(sim, key)["counters"]["logins_ok"] >= 1


@pytest.mark.parametrize("key", ["classic_unknown", "portal_unknown"])
def test_unknown_login_form_names_its_fields_and_sends_no_credentials(sim, key):
    with pytest.raises(CanonError) as err:
        with RemoteUiSession(opts(sim, key)):
            pass
    assert err.value.error_code == "rui_login_form_unknown"
    assert err.value.details["fields"] and CREDS["system_manager_pin"] not in str(err.value)
    state = rui_state(sim, key)["counters"]
    assert state["logins_ok"] == state["logins_failed"] == 0          # nothing was posted


def form(fields, **values):
    return {"name": "", "action": "/x", "method": "post", "seen": list(fields),
            "fields": dict({name: "" for name in fields}, **values)}


def test_login_fields_of_each_public_variant():
    manager = RemoteUiOptions(host="h", system_manager_id="ID1", system_manager_pin="PIN1")
    classic = login_fields(form(["uri", "user_type_generic", "loginType", "deptid", "password", "password2"],
                                uri="/", loginType="admin"), manager)
    assert classic == {"uri": "/", "user_type_generic": "", "loginType": "admin", "deptid": "ID1",
                       "password": "PIN1", "password2": ""}
    assert login_fields(form(["iToken", "i0012", "i0014", "i0016", "i0017", "i2101"], i0012="1"), manager) == {
        "iToken": "", "i0012": "1", "i0014": "ID1", "i0016": "PIN1"}
    assert login_fields(form(["i0012", "i0019", "i2101"]), manager) == {"i0012": "1", "i0019": "ID1", "i2101": "PIN1"}
    assert login_fields(form(["iToken", "i0016"]), manager) == {"iToken": "", "i0016": "PIN1"}
    assert login_fields(form(["loginM", "0000", "0001", "0002"], **{"0000": "0010"}), manager) == {
        "loginM": "", "0000": "0010", "0001": "ID1", "0002": "PIN1"}
    user = RemoteUiOptions(host="h", auth_method="user", password="upw")
    assert login_fields(form(["i0012", "i0014", "i0016", "i0017", "i2101"], i0012="1"), user) == {
        "i0017": "2", "i2101": "upw"}
    with pytest.raises(CanonError) as err:
        login_fields(form(["USERNAME", "PASSWORD_T"]), manager)
    assert err.value.error_code == "rui_login_form_unknown" and "PASSWORD_T" in err.value.msg


# --------------------------------------------------------------------------- classic public flows --
def test_default_run_on_classic_touches_only_public_paths_and_one_change_is_one_chain(sim):
    public = {"%s %s" % (e.method, e.path) for e in pt.CLASSIC_ENDPOINTS.values() if e.source == pt.PUBLIC}
    public |= {"GET /", "POST /login", "POST %s" % pt.CLASSIC_PASSWORD_NAG.path}
    with RemoteUiSession(opts(sim, "classic")) as rui:
        paths = record_paths(rui)
        client = AddressBookClient(rui)
        book = client.read_lists(["address_list_1"])["address_list_1"]
        assert [e["name"] for e in book] == [e["name"] for e in SEED]
        assert not isinstance(book[1]["password"], str)           # never read back
        sent = len(paths)
        changed = [dict(e, address="sales2@example.com") if e["name"] == "Sales" else e for e in book]
        assert client.write_list("address_list_1", changed) == "address_list_1: 0 created, 1 changed, 0 deleted"
        chain = paths[sent:]
        assert [p.split(" ")[1] for p in chain] == ["/rps/alframe.cgi", "/rps/aprop.cgi", "/rps/amodadrs.cgi",
                                                    "/rps/alframe.cgi"]
        # the list pages (asublist -> alframe -> albody) agree with the LDIF read
        rui.get_page("list_frame", {pt.CLASSIC_LIST_ID_FIELD: "1"})
        body = rui.post_form("list_body", dict(pt.CLASSIC_LIST_BODY_FIELDS, **{pt.CLASSIC_LIST_ID_FIELD: "1"}))
        listed = parse_adrs_list(body)
        assert [(kind, name) for _i, kind, name, _a in listed] == [(e["type"], e["name"]) for e in SEED]
        assert listed[0][3] == "sales2@example.com"
    assert set(paths) <= public | {"GET %s" % pt.CLASSIC_ENDPOINTS["logout"].path}, set(paths) - public
    stored = {e["name"]: e for e in rui_state(sim, "classic")["address_book"]["address_list_1"]}
    assert stored["Scans"]["password"] == "seed-pass-1" and stored["Sales"]["address"] == "sales2@example.com"


def test_restriction_is_detected_from_the_refusal_with_the_menu_path(sim):
    with RemoteUiSession(opts(sim, "restricted")) as rui:
        client = AddressBookClient(rui)
        with pytest.raises(CanonError) as err:
            client.read_lists(["address_list_1"])
    assert err.value.error_code == "feature_restricted"
    assert "Restrict Receiving for Each Function > Address Book" in err.value.hint


# --------------------------------------------------------------------------- portal pacing --
def test_portal_pacing_is_kept_and_a_faster_client_is_refused(sim):
    with pytest.raises(CanonError) as err:
        with RemoteUiSession(opts(sim, "paced", busy_retries=0)) as rui:
            AddressBookClient(rui).read_lists(["coded_dial"])
    assert err.value.error_code == "device_busy" and "Too many requests" in err.value.msg
    time.sleep(0.5)                          # the device counts from the last request it saw
    with RemoteUiSession(opts(sim, "paced", min_interval=0.45, busy_retries=0)) as rui:
        client = AddressBookClient(rui)
        client.write_list("favorites", [{"type": "email", "name": "Help", "number": 2, "address": "h@example.com"}])
        rows = parse_portal_list(rui.get_page("favorites"))
        assert [(slot, kind, name) for slot, kind, name, _a in rows if kind] == [(2, "email", "Help")]
        assert rui.paced_seconds > 0.3 * (rui.request_count - 1)
    assert rui_state(sim, "paced")["counters"]["paced_refusals"] >= 1


def test_portal_email_fields_off_the_list_row_are_read_from_the_slot_page_when_declared(sim):
    declared = [{"type": "email", "name": "Desk", "number": 5, "reading": "desk", "short_name": "DSK",
                 "address": "desk@example.com"}]
    with RemoteUiSession(opts(sim, "i2101")) as rui:
        client = AddressBookClient(rui)
        client.write_list("favorites", declared)
        assert client.read_lists(["favorites"])["favorites"][0].get("reading") is None   # the row alone
        client.detail_hint = {"favorites": declared}
        again = client.read_lists(["favorites"])["favorites"][0]
        assert (again["reading"], again["short_name"]) == ("desk", "DSK")
        before = client._read["favorites"]
        assert AddressBookClient.entry_changes(client._list_spec("favorites"), before, declared) == ([], [], [])


def test_classic_without_ldif_export_reads_the_list_pages_and_property_forms(sim):
    with RemoteUiSession(opts(sim, "no_ldif")) as rui:
        paths = record_paths(rui)
        client = AddressBookClient(rui)
        book = client.read_lists(["address_list_1"])["address_list_1"]
        assert "POST /rps/albody.cgi" in paths and paths.count("POST /rps/aprop.cgi") == len(SEED)
        undeclared = [{k: v for k, v in e.items() if k != "password"} for e in SEED]   # the device keeps it
        assert AddressBookClient.entry_changes(client._list_spec("address_list_1"), client._read["address_list_1"],
                                               undeclared) == ([], [], [])
        assert by_name(book)["Scans"]["path"] == "in" and by_name(book)["Team"]["members"] == ["Sales", "HQ"]


def by_name(entries):
    return {entry["name"]: entry for entry in entries}


def test_portal_book_facts_come_from_the_public_list_pages(sim):
    with RemoteUiSession(opts(sim, "portal_public_only")) as rui:
        paths = record_paths(rui)
        client = AddressBookClient(rui)
        client.write_list("address_book", [{"type": "email", "name": "Zero", "number": 1, "address": "z@example.com"}])
        info = client.info(refresh=True)
    assert info.book_type == "III" and info.lists == {"address_book": (1, 300), "one_touch_speed_dial": (0, 200)}
    assert info.workflow_count is None                  # no public page tells: the acknowledgement is asked
    assert all(e.source == pt.PUBLIC for e in pt.PORTAL_ENDPOINTS.values()
               if "%s %s" % (e.method, e.path) in paths and "a_info" not in e.path)
