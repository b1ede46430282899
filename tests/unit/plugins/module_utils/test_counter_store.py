# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The counter history store, on SQLite and on a real PostgreSQL server (marker ``postgres``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.counters import store as counter_store
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import (
    CounterStore, Migration, counter_id_of, counter_key, latest_schema_version)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

T0 = datetime(2024, 3, 1, 21, 50, tzinfo=timezone.utc)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def capture(serial="2XA01234", at=T0, values=None, address="127.0.1.5", **extra):
    """A capture as canon_counters passes it."""
    values = values if values is not None else {101: 12345, 102: 13000, "prtMarkerLifeCount": 12340}
    item = {"serial": serial, "model": "iR-ADV C5535", "address": address, "region": "emea",
            "timezone": "Europe/Berlin", "captured_at": at,
            "counters": [{"id": cid, "name": "Counter %s" % cid, "category": "total", "value": value,
                          "unit": "impressions", "table": "all"} for cid, value in values.items()]}
    item.update(extra)
    return item


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path):
    """Where a store lives: keyword arguments for CounterStore."""
    if request.param == "sqlite":
        return {"path": str(tmp_path / "nested" / "dir" / "counters.sqlite")}
    return {"dsn": request.getfixturevalue("pg_dsn")}


@pytest.fixture
def store(target):
    with CounterStore(**target) as opened:
        yield opened


def values_of(store, serial, key):
    return [(r.captured_at, r.value, r.series) for r in store.readings(serials=[serial], counter_ids=[key])]


# --- identity -----------------------------------------------------------------------------------------------

def test_counter_keys_keep_every_kind_of_id():
    assert counter_key(101) == counter_key("101") == counter_key(" 101 ") == "101"
    assert counter_id_of("101") == 101
    assert counter_key("prtMarkerLifeCount") == "prtMarkerLifeCount"
    assert counter_id_of("0101") == "0101"          # not a Canon number: a label, kept as written
    with pytest.raises(CanonError) as err:
        counter_key(True)
    assert err.value.error_code == "invalid_argument"


def test_new_store_creates_parent_directories_and_schema(target, store):
    if "path" in target:
        assert os.path.isfile(target["path"])
    assert store.schema_version() == latest_schema_version()


def test_every_counter_id_is_kept(store):
    store.record_captures([capture(values={101: 5, "101": 5, "prtMarkerLifeCount": 7,
                                           "Total (Black/Small) 2": 9, "0101": 11})])
    ids = [c.counter_id for c in store.counters()]
    assert ids == [101, "0101", "prtMarkerLifeCount", "Total (Black/Small) 2"]
    info = store.counters()[0]
    assert (info.name, info.category, info.unit, info.source_table) == (
        "Counter 101", "total", "impressions", "all")


# --- idempotency and transactions ---------------------------------------------------------------------------

def test_same_capture_twice_never_double_counts(store):
    batch = [capture(), capture(serial="2XA09999", address="127.0.1.6")]
    first = store.record_captures(batch)
    assert (first["readings_new"], first["readings_present"], first["captures_new"]) == (6, 0, 2)
    assert first["devices_new"] == ["2XA01234", "2XA09999"]
    again = store.record_captures(batch)
    assert (again["readings_new"], again["readings_present"], again["captures_new"]) == (0, 6, 0)
    assert again["devices_new"] == [] and again["conflicts"] == []
    assert len(store.readings()) == 6


def test_same_instant_in_another_offset_is_the_same_capture(store):
    store.record_captures([capture(at=T0)])
    result = store.record_captures([capture(at=T0.astimezone(timezone(timedelta(hours=2))).isoformat())])
    assert (result["readings_new"], result["readings_present"]) == (0, 3)


def test_a_rerun_with_another_value_keeps_the_stored_reading(store):
    store.record_captures([capture(values={101: 100})])
    result = store.record_captures([capture(values={101: 150})])
    assert result["readings_new"] == 0
    assert result["conflicts"] == [{"serial": "2XA01234", "counter": 101,
                                    "captured_at": "2024-03-01T21:50:00.000000Z", "stored_value": 100,
                                    "value": 150}]
    assert [v for _, v, _ in values_of(store, "2XA01234", 101)] == [100]


def test_failure_mid_batch_rolls_everything_back(store, monkeypatch):
    backend = store._backend
    real = backend.insert

    def failing(table, columns, rows):
        real(table, columns, rows)
        if table == "readings":
            raise RuntimeError("disk pulled out mid-batch")

    monkeypatch.setattr(backend, "insert", failing)
    with pytest.raises(RuntimeError):
        store.record_captures([capture(), capture(serial="2XA09999")])
    monkeypatch.setattr(backend, "insert", real)
    assert store.devices() == [] and store.counters() == [] and store.readings() == []
    assert store.record_captures([capture()])["readings_new"] == 3     # the connection is still usable


def test_database_error_becomes_store_error_and_rolls_back(store, monkeypatch):
    store.record_captures([capture(at=T0)])
    backend = store._backend
    real = backend.insert

    def duplicate_reading(table, columns, rows):
        real(table, columns, rows)
        if table == "readings":
            real(table, columns, rows[:1])   # primary-key violation inside the transaction

    monkeypatch.setattr(backend, "insert", duplicate_reading)
    with pytest.raises(CanonError) as err:
        store.record_captures([capture(at=T0 + timedelta(days=1), values={101: 20000})])
    assert err.value.error_code == "store_error"
    monkeypatch.setattr(backend, "insert", real)
    assert len(store.readings()) == 3
    assert [d.last_captured_at for d in store.devices()] == [T0]


def test_invalid_capture_anywhere_in_the_batch_writes_nothing(store):
    # a malformed capture (a value that is no number at all) refuses the batch; a number out of
    # range (-1, 2^63) is only that reading's problem (tests/fuzz/test_counter_findings.py)
    bad = capture(serial="2XA09999", values={101: "many"})
    with pytest.raises(CanonError) as err:
        store.record_captures([capture(), bad])
    assert err.value.error_code == "invalid_argument"
    assert store.devices() == [] and store.readings() == []


@pytest.mark.parametrize("broken, words", [
    ({"captured_at": "2024-03-01T21:50:00"}, "no UTC offset"),
    ({"serial": "  "}, "no serial"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"counters": "101=5"}, "must be a list"),
])
def test_invalid_captures_are_refused_with_a_reason(store, broken, words):
    with pytest.raises(CanonError) as err:
        store.record_captures([dict(capture(), **broken)])
    assert err.value.error_code == "invalid_argument" and words in err.value.msg


def test_one_counter_listed_twice_with_different_values_is_refused(store):
    item = capture(values={101: 5})
    item["counters"].append({"id": "101", "value": 6})
    with pytest.raises(CanonError, match="twice"):
        store.record_captures([item])


def test_counter_without_value_is_skipped_and_reported(store):
    item = capture(values={101: 5})
    item["counters"].append({"id": 501, "name": "Scan (Total 1)", "value": None})
    result = store.record_captures([item])
    assert result["readings_new"] == 1
    assert result["skipped"] == [{"serial": "2XA01234", "counter": 501,
                                  "captured_at": "2024-03-01T21:50:00.000000Z", "reason": "no value"}]
    assert [c.counter_id for c in store.counters()] == [101, 501]


def test_crash_mid_transaction_leaves_no_partial_capture(tmp_path):
    """A process killed after writing readings but before COMMIT: the store holds nothing of it."""
    path = str(tmp_path / "counters.sqlite")
    with CounterStore(path=path) as store:
        store.record_captures([capture(at=T0)])
    script = textwrap.dedent("""
        import os, sys
        from datetime import datetime, timezone
        sys.path.insert(0, %r)
        import conftest
        from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore
        store = CounterStore(path=%r)
        real = store._backend.insert
        def crash(table, columns, rows):
            real(table, columns, rows)
            if table == "readings":
                os._exit(3)
        store._backend.insert = crash
        at = datetime(2024, 3, 2, tzinfo=timezone.utc)
        store.record_captures([{"serial": s, "timezone": "UTC", "captured_at": at,
                                "counters": [{"id": 101, "value": 99999}]} for s in ("2XA01234", "NEW0001")])
    """) % (ROOT, path)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert child.returncode == 3, child.stderr
    with CounterStore(path=path) as store:
        assert [d.serial for d in store.devices()] == ["2XA01234"]
        assert len(store.readings()) == 3
        assert store.last_capture_times() == {"2XA01234": T0}


# --- device identity and series -----------------------------------------------------------------------------

def test_new_serial_at_the_same_address_is_a_new_device(store):
    store.record_captures([capture(serial="OLD00001", values={101: 90000}, at=T0)])
    result = store.record_captures([capture(serial="NEW00002", values={101: 10}, at=T0 + timedelta(days=1))])
    assert result["devices_new"] == ["NEW00002"] and result["resets"] == []
    assert [(d.serial, d.address) for d in store.devices()] == [("NEW00002", "127.0.1.5"),
                                                                ("OLD00001", "127.0.1.5")]
    assert values_of(store, "NEW00002", 101) == [(T0 + timedelta(days=1), 10, 0)]
    assert values_of(store, "OLD00001", 101) == [(T0, 90000, 0)]


def test_device_that_moves_keeps_its_history(store):
    store.record_captures([capture(at=T0, address="127.0.1.5", values={101: 100})])
    store.record_captures([capture(at=T0 + timedelta(days=1), address="127.0.2.9", values={101: 150})])
    (device,) = store.devices()
    assert device.address == "127.0.2.9"
    assert (device.first_captured_at, device.last_captured_at) == (T0, T0 + timedelta(days=1))
    assert [v for _, v, _ in values_of(store, device.serial, 101)] == [100, 150]


def test_counter_going_down_starts_a_new_series_and_is_recorded(store):
    days = [T0 + timedelta(days=i) for i in range(4)]
    store.record_captures([capture(at=days[0], values={101: 100}), capture(at=days[1], values={101: 200})])
    result = store.record_captures([capture(at=days[2], values={101: 50})])
    store.record_captures([capture(at=days[3], values={101: 80})])
    assert result["resets"] == [{"serial": "2XA01234", "counter": 101,
                                 "captured_at": "2024-03-03T21:50:00.000000Z", "series": 1, "value": 50,
                                 "previous_captured_at": "2024-03-02T21:50:00.000000Z",
                                 "previous_value": 200}]
    assert [s for _, _, s in values_of(store, "2XA01234", 101)] == [0, 0, 1, 1]
    (reset,) = store.resets()
    assert (reset.captured_at, reset.value, reset.previous_value, reset.series) == (days[2], 50, 200, 1)
    assert set(store.verify().values()) == {0}


def test_equal_value_is_not_a_reset(store):
    store.record_captures([capture(at=T0 + timedelta(days=i), values={101: 100}) for i in range(3)])
    assert store.resets() == [] and {s for _, _, s in values_of(store, "2XA01234", 101)} == {0}


def test_backfilled_capture_recomputes_series(store):
    t1, t2, t3 = (T0 + timedelta(days=i) for i in range(3))
    store.record_captures([capture(at=t1, values={101: 100}), capture(at=t3, values={101: 50})])
    assert [r.captured_at for r in store.resets()] == [t3]
    result = store.record_captures([capture(at=t2, values={101: 40})])     # arrives late
    assert result["readings_new"] == 1
    assert [r["captured_at"] for r in result["resets"]] == ["2024-03-02T21:50:00.000000Z"]
    assert values_of(store, "2XA01234", 101) == [(t1, 100, 0), (t2, 40, 1), (t3, 50, 1)]
    assert [(r.captured_at, r.previous_value, r.value) for r in store.resets()] == [(t2, 100, 40)]
    assert set(store.verify().values()) == {0}


def test_verify_finds_broken_invariants(store):
    store.record_captures([capture(at=T0 + timedelta(days=i), values={101: v})
                           for i, v in enumerate([100, 200, 50])])
    assert set(store.verify().values()) == {0}
    store._backend.execute("UPDATE readings SET series = 0")
    problems = store.verify()
    assert problems["series_inconsistent"] == 1 and problems["resets_without_series_change"] == 1


def test_latest_description_wins_even_when_an_older_capture_arrives_late(store):
    store.record_captures([capture(at=T0 + timedelta(days=1), address="127.0.2.9", model="iR-ADV C5535 III")])
    store.record_captures([capture(at=T0, address="127.0.1.5", model="iR-ADV C5535")])
    (device,) = store.devices()
    assert (device.address, device.model, device.first_captured_at) == ("127.0.2.9", "iR-ADV C5535 III", T0)


# --- queries ------------------------------------------------------------------------------------------------

def test_latest_and_first_readings_per_counter(store):
    t1, t2 = T0, T0 + timedelta(days=1)
    store.record_captures([capture(at=t1, values={101: 10, 102: 20}), capture(at=t2, values={101: 15})])
    latest = {(r.counter_id, r.captured_at, r.value) for r in store.latest_readings()}
    assert latest == {(101, t2, 15), (102, t1, 20)}        # 102 missing from the last capture: older value
    assert {(r.counter_id, r.value) for r in store.latest_readings(at=t1)} == {(101, 10), (102, 20)}
    assert store.latest_readings(at=t1 - timedelta(seconds=1)) == []
    assert {(r.counter_id, r.captured_at) for r in store.first_readings()} == {(101, t1), (102, t1)}
    at_both = store.latest_readings_at([t1, t2], counter_ids=[102])
    assert [r.value for r in at_both[t2].values()] == [20]
    assert store.last_capture_times(at=t1) == {"2XA01234": t1}


def test_readings_in_a_time_range_are_start_exclusive_end_inclusive(store):
    times = [T0 + timedelta(hours=i) for i in range(4)]
    store.record_captures([capture(at=t, values={101: 10 + i}) for i, t in enumerate(times)])
    assert [r.value for r in store.readings(start=times[0], end=times[2])] == [11, 12]
    assert [r.value for r in store.readings(serials=["nobody"])] == []


# --- schema -------------------------------------------------------------------------------------------------

def test_store_written_by_a_newer_schema_is_refused(target):
    with CounterStore(**target) as store:
        store._backend.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (latest_schema_version() + 5, "from the future", "2030-01-01T00:00:00.000000Z"))
    with pytest.raises(CanonError) as err:
        CounterStore(**target)
    assert err.value.error_code == "store_schema_newer"
    assert err.value.details == {"store_version": latest_schema_version() + 5,
                                 "supported_version": latest_schema_version()}


def test_migrations_upgrade_an_older_store_in_order(target, monkeypatch):
    with CounterStore(**target) as store:
        store.record_captures([capture()])
    newer = counter_store.MIGRATIONS + (
        Migration(latest_schema_version() + 1, "device notes",
                  ("ALTER TABLE devices ADD COLUMN note TEXT",)),)
    monkeypatch.setattr(counter_store, "MIGRATIONS", newer)
    with CounterStore(**target, migrate=False) as store:      # check mode: never upgrade; read-only
        assert store.schema_version() == latest_schema_version() - 1 and len(store.readings()) == 3
        with pytest.raises(CanonError) as err:
            store.record_captures([capture()])
    assert err.value.error_code == "store_error" and "upgrade" in err.value.msg
    with CounterStore(**target) as store:
        assert store.schema_version() == latest_schema_version()
        store._backend.execute("UPDATE devices SET note = ?", ("kept",))
        assert store._backend.query("SELECT serial, note FROM devices") == [("2XA01234", "kept")]
        assert len(store.readings()) == 3                 # data survives the upgrade


def test_schema_1_store_reads_in_check_mode_and_upgrades_to_device_name_and_location(tmp_path, monkeypatch):
    """A store written before schema 2 (no device name/location): check mode reads it as it is and writes
    nothing; a normal run upgrades it, keeps its history, and stores sysName/sysLocation from then on."""
    path = str(tmp_path / "v1.sqlite")
    monkeypatch.setattr(counter_store, "MIGRATIONS", counter_store.MIGRATIONS[:1])
    with CounterStore(path=path) as old:                       # the schema an older collection wrote
        assert old.schema_version() == 1
        at = counter_store.format_time(T0)
        for sql, row in (
                ("INSERT INTO devices (serial, model, address, region, timezone) VALUES (?, ?, ?, ?, ?)",
                 ("2XA01234", "iR-ADV C5535", "127.0.1.5", "emea", "Europe/Berlin")),
                ("INSERT INTO captures (serial, captured_at, model, address, region) VALUES (?, ?, ?, ?, ?)",
                 ("2XA01234", at, "iR-ADV C5535", "127.0.1.5", "emea")),
                ("INSERT INTO counters (serial, counter_key, name, category, unit, source_table) "
                 "VALUES (?, ?, ?, ?, ?, ?)", ("2XA01234", "101", "Total 1", "total", "impressions", "all")),
                ("INSERT INTO readings (captured_at, serial, counter_key, value, series) VALUES (?, ?, ?, ?, ?)",
                 (at, "2XA01234", "101", 12345, 0))):
            old._backend.execute(sql, row)
    monkeypatch.undo()
    assert latest_schema_version() >= 2
    with CounterStore(path=path, create=False, migrate=False) as checked:      # check mode
        [device] = checked.devices()
        expected = ("2XA01234", "iR-ADV C5535", None, None)
        assert (device.serial, device.model, device.name, device.location) == expected
        assert [r.value for r in checked.readings()] == [12345]
        with pytest.raises(CanonError) as err:
            checked.record_captures([capture(at=T0 + timedelta(days=1))])
        assert err.value.error_code == "store_error"
    with CounterStore(path=path) as store:                     # a normal run upgrades
        assert store.schema_version() == latest_schema_version()
        assert store.devices()[0].name is None and [r.value for r in store.readings()] == [12345]
        store.record_captures([capture(at=T0 + timedelta(days=1), values={101: 12400}, name="hq-c5535",
                                       location="Floor 3, copy room")])
        store.record_captures([capture(at=T0 + timedelta(days=2), values={101: 12500})])   # no sysName answer
        [device] = store.devices()
        assert (device.name, device.location) == ("hq-c5535", "Floor 3, copy room")        # kept, not erased
        assert [r.value for r in store.readings()] == [12345, 12400, 12500]


def test_report_side_never_creates_a_store(tmp_path):
    path = tmp_path / "absent.sqlite"
    with pytest.raises(CanonError) as err:
        CounterStore(path=str(path), create=False)
    assert err.value.error_code == "store_not_found" and not path.exists()


def test_path_or_dsn_exactly_one():
    with pytest.raises(CanonError, match="either a path or a dsn"):
        CounterStore(path="/tmp/a.sqlite", dsn="dbname=x")


def test_postgresql_without_psycopg_is_a_missing_dependency(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(CanonError) as err:
        CounterStore(dsn="host=127.0.0.1 dbname=none")
    assert err.value.error_code == "missing_dependency" and "psycopg" in err.value.msg


@pytest.mark.postgres
def test_postgresql_connection_failure_is_a_store_error():
    with pytest.raises(CanonError) as err:
        CounterStore(dsn="host=127.0.0.1 port=1 dbname=none connect_timeout=2 password=s3cret")
    assert err.value.error_code == "store_error" and "s3cret" not in err.value.msg


# --- scale --------------------------------------------------------------------------------------------------

def fleet(day, devices=1000, counters=25):
    at = T0 + timedelta(days=day)
    return [{"serial": "S%05d" % d, "model": "iR-ADV C5535",
             "address": "127.0.%d.%d" % (d // 250, d % 250 + 1), "region": "emea",
             "timezone": "Europe/Berlin", "captured_at": at,
             "counters": [{"id": 101 + c, "name": "Counter %d" % c, "category": "total",
                           "unit": "impressions", "value": 1000 * day + d + c} for c in range(counters)]}
            for d in range(devices)]


def test_thousand_devices_by_25_counters_in_one_batch(tmp_path):
    """The nightly capture of a 1,000-device fleet: one transaction; the re-run adds nothing."""
    with CounterStore(path=str(tmp_path / "fleet.sqlite")) as store:
        store.record_captures(fleet(0))
        started = time.perf_counter()
        result = store.record_captures(fleet(1))
        elapsed = time.perf_counter() - started
        assert (result["readings_new"], result["readings_present"], result["resets"]) == (25000, 0, [])
        assert store.record_captures(fleet(1))["readings_present"] == 25000
        print("\nSQLite: 25,000 readings (1,000 devices x 25 counters) in %.3f s = %.0f readings/s"
              % (elapsed, 25000 / elapsed))
        assert elapsed < 10, "a nightly capture must not take minutes"
