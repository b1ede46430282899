"""Regression tests for issue 18's counter findings: a Counter64 of 2^63 or more, or a Counter32
carrying more than 32 bits, is refused per reading with a warning and never costs the other devices
their readings; return_counters=false is honoured with one device."""

from __future__ import annotations

import sqlite3

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore
from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.modules import canon_counters

HUGE = 2 ** 63


def test_a_counter32_carrying_40_bits_is_not_a_number():
    value = ber.decode_value(ber.COUNTER32, (2 ** 40).to_bytes(6, "big"))
    assert isinstance(value, ber.OutOfRange) and "Counter32" in repr(value)
    assert ber.decode_value(ber.COUNTER32, (2 ** 32 - 1).to_bytes(5, "big")) == 2 ** 32 - 1
    assert ber.decode_value(ber.COUNTER64, (2 ** 64 - 1).to_bytes(9, "big")) == 2 ** 64 - 1
    assert isinstance(ber.decode_value(ber.COUNTER64, (2 ** 64).to_bytes(9, "big")), ber.OutOfRange)


def test_merge_skips_out_of_range_readings_with_a_warning_and_keeps_the_rest():
    rows = [counters.RawCounter("all", (101,), None, None, 5000),
            counters.RawCounter("all", (102,), None, None, HUGE),
            counters.RawCounter("all", (103,), None, None, ber.OutOfRange(ber.COUNTER32, 2 ** 40))]
    readings, warnings = counters.merge_counters(rows)
    assert [r["id"] for r in readings] == [101]
    assert any("2^63-1" in w and "102" in w for w in warnings), warnings
    assert any("Counter32" in w and "103" in w for w in warnings), warnings


def capture(serial, value):
    return {"serial": serial, "captured_at": "2026-12-04T01:00:00Z",
            "counters": [{"id": 101, "value": 10}, {"id": 102, "value": value}]}


def test_the_bulk_store_keeps_every_other_reading_when_one_is_beyond_bigint(tmp_path):
    path = str(tmp_path / "c.sqlite")
    with CounterStore(path) as store:
        outcome = store.record_captures([capture("GOOD1", 7), capture("BAD", HUGE), capture("GOOD2", 8)])
    assert outcome["readings_new"] == 5
    assert [s["serial"] for s in outcome["skipped"]] == ["BAD"]
    assert "out of range" in outcome["skipped"][0]["reason"]
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM readings").fetchone()
    assert rows[0] == 5


def fake_fleet(values):
    def capture_fleet(jobs, selection, concurrency, capture_time):
        out = []
        for i, job in enumerate(jobs):
            out.append({"name": job.name, "address": job.address, "region": None, "timezone": None,
                        "failed": False, "serial": "SER%d" % i, "model": "iR-ADV", "vendor": "Canon",
                        "captured_at": "2026-12-04T01:00:00Z", "warnings": [],
                        "counters": [{"id": 101, "name": "Total 1", "category": "total", "unit": "impressions",
                                      "value": values[i], "tables": ["all"]}]})
        return out
    return capture_fleet


def test_canon_counters_stores_the_night_and_warns_on_the_bad_host(run_module, monkeypatch, tmp_path):
    monkeypatch.setattr(counters, "capture_fleet", fake_fleet([1, HUGE, 3]))
    path = str(tmp_path / "n.sqlite")
    result = run_module(canon_counters, {"targets": [{"host": "127.175.2.%d" % i} for i in (1, 2, 3)],
                                         "store": {"path": path}})
    assert not result.get("failed"), result
    assert result["store"]["readings_new"] == 2
    bad = result["results"][1]
    assert any("not stored" in w and "out of range" in w for w in bad["warnings"]), bad
    assert not result["results"][0]["warnings"]


def test_return_counters_false_is_honoured_for_one_device(run_module, monkeypatch):
    monkeypatch.setattr(counters, "capture_fleet", fake_fleet([5]))
    result = run_module(canon_counters, {"host": "127.175.2.9", "return_counters": False})
    assert not result.get("failed"), result
    assert "counters" not in result and result["counters_read"] == 1
    assert "counters" not in result["results"][0]


def test_a_writer_waits_for_the_sqlite_lock_instead_of_dropping_the_capture(tmp_path, monkeypatch):
    import threading
    import time

    from ansible_collections.printfleet.canon.plugins.module_utils.counters import store as store_mod

    path = str(tmp_path / "locked.sqlite")
    CounterStore(path).close()
    monkeypatch.setattr(store_mod._SqliteBackend, "busy_timeout", 0.1)   # SQLite's own wait per attempt
    monkeypatch.setattr(CounterStore, "lock_wait", 20.0)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")                                      # another writer holds the lock
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        with CounterStore(path) as store:
            outcome = store.record_captures([capture("WAITED", 5)])
    finally:
        release.join()
        holder.close()
    assert outcome["readings_new"] == 2
    assert time.monotonic() - started >= 0.9


def test_a_lock_held_beyond_the_wait_fails_with_a_code(tmp_path, monkeypatch):
    import pytest

    from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
    from ansible_collections.printfleet.canon.plugins.module_utils.counters import store as store_mod

    path = str(tmp_path / "held.sqlite")
    CounterStore(path).close()
    monkeypatch.setattr(store_mod._SqliteBackend, "busy_timeout", 0.05)
    monkeypatch.setattr(CounterStore, "lock_wait", 0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with CounterStore(path) as store, pytest.raises(CanonError) as err:
            store.record_captures([capture("HELD", 5)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.error_code == "store_error" and "locked" in err.value.msg
