"""canon_counters (and canon_counter_report on its store) against the simulator, through real `ansible` runs."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess

import openpyxl
import pytest

from tests.integration.simfleet import (ROOT, SimulatedFleet, ansible_env, ansible_module, ansible_playbook,
                                        bin_path, worker_octet)
from tests.notifysinks import SmtpSink

MODULE = "printfleet.canon.canon_counters"
IRADV_ALL = {101, 102, 103, 104, 105, 106, 108, 109, 112, 113, 114, 122, 123, 124, 125, 201, 202, 203, 204, 221, 222,
             227, 228, 229, 230, 301, 302, 303, 304, 313, 319, 320, 321, 322, 501, 503, 504, 507, 508}   # 39, as real
PROFILE_TABLES = {
    # profile -> (display ids, all ids, ids of name/value rows), from simulator/profiles/*.yaml; iR-ADV devices
    # repeat every all-table counter in the name/value table; MF/LBP name/value rows are numbered only by a
    # confirmed catalog label (114 "Total 1 (2-Sided)" is confirmed by real iR-ADV walks, so that row gets 114)
    "ir-adv-c5535-iii": ({101, 108, 112, 113, 122, 123, 301, 501}, IRADV_ALL, IRADV_ALL),
    "ir-adv-dx-c5840": ({101, 102, 108, 109, 124, 301, 501}, IRADV_ALL, IRADV_ALL),
    "mf642c": (set(), set(), {101, 102, 104, 108, 113, 114, 123, 201, 301, 501}),
    "lbp6670": (set(), set(), {101, 104, 113, 114, 301}),
    "generic-laser": (set(), set(), set()),
}


@pytest.fixture(scope="module")
def net() -> str:
    return "127.%d" % worker_octet(140)


@pytest.fixture(scope="module")
def sim(net):
    spec = {
        "seed": 23,
        "devices": [
            {"address": net + ".1.1", "profile": "ir-adv-c5535-iii"},
            {"address": net + ".1.2", "profile": "ir-adv-dx-c5840"},
            {"address": net + ".1.3", "profile": "mf642c"},
            {"address": net + ".1.4", "profile": "lbp6670"},
            {"address": net + ".1.5", "profile": "generic-laser"},
            {"address": net + ".1.6", "profile": "linux-host"},
            {"address": net + ".1.7", "profile": "ir-adv-c5535-iii", "state": {"powered": False}},
            {"address": net + ".2.1", "profile": "ir-adv-c5535-iii"},   # scratch: pages are printed on these
            {"address": net + ".2.2", "profile": "mf642c"},
            {"address": net + ".2.3", "profile": "ir-adv-dx-c5840"},
        ],
    }
    fleet = SimulatedFleet(spec, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


def run(sim, check=False, **args):
    base = {"snmp_port": sim.port, "timeout": 2, "retries": 1}
    base.update(args)
    return ansible_module(MODULE, base, check=check)


def counters_by_id(result):
    return {c["id"]: c for c in result["counters"]}


def test_bulk_capture_equals_the_simulator_for_every_profile_and_reports_failures_apart(sim, net):
    addresses = [net + ".1.%d" % i for i in range(1, 8)]
    v3 = {"snmp_version": "3", "v3_user": "fleetadmin", "v3_auth_password": "fleet-auth-pass",
          "v3_priv_password": "fleet-priv-pass"}
    extra = [dict(v3, host=net + ".1.2", name="v3", v3_auth_protocol="sha512", v3_priv_protocol="aes256"),
             dict(v3, host=net + ".1.2", name="sha224", v3_auth_protocol="sha224"),
             {"host": net + ".1.2", "name": "mars", "timezone": "Mars/Olympus"}]
    result = run(sim, targets=[{"host": a, "name": "p%d" % i, "timeout": 0.5 if i == 7 else None,
                                "retries": 0 if i == 7 else None}
                               for i, a in enumerate(addresses, 1)] + extra)
    assert result["_rc"] == 0, result["_stdout"]
    extra_results = result["results"][7:]
    result["results"] = result["results"][:7]
    assert result["changed"] is False
    by_address = {r["address"]: r for r in result["results"]}
    assert [r["name"] for r in result["results"]] == ["p%d" % i for i in range(1, 8)]
    for address in addresses[:5]:
        device = sim.device(address)
        state = sim.state(address)
        got = by_address[address]
        assert got["failed"] is False, got
        assert (got["serial"], got["model"]) == (device["serial"], device["model"])
        assert got["warnings"] == []
        display, all_ids, named = PROFILE_TABLES[device["profile"]]
        canon = {c["id"]: c for c in got["counters"] if isinstance(c["id"], int)}
        assert set(canon) == display | all_ids | named, device["profile"]
        for cid, counter in canon.items():
            assert counter["value"] == state["counters"][str(cid)], (device["profile"], cid)
            expected_tables = [t for t, ids in (("all", all_ids), ("display", display), ("named", named))
                               if cid in ids]
            assert counter["tables"] == expected_tables
            assert counter["category"] != "other"
        life = counters_by_id(got)["prtMarkerLifeCount"]
        assert life["value"] == state["life_count"] and life["unit"] == "impressions"
    # the classic model's life count differs from 101 (profile offset), and both are reported
    classic = counters_by_id(by_address[net + ".1.1"])
    assert classic["prtMarkerLifeCount"]["value"] == classic[101]["value"] - 13
    assert classic[101]["name"] == "Total 1" and classic[105]["name"] == "Total (Full Color 1)"
    assert counters_by_id(by_address[net + ".1.2"])[124]["tables"] == ["all", "display", "named"]
    assert [c["id"] for c in by_address[net + ".1.5"]["counters"]] == ["prtMarkerLifeCount"]
    assert by_address[net + ".1.6"]["error_code"] == "not_a_printer"
    off = by_address[net + ".1.7"]
    assert off["failed"] is True and off["error_code"] == "snmp_no_response" and "powered on" in off["hint"]
    summary = result["summary"]
    assert (summary["targets"], summary["succeeded"], summary["failed"]) == (10, 6, 4)
    assert summary["failed_by_error_code"] == {"invalid_argument": 1, "not_a_printer": 1,
                                               "snmp_auth_protocol_unsupported": 1, "snmp_no_response": 1}
    # per-target connection options: SNMPv3 (SHA-512/AES-256) reads the same values as SNMPv1
    v3_result, sha224, mars = extra_results
    assert v3_result["failed"] is False
    assert counters_by_id(v3_result)[101]["value"] == sim.state(net + ".1.2")["counters"]["101"]
    assert sha224["error_code"] == "snmp_auth_protocol_unsupported" and mars["error_code"] == "invalid_argument"
    assert "fleet-auth-pass" not in result["_stdout"] and "fleet-priv-pass" not in result["_stdout"]


def test_one_device_mode_selection_service_mode_and_check_mode(sim, net, tmp_path):
    store = tmp_path / "never.sqlite"
    result = run(sim, check=True, host=net + ".1.1", counters=["101", "117", "scan"], service_mode_counters=[102, 127],
                 store={"path": str(store)})
    assert result["_rc"] == 0, result["_stdout"]
    assert result["serial"] == sim.device(net + ".1.1")["serial"] and result["address"] == net + ".1.1"
    state = sim.state(net + ".1.1")["counters"]
    # 102 comes by its service-mode number from the all table; scans by category
    assert [(c["id"], c["value"]) for c in result["counters"]] == [
        (cid, state[str(cid)]) for cid in (101, 102, 501, 503, 504, 507, 508)]
    warnings = " ".join(result["results"][0]["warnings"])
    assert "117 (Small (2-Sided))" in warnings and "Dedicated Port Settings" in warnings and "127" in warnings
    # check mode: the readings would be new, but the store is not even created
    assert result["changed"] is True and result["store"]["readings_new"] == 7 and not store.exists()


def test_one_device_failure_fails_the_task_with_its_code(sim, net):
    result = run(sim, host=net + ".1.7", timeout=0.3, retries=0)
    assert result["_rc"] != 0 and result["error_code"] == "snmp_no_response"
    assert "Sleep Mode" in result["hint"]


def test_bulk_fails_when_every_device_failed(sim, net):
    result = run(sim, targets=[{"host": net + ".1.7", "timeout": 0.3, "retries": 0}, {"host": net + ".1.6"}])
    assert result["_rc"] != 0
    assert result["error_code"] in ("snmp_no_response", "not_a_printer") and len(result["results"]) == 2
    assert [r["error_code"] for r in result["results"]] == ["snmp_no_response", "not_a_printer"]


# --- capture -> print -> capture -> report ------------------------------------------------------------------

def sheet_rows(path, header_has):
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and all(h in rows[0] for h in header_has):
            return [dict(zip(rows[0], r)) for r in rows[1:]]
    raise AssertionError("no sheet with %s in %s" % (header_has, book.sheetnames))


def test_capture_print_capture_report_shows_exactly_the_printed_pages(sim, net, tmp_path):
    """Module captures in March, then the capture playbook (role) in April: capture, report, mail."""
    store = str(tmp_path / "counters.sqlite")
    a, b = net + ".2.1", net + ".2.2"
    targets = [{"host": a, "name": "c5535", "region": "hq", "timezone": "Europe/Berlin"},
               {"host": b, "name": "mf642c", "region": "branch", "timezone": "Asia/Tokyo"}]

    def capture(when, check=False):
        return run(sim, check=check, targets=targets, capture_time=when, store={"path": store})

    first = capture("2024-03-05T10:00:00Z")
    assert first["_rc"] == 0 and first["changed"] is True, first["_stdout"]
    assert first["store"]["readings_new"] == first["summary"]["readings"] > 0
    assert sorted(first["store"]["devices_new"]) == sorted([sim.device(a)["serial"], sim.device(b)["serial"]])

    # March: 10 colour A4 prints, 3 black A3 prints, 2 black A4 copies, 4 scans on the iR-ADV; 7 on the MF
    sim.act(a, "print", pages=10, size="A4", color=True)
    sim.act(a, "print", pages=3, size="A3")
    sim.act(a, "copy", pages=2, size="A4")
    sim.act(a, "scan", pages=4, size="A4")
    sim.act(b, "print", pages=7, size="A4", color=True)
    second = capture("2024-03-25T10:00:00Z")
    assert second["changed"] is True
    again = capture("2024-03-25T10:00:00Z")                      # a re-run records nothing twice
    assert again["changed"] is False and again["store"]["readings_new"] == 0
    assert again["store"]["readings_present"] == second["store"]["readings_new"]
    # April: 5 more black A4 prints on the iR-ADV
    sim.act(a, "print", pages=5, size="A4")
    with sqlite3.connect(store) as db:
        stored = db.execute("SELECT count(*) FROM readings").fetchone()[0]
    checked = capture("2024-04-10T10:00:00Z", check=True)
    assert checked["changed"] is True and checked["store"]["readings_new"] > 0
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM readings").fetchone()[0] == stored   # check mode wrote nothing

    # April capture through the playbook an AWX schedule runs: same store, then the report, then the mail
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  vars:\n    canon_snmp_port: %d\n  hosts:\n"
                         "    c5535: {ansible_host: %s, canon_region: hq, canon_region_timezone: Europe/Berlin}\n"
                         "    mf642c: {ansible_host: %s, canon_region: branch, canon_region_timezone: Asia/Tokyo}\n"
                         "    gone: {ansible_host: %s, canon_snmp_timeout: 0.3, canon_snmp_retries: 0}\n"
                         % (sim.port, a, b, net + ".1.7"))
    dest = str(tmp_path / "report.xlsx")
    smtp = SmtpSink("ssl", {"billing@example.com": "mail-pass-9"})
    try:
        proc = ansible_playbook(os.path.join(ROOT, "playbooks", "capture_counters.yml"), inventory=str(inventory),
                                extra_vars={"counter_capture_store_path": store,
                                            "counter_capture_time": "2024-04-10T10:00:00Z",
                                            "counter_capture_report_types": ["by_device"],
                                            "counter_capture_report_as_of": "2024-04-30",
                                            "counter_capture_report_dest": dest,
                                            "counter_capture_mail": {
                                                "host": "127.0.0.1", "port": smtp.port, "security": "ssl",
                                                "username": "billing@example.com", "password": "mail-pass-9",
                                                "from": "billing@example.com", "to": ["finance@example.com"],
                                                "ca_path": smtp.cert}})
        # per-host truth: the device that did not answer fails its host (rc 2); report and mail still go out
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert re.search(r"gone\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1", proc.stdout), proc.stdout
        assert re.search(r"c5535\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", proc.stdout), proc.stdout
        assert "snmp_no_response" in proc.stdout
        assert "mail-pass-9" not in proc.stdout
        [mail] = smtp.messages
    finally:
        smtp.close()
    assert mail["to"] == ["finance@example.com"]
    assert "2 of 3 devices read" in mail["message"].get_body().get_content()
    [attachment] = list(mail["message"].iter_attachments())
    assert attachment.get_filename() == "report.xlsx"
    with open(dest, "rb") as fh:
        assert attachment.get_content() == fh.read()

    rows = sheet_rows(dest, ["Serial number", "Counter", "Usage", "First day"])

    def usage(address, counter, month):
        serial = sim.device(address)["serial"]
        found = [r for r in rows if r["Serial number"] == serial and str(r["Counter"]) == str(counter)
                 and r["First day"].month == month and r["First day"].year == 2024]
        assert len(found) == 1, (address, counter, month, found)
        return found[0]["Usage"]

    march = {101: 15, 102: 18, 103: 3, 104: 12, 108: 5, 109: 8, 112: 3, 113: 2, 122: 0, 123: 10, 124: 10,
             125: 10, 105: 10, 201: 2, 301: 13, 501: 4, 504: 4, 503: 0, "prtMarkerLifeCount": 15}
    for counter, pages in march.items():
        assert usage(a, counter, 3) == pages, counter
    april = {101: 5, 104: 5, 108: 5, 113: 5, 123: 0, 301: 5, 201: 0, 501: 0}
    for counter, pages in april.items():
        assert usage(a, counter, 4) == pages, counter
    for counter, pages in {101: 7, 104: 7, 123: 7, 108: 0, 301: 7, 201: 0}.items():
        assert usage(b, counter, 3) == pages, counter
        assert usage(b, counter, 4) == 0, counter


@pytest.mark.postgres
def test_postgresql_store(sim, net, pg_dsn):
    address = net + ".2.3"
    first = run(sim, targets=[{"host": address}], capture_time="2024-05-01T08:00:00Z",
                store={"dsn": pg_dsn, "region": "lab", "timezone": "Europe/Paris"})
    assert first["_rc"] == 0 and first["changed"] is True, first["_stdout"]
    assert first["store"]["backend"] == "postgresql"
    sim.act(address, "print", pages=4, size="A3", color=True)
    second = run(sim, targets=[{"host": address}], capture_time="2024-05-02T08:00:00Z",
                 store={"dsn": pg_dsn, "region": "lab", "timezone": "Europe/Paris"})
    assert second["changed"] is True
    assert pg_dsn not in second["_stdout"]                        # the DSN is no_log
    import psycopg
    with psycopg.connect(pg_dsn) as conn:
        rows = dict(conn.execute(
            "SELECT counter_key, max(value) - min(value) FROM readings GROUP BY counter_key").fetchall())
        device = conn.execute("SELECT region, timezone FROM devices").fetchone()
    assert (rows["101"], rows["102"], rows["103"], rows["122"], rows["124"], rows["106"]) == (4, 8, 4, 4, 8, 8)
    assert rows["101"] == 4 and rows["112"] == 0
    assert device == ("lab", "Europe/Paris")


def test_ansible_doc_renders():
    proc = subprocess.run([bin_path("ansible-doc"), MODULE], cwd=ROOT, capture_output=True, text=True,
                          env=ansible_env())
    assert proc.returncode == 0, proc.stderr
    assert "service_mode_counters" in proc.stdout and "snmp_version" in proc.stdout and "targets" in proc.stdout
    assert "ERROR" not in proc.stderr
