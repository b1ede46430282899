"""The application report takes the results the module tasks registered, as they are."""

from __future__ import annotations

import datetime
import os

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import report

APP = {"application_id": "a1b2", "name": "ScanHub", "version": "2.1.0", "status": "started",
       "license_status": "installed", "license_expires": "2027-01-10"}


def registered(**extra):
    result = {"changed": False, "failed": False, "invocation": {"module_args": {"sms_password": "********"}},
              "application": {"application_id": "a1b2"}, "applications": [APP], "system": {"serial": "2XA1"}}
    result.update(extra)
    return result


def test_outcomes_come_from_registered_results():
    results = {
        "p01": registered(),
        "p02": registered(changed=True),
        # registered with failed_when: false: failed is False but the module's error code is there
        "p03": {"changed": False, "failed": False, "error_code": "meap_disk_full", "msg": "storage full",
                "system": {"serial": "2XA3"}},
        "p04": {"skipped": True, "changed": False},
        "p05": {},
        "p06": {"outcome": "changed", "applications": [APP]},
    }
    built = report.build(results, application_id="a1b2", expiring_within_days=60,
                         today=datetime.date(2026, 12, 1))
    outcome = {row["host"]: row["outcome"] for row in built["summary"]}
    assert outcome == {"p01": "unchanged", "p02": "changed", "p03": "failed", "p04": "not run",
                       "p05": "not run", "p06": "changed"}
    rows = {row["host"]: row for row in built["summary"]}
    assert rows["p03"]["error"] == "meap_disk_full: storage full" and rows["p03"]["serial"] == "2XA3"
    assert rows["p01"]["app_version"] == "2.1.0" and rows["p01"]["flag"] == "EXPIRING"
    assert built["counts"] == {"changed": 2, "unchanged": 1, "failed": 1, "not run": 2}


def test_plan_results_stand_in_for_hosts_the_rollout_did_not_run():
    other = dict(APP, application_id="ffff", name="Other")
    planned = {
        "p01": registered(),                                        # plan: nothing to do
        "p02": registered(changed=True, applications=[other]),      # plan: work, rollout never reached it
        "p03": {"failed": True, "error_code": "meap_platform_unsupported", "msg": "AddOn platform",
                "system": {"serial": "2XA3"}},
        "p04": registered(changed=True),                            # plan: work, the rollout ran it
    }
    results = {"p04": registered(changed=True), "p05": registered()}
    built = report.build(results, expiring_within_days=10, today=datetime.date(2026, 12, 1), planned=planned)
    rows = {row["host"]: row for row in built["summary"]}
    assert {h: r["outcome"] for h, r in rows.items()} == {
        "p01": "unchanged", "p02": "not run", "p03": "failed", "p04": "changed", "p05": "unchanged"}
    assert rows["p03"]["error"] == "meap_platform_unsupported: AddOn platform"
    assert rows["p02"]["apps"] == 1 and "app_version" not in rows["p02"]     # read, without the rollout's app
    assert rows["p01"]["app_version"] == "2.1.0"      # application_id taken from the results when not given
    assert report.rollout_application({"p9": {"application": None}, "p1": {"application": {"application_id": "x"}}}) \
        == "x"


def test_run_report_writes_once_and_check_mode_writes_nothing(tmp_path):
    params = {"results": {"p01": registered()}, "planned": {}, "addresses": {"p01": "127.0.0.1"},
              "application_id": None, "expiring_within_days": 30, "today": "2026-12-01",
              "dest_dir": str(tmp_path / "out"), "name": "apps", "formats": ["csv"], "title": "t"}
    checked = report.run_report(params, check_mode=True)
    assert checked["changed"] is False and "files" not in checked and not (tmp_path / "out").exists()
    first = report.run_report(params, check_mode=False)
    assert first["changed"] is True and first["counts"]["unchanged"] == 1
    assert sorted(os.path.basename(f) for f in first["files"]) == ["apps-summary.csv", "apps.csv"]
    assert report.run_report(params, check_mode=False)["changed"] is False
    try:
        report.run_report(dict(params, today="1 Dec"), check_mode=False)
    except CanonError as exc:
        assert exc.error_code == "invalid_argument"
    else:
        raise AssertionError("a bad date was accepted")
