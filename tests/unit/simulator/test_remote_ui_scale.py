"""Scale of the simulated Remote UI: a 1,000-device fleet starts quickly and a full Type I list
(1,600 destinations) moves through export and import in well under a second each."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest
import requests

from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv
from tests.integration.simfleet import SimulatedFleet, worker_octet

# this worker's /22 of 127.130.0.0/16 (the functional tests use 127.130.<worker>.x)
NETWORK = "127.130.%d.0/22" % (64 + 4 * worker_octet(0))
COUNT = 1000
PROFILES = ["ir-adv-c5535-iii", "mf642c", "ir-1643if", "lbp6670"]
START_LIMIT = 20.0       # seconds from process start to READY (measured about 2 s)
TRANSFER_LIMIT = 1.0     # seconds per 1,600-entry list (measured about 0.1-0.2 s)


@pytest.fixture(scope="module")
def big_fleet():
    started = time.perf_counter()
    sim = SimulatedFleet({"seed": 5, "devices": [{"count": COUNT, "network": NETWORK, "profiles": PROFILES}]})
    sim.start_seconds = time.perf_counter() - started
    yield sim
    sim.stop()


def full_list() -> List[Dict[str, Any]]:
    entries: List[Dict[str, Any]] = []
    for i in range(1600):
        kind = i % 4
        if kind == 0:
            entries.append({"type": "email", "name": "user%d" % i, "address": "user%d@example.com" % i})
        elif kind == 1:
            entries.append({"type": "fax", "name": "fax%d" % i, "fax_number": "0123 %d" % i, "ecm": True})
        elif kind == 2:
            entries.append({"type": "file", "name": "share%d" % i, "protocol": "smb", "host": "fileserver",
                            "path": "/scans/%d" % i, "username": "scanner", "password": "pw%d" % i})
        else:
            entries.append({"type": "ifax", "name": "ifax%d" % i, "address": "ifax%d@example.com" % i})
    return entries


def test_a_thousand_devices_start_quickly_and_answer(big_fleet):
    print("1,000 devices READY after %.2f s" % big_fleet.start_seconds)
    assert len(big_fleet.devices) == COUNT
    assert big_fleet.start_seconds < START_LIMIT
    with_rui = [d for d in big_fleet.devices if d["remote_ui"]]
    assert len(with_rui) == COUNT
    for device in (with_rui[0], with_rui[1], with_rui[-1]):
        http, https = device["http_ports"]
        assert requests.get("http://%s:%d/" % (device["address"], http), timeout=10).status_code == 200
        assert requests.get("https://%s:%d/" % (device["address"], https), verify=big_fleet.manifest["ca_cert"],
                            timeout=10).status_code == 200


def test_full_type_i_list_exports_and_imports_in_well_under_a_second(big_fleet):
    address = big_fleet.by_profile("ir-adv-c5535-iii")[0]["address"]
    entries = full_list()
    big_fleet.control("POST", "/devices/%s/remote_ui" % address, {"address_book": {"address_list_1": entries}})
    base = "http://%s:8000" % address
    http = requests.Session()
    ce = pt.CLASSIC_ENDPOINTS
    fields = pt.CLASSIC_LOGIN_FIELDS
    http.get(base + "/")
    http.post(base + ce["login"].path, {fields["uri"]: "/", fields["id"]: pt.DEFAULT_SYSTEM_MANAGER_ID,
                                        fields["pin"]: pt.DEFAULT_SYSTEM_MANAGER_PIN})
    http.get(base + ce["nativetop"].path, params={pt.CLASSIC_PAGE_TAG_FIELD: pt.CLASSIC_PAGE_TAGS["address_book"]})
    lists = http.get(base + ce["address_lists"].path, headers={"Referer": base + ce["nativetop"].path})
    token = lists.text.split('name="%s" value="' % pt.CLASSIC_TOKEN_FIELD)[1].split('"')[0]
    referer = {"Referer": base + ce["address_lists"].path}
    timings = {}
    for password in ("export-pass", None):     # encrypted first: a plain import drops the passwords
        form = {pt.CLASSIC_TOKEN_FIELD: token, pt.ABOOK_LIST_FIELD: "address_list_1",
                pt.ABOOK_ENCRYPT_FIELD: "1" if password else "0", pt.ABOOK_PASSWORD_FIELD: password or ""}
        started = time.perf_counter()
        exported = http.post(base + ce["csv_export"].path, form, headers=referer)
        timings["export%s" % ("+encrypt" if password else "")] = time.perf_counter() - started
        assert len(abook_csv.parse_canon_csv(exported.content, export_password=password).entries) == 1600
        started = time.perf_counter()
        imported = http.post(base + ce["csv_import"].path, headers=referer, data={
            pt.CLASSIC_TOKEN_FIELD: token, pt.ABOOK_LIST_FIELD: "address_list_1", pt.ABOOK_MODE_FIELD: "overwrite",
            pt.ABOOK_PASSWORD_FIELD: password or ""},
            files={pt.ABOOK_FILE_FIELD: ("book.csv", exported.content, "text/csv")})
        timings["import%s" % ("+decrypt" if password else "")] = time.perf_counter() - started
        assert pt.IMPORT_OK_TEXT in imported.text, imported.text[:2000]
        stored = big_fleet.control("GET", "/devices/%s/remote_ui" % address)["address_book"]["address_list_1"]
        assert len(stored) == 1600 and stored[2].get("password") == ("pw2" if password else None)
    print("1,600 entries: " + ", ".join("%s %.3f s" % item for item in timings.items()))
    assert all(seconds < TRANSFER_LIMIT for seconds in timings.values()), timings
