"""The simulated Remote UI, driven over HTTP(S) with ``requests`` as a browser or script would.

One simulator process per module (``SimulatedFleet``) on this worker's part of 127.130.0.0/16;
each scenario uses its own device so the tests do not depend on their order.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import ssl
import time
import urllib.error
import warnings
from typing import Any, Dict, List, Optional

import pytest
import requests
from requests.adapters import HTTPAdapter

from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import parse_device_ldif
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (SnmpClient, SnmpCredentials,
                                                                                      SnmpTarget, integer)
from tests.integration.simfleet import SimulatedFleet, worker_octet

NET = "127.130.%d" % worker_octet(0)
SNMP_PORT = 16100
ID, PIN = pt.DEFAULT_SYSTEM_MANAGER_ID, pt.DEFAULT_SYSTEM_MANAGER_PIN
CE, PE = pt.CLASSIC_ENDPOINTS, pt.PORTAL_ENDPOINTS

CLASSIC_A = NET + ".1"      # navigation, CSV, LDIF
CLASSIC_LOCK = NET + ".2"   # lockout, own credentials
PORTAL_A = NET + ".3"       # login, iToken, e-mail flow, workflows
PORTAL_LOCK = NET + ".4"
PORTAL_LEGACY = NET + ".5"  # TLS 1.0 only
TYPE3 = NET + ".6"
NO_BOOK = NET + ".7"        # lbp6670
SCRATCH = NET + ".8"        # busy, starting, restart, power
NO_FAX = NET + ".9"         # mf642c without the fax board
CLASSIC_B = NET + ".10"     # capacities of Type I
PORTAL_B = NET + ".11"      # capacities of Type II


@pytest.fixture(scope="module")
def fleet():
    spec = {"seed": 3, "devices": [
        {"address": CLASSIC_A, "profile": "ir-adv-c5535-iii"},
        {"address": CLASSIC_LOCK, "profile": "ir-adv-c5535-iii",
         "remote_ui": {"system_manager_id": "1111", "system_manager_pin": "2222", "lockout_threshold": 3,
                       "lockout_seconds": 1.5}},
        {"address": PORTAL_A, "profile": "mf642c", "workflows": 4},
        {"address": PORTAL_LOCK, "profile": "mf642c", "remote_ui": {"lockout_threshold": 2, "lockout_seconds": 1.5}},
        {"address": PORTAL_LEGACY, "profile": "mf642c", "remote_ui": {"tls": "legacy"}},
        {"address": TYPE3, "profile": "ir-1643if"},
        {"address": NO_BOOK, "profile": "lbp6670"},
        {"address": SCRATCH, "profile": "ir-adv-c5535-iii", "restart_seconds": 0.3},
        {"address": NO_FAX, "profile": "mf642c", "fax": False},
        {"address": CLASSIC_B, "profile": "ir-adv-c5535-iii"},
        {"address": PORTAL_B, "profile": "mf642c"},
    ]}
    sim = SimulatedFleet(spec, port=SNMP_PORT)
    yield sim
    sim.stop()


# ----------------------------------------------------------------------------- helpers ------
def rui(fleet, address: str) -> Dict[str, Any]:
    return fleet.control("GET", "/devices/%s/remote_ui" % address)


def set_rui(fleet, address: str, **body: Any) -> Dict[str, Any]:
    return fleet.control("POST", "/devices/%s/remote_ui" % address, body)


def base_url(fleet, address: str, https: bool = False) -> str:
    ports = fleet.device(address)["http_ports"]
    return "%s://%s:%d" % ("https" if https else "http", address, ports[1] if https else ports[0])


def field_value(html: str, name: str) -> Optional[str]:
    match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    return match.group(1) if match else None


class Browser:
    """A requests session that sends the last HTML page as Referer, like a browser."""

    def __init__(self, base: str, verify: Any = True) -> None:
        self.base = base
        self.http = requests.Session()
        self.verify = verify
        self.last: Optional[str] = None

    def _headers(self, referer: Any) -> Dict[str, str]:
        value = self.last if referer is True else referer
        return {"Referer": value} if value else {}

    def get(self, path: str, params: Optional[Dict[str, str]] = None, referer: Any = True) -> requests.Response:
        r = self.http.get(self.base + path, params=params, headers=self._headers(referer), verify=self.verify,
                          timeout=10)
        if "text/html" in r.headers.get("Content-Type", ""):
            self.last = r.url
        return r

    def post(self, path: str, data: Optional[Dict[str, str]] = None, files: Any = None, referer: Any = True,
             follow: bool = True) -> requests.Response:
        r = self.http.post(self.base + path, data=data, files=files, headers=self._headers(referer),
                           verify=self.verify, timeout=10, allow_redirects=follow)
        if r.history and "text/html" in r.headers.get("Content-Type", ""):
            self.last = r.url
        return r


def classic_login(fleet, address: str, ident: str = ID, pin: str = PIN) -> Browser:
    b = Browser(base_url(fleet, address))
    assert b.get(CE["top"].path).status_code == 200
    r = b.post(CE["login"].path, {pt.CLASSIC_LOGIN_FIELDS["uri"]: "/", pt.CLASSIC_LOGIN_FIELDS["id"]: ident,
                                  pt.CLASSIC_LOGIN_FIELDS["pin"]: pin})
    assert r.history and r.history[0].status_code == 302, r.text
    return b


def nativetop(b: Browser, tag: str = "address_book") -> requests.Response:
    return b.get(CE["nativetop"].path, dict(pt.CLASSIC_NATIVETOP_QUERY, **{
        pt.CLASSIC_PAGE_TAG_FIELD: pt.CLASSIC_PAGE_TAGS[tag], pt.CLASSIC_CACHE_BUSTER_FIELD: "1"}))


def classic_open_book(fleet, address: str) -> tuple:
    """Login, indicate, nativetop, asublist: (browser, Token)."""
    b = classic_login(fleet, address)
    assert b.get(CE["indicate"].path).status_code == 200
    assert nativetop(b).status_code == 200
    r = b.get(CE["address_lists"].path, dict(pt.CLASSIC_ADDRESS_LIST_QUERY))
    token = field_value(r.text, pt.CLASSIC_TOKEN_FIELD)
    assert token, r.text
    return b, token


def portal_login(fleet, address: str, https: bool = False, ident: str = ID, pin: str = PIN) -> Browser:
    b = Browser(base_url(fleet, address, https), verify=fleet.manifest["ca_cert"])
    b.get(PE["top"].path)
    mode_field, mode_value = pt.PORTAL_LOGIN_FIELDS["mode_manager"]
    r = b.post(PE["login"].path, {mode_field: mode_value, pt.PORTAL_LOGIN_FIELDS["id"]: ident,
                                  pt.PORTAL_LOGIN_FIELDS["pin"]: pin})
    assert r.history and r.history[0].headers["Location"] == pt.PORTAL_LOGIN_SUCCESS_PATH, r.text
    return b


def portal_io_token(b: Browser) -> str:
    r = b.get(PE["io_page"].path)
    token = field_value(r.text, pt.PORTAL_TOKEN_FIELD)
    assert token and token.isdigit(), r.text
    return token


def export_fields(list_name: str, password: Optional[str] = None) -> Dict[str, str]:
    return {pt.ABOOK_LIST_FIELD: list_name, pt.ABOOK_ENCRYPT_FIELD: "1" if password else "0",
            pt.ABOOK_PASSWORD_FIELD: password or ""}


def import_parts(list_name: str, mode: str, csv_text: str, password: str = "") -> tuple:
    data = {pt.ABOOK_LIST_FIELD: list_name, pt.ABOOK_MODE_FIELD: mode, pt.ABOOK_PASSWORD_FIELD: password}
    files = {pt.ABOOK_FILE_FIELD: ("book.csv", csv_text.encode("utf-8"), "text/csv")}
    return data, files


def classic_import(b: Browser, token: str, list_name: str, mode: str, csv_text: str,
                   password: str = "") -> requests.Response:
    data, files = import_parts(list_name, mode, csv_text, password)
    data[pt.CLASSIC_TOKEN_FIELD] = token
    return b.post(CE["csv_import"].path, data, files=files)


def classic_export(b: Browser, token: str, list_name: str, password: Optional[str] = None) -> requests.Response:
    return b.post(CE["csv_export"].path, dict(export_fields(list_name, password), **{pt.CLASSIC_TOKEN_FIELD: token}))


def portal_import(b: Browser, list_name: str, mode: str, csv_text: str) -> requests.Response:
    token = portal_io_token(b)
    data, files = import_parts(list_name, mode, csv_text)
    data[pt.PORTAL_TOKEN_FIELD] = token
    return b.post(PE["csv_import"].path, data, files=files)


def portal_export(b: Browser, list_name: str, password: Optional[str] = None) -> requests.Response:
    token = portal_io_token(b)
    return b.post(PE["csv_export"].path, dict(export_fields(list_name, password), **{pt.PORTAL_TOKEN_FIELD: token}))


def csv_of(entries: List[Dict[str, Any]], one_touch: bool = False) -> str:
    return abook_csv.render_canon_csv(entries, list_title="test", one_touch=one_touch)


def emails(n: int, start: int = 1, numbered: bool = False, prefix: str = "user") -> List[Dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        entry = {"type": "email", "name": "%s%d" % (prefix, i), "address": "%s%d@example.com" % (prefix, i)}
        if numbered:
            entry["number"] = i
        out.append(entry)
    return out


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met within %ss" % timeout)


def restart_and_wait(fleet, address: str) -> None:
    fleet.act(address, "restart", seconds=0.3)
    wait_until(lambda: not fleet.state(address)["restarting"])


# ----------------------------------------------------------------------------- manifest -----
def test_manifest_has_ports_credentials_and_the_ca(fleet):
    with open(fleet.manifest["ca_cert"], encoding="ascii") as fh:
        assert fh.read().startswith("-----BEGIN CERTIFICATE-----")
    assert fleet.device(CLASSIC_A)["http_ports"] == [8000, 8443]
    assert fleet.device(PORTAL_A)["http_ports"] == [pt.SIMULATOR_PORT_MAP[80], pt.SIMULATOR_PORT_MAP[443]]
    assert fleet.device(TYPE3)["remote_ui"]["address_book_type"] == "III"
    assert fleet.device(CLASSIC_LOCK)["remote_ui"]["system_manager_id"] == "1111"
    assert fleet.device(NO_BOOK)["remote_ui"]["address_book_type"] is None


# ----------------------------------------------------------------------------- login --------
def test_classic_login_success_and_failure(fleet):
    b = Browser(base_url(fleet, CLASSIC_A))
    r = b.get(CE["top"].path)
    assert pt.CLASSIC_SESSION_COOKIE in r.cookies
    fields = pt.CLASSIC_LOGIN_FIELDS
    bad = b.post(CE["login"].path, {fields["uri"]: "/", fields["id"]: ID, fields["pin"]: "0000000"}, follow=False)
    assert bad.status_code == 200 and pt.LOGIN_FAILED_TEXT in bad.text
    good = b.post(CE["login"].path, {fields["uri"]: "/", fields["id"]: ID, fields["pin"]: PIN}, follow=False)
    # the factory PIN: the device shows its default-password nag first (CN2), answered with conf=no
    assert good.status_code == 302 and good.headers["Location"] == pt.CLASSIC_PASSWORD_NAG.path
    assert pt.CLASSIC_SESSION_COOKIE in good.cookies
    assert good.cookies[pt.CLASSIC_SESSION_COOKIE] != r.cookies[pt.CLASSIC_SESSION_COOKIE]
    nag = b.post(pt.CLASSIC_PASSWORD_NAG.path, {"conf": "no"}, follow=False)
    assert nag.status_code == 302 and nag.headers["Location"] == CE["top"].path
    assert rui(fleet, CLASSIC_A)["counters"]["password_nag"] >= 1


def test_classic_lockout_refuses_even_the_right_pin_until_it_ends(fleet):
    b = Browser(base_url(fleet, CLASSIC_LOCK))
    b.get(CE["top"].path)
    fields = pt.CLASSIC_LOGIN_FIELDS

    def attempt(pin: str) -> requests.Response:
        return b.post(CE["login"].path, {fields["uri"]: "/", fields["id"]: "1111", fields["pin"]: pin}, follow=False)

    # the default 7654321 is not this device's PIN (spec override)
    assert pt.LOGIN_FAILED_TEXT in attempt(PIN).text
    set_rui(fleet, CLASSIC_LOCK, clear_lockout=True)
    for _ in range(3):
        assert pt.LOGIN_FAILED_TEXT in attempt("9999").text
    state = rui(fleet, CLASSIC_LOCK)["lockout"]
    assert state["locked"] and state["failures"] == 3
    for _ in range(2):
        locked = attempt("2222")
        assert locked.status_code == 200 and pt.LOCKED_OUT_TEXT in locked.text
    time.sleep(state["remaining"] + 0.1)
    assert attempt("2222").status_code == 302
    counters = rui(fleet, CLASSIC_LOCK)["counters"]
    assert counters["logins_locked_out"] == 2 and counters["logins_ok"] == 1
    # a success resets the count of consecutive failures
    assert pt.LOGIN_FAILED_TEXT in attempt("9999").text
    assert attempt("2222").status_code == 302
    assert rui(fleet, CLASSIC_LOCK)["lockout"]["failures"] == 0


def test_portal_login_success_and_failure(fleet):
    b = Browser(base_url(fleet, PORTAL_A))
    r = b.get(PE["top"].path)
    assert {pt.PORTAL_LANGUAGE_COOKIE, pt.PORTAL_SESSION_COOKIE} <= set(r.cookies.keys())
    mode_field, mode_value = pt.PORTAL_LOGIN_FIELDS["mode_manager"]
    bad = b.post(PE["login"].path, {mode_field: mode_value, pt.PORTAL_LOGIN_FIELDS["id"]: ID,
                                    pt.PORTAL_LOGIN_FIELDS["pin"]: "1"}, follow=False)
    assert bad.status_code == 200
    assert 'name="%s"' % pt.PORTAL_LOGIN_FIELDS["password"] in bad.text and pt.LOGIN_FAILED_TEXT in bad.text
    good = b.post(PE["login"].path, {mode_field: mode_value, pt.PORTAL_LOGIN_FIELDS["id"]: ID,
                                     pt.PORTAL_LOGIN_FIELDS["pin"]: PIN}, follow=False)
    assert good.status_code == 302 and good.headers["Location"] == pt.PORTAL_LOGIN_SUCCESS_PATH
    top = b.get(PE["portal_top"].path)
    assert top.status_code == 200 and "Device Status" in top.text
    # logged out, the pages answer "session expired"
    b.get(PE["logout"].path)
    assert pt.SESSION_EXPIRED_TEXT in b.get(PE["portal_top"].path).text


def test_portal_lockout_and_recovery(fleet):
    b = Browser(base_url(fleet, PORTAL_LOCK))
    b.get(PE["top"].path)
    mode_field, mode_value = pt.PORTAL_LOGIN_FIELDS["mode_manager"]

    def attempt(pin: str) -> requests.Response:
        return b.post(PE["login"].path, {mode_field: mode_value, pt.PORTAL_LOGIN_FIELDS["id"]: ID,
                                         pt.PORTAL_LOGIN_FIELDS["pin"]: pin}, follow=False)

    assert pt.LOGIN_FAILED_TEXT in attempt("1").text
    assert pt.LOGIN_FAILED_TEXT in attempt("2").text
    for _ in range(3):
        r = attempt(PIN)
        assert r.status_code == 200 and pt.LOCKED_OUT_TEXT in r.text
    wait_until(lambda: not rui(fleet, PORTAL_LOCK)["lockout"]["locked"], timeout=3)
    assert attempt(PIN).status_code == 302


# ----------------------------------------------------------------------------- navigation ---
def test_classic_rps_pages_need_nativetop_cookie_and_referer_of_the_last_page(fleet):
    b = classic_login(fleet, CLASSIC_A)
    lists = CE["address_lists"].path
    # straight to the page, without the nativetop hop (no iR cookie)
    assert pt.SESSION_EXPIRED_TEXT in b.get(lists, dict(pt.CLASSIC_ADDRESS_LIST_QUERY)).text
    b.get(CE["indicate"].path)
    top = nativetop(b)
    assert pt.CLASSIC_CONTEXT_COOKIE in top.cookies
    # no Referer, then a Referer naming another page: both expired
    assert pt.SESSION_EXPIRED_TEXT in b.get(lists, referer=False).text
    nativetop(b)
    assert pt.SESSION_EXPIRED_TEXT in b.get(lists, referer=base_url(fleet, CLASSIC_A) + "/").text
    nativetop(b)
    page = b.get(lists, dict(pt.CLASSIC_ADDRESS_LIST_QUERY))
    token = field_value(page.text, pt.CLASSIC_TOKEN_FIELD)
    assert token and 'data-list="address_list_1"' in page.text
    # a POST (export) does not change the last page: the next page still names asublist
    assert classic_export(b, token, "address_list_1").headers["Content-Type"].startswith("text/csv")
    info = b.get(CE["book_info"].path)
    assert "<tr><th>book_type</th><td>I</td></tr>" in info.text
    # now the last page is abookinfo.cgi: a Referer of asublist is stale
    stale = b.http.post(b.base + CE["csv_export"].path, data=dict(export_fields("address_list_1"), Token=token),
                        headers={"Referer": b.base + lists})
    assert pt.SESSION_EXPIRED_TEXT in stale.text
    assert classic_export(b, token, "address_list_1").status_code == 200
    # without the iR cookie the rule fails too
    b.http.cookies.set(pt.CLASSIC_CONTEXT_COOKIE, "forged")
    assert pt.SESSION_EXPIRED_TEXT in classic_export(b, token, "address_list_1").text


def test_classic_token_rotates_with_each_address_list_page(fleet):
    b, first = classic_open_book(fleet, CLASSIC_A)
    nativetop(b)
    second = field_value(b.get(CE["address_lists"].path).text, pt.CLASSIC_TOKEN_FIELD)
    assert second and second != first
    stale = classic_export(b, first, "address_list_1")
    assert stale.status_code == 200 and "invalid token" in stale.text.lower()
    assert "invalid token" in b.post(CE["csv_export"].path, export_fields("address_list_1")).text.lower()
    assert classic_export(b, second, "address_list_1").headers["Content-Type"].startswith("text/csv")


def test_portal_itoken_is_fresh_per_form_page_and_stale_tokens_fail(fleet):
    b = portal_login(fleet, PORTAL_A)
    first = portal_io_token(b)
    second = portal_io_token(b)
    assert first != second
    fields = export_fields("coded_dial")
    stale = b.post(PE["csv_export"].path, dict(fields, **{pt.PORTAL_TOKEN_FIELD: first}))
    assert "invalid token" in stale.text.lower()
    assert "invalid token" in b.post(PE["csv_export"].path, fields).text.lower()
    ok = b.post(PE["csv_export"].path, dict(fields, **{pt.PORTAL_TOKEN_FIELD: second}))
    assert ok.text.startswith("# Canon AddressBook CSV version: 0x0002")
    # a page without a form (book info) keeps the current token
    info = b.get(PE["book_info"].path)
    assert "iToken" not in info.text and 'data-list="favorites"' in info.text
    again = b.post(PE["csv_export"].path, dict(fields, **{pt.PORTAL_TOKEN_FIELD: second}))
    assert again.status_code == 200 and again.text.startswith("# Canon")


# ----------------------------------------------------------------------------- TLS ----------
class LegacyTlsAdapter(HTTPAdapter):
    def __init__(self, cafile: str) -> None:
        self.cafile = cafile
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx = ssl.create_default_context(cafile=self.cafile)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        kwargs["ssl_context"] = ctx
        super().init_poolmanager(*args, **kwargs)


def tls_version(address: str, port: int, cafile: str, legacy: bool) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.create_default_context(cafile=cafile)
        if legacy:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection((address, port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=address) as tls:
            return tls.version()


def test_https_verifies_with_the_manifest_ca(fleet):
    ca = fleet.manifest["ca_cert"]
    r = requests.get(base_url(fleet, CLASSIC_A, https=True) + "/", verify=ca, timeout=10)
    assert r.status_code == 200 and pt.CLASSIC_SESSION_COOKIE in r.cookies
    b = portal_login(fleet, TYPE3, https=True)
    assert b.get(PE["portal_top"].path).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(base_url(fleet, PORTAL_A, https=True) + "/", timeout=10)   # system CAs do not know it
    port = fleet.device(PORTAL_A)["http_ports"][1]
    assert tls_version(PORTAL_A, port, ca, legacy=False) in ("TLSv1.2", "TLSv1.3")


def test_legacy_device_speaks_tls_1_0_only(fleet):
    ca = fleet.manifest["ca_cert"]
    url = base_url(fleet, PORTAL_LEGACY, https=True) + "/"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, verify=ca, timeout=10)
    session = requests.Session()
    session.mount("https://", LegacyTlsAdapter(ca))
    r = session.get(url, verify=ca, timeout=10)
    assert r.status_code == 200 and pt.PORTAL_SESSION_COOKIE in r.cookies
    port = fleet.device(PORTAL_LEGACY)["http_ports"][1]
    assert tls_version(PORTAL_LEGACY, port, ca, legacy=True) == "TLSv1"
    # the control API switches the device to modern TLS at once
    set_rui(fleet, PORTAL_LEGACY, tls="modern")
    try:
        assert requests.get(url, verify=ca, timeout=10).status_code == 200
    finally:
        set_rui(fleet, PORTAL_LEGACY, tls="legacy")


# ----------------------------------------------------------------------------- device states -
def test_busy_device_logs_in_but_refuses_book_pages_and_transfers(fleet):
    b, token = classic_open_book(fleet, SCRATCH)
    set_rui(fleet, SCRATCH, busy="address_list_open")
    try:
        assert pt.BUSY_REASONS["address_list_open"] in classic_export(b, token, "address_list_1").text
        assert pt.BUSY_REASONS["address_list_open"] in classic_import(
            b, token, "address_list_1", "append", csv_of(emails(1))).text
        other = classic_login(fleet, SCRATCH)          # login still works
        other.get(CE["indicate"].path)
        nativetop(other)
        assert pt.BUSY_REASONS["address_list_open"] in other.get(CE["address_lists"].path).text
        set_rui(fleet, SCRATCH, busy="remote_session")
        assert pt.BUSY_REASONS["remote_session"] in classic_export(b, token, "address_list_1").text
        with pytest.raises(urllib.error.HTTPError):
            set_rui(fleet, SCRATCH, busy="coffee_break")
    finally:
        set_rui(fleet, SCRATCH, busy=None)
    assert classic_export(b, token, "address_list_1").text.startswith("# Canon AddressBook CSV")


def test_power_off_and_restart_close_connections_then_starting_pages(fleet):
    url = base_url(fleet, SCRATCH) + "/"
    fleet.act(SCRATCH, "power", on=False)
    try:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(base_url(fleet, SCRATCH, https=True) + "/", verify=fleet.manifest["ca_cert"], timeout=5)
    finally:
        fleet.act(SCRATCH, "power", on=True)
    assert requests.get(url, timeout=5).status_code == 200
    set_rui(fleet, SCRATCH, starting_seconds=0.8)
    try:
        fleet.act(SCRATCH, "restart", seconds=0.3)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url, timeout=5)
        wait_until(lambda: not fleet.state(SCRATCH)["restarting"])
        r = requests.get(url, timeout=5)
        assert r.status_code == 200 and pt.STARTING_TEXT in r.text
        assert rui(fleet, SCRATCH)["starting"] is True
        wait_until(lambda: pt.STARTING_TEXT not in requests.get(url, timeout=5).text, timeout=3)
    finally:
        set_rui(fleet, SCRATCH, starting_seconds=0)
    # a sleeping device still answers HTTP
    fleet.act(SCRATCH, "sleep", on=True)
    try:
        assert requests.get(url, timeout=5).status_code == 200
    finally:
        fleet.act(SCRATCH, "sleep", on=False)


def snmp_set_restricted(address: str, value: int, community: str) -> None:
    target = SnmpTarget(address, SNMP_PORT, SnmpCredentials(version="1", community=community), timeout=2, retries=1)

    async def run() -> None:
        async with SnmpClient() as client:
            await client.set(target, [(pt.RESTRICT_ADDRESS_BOOK_RECEIVE_OID, integer(value))])

    asyncio.run(run())


def test_receive_restriction_set_over_snmp_takes_effect_after_restart(fleet):
    with pytest.raises(CanonError) as refused:
        snmp_set_restricted(SCRATCH, 1, "public")            # read-only community
    assert refused.value.error_code == "snmp_not_writable"
    snmp_set_restricted(SCRATCH, 1, "canon_admin")
    state = rui(fleet, SCRATCH)
    assert state["receive_restricted"] is True and state["restricted"] is False
    b, token = classic_open_book(fleet, SCRATCH)
    assert classic_export(b, token, "address_list_1").text.startswith("# Canon")      # not yet in effect
    restart_and_wait(fleet, SCRATCH)
    try:
        assert rui(fleet, SCRATCH)["restricted"] is True
        b, token = classic_open_book(fleet, SCRATCH)                                     # sessions ended
        assert pt.RESTRICTED_TEXT in classic_export(b, token, "address_list_1").text
        assert pt.RESTRICTED_TEXT in classic_import(b, token, "address_list_1", "append", csv_of(emails(1))).text
        info = b.get(CE["book_info"].path)
        assert "<tr><th>receive_restricted</th><td>true</td></tr>" in info.text
        # switched back with the control API: again only after a restart
        set_rui(fleet, SCRATCH, receive_restricted=False)
        assert pt.RESTRICTED_TEXT in classic_export(b, token, "address_list_1").text
    finally:
        set_rui(fleet, SCRATCH, receive_restricted=False)
        restart_and_wait(fleet, SCRATCH)
    b, token = classic_open_book(fleet, SCRATCH)
    assert classic_export(b, token, "address_list_1").text.startswith("# Canon")


# ----------------------------------------------------------------------------- CSV ----------
SAMPLE = [
    {"type": "email", "name": "Alice", "address": "alice@example.com"},
    {"type": "fax", "name": "Head office", "fax_number": "0123 456 789", "ecm": True},
    {"type": "file", "name": "Scans", "protocol": "smb", "host": "fileserver", "path": "/scans",
     "username": "scanner", "password": "s3cret"},
    {"type": "group", "name": "Team", "members": ["Alice", "Head office"]},
]


def test_classic_csv_export_import_round_trip(fleet):
    set_rui(fleet, CLASSIC_A, address_book={"address_list_1": SAMPLE, "address_list_2": []})
    b, token = classic_open_book(fleet, CLASSIC_A)
    plain = classic_export(b, token, "address_list_1")
    assert plain.headers["Content-Type"].startswith("text/csv")
    parsed = abook_csv.parse_canon_csv(plain.content)
    assert [e["name"] for e in parsed.entries] == ["Alice", "Head office", "Scans", "Team"]
    assert not parsed.encrypted and "password" not in parsed.entries[2]      # no ENCRYPT: no passwords
    secret = classic_export(b, token, "address_list_1", password="export-pass")
    assert "# Crypto Version: 2" in secret.text and "s3cret" not in secret.text
    decrypted = abook_csv.parse_canon_csv(secret.content, export_password="export-pass")
    assert decrypted.entries[2]["password"] == "s3cret"
    r = classic_import(b, token, "address_list_2", "overwrite", secret.text, password="export-pass")
    assert pt.IMPORT_OK_TEXT in r.text
    book = rui(fleet, CLASSIC_A)["address_book"]
    assert book["address_list_2"] == book["address_list_1"]
    assert book["address_list_2"][2]["password"] == "s3cret"
    # append adds, overwrite replaces
    assert pt.IMPORT_OK_TEXT in classic_import(b, token, "address_list_2", "append", csv_of(emails(2))).text
    assert len(rui(fleet, CLASSIC_A)["address_book"]["address_list_2"]) == 6
    assert pt.IMPORT_OK_TEXT in classic_import(b, token, "address_list_2", "overwrite", csv_of(emails(2))).text
    assert [e["name"] for e in rui(fleet, CLASSIC_A)["address_book"]["address_list_2"]] == ["user1", "user2"]
    # Type I keeps its workflows
    assert rui(fleet, CLASSIC_A)["workflows"] == 3


def test_encrypted_import_without_password_stores_the_ciphertext(fleet):
    set_rui(fleet, CLASSIC_A, address_book={"address_list_3": SAMPLE})
    b, token = classic_open_book(fleet, CLASSIC_A)
    secret = classic_export(b, token, "address_list_3", password="pw")
    assert pt.IMPORT_OK_TEXT in classic_import(b, token, "address_list_4", "overwrite", secret.text).text
    stored = rui(fleet, CLASSIC_A)["address_book"]["address_list_4"][2]["password"]
    assert stored.startswith(abook_csv.SECRET_TOKEN_PREFIX)
    wrong = classic_import(b, token, "address_list_4", "overwrite", secret.text, password="not-it")
    assert pt.IMPORT_FAILED_TEXT in wrong.text


def test_import_is_all_or_nothing_and_names_the_bad_entries(fleet):
    set_rui(fleet, CLASSIC_A, address_book={"address_list_5": SAMPLE[:1]})
    b, token = classic_open_book(fleet, CLASSIC_A)
    bad = emails(3) + [{"type": "email", "name": "Bad\x07Bell", "address": "x@example.com"},
                       {"type": "email", "name": "N" * 25, "address": "y@example.com"}]
    r = classic_import(b, token, "address_list_5", "overwrite", csv_of(bad))
    assert pt.IMPORT_FAILED_TEXT in r.text
    assert "Bad" in r.text and "control character" in r.text and "N" * 25 in r.text and "allows 24" in r.text
    assert rui(fleet, CLASSIC_A)["address_book"]["address_list_5"] == SAMPLE[:1]
    assert rui(fleet, CLASSIC_A)["last_import"]["ok"] is False
    group = [{"type": "group", "name": "G", "members": ["nobody"]}]
    r = classic_import(b, token, "address_list_5", "append", csv_of(group))
    assert pt.IMPORT_FAILED_TEXT in r.text and "'nobody' is not in this list" in html.unescape(r.text)
    garbage = classic_import(b, token, "address_list_5", "append", "name,address\r\nx,y\r\n")
    assert pt.IMPORT_FAILED_TEXT in garbage.text


def test_type_i_capacities_total_and_one_touch_numbers(fleet):
    set_rui(fleet, CLASSIC_B, address_book={"address_list_1": emails(1590), "one_touch": []})
    b, token = classic_open_book(fleet, CLASSIC_B)
    r = classic_import(b, token, "address_list_2", "overwrite", csv_of(emails(11, prefix="x")))
    assert pt.IMPORT_FAILED_TEXT in r.text and "1601" in r.text and "1600" in r.text
    assert pt.IMPORT_OK_TEXT in classic_import(b, token, "address_list_2", "overwrite",
                                               csv_of(emails(10, prefix="x"))).text
    ok = classic_import(b, token, "one_touch", "overwrite", csv_of(emails(2, start=199, numbered=True), True))
    assert pt.IMPORT_OK_TEXT in ok.text
    over = classic_import(b, token, "one_touch", "append", csv_of(emails(1, start=201, numbered=True), True))
    assert pt.IMPORT_FAILED_TEXT in over.text and "201" in over.text
    unnumbered = classic_import(b, token, "one_touch", "append", csv_of(emails(1, prefix="n"), True))
    assert pt.IMPORT_FAILED_TEXT in unnumbered.text
    duplicate = classic_import(b, token, "one_touch", "append", csv_of(emails(1, start=199, numbered=True), True))
    assert pt.IMPORT_FAILED_TEXT in duplicate.text and "used twice" in duplicate.text
    info = b.get(CE["book_info"].path).text
    assert '<tr class="list" data-list="address_list_2"><td>10</td><td>1600</td></tr>' in info
    assert "<tr><th>total_capacity</th><td>1600</td></tr>" in info


def test_type_ii_capacities_and_number_ranges(fleet):
    set_rui(fleet, PORTAL_B, address_book={"coded_dial": [], "favorites": []})
    b = portal_login(fleet, PORTAL_B)
    too_many = portal_import(b, "favorites", "overwrite", csv_of(emails(20, numbered=True), True))
    assert pt.IMPORT_FAILED_TEXT in too_many.text and "No. 20" in too_many.text
    assert pt.IMPORT_OK_TEXT in portal_import(b, "favorites", "overwrite", csv_of(emails(19, numbered=True), True)).text
    coded = portal_import(b, "coded_dial", "overwrite", csv_of(emails(1, start=282, numbered=True)))
    assert pt.IMPORT_FAILED_TEXT in coded.text and "282" in coded.text
    long_name = [{"type": "email", "name": "x" * 17, "address": "a@b.c", "number": 1}]
    r = portal_import(b, "coded_dial", "overwrite", csv_of(long_name))
    assert pt.IMPORT_FAILED_TEXT in r.text and "allows 16" in r.text
    info = b.get(PE["book_info"].path).text
    assert '<tr class="list" data-list="coded_dial"><td>0</td><td>281</td></tr>' in info
    assert '<tr class="list" data-list="favorites"><td>19</td><td>19</td></tr>' in info
    assert "<tr><th>total_capacity</th><td></td></tr>" in info


def test_type_iii_numbers_are_off_by_one_in_the_address_book(fleet):
    b = portal_login(fleet, TYPE3)
    entries = [dict(emails(1, prefix="first")[0], number=0), dict(emails(1, prefix="last")[0], number=299)]
    assert pt.IMPORT_OK_TEXT in portal_import(b, "address_book", "overwrite", csv_of(entries)).text
    stored = rui(fleet, TYPE3)["address_book"]["address_book"]
    assert [(e["name"], e["number"]) for e in stored] == [("first1", 1), ("last1", 300)]
    exported = abook_csv.parse_canon_csv(portal_export(b, "address_book").content)
    assert [e["number"] for e in exported.entries] == [0, 299]
    out = portal_import(b, "address_book", "append", csv_of([dict(emails(1, prefix="z")[0], number=300)]))
    assert pt.IMPORT_FAILED_TEXT in out.text and "000-299" in out.text
    speed = portal_import(b, "one_touch_speed_dial", "overwrite", csv_of([dict(emails(1)[0], number=0)], True))
    assert pt.IMPORT_FAILED_TEXT in speed.text
    page = b.get(PE["coded_dial"].path).text
    assert page.count("addressListLink(") == 300 and "addressListLink(0)" in page


def test_unsupported_destination_types_are_dropped_silently(fleet):
    b = portal_login(fleet, NO_FAX)
    mixed = [
        {"type": "email", "name": "mail", "address": "m@example.com", "number": 1, "access_number": 5},
        {"type": "fax", "name": "fax", "fax_number": "123", "number": 2},
        {"type": "file", "name": "dav", "protocol": "webdav", "host": "h", "number": 3},
        {"type": "file", "name": "ftp", "protocol": "ftp", "host": "h", "username": "u", "number": 4},
        {"type": "group", "name": "all", "members": ["mail", "fax"], "number": 5},
    ]
    r = portal_import(b, "coded_dial", "overwrite", csv_of(mixed))
    assert pt.IMPORT_OK_TEXT in r.text
    stored = rui(fleet, NO_FAX)["address_book"]["coded_dial"]
    assert [e["name"] for e in stored] == ["mail", "ftp", "all"]
    assert "access_number" not in stored[0]                     # Type-I-only field not stored
    assert stored[2]["members"] == ["mail"]
    assert [d["name"] for d in rui(fleet, NO_FAX)["last_import"]["dropped"]] == ["fax", "dav"]
    info = b.get(PE["book_info"].path).text
    assert "<tr><th>destination_types</th><td>email,ifax,file,group</td></tr>" in info
    # Type III has no I-fax
    t3 = portal_login(fleet, TYPE3)
    ifax = [{"type": "ifax", "name": "if", "address": "i@example.com", "number": 7},
            {"type": "fax", "name": "fx", "fax_number": "R0123", "number": 8}]
    assert pt.IMPORT_OK_TEXT in portal_import(t3, "address_book", "append", csv_of(ifax)).text
    assert "if" not in [e["name"] for e in rui(fleet, TYPE3)["address_book"]["address_book"]]


def test_type_ii_and_iii_imports_delete_all_workflows(fleet):
    assert rui(fleet, PORTAL_A)["workflows"] == 4          # the spec's count (no other test imports here)
    b = portal_login(fleet, PORTAL_A)
    assert "<tr><th>workflow_count</th><td>4</td></tr>" in b.get(PE["book_info"].path).text
    failed = portal_import(b, "coded_dial", "append", csv_of(emails(1)))   # no number: refused
    assert pt.IMPORT_FAILED_TEXT in failed.text and rui(fleet, PORTAL_A)["workflows"] == 4
    assert pt.IMPORT_OK_TEXT in portal_import(b, "coded_dial", "append", csv_of(emails(3, start=100,
                                                                                       numbered=True))).text
    assert rui(fleet, PORTAL_A)["workflows"] == 0
    assert "<tr><th>workflow_count</th><td>0</td></tr>" in b.get(PE["book_info"].path).text
    set_rui(fleet, TYPE3, workflows=2)
    t3 = portal_login(fleet, TYPE3)
    assert pt.IMPORT_OK_TEXT in portal_import(t3, "one_touch_speed_dial", "append",
                                              csv_of(emails(1, start=50, numbered=True), True)).text
    assert rui(fleet, TYPE3)["workflows"] == 0


def test_classic_ldif_export_carries_every_entry_with_its_index_and_no_password(fleet):
    set_rui(fleet, CLASSIC_A, address_book={"address_list_6": SAMPLE})
    b, token = classic_open_book(fleet, CLASSIC_A)
    fields = dict(pt.CLASSIC_LDIF_FIELDS, **{pt.CLASSIC_LIST_ID_FIELD: "6", pt.CLASSIC_TOKEN_FIELD: token})
    r = b.post(CE["ldif_export"].path, fields)
    assert r.status_code == 200 and "\r\n" in r.text and "\n" not in r.text.replace("\r\n", "")
    parsed = parse_device_ldif(r.content)           # the client's reader against the simulator's writer
    assert [(e["type"], e["name"]) for _i, e in parsed] == [(e["type"], e["name"]) for e in SAMPLE]
    assert len({index for index, _e in parsed}) == len(SAMPLE)      # every record has its own indxid
    assert "pwd" not in r.text and "s3cret" not in r.text
    assert classic_export(b, token, "address_list_1").status_code == 200    # the POST kept the page order
    bad = b.post(CE["ldif_export"].path, dict(fields, **{pt.CLASSIC_LIST_ID_FIELD: "12"}))
    assert bad.status_code == 400
    allowed = b.post(CE["password_export"].path, {pt.CLASSIC_PASSWORD_EXPORT_FIELD: "1",
                                                  pt.CLASSIC_TOKEN_FIELD: token})
    assert allowed.status_code == 200 and rui(fleet, CLASSIC_A)["password_export_allowed"] is True


# ----------------------------------------------------------------------------- portal forms -
def test_portal_public_email_flow_registers_and_deletes_a_favourite(fleet):
    b = portal_login(fleet, PORTAL_A)
    page = b.get(PE["favorites"].path).text
    assert page.count("addressListLink(") == 19 and "/media/ad_dot.png" in page
    token = field_value(page, pt.PORTAL_TOKEN_FIELD)
    entry = pt.PORTAL_ENTRY_FIELDS
    step1 = b.post(PE["select_slot"].path, {pt.PORTAL_TOKEN_FIELD: token, entry["slot"]: "5"})
    token = field_value(step1.text, pt.PORTAL_TOKEN_FIELD)
    assert token and 'name="%s"' % entry["type"] in step1.text
    step2 = b.post(PE["new_entry"].path, {pt.PORTAL_TOKEN_FIELD: token, entry["type"]: pt.PORTAL_ENTRY_TYPE_EMAIL})
    token2 = field_value(step2.text, pt.PORTAL_TOKEN_FIELD)
    assert token2 != token and 'name="%s"' % entry["email"] in step2.text
    # the previous step's token is stale now
    stale = b.post(PE["email_register"].path, {pt.PORTAL_TOKEN_FIELD: token, entry["name"]: "Bob",
                                               entry["email"]: "bob@example.com"})
    assert "invalid token" in stale.text.lower()
    too_long = b.post(PE["email_register"].path, {pt.PORTAL_TOKEN_FIELD: token2, entry["name"]: "B" * 17,
                                                  entry["email"]: "bob@example.com"})
    assert pt.IMPORT_FAILED_TEXT in too_long.text
    done = b.post(PE["email_register"].path, {pt.PORTAL_TOKEN_FIELD: token2, entry["name"]: "Bob",
                                              entry["email"]: "bob@example.com"}, follow=False)
    assert done.status_code == 302 and done.headers["Location"] == PE["favorites"].path
    favourites = rui(fleet, PORTAL_A)["address_book"]["favorites"]
    assert {"type": "email", "name": "Bob", "address": "bob@example.com", "number": 5} in favourites
    page = b.get(PE["favorites"].path).text
    assert re.search(r'addressListLink\(5\)"><img src="/media/ad_1.png"', page)
    token = field_value(page, pt.PORTAL_TOKEN_FIELD)
    gone = b.post(PE["delete_entry"].path, {pt.PORTAL_TOKEN_FIELD: token, entry["delete_slot"]: "5"}, follow=False)
    assert gone.status_code == 302
    assert all(e.get("number") != 5 for e in rui(fleet, PORTAL_A)["address_book"]["favorites"])


def test_device_without_address_book_has_no_book_pages(fleet):
    b = portal_login(fleet, NO_BOOK)
    assert b.get(PE["portal_top"].path).status_code == 200
    for name in ("favorites", "coded_dial", "book_info", "io_page"):
        assert b.get(PE[name].path).status_code == 404
    with pytest.raises(urllib.error.HTTPError):
        fleet.control("POST", "/devices/%s/remote_ui" % NO_BOOK, {"address_book": {"coded_dial": []}})


def test_control_api_reports_and_validates(fleet):
    b = portal_login(fleet, PORTAL_B)
    assert pt.IMPORT_OK_TEXT in portal_import(b, "coded_dial", "append", csv_of(emails(1, start=200,
                                                                                       numbered=True))).text
    state = rui(fleet, PORTAL_B)
    assert state["flavour"] == pt.PORTAL and state["book_type"] == "II"
    assert set(state["address_book"]) == {"coded_dial", "favorites"}
    assert state["counters"]["imports_ok"] >= 1 and state["sessions"]
    for body in ({"tls": "ssl3"}, {"nonsense": 1}, {"address_book": {"address_list_1": []}},
                 {"lockout_threshold": -1}):
        with pytest.raises(urllib.error.HTTPError) as err:
            set_rui(fleet, PORTAL_B, **body)
        assert err.value.code == 400
    assert json.loads(json.dumps(state))      # plain JSON all the way
