"""Firmware version compare, package manifest checks, the file server's lifecycle and the fleet reports."""

from __future__ import annotations

import socket
import ssl
import urllib.request
import zipfile

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan
from ansible_collections.printfleet.canon.plugins.module_utils.firmware import formats, plan
from ansible_collections.printfleet.canon.plugins.module_utils.reports import fleet
from ansible_collections.printfleet.canon.plugins.module_utils.transport.file_server import FileServer


@pytest.mark.parametrize("a,b,expected", [
    ("16.12", "16.14", -1), ("10.10", "10.9", 1), ("10.02", "10.2", None), ("0604", "0605", -1),
    ("GFC-015-04", "GFC-015-05", -1), ("GFC-015-04", "GFD-015-04", None), ("R7.21", "R7.3", 1),
    ("16.12", "16.12", 0), ("16.12", "16.12.1", None), ("1602.1", "R7.21", None), (None, "1", None),
])
def test_versions_compare_as_the_devices_strings_never_as_floats(a, b, expected):
    assert formats.compare_versions(a, b) == expected
    if expected is not None:
        assert formats.compare_versions(b, a) == -expected


def test_newest_ignores_unread_and_picks_by_runs():
    assert formats.newest(["16.9", None, "16.12", "16.10"]) == "16.12"


def _params(**extra):
    params = {"version": "16.14", "allow_downgrade": False, "serial_check": True, "clock_tolerance": 300,
              "allow_job_loss": False, "serve_protocol": "https"}
    params.update(extra)
    return params


def _package(tmp_path, **manifest):
    path = formats.build_package(str(tmp_path / "p.zip"), manifest.pop("model", "iR-ADV C5535"),
                                 manifest.pop("version", "16.14"), **manifest)
    return formats.read_package(path)


BEFORE = {"version": "16.12", "model": "iR-ADV C5535", "serial": "ABC123", "components": {"controller": "16.12"},
          "updater_present": True, "preflight": {"local_distribution": True, "clock_skew_seconds": 1.0,
                                                 "jobs_queued": 0, "wait_for_end_of_job": False,
                                                 "import_export_running": False}}


@pytest.mark.parametrize("before,manifest,params,code", [
    (dict(BEFORE, version="16.20"), {}, {}, "firmware_downgrade_refused"),
    (BEFORE, {"serials": ["OTHER"]}, {}, "firmware_serial_not_in_package"),
    (BEFORE, {"model": "MF642C"}, {}, "firmware_model_mismatch"),
    (BEFORE, {"released": False}, {}, "firmware_not_released"),
    (dict(BEFORE, updater_present=False), {}, {}, "firmware_no_updater"),
    (dict(BEFORE, version="GFC-015-04"), {}, {}, "firmware_version_incomparable"),
    (dict(BEFORE, preflight=dict(BEFORE["preflight"], clock_skew_seconds=-900)), {}, {}, "firmware_clock_skew"),
    (dict(BEFORE, preflight=dict(BEFORE["preflight"], jobs_queued=2)), {}, {}, "firmware_jobs_queued"),
    (dict(BEFORE, preflight=dict(BEFORE["preflight"], local_distribution=False)), {}, {},
     "firmware_distribution_not_allowed"),
])
def test_plan_refuses_before_any_transfer(tmp_path, before, manifest, params, code):
    with pytest.raises(CanonError) as exc:
        plan.plan_update(before, _params(**params), _package(tmp_path, **manifest))
    assert exc.value.error_code == code


def test_plan_current_is_no_change_and_update_is_one_action(tmp_path):
    package = _package(tmp_path, serials=["ABC123"], components={"engine": "2.0"})
    current = plan.plan_update(dict(BEFORE, version="16.14"), _params(), package)
    assert isinstance(current, Plan) and not current.changed
    update = plan.plan_update(BEFORE, _params(), package)
    assert [a["action"] for a in update.actions] == ["update"]
    assert update.after["components"] == {"controller": "16.14", "engine": "2.0"}
    allowed = plan.plan_update(dict(BEFORE, version="16.20"), _params(allow_downgrade=True), package)
    assert allowed.actions[0]["downgrade"] is True


def test_bad_packages_are_refused(tmp_path):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("printfleet-firmware.json", '{"format": "other"}')
    with pytest.raises(CanonError) as exc:
        formats.read_package(str(path))
    assert exc.value.error_code == "firmware_bad_package"


@pytest.mark.parametrize("protocol", ["https", "http"])
def test_file_server_serves_one_path_and_stops(tmp_path, protocol):
    path = formats.build_package(str(tmp_path / "fw.zip"), "M", "1.0")
    with FileServer(path, "127.165.0.1", 0, protocol) as server:
        port = server.port
        context = ssl._create_unverified_context() if protocol == "https" else None
        data = urllib.request.urlopen(server.url, timeout=5, context=context).read()
        assert data == open(path, "rb").read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url.rsplit("/", 2)[0] + "/other", timeout=5, context=context)
        assert server.downloads == 1
    with socket.socket() as probe:
        probe.settimeout(0.5)
        assert probe.connect_ex(("127.165.0.1", port)) != 0        # nothing left listening
    server.stop()                                                   # idempotent


def test_reports_summary_first_and_lowest_supplies_first():
    devices = [
        {"host": "a", "info": {"identity": {"model": "iR-ADV C5535", "serial": "1", "firmware": "16.12"},
                               "status": {"device_status": "running"}, "highest_severity": None,
                               "supplies": [{"description": "Canon C-EXV 51 Black", "percent": 40.0},
                                            {"description": "Canon C-EXV 51 Cyan", "percent": 5.0}]}},
        {"host": "b", "info": {"identity": {"model": "iR-ADV C5535", "serial": "2", "firmware": "16.14"},
                               "status": {"device_status": "warning"}, "highest_severity": "error",
                               "supplies": [{"description": "Waste toner", "percent": None}]}},
    ]
    sheets, summary = fleet.build("firmware", devices)
    assert sheets[0].title == "Summary" and summary["behind"] == 1
    assert [r["current"] for r in sheets[1].rows] == [False, True]
    sheets, summary = fleet.build("consumables", devices)
    assert [r["description"] for r in sheets[1].rows][:2] == ["Canon C-EXV 51 Cyan", "Canon C-EXV 51 Black"]
    assert summary["under_10_percent"] == 1
    sheets, summary = fleet.build("status", devices, [{"host": "a", "status": "normal"},
                                                      {"host": "a", "status": "warning"}])
    rows = {r["host"]: r for r in sheets[1].rows}
    assert rows["a"]["normal"] == 50.0 and rows["b"]["error"] == 100.0
