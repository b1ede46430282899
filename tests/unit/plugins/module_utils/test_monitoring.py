"""Monitoring conditions, notify-once, cleared and the state file (module_utils/monitoring/conditions.py)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.monitoring import conditions as monitoring
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=timezone.utc)


def supply(index, type_, percent, colorant=None, description=None, cls="supplyThatIsConsumed"):
    return {"index": index, "type": type_, "percent": percent, "colorant": colorant, "class": cls,
            "description": description or "%s %s" % (colorant or "", type_)}


def info(supplies=(), inputs=(), alerts=()):
    return {"identity": {"model": "iR-ADV C5535"}, "supplies": list(supplies), "inputs": list(inputs),
            "alerts": list(alerts)}


def alert(severity, code="jam", group="mediaPath", group_index=1, code_raw=8, text="Paper jammed."):
    return {"emc_severity": severity, "code": code, "code_raw": code_raw, "group": group,
            "group_index": group_index, "description": text}


HEALTHY = info(supplies=[supply(1, "toner", 78.0, "black"), supply(2, "toner", 64.0, "cyan"),
                         supply(5, "wasteToner", None, cls="receptacleThatIsFilled", description="Waste Toner"),
                         supply(6, "opc", 62.0, "black", "Drum")],
               inputs=[{"index": 1, "name": "Drawer 1", "type": "sheetFeedAutoRemovableTray", "percent": None}])


def kinds(conditions):
    return sorted((c.kind, c.subject) for c in conditions)


def test_healthy_device_has_no_condition():
    assert monitoring.observe("hq", "127.0.0.1", HEALTHY, monitoring.Rules()) == []


def test_supply_thresholds_fire_at_or_below_the_value():
    dev = info(supplies=[supply(1, "toner", 10.0, "black"), supply(2, "toner", 10.5, "cyan"),
                         supply(3, "tonerCartridge", 0.0, "magenta"), supply(4, "opc", 9.0, None, "Drum Unit"),
                         supply(5, "wasteToner", 4.0, cls="receptacleThatIsFilled", description="Waste Toner"),
                         supply(6, "developer", 3.0, description="Developer"), supply(7, "staples", 1.0,
                                                                                      description="Staples")])
    found = monitoring.observe("hq", "127.0.0.1", dev, monitoring.Rules())
    assert kinds(found) == [("drum_low", "Drum Unit"), ("toner_low", "Black toner"), ("toner_low", "Magenta toner"),
                            ("waste_toner_low", "Waste Toner")]
    black = [c for c in found if c.subject == "Black toner"][0]
    assert (black.value, black.threshold, black.severity, black.key) == (10.0, 10, "warning", "hq|toner_low|1")
    assert "Black toner at 10 % (threshold 10 %)" == black.message
    everything = monitoring.Rules(developer_below_pct=5, staples_below_pct=5)
    assert {c.kind for c in monitoring.observe("hq", None, dev, everything)} >= {"developer_low", "staples_low"}
    off = monitoring.Rules(toner_below_pct=None, drum_below_pct=None, waste_toner_below_pct=None)
    assert monitoring.observe("hq", None, dev, off) == []


def test_sentinel_levels_never_count_as_a_percentage():
    dev = info(supplies=[supply(1, "toner", None, "black")],
               inputs=[{"index": 1, "name": "Drawer 1", "type": "sheetFeedAutoRemovableTray", "percent": None}])
    assert monitoring.observe("hq", None, dev, monitoring.Rules(paper_below_pct=50)) == []


def test_paper_threshold_excludes_the_multi_purpose_tray():
    dev = info(inputs=[{"index": 1, "name": "Drawer 1", "type": "sheetFeedAutoRemovableTray", "percent": 2.0},
                       {"index": 2, "name": "Drawer 2", "type": "sheetFeedAutoRemovableTray", "percent": 50.0},
                       {"index": 3, "name": "Multi-Purpose Tray", "type": "sheetFeedManual", "percent": 0.0},
                       {"index": 4, "name": "Bypass", "type": "other", "percent": 0.0}])
    assert monitoring.observe("hq", None, dev, monitoring.Rules()) == []          # paper is off by default
    found = monitoring.observe("hq", None, dev, monitoring.Rules(paper_below_pct=5))
    assert kinds(found) == [("paper_low", "Drawer 1")]


def test_alert_severities_follow_the_emc_classification():
    dev = info(alerts=[alert("warning", "markerTonerAlmostEmpty", "markerSupplies", 2, 1104, "Prepare toner"),
                       alert("error"), alert("service_call", "other", "generalPrinter", 1, 1, "Call service (E807)")])
    found = monitoring.observe("hq", None, dev, monitoring.Rules())
    assert sorted(c.severity for c in found) == ["error", "service_call"]
    found = monitoring.observe("hq", None, dev, monitoring.Rules(severities=("warning",)))
    assert [c.message for c in found] == ["Prepare toner"]
    assert found[0].key == "hq|alert|markerSupplies|2|1104"


def test_unreachable_and_unreadable_devices():
    rules = monitoring.Rules()
    [cond] = monitoring.observe("hq", "127.0.0.9", {"error_code": "snmp_no_response", "msg": "no answer"}, rules)
    assert (cond.kind, cond.severity, cond.key, cond.message) == ("no_response", "error", "hq|no_response",
                                                                  "no answer")
    [cond] = monitoring.observe("nas", None, {"error_code": "not_a_printer", "msg": "not a printer"}, rules)
    assert cond.kind == "read_error"
    assert monitoring.observe("hq", None, {"error_code": "snmp_no_response"}, monitoring.Rules(no_response=False)) == []


def test_invalid_rules_are_refused():
    for rules in (monitoring.Rules(toner_below_pct=120), monitoring.Rules(severities=("critical",)),
                  monitoring.Rules(error_ongoing_minutes=-1)):
        with pytest.raises(CanonError) as err:
            rules.validate()
        assert err.value.error_code == "invalid_argument"


# --- notify once, ongoing, cleared ---------------------------------------------------------------------------

LOW = info(supplies=[supply(1, "toner", 5.0, "black")])


def run(devices, state, now, rules=monitoring.Rules()):
    outcome, _ = monitoring.evaluate(devices, state, now, rules)
    return outcome


def test_new_then_ongoing_then_cleared_then_new_again():
    rules = monitoring.Rules()
    first = run([{"name": "hq", "address": "127.0.0.1", "result": LOW}], monitoring.empty_state(), T0, rules)
    assert [c["subject"] for c in first.new] == ["Black toner"] and first.notify
    assert first.state["conditions"]["hq|toner_low|1"]["notified_at"] == "2024-06-01T08:00:00Z"

    lower = info(supplies=[supply(1, "toner", 3.0, "black")])
    second = run([{"name": "hq", "address": "127.0.0.1", "result": lower}], first.state, T0 + timedelta(hours=1),
                 rules)
    assert second.new == [] and not second.notify and len(second.ongoing) == 1
    assert second.state == first.state                    # nothing changed: the state file stays as it was

    third = run([{"name": "hq", "result": HEALTHY}], second.state, T0 + timedelta(hours=2), rules)
    assert third.notify and [c["key"] for c in third.cleared] == ["hq|toner_low|1"]
    assert third.cleared[0]["cleared_at"] == "2024-06-01T10:00:00Z"
    assert third.state["conditions"] == {}

    again = run([{"name": "hq", "result": LOW}], third.state, T0 + timedelta(hours=3), rules)
    assert len(again.new) == 1                            # it came back: notified again


def test_cleared_can_be_silent():
    rules = monitoring.Rules(notify_cleared=False)
    first = run([{"name": "hq", "result": LOW}], monitoring.empty_state(), T0, rules)
    second = run([{"name": "hq", "result": HEALTHY}], first.state, T0 + timedelta(hours=1), rules)
    assert second.cleared == [] and not second.notify and second.state["conditions"] == {}


def test_error_ongoing_notifies_once_after_the_duration():
    rules = monitoring.Rules(severities=(), error_ongoing_minutes=30)
    jammed = info(alerts=[alert("error")])
    runs = []
    state = monitoring.empty_state()
    for minutes in (0, 10, 29, 31, 45, 90):
        outcome = run([{"name": "hq", "result": jammed}], state, T0 + timedelta(minutes=minutes), rules)
        runs.append((minutes, len(outcome.new), len(outcome.pending), len(outcome.ongoing)))
        state = outcome.state
    assert runs == [(0, 0, 1, 0), (10, 0, 1, 0), (29, 0, 1, 0), (31, 1, 0, 0), (45, 0, 0, 1), (90, 0, 0, 1)]
    fixed = run([{"name": "hq", "result": HEALTHY}], state, T0 + timedelta(minutes=95), rules)
    assert [c["kind"] for c in fixed.cleared] == ["error_ongoing"]


def test_error_that_ends_before_its_duration_is_forgotten_silently():
    rules = monitoring.Rules(severities=(), error_ongoing_minutes=30)
    first = run([{"name": "hq", "result": info(alerts=[alert("error")])}], monitoring.empty_state(), T0, rules)
    second = run([{"name": "hq", "result": HEALTHY}], first.state, T0 + timedelta(minutes=5), rules)
    assert not second.notify and second.state["conditions"] == {}


def test_hosts_outside_this_run_keep_their_state():
    rules = monitoring.Rules()
    first = run([{"name": "hq", "result": LOW}, {"name": "branch", "result": LOW}], monitoring.empty_state(), T0,
                rules)
    limited = run([{"name": "hq", "result": HEALTHY}], first.state, T0 + timedelta(hours=1), rules)
    assert [c["host"] for c in limited.cleared] == ["hq"]
    assert list(limited.state["conditions"]) == ["branch|toner_low|1"]


def test_notification_text_and_payload():
    rules = monitoring.Rules()
    first = run([{"name": "hq", "address": "127.0.0.1", "result": LOW},
                 {"name": "lobby", "address": "127.0.0.2", "result": {"error_code": "snmp_no_response",
                                                                      "msg": "did not answer"}}],
                monitoring.empty_state(), T0, rules)
    note = monitoring.notification(first, T0)
    assert note["subject"] == "[printfleet] printer conditions: 2 new (worst: error)"
    assert "NEW      warning      hq (127.0.0.1): Black toner at 5 % (threshold 10 %)" in note["body"]
    assert "lobby (127.0.0.2): did not answer" in note["body"]
    payload = note["payload"]
    assert payload["event"] == "printer_monitoring" and payload["counts"]["new"] == 2
    assert json.loads(json.dumps(payload)) == payload         # plain JSON


# --- state file ---------------------------------------------------------------------------------------------

def test_state_file_round_trip_is_atomic_and_private(tmp_path):
    path = str(tmp_path / "sub" / "monitoring.json")
    assert monitoring.load_state(path) == monitoring.empty_state()
    outcome = run([{"name": "hq", "result": LOW}], monitoring.empty_state(), T0)
    monitoring.save_state(path, outcome.state)
    assert monitoring.load_state(path) == outcome.state
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert [f for f in os.listdir(os.path.dirname(path)) if f != "monitoring.json"] == []   # no temp file left


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 1}', '{"version": 99, "conditions": {}}'])
def test_damaged_or_newer_state_file_is_an_error(tmp_path, content):
    path = tmp_path / "monitoring.json"
    path.write_text(content)
    with pytest.raises(CanonError) as err:
        monitoring.load_state(str(path))
    assert err.value.error_code == "monitoring_state_error"


def test_unwritable_state_directory_is_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CanonError) as err:
        monitoring.save_state(str(blocker / "monitoring.json"), monitoring.empty_state())
    assert err.value.error_code == "monitoring_state_error"
