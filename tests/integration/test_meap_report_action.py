"""canon_meap_report runs on the controller through its action plugin: same options, results and files as
the module's documentation says, check mode writes nothing, a bad option fails with an error code."""

from __future__ import annotations

from tests.integration.simfleet import ansible_module

RESULT = {"changed": True, "application": {"application_id": "a1b2"}, "system": {"serial": "2XA1"},
          "applications": [{"application_id": "a1b2", "name": "ScanHub", "version": "2.1.0", "status": "Started",
                            "license_status": "Installed", "license_expires": "2027-01-10"}]}


def test_report_action_writes_files_once_and_check_mode_writes_nothing(tmp_path):
    args = {"results": {"p01": RESULT}, "planned": {"p02": dict(RESULT, changed=False)},
            "dest_dir": str(tmp_path / "reports"), "today": "2026-12-01", "expiring_within_days": 60}
    checked = ansible_module("printfleet.canon.canon_meap_report", args, check=True)
    assert checked["_rc"] == 0 and checked["counts"]["changed"] == 1 and not (tmp_path / "reports").exists()
    first = ansible_module("printfleet.canon.canon_meap_report", args)
    assert first["_status"] == "CHANGED"
    assert first["counts"] == {"changed": 1, "unchanged": 1, "failed": 0, "not run": 0}
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "meap-applications-summary.csv", "meap-applications.csv", "meap-applications.xlsx"]
    assert [e["host"] for e in first["expiring"]] == ["p01", "p02"]
    again = ansible_module("printfleet.canon.canon_meap_report", args)
    assert again["_status"] == "SUCCESS" and again["changed"] is False


def test_report_action_refuses_a_bad_option_before_writing(tmp_path):
    args = {"results": {}, "dest_dir": str(tmp_path / "reports"), "formats": ["pdf"]}
    failed = ansible_module("printfleet.canon.canon_meap_report", args)
    assert failed["_rc"] != 0 and failed["error_code"] == "invalid_argument" and "formats" in failed["msg"]
    assert not (tmp_path / "reports").exists()
