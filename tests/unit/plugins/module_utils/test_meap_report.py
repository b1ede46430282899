"""The application report takes the results the module tasks registered, as they are."""

from __future__ import annotations

import datetime

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
