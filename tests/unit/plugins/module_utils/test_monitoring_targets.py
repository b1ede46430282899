"""Monitoring state keyed by serial (renames are not cleared+new), EMC-style targeted conditions (error code and
device group, own recipients) and finisher supplies (RFC 3806 staples)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.device import identity
from ansible_collections.printfleet.canon.plugins.module_utils.monitoring import conditions as monitoring
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 4, 13, 0, tzinfo=timezone.utc)
RULES = monitoring.Rules(staples_below_pct=20)

JAM = {"severity": "critical", "training_level": "untrained", "group": "mediaPath", "group_index": 1, "code": "jam",
       "code_raw": 8, "description": "Paper jammed. Remove the jammed paper.", "emc_severity": "error"}
SERVICE = {"severity": "critical", "training_level": "fieldService", "group": "generalPrinter", "group_index": 1,
           "code": "other", "code_raw": 1, "description": "Call service representative. (E000007-0000)",
           "emc_severity": "service_call"}


def result(serial="2XA00001", alerts=(), supplies=()):
    return {"identity": {"serial": serial, "model": "iR-ADV C5840"}, "alerts": list(alerts),
            "supplies": list(supplies)}


def test_a_renamed_host_keeps_its_conditions_by_serial():
    first, _ = monitoring.evaluate([{"name": "old-name", "address": "a", "result": result(alerts=[JAM])}],
                                   monitoring.empty_state(), NOW, RULES)
    assert [i["host"] for i in first.new] == ["old-name"]
    assert list(first.state["conditions"])[0].startswith("serial:2XA00001|alert|")
    renamed, _ = monitoring.evaluate([{"name": "new-name", "address": "a", "result": result(alerts=[JAM])}],
                                     first.state, LATER, RULES)
    assert renamed.new == [] and renamed.cleared == [] and [i["host"] for i in renamed.ongoing] == ["new-name"]
    # a silent device keyed by the serial the inventory knows
    silent, _ = monitoring.evaluate([{"name": "new-name", "serial": "2XA00001", "address": "a",
                                      "result": {"error_code": "snmp_no_response", "msg": "no answer"}}],
                                    renamed.state, LATER, RULES)
    assert [i["kind"] for i in silent.new] == ["no_response"] and [i["kind"] for i in silent.cleared] == ["alert"]


def test_targets_match_error_content_and_groups_each_with_their_own_notification():
    devices = [{"name": "hq1", "address": "a", "groups": ["region_hq", "canon"], "result": result("S1", [JAM])},
               {"name": "br1", "address": "b", "groups": ["region_branch"], "result": result("S2", [SERVICE])}]
    outcome, _ = monitoring.evaluate(devices, monitoring.empty_state(), NOW, RULES)
    targets = monitoring.parse_targets([
        {"name": "jams-hq", "error_codes": ["jam"], "groups": ["region_hq"]},
        {"name": "service-calls", "error_codes": ["E000007"]},
        {"name": "branch", "groups": ["region_branch"], "kinds": ["alert"]},
        {"name": "nothing", "error_codes": ["E999999"]}])
    sent = {t["name"]: t for t in monitoring.targeted(outcome, targets, NOW)}
    assert [i["host"] for i in sent["jams-hq"]["notification"]["payload"]["new"]] == ["hq1"]
    assert [i["host"] for i in sent["service-calls"]["notification"]["payload"]["new"]] == ["br1"]
    assert [i["host"] for i in sent["branch"]["notification"]["payload"]["new"]] == ["br1"]
    assert sent["nothing"]["notify"] is False
    assert "jams-hq" in sent["jams-hq"]["notification"]["subject"]
    # cleared conditions reach the target of their group too
    cleared, _ = monitoring.evaluate([dict(devices[0], result=result("S1"))], outcome.state, LATER, RULES)
    again = {t["name"]: t for t in monitoring.targeted(cleared, targets, LATER)}
    assert again["jams-hq"]["notify"] and again["jams-hq"]["notification"]["payload"]["cleared"][0]["host"] == "hq1"


@pytest.mark.parametrize("raw", [[{"error_codes": ["jam"]}], [{"name": "a"}, {"name": "a"}]])
def test_bad_targets_are_refused(raw):
    with pytest.raises(CanonError):
        monitoring.parse_targets(raw)


class FakeClient:
    def __init__(self, tables):
        self.tables = tables

    async def walk_columns(self, target, columns, **_):
        first = next(iter(columns.values()))
        for prefix, table in self.tables.items():
            if first.startswith(prefix):
                return table
        return {}


def test_finisher_staples_are_read_and_monitored():
    client = FakeClient({oids.FIN_SUPPLY: {(1, 1): {"class": 3, "type": 32, "description": b"Staple Cartridge",
                                                    "unit": 19, "max": 100, "level": 15}}})
    rows = asyncio.run(identity.gather_supplies(client, None))
    [staples] = rows
    wanted = ("staples", 15.0, True, "1.1")
    assert (staples["type"], staples["percent"], staples["finisher"], staples["index"]) == wanted
    found = monitoring.observe("hq1", "a", result("S1", supplies=rows), RULES)
    assert [c.kind for c in found] == ["staples_low"] and "Staple Cartridge" in found[0].message
