"""canon_monitor_evaluate: the state file, check mode, write_state and its results."""

from __future__ import annotations

import json
import os

from ansible_collections.printfleet.canon.plugins.modules import canon_monitor_evaluate

LOW = {"identity": {"model": "MF642C"}, "alerts": [], "inputs": [],
       "supplies": [{"index": 3, "type": "toner", "class": "supplyThatIsConsumed", "colorant": "magenta",
                     "percent": 8.0, "description": "Canon Cartridge 054 Magenta"}]}
OK = dict(LOW, supplies=[dict(LOW["supplies"][0], percent=90.0)])


def args(state_file, result, **over):
    out = {"devices": [{"name": "mf1", "address": "127.0.0.3", "result": result}], "state_file": state_file,
           "now": "2024-06-01T08:00:00Z"}
    out.update(over)
    return out


def test_first_run_notifies_and_writes_the_state(run_module, tmp_path):
    path = str(tmp_path / "state" / "monitoring.json")
    result = run_module(canon_monitor_evaluate, args(path, LOW))
    assert result["changed"] is True and result["notify"] is True and result["state_changed"] is True
    assert [c["subject"] for c in result["new"]] == ["Magenta toner"]
    assert result["notification"]["subject"].startswith("[printfleet] printer conditions: 1 new")
    assert result["evaluated_at"] == "2024-06-01T08:00:00Z"
    with open(path) as fh:
        assert list(json.load(fh)["conditions"]) == ["mf1|toner_low|3"]

    again = run_module(canon_monitor_evaluate, args(path, LOW, now="2024-06-01T09:00:00Z"))
    assert again["changed"] is False and again["notify"] is False and len(again["ongoing"]) == 1

    cleared = run_module(canon_monitor_evaluate, args(path, OK, now="2024-06-01T10:00:00Z"))
    assert cleared["changed"] is True and cleared["notify"] is True and len(cleared["cleared"]) == 1
    assert "CLEARED" in cleared["notification"]["body"]


def test_check_mode_and_write_state_false_never_write(run_module, tmp_path):
    path = str(tmp_path / "monitoring.json")
    checked = run_module(canon_monitor_evaluate, args(path, LOW), check=True)
    assert checked["changed"] is True and checked["notify"] is True and not os.path.exists(path)
    deferred = run_module(canon_monitor_evaluate, args(path, LOW, write_state=False))
    assert deferred["changed"] is False and deferred["state_changed"] is True and not os.path.exists(path)
    committed = run_module(canon_monitor_evaluate, args(path, LOW, now=deferred["evaluated_at"]))
    assert committed["changed"] is True and committed["new"] == deferred["new"] and os.path.exists(path)


def test_thresholds_and_bad_values(run_module, tmp_path):
    path = str(tmp_path / "monitoring.json")
    result = run_module(canon_monitor_evaluate, args(path, LOW, toner_below_pct=5))
    assert result["notify"] is False
    result = run_module(canon_monitor_evaluate, args(path, LOW, toner_below_pct=150))
    assert result["failed"] is True and result["error_code"] == "invalid_argument"
    result = run_module(canon_monitor_evaluate, args(path, LOW, now="tomorrow"))
    assert result["failed"] is True and result["error_code"] == "invalid_argument"


def test_damaged_state_file_fails_with_its_code(run_module, tmp_path):
    path = tmp_path / "monitoring.json"
    path.write_text("{broken")
    result = run_module(canon_monitor_evaluate, args(str(path), LOW))
    assert result["failed"] is True and result["error_code"] == "monitoring_state_error" and "hint" in result


def test_failed_device_read_is_a_no_response_condition(run_module, tmp_path):
    failed = {"failed": False, "error_code": "snmp_no_response", "msg": "127.0.0.3:161 did not answer"}
    result = run_module(canon_monitor_evaluate, args(str(tmp_path / "m.json"), failed))
    assert [(c["kind"], c["severity"]) for c in result["new"]] == [("no_response", "error")]
