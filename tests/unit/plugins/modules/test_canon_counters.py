"""canon_counters: options, per-target overrides, failure policy and the store, with the SNMP part faked."""

from __future__ import annotations

import sqlite3

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters
from ansible_collections.printfleet.canon.plugins.modules import canon_counters

OK_COUNTERS = [{"id": 101, "name": "Total 1", "category": "total", "unit": "impressions",
                "value": 1000, "tables": ["all", "display"]},
               {"id": "prtMarkerLifeCount", "name": counters.LIFE_COUNT_NAME,
                "category": "total", "unit": "impressions", "value": 990, "tables": ["printer_mib"]}]


@pytest.fixture
def fake_capture(monkeypatch):
    """Replace the SNMP capture: hosts starting with 127.0.0.9 fail, others answer with OK_COUNTERS."""
    seen = {}

    def capture_fleet(jobs, selection, concurrency, capture_time):
        seen.update(jobs=jobs, selection=selection, concurrency=concurrency, capture_time=capture_time)
        out = []
        for i, job in enumerate(jobs):
            if job.error is not None:
                out.append(counters._failure(job, job.error))
            elif job.address.startswith("127.0.0.9"):
                out.append({"name": job.name, "address": job.address, "region": job.region,
                            "timezone": job.timezone, "failed": True, "error": "did not answer",
                            "error_code": "snmp_no_response", "warnings": []})
            else:
                out.append({"name": job.name, "address": job.address, "region": job.region, "timezone": job.timezone,
                            "failed": False, "serial": "SER%d" % i, "model": "iR-ADV C5535", "vendor": "Canon",
                            "captured_at": counters.utc_text(capture_time) if capture_time else
                            "2024-03-31T22:00:00Z", "counters": [dict(c) for c in OK_COUNTERS], "warnings": []})
        return out

    monkeypatch.setattr(counters, "capture_fleet", capture_fleet)
    return seen


def test_targets_inherit_and_override_connection_options(run_module, fake_capture):
    result = run_module(canon_counters, {
        "snmp_version": "2c", "community": "fleet-secret", "timeout": 3, "concurrency": 7,
        "targets": [{"host": "127.0.0.1", "name": "a"},
                    {"host": "127.0.0.2", "snmp_version": "3", "v3_user": "admin", "v3_auth_password": "authpass1",
                     "v3_priv_password": "privpass1", "snmp_port": 16100, "timeout": 1}]})
    assert result.get("failed") is not True, result
    first, second = (job.target for job in fake_capture["jobs"])
    assert (first.credentials.version, first.credentials.community, first.timeout, first.port) == (
        "2c", "fleet-secret", 3.0, 161)
    assert (second.credentials.version, second.credentials.user, second.timeout, second.port) == (
        "3", "admin", 1.0, 16100)
    assert fake_capture["concurrency"] == 7
    text = str(result)
    assert "fleet-secret" not in text and "authpass1" not in text and "privpass1" not in text


def test_partial_failure_is_reported_not_failed(run_module, fake_capture):
    result = run_module(canon_counters, {"targets": [{"host": "127.0.0.1"}, {"host": "127.0.0.9"}]})
    assert result.get("failed") is not True
    assert result["summary"]["succeeded"] == 1 and result["summary"]["failed"] == 1
    assert [r["failed"] for r in result["results"]] == [False, True]
    assert any("1 of 2 device(s) could not be read" in w for w in result.get("warnings", []))


def test_failure_policy_every_target_failed_or_fail_on_error(run_module, fake_capture):
    result = run_module(canon_counters, {"targets": [{"host": "127.0.0.9"}, {"host": "127.0.0.91"}]})
    assert result["failed"] is True and result["error_code"] == "snmp_no_response"
    assert len(result["results"]) == 2
    result = run_module(canon_counters, {"targets": [{"host": "127.0.0.1"}, {"host": "127.0.0.9"}],
                                         "fail_on_error": True})
    assert result["failed"] is True and result["results"][0]["failed"] is False


def test_one_device_failure_fails_with_its_code(run_module, fake_capture):
    result = run_module(canon_counters, {"host": "127.0.0.9"})
    assert result["failed"] is True and result["error_code"] == "snmp_no_response"


@pytest.mark.parametrize("args,text", [
    ({"host": "127.0.0.1", "targets": [{"host": "127.0.0.2"}]}, "not both"),
    ({}, "host or targets"),
    ({"host": "127.0.0.1", "capture_time": "2024-03-31 22:00"}, "UTC offset"),
    ({"host": "127.0.0.1", "counters": ["tonerish"]}, "categories"),
    ({"host": "127.0.0.1", "concurrency": 0}, "concurrency"),
    ({"host": "127.0.0.1", "store": {"path": "/tmp/x.sqlite", "timezone": "Mars/Olympus"}}, "time zone"),
])
def test_bad_options_fail_before_any_read(run_module, fake_capture, args, text):
    result = run_module(canon_counters, args)
    assert result["failed"] is True and result["error_code"] == "invalid_argument" and text in result["msg"]
    assert "jobs" not in fake_capture


def test_invalid_target_fails_alone(run_module, fake_capture):
    result = run_module(canon_counters, {"targets": [{"host": "127.0.0.1"},
                                                     {"host": "127.0.0.2", "snmp_version": "3"},
                                                     {"host": "127.0.0.3", "timezone": "Nowhere/City"}]})
    assert [r.get("error_code") for r in result["results"]] == [None, "invalid_argument", "invalid_argument"]


def test_store_records_once_and_check_mode_writes_nothing(run_module, fake_capture, tmp_path):
    path = str(tmp_path / "store.sqlite")
    args = {"targets": [{"host": "127.0.0.1", "region": "hq"}, {"host": "127.0.0.9"}],
            "capture_time": "2024-03-31T22:00:00Z", "store": {"path": path, "timezone": "Europe/Berlin"}}
    checked = run_module(canon_counters, args, check=True)
    assert checked["changed"] is True and checked["store"]["readings_new"] == 2
    import os
    assert not os.path.exists(path)
    first = run_module(canon_counters, args)
    assert first["changed"] is True and first["store"]["readings_new"] == 2
    assert first["store"]["devices_new"] == ["SER0"] and first["store"]["backend"] == "sqlite"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT serial, region, timezone FROM devices").fetchall() == [
            ("SER0", "hq", "Europe/Berlin")]
        assert sorted(db.execute("SELECT counter_key, value FROM readings").fetchall()) == [
            ("101", 1000), ("prtMarkerLifeCount", 990)]
    again = run_module(canon_counters, args)
    assert again["changed"] is False and again["store"]["readings_present"] == 2
    checked = run_module(canon_counters, args, check=True)
    assert checked["changed"] is False and checked["store"]["readings_present"] == 2


def test_return_counters_false_keeps_results_small_but_stores_everything(run_module, fake_capture, tmp_path):
    path = str(tmp_path / "store.sqlite")
    result = run_module(canon_counters, {"targets": [{"host": "127.0.0.1"}, {"host": "127.0.0.9"}],
                                         "return_counters": False, "store": {"path": path}})
    ok, failed = result["results"]
    assert "counters" not in ok and ok["counters_read"] == 2 and "counters_read" not in failed
    assert result["store"]["readings_new"] == 2 and result["summary"]["readings"] == 2


def test_store_failure_keeps_the_readings_in_the_result(run_module, fake_capture, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_module(canon_counters, {"host": "127.0.0.1", "store": {"path": str(blocker / "s.sqlite")}})
    assert result["failed"] is True and result["error_code"] == "store_error"
    assert "were read but" in result["msg"] and result["results"][0]["counters"][0]["value"] == 1000


def test_argument_spec_matches_the_documentation():
    import yaml
    doc = yaml.safe_load(canon_counters.DOCUMENTATION)["options"]
    spec = canon_counters.argument_spec()
    own = set(spec) - set(canon_counters.CONNECTION_KEYS) - {"host"}
    assert own <= set(doc)
    assert set(doc["targets"]["suboptions"]) == set(canon_counters.target_options())
    for name, sub in canon_counters.target_options().items():
        documented = doc["targets"]["suboptions"][name]
        assert documented["type"] == sub["type"] and documented.get("choices") == sub.get("choices"), name
        assert "default" not in documented
    assert spec["host"]["required"] is False and doc["host"]["required"] is False
    for name in own:
        assert doc[name].get("default") == spec[name].get("default"), name
