# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_counter_report run through main(): check mode, idempotency, file layout, failures."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from ansible.module_utils import basic
from tests.module_args_compat import patch_module_args
from openpyxl import load_workbook

from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore
from ansible_collections.printfleet.canon.plugins.modules import canon_counter_report

START = datetime(2024, 1, 1, 22, 50, tzinfo=timezone.utc)


def add_days(path, days, first=0, serials=("2XA01234", "2XA05678")):
    with CounterStore(path=path) as store:
        store.record_captures([
            {"serial": serial, "model": "iR-ADV C5535", "address": "127.0.1.%d" % (i + 5), "region": "emea",
             "timezone": "Europe/Berlin", "captured_at": START + timedelta(days=day),
             "counters": [{"id": 101, "name": "Total 1", "category": "total", "value": 1000 + 40 * day + i},
                          {"id": 501, "name": "Scan (Total 1)", "category": "scan", "value": 50 + 3 * day}]}
            for day in range(first, first + days) for i, serial in enumerate(serials)])


@pytest.fixture
def store_path(tmp_path):
    path = str(tmp_path / "store" / "counters.sqlite")
    add_days(path, 60)
    return path


def run_module(capsys, **args):
    """Run main() with these arguments; return its JSON result."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            canon_counter_report.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_computes_but_writes_nothing(capsys, store_path, tmp_path):
    dest = tmp_path / "out"
    result = run_module(capsys, store={"path": store_path}, dest=str(dest), as_of="2024-02-20",
                        _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["paths"] == [str(dest / "counter-report-monthly.xlsx")]
    assert result["reports"]["by_counter"]["rows"] == 24 and result["reports"]["by_device"]["devices"] == 2
    assert not dest.exists()


def test_second_run_with_the_same_data_is_unchanged(capsys, store_path, tmp_path):
    args = dict(store={"path": store_path}, dest=str(tmp_path / "out"), as_of="2024-02-20", counters=["101"])
    first = run_module(capsys, **args)
    assert first["changed"] is True and first["files"][0]["changed"] is True
    path = first["paths"][0]
    before = os.stat(path)
    second = run_module(capsys, **args)
    assert second["changed"] is False and second["files"] == [dict(first["files"][0], changed=False)]
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert run_module(capsys, _ansible_check_mode=True, **args)["changed"] is False
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "By device", "By counter", "Lifetime", "About"]   # opens on the summary
    assert {row[0].value for row in wb["By counter"].iter_rows(min_row=2, max_col=1)} == {101}


def test_new_readings_change_the_report(capsys, store_path, tmp_path):
    args = dict(store={"path": store_path}, dest=str(tmp_path / "r.xlsx"), as_of="2024-03-31")
    assert run_module(capsys, **args)["changed"] is True
    add_days(store_path, 5, first=60)
    result = run_module(capsys, **args)
    assert result["changed"] is True and result["paths"] == [str(tmp_path / "r.xlsx")]


def test_csv_files_one_per_report(capsys, store_path, tmp_path):
    args = dict(store={"path": store_path}, dest=str(tmp_path / "csv"), format="csv", period="daily",
                as_of="2024-02-20", reports=["by_counter", "lifetime"], regions=["EMEA"])
    result = run_module(capsys, **args)
    assert [os.path.basename(p) for p in result["paths"]] == ["counter-report-daily-by_counter.csv",
                                                              "counter-report-lifetime.csv"]
    content = open(result["paths"][0], "rb").read()
    assert content.startswith(b"\xef\xbb\xbfcounter_id,counter_name")
    assert result["reports"]["by_counter"]["first_period"] == "2024-01-21"
    assert result["flags"] == {"gap": 0, "reset": 0, "partial": 0}        # readings every day, window over
    assert run_module(capsys, **args)["changed"] is False


def test_missing_store_fails_with_a_code_and_creates_nothing(capsys, tmp_path):
    missing = tmp_path / "nowhere" / "counters.sqlite"
    result = run_module(capsys, store={"path": str(missing)}, dest=str(tmp_path / "out"))
    assert result["failed"] is True and result["error_code"] == "store_not_found" and "hint" in result
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_store_needs_exactly_one_of_path_and_dsn(capsys, tmp_path):
    result = run_module(capsys, store={"path": "/tmp/a.sqlite", "dsn": "dbname=x"}, dest=str(tmp_path))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_filters_that_match_nothing_warn(capsys, store_path, tmp_path, monkeypatch):
    # Where warnings go depends on whether controller code was imported earlier in the test
    # session (they are displayed, not returned), so record them at the source.
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning, **kw: warned.append(warning))
    result = run_module(capsys, store={"path": store_path}, dest=str(tmp_path / "r.xlsx"), devices=["NOSUCH"],
                        as_of="2024-02-20")
    assert result["reports"]["lifetime"]["rows"] == 0 and result["changed"] is True
    assert len(warned) == 1 and "no rows" in warned[0]


def test_bad_as_of_is_an_invalid_argument(capsys, store_path, tmp_path):
    result = run_module(capsys, store={"path": store_path}, dest=str(tmp_path), as_of="last tuesday")
    assert result["failed"] is True and result["error_code"] == "invalid_argument"


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(canon_counter_report.DOCUMENTATION)
    assert doc["module"] == "canon_counter_report" and doc["attributes"]["check_mode"]["support"] == "full"
    assert isinstance(yaml.safe_load(canon_counter_report.EXAMPLES), list)
    returned = set(yaml.safe_load(canon_counter_report.RETURN))
    assert {"paths", "files", "reports", "flags", "error_code"} <= returned

    def compare(spec, docs, where):
        assert set(spec) == set(docs), where
        for name, option in spec.items():
            for key in ("type", "default", "choices", "elements"):
                expected = option.get(key, "str" if key == "type" else None)
                assert docs[name].get(key) == expected, (where, name, key)
            assert bool(docs[name].get("required")) == bool(option.get("required")), (where, name)
            if "options" in option:
                compare(option["options"], docs[name]["suboptions"], name)

    compare(canon_counter_report.ARGUMENT_SPEC, doc["options"], "options")
    assert canon_counter_report.ARGUMENT_SPEC["store"]["options"]["dsn"]["no_log"] is True
