# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter history store: every meter reading ever captured, kept so billing can trust it.

A SQLite file by default (no set-up), PostgreSQL when a DSN is given (psycopg 3, optional).
Both use the same schema, created and upgraded by the numbered ``MIGRATIONS`` below and
recorded in ``schema_version``.

Rules the rest of the collection relies on:

* A device is its serial number. A new serial at an old address is a new device.
* A reading is keyed by (serial, counter key, capture time). Writing the same capture again
  adds nothing, so a re-run never double-counts; ``record_captures`` says what was new.
* One call to ``record_captures`` is one transaction: a crash or an error leaves no partial capture.
* Within one (serial, counter) the readings form *series*. A value lower than the reading
  before it (board replacement, counter reset) starts a new series; the ``resets`` table
  records each boundary with the last value of the old series, so reports never compute a
  negative delta and can flag the reset.

Times are stored as fixed-width ISO-8601 UTC text (``2024-03-31T21:30:00.000000Z``), which
sorts the same way as the instants and reads the same in both databases.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence,
                    Set, Tuple, Union)
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.printfleet.canon.plugins.module_utils.errors import CanonError

CounterId = Union[int, str]


# --- schema -------------------------------------------------------------------------------------

class Migration(NamedTuple):
    version: int
    description: str
    statements: Tuple[str, ...]


# Append new migrations; never edit a released one. SQL here must run on SQLite >= 3.24 and
# PostgreSQL >= 12 alike (one schema for both).
MIGRATIONS: Tuple[Migration, ...] = (
    Migration(1, "devices, counters, readings, resets", (
        """CREATE TABLE devices (
            serial TEXT PRIMARY KEY,
            model TEXT,
            address TEXT,
            region TEXT,
            timezone TEXT NOT NULL,
            first_captured_at TEXT NOT NULL,
            last_captured_at TEXT NOT NULL
        )""",
        # meta_captured_at: the capture the name/category/unit came from (latest wins).
        """CREATE TABLE counters (
            serial TEXT NOT NULL REFERENCES devices (serial),
            counter_key TEXT NOT NULL,
            name TEXT,
            category TEXT,
            unit TEXT,
            source_table TEXT,
            meta_captured_at TEXT NOT NULL,
            PRIMARY KEY (serial, counter_key)
        )""",
        """CREATE TABLE readings (
            serial TEXT NOT NULL,
            counter_key TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            value BIGINT NOT NULL CHECK (value >= 0),
            series INTEGER NOT NULL CHECK (series >= 0),
            PRIMARY KEY (serial, counter_key, captured_at),
            FOREIGN KEY (serial, counter_key) REFERENCES counters (serial, counter_key)
        )""",
        # Fleet-wide time-range queries (retention pruning, "what was captured last night").
        "CREATE INDEX readings_by_time ON readings (captured_at)",
        # One row per series boundary: the first reading of series N and the last of series N-1.
        """CREATE TABLE resets (
            serial TEXT NOT NULL,
            counter_key TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            series INTEGER NOT NULL,
            value BIGINT NOT NULL,
            previous_captured_at TEXT NOT NULL,
            previous_value BIGINT NOT NULL,
            PRIMARY KEY (serial, counter_key, captured_at),
            FOREIGN KEY (serial, counter_key, captured_at) REFERENCES readings (serial, counter_key, captured_at)
        )""",
    )),
)

# Serialises writers on PostgreSQL (several controllers / AWX nodes): pg_advisory_xact_lock key.
_PG_WRITER_LOCK = 0x7072696E74666C74  # "printflt"
_IN_CHUNK = 500                     # parameters per IN (...) list
_MAX_VALUE = 2 ** 63 - 1            # BIGINT
_MAX_TEXT_ID = 200                  # longest counter label kept as an id
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_DIGITS = re.compile(r"[0-9]+\Z")


def latest_schema_version() -> int:
    """The schema version this code writes (the last migration)."""
    return MIGRATIONS[-1].version


# --- identities and values ------------------------------------------------------------------------

def counter_key(counter_id: Any) -> str:
    """The stored key of a counter id.

    Canon counter IDs are integers (101, 102 …) and are stored as their decimal text; a string
    that is exactly such a number ("101") is the same counter. Any other string (a standard
    object such as "prtMarkerLifeCount", a label of an unknown device table) is kept verbatim,
    so no counter is ever dropped or merged with another.
    """
    if isinstance(counter_id, bool):
        raise CanonError("invalid_argument", "counter id %r is not an integer or a string" % (counter_id,))
    if isinstance(counter_id, int):
        if counter_id < 0:
            raise CanonError("invalid_argument", "counter id %d is negative" % counter_id)
        return str(counter_id)
    if isinstance(counter_id, str):
        text = counter_id.strip()
        if not text or len(text) > _MAX_TEXT_ID:
            raise CanonError("invalid_argument",
                             "counter id %r must be 1 to %d characters" % (counter_id, _MAX_TEXT_ID))
        if _DIGITS.match(text) and str(int(text)) == text:
            return text
        return text
    raise CanonError("invalid_argument", "counter id %r is not an integer or a string" % (counter_id,))


def counter_id_of(key: str) -> CounterId:
    """The public id of a stored key: an int for Canon numeric IDs, else the text."""
    if _DIGITS.match(key) and str(int(key)) == key:
        return int(key)
    return key


def counter_sort_key(key: str) -> Tuple[int, int, str]:
    """Numeric Canon IDs first, in numeric order, then text ids alphabetically."""
    cid = counter_id_of(key)
    return (0, cid, "") if isinstance(cid, int) else (1, 0, key.casefold())


def to_utc(value: Any, what: str = "captured_at") -> datetime:
    """An aware datetime in UTC from a datetime or ISO-8601 text; naive times are refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise CanonError("invalid_argument", "%s %r is not an ISO-8601 date-time" % (what, value))
    if not isinstance(value, datetime):
        raise CanonError("invalid_argument", "%s must be a date-time, got %r" % (what, value))
    if value.tzinfo is None or value.utcoffset() is None:
        raise CanonError("invalid_argument",
                         "%s %s has no UTC offset; give an aware time (e.g. ...+00:00)" % (what, value.isoformat()))
    return value.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return to_utc(moment).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)


# --- what the store returns ------------------------------------------------------------------------

@dataclass(frozen=True)
class Device:
    serial: str
    model: Optional[str]
    address: Optional[str]
    region: Optional[str]
    timezone: str
    first_captured_at: datetime
    last_captured_at: datetime


@dataclass(frozen=True)
class CounterInfo:
    serial: str
    key: str
    name: Optional[str]
    category: Optional[str]
    unit: Optional[str]
    source_table: Optional[str]

    @property
    def counter_id(self) -> CounterId:
        return counter_id_of(self.key)


@dataclass(frozen=True)
class Reading:
    serial: str
    key: str
    captured_at: datetime
    value: int
    series: int

    @property
    def counter_id(self) -> CounterId:
        return counter_id_of(self.key)


@dataclass(frozen=True)
class Reset:
    """A series boundary: ``value`` starts series ``series``; ``previous_value`` ended the one before."""
    serial: str
    key: str
    captured_at: datetime
    series: int
    value: int
    previous_captured_at: datetime
    previous_value: int

    @property
    def counter_id(self) -> CounterId:
        return counter_id_of(self.key)


# --- capture validation (pure, before any write) ------------------------------------------------------

@dataclass
class _DeviceRow:
    serial: str
    model: Optional[str]
    address: Optional[str]
    region: Optional[str]
    timezone: str
    first: str
    last: str


@dataclass
class _CounterRow:
    serial: str
    key: str
    name: Optional[str]
    category: Optional[str]
    unit: Optional[str]
    source_table: Optional[str]
    meta_at: str


@dataclass
class _Batch:
    captures: int
    devices: Dict[str, _DeviceRow]
    counters: Dict[Tuple[str, str], _CounterRow]
    readings: Dict[Tuple[str, str, str], int]     # (serial, key, time) -> value
    skipped: List[Dict[str, Any]]


def _optional_text(capture: Mapping[str, Any], name: str) -> Optional[str]:
    value = capture.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise CanonError("invalid_argument", "capture field %r must be text, got %r" % (name, value))
    text = str(value).strip()
    return text or None


def _counter_value(value: Any, serial: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CanonError("invalid_argument",
                         "counter %s of %s has value %r; counters are whole numbers" % (key, serial, value))
    if isinstance(value, str):
        if not _DIGITS.match(value.strip()):
            raise CanonError("invalid_argument",
                             "counter %s of %s has value %r; counters are whole numbers" % (key, serial, value))
        value = int(value.strip())
    if value < 0 or value > _MAX_VALUE:
        raise CanonError("invalid_argument", "counter %s of %s has value %d out of range" % (key, serial, value))
    return value


def _validated_timezone(name: Optional[str], serial: str) -> str:
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CanonError("invalid_argument",
                         "device %s: unknown time zone %r (use an IANA name such as Europe/Berlin)" % (serial, name))
    return name


def normalise_captures(captures: Iterable[Mapping[str, Any]]) -> _Batch:
    """Validate every capture and fold it into rows; raises CanonError('invalid_argument')."""
    if isinstance(captures, Mapping):
        captures = [captures]
    batch = _Batch(0, {}, {}, {}, [])
    for capture in captures:
        if not isinstance(capture, Mapping):
            raise CanonError("invalid_argument", "a capture must be a dict, got %r" % (type(capture).__name__,))
        batch.captures += 1
        serial = _optional_text(capture, "serial")
        if not serial:
            raise CanonError("invalid_argument", "a capture has no serial; the serial identifies the device",
                             address=capture.get("address"))
        at = format_time(to_utc(capture.get("captured_at"), "captured_at of %s" % serial))
        tz_name = _validated_timezone(_optional_text(capture, "timezone"), serial)
        meta = dict(model=_optional_text(capture, "model"), address=_optional_text(capture, "address"),
                    region=_optional_text(capture, "region"), timezone=tz_name)
        known = batch.devices.get(serial)
        if known is None:
            batch.devices[serial] = _DeviceRow(serial, first=at, last=at, **meta)
        else:
            if at >= known.last:
                for field_name, value in meta.items():
                    setattr(known, field_name, value if value is not None else getattr(known, field_name))
                known.last = at
            known.first = min(known.first, at)

        counters = capture.get("counters")
        if not isinstance(counters, (list, tuple)):
            raise CanonError("invalid_argument", "capture of %s: 'counters' must be a list" % serial)
        for counter in counters:
            if not isinstance(counter, Mapping) or "id" not in counter:
                raise CanonError("invalid_argument", "capture of %s: every counter needs an 'id'" % serial)
            key = counter_key(counter["id"])
            info = _CounterRow(serial, key, _optional_text(counter, "name"), _optional_text(counter, "category"),
                               _optional_text(counter, "unit"), _optional_text(counter, "table"), at)
            previous = batch.counters.get((serial, key))
            if previous is None or at >= previous.meta_at:
                batch.counters[(serial, key)] = info
            if counter.get("value") is None:
                batch.skipped.append({"serial": serial, "counter": counter_id_of(key), "captured_at": at,
                                      "reason": "no value"})
                continue
            value = _counter_value(counter["value"], serial, key)
            stored = batch.readings.setdefault((serial, key, at), value)
            if stored != value:
                raise CanonError("invalid_argument",
                                 "capture of %s at %s lists counter %s twice with different values (%d, %d)"
                                 % (serial, at, counter_id_of(key), stored, value))
    return batch


# --- database backends -----------------------------------------------------------------------------

def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class _Backend:
    """The few operations the store needs; SQL is written with ``?`` placeholders."""

    name = ""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        raise NotImplementedError

    def write_transaction(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def read_snapshot(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _SqliteBackend(_Backend):
    name = "sqlite"

    def __init__(self, path: str, create: bool) -> None:
        path = os.path.abspath(os.path.expanduser(path))
        self.path = path
        existed = os.path.exists(path)
        if not existed and not create:
            raise CanonError("store_not_found", "no counter history store at %s" % path)
        if not existed:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE / COMMIT) below.
            self.conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not existed:
                # WAL: reports read while a capture writes.
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise CanonError("store_error", "cannot open the counter history store %s: %s" % (path, exc))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    @contextlib.contextmanager
    def write_transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock before the first read, so the decisions made from
        # what is read (new vs present, series) hold until COMMIT.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def read_snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def has_table(self, name: str) -> bool:
        return bool(self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def close(self) -> None:
        self.conn.close()


class _PostgresBackend(_Backend):
    name = "postgresql"

    def __init__(self, dsn: str, create: bool) -> None:
        try:
            import psycopg  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise CanonError("missing_dependency",
                             "a PostgreSQL counter store needs the psycopg 3 package, which is not installed",
                             hint="Install it into the Python that runs Ansible: pip install 'psycopg[binary]>=3.1'.")
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(dsn, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            # The message names host/port/database; psycopg never echoes the password.
            raise CanonError("store_error", "cannot connect to the PostgreSQL counter store: %s"
                             % str(exc).strip())
        self._create = create

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return cur.fetchall()

    @contextlib.contextmanager
    def write_transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (_PG_WRITER_LOCK,))
            yield

    @contextlib.contextmanager
    def read_snapshot(self) -> Iterator[None]:
        with self.conn.transaction():
            self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def has_table(self, name: str) -> bool:
        return self.query("SELECT to_regclass(?)", (name,))[0][0] is not None

    def close(self) -> None:
        self.conn.close()


def _database_errors() -> Tuple[type, ...]:
    errors: List[type] = [sqlite3.Error]
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
        errors.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(errors)


# --- the store ----------------------------------------------------------------------------------------

class CounterStore:
    """The counter history. Open with a SQLite ``path`` or a PostgreSQL ``dsn``.

    ``create=False`` refuses to create a missing SQLite file (reports must not invent an empty
    history); ``migrate=False`` refuses to upgrade an older schema (check mode writes nothing).
    """

    def __init__(self, path: Optional[str] = None, dsn: Optional[str] = None, *, create: bool = True,
                 migrate: bool = True) -> None:
        if bool(path) == bool(dsn):
            raise CanonError("invalid_argument", "give the counter store either a path or a dsn")
        self._errors = _database_errors()
        self._backend: _Backend = _PostgresBackend(dsn, create) if dsn else _SqliteBackend(path, create)
        try:
            self._prepare_schema(create=create, migrate=migrate)
        except BaseException:
            self._backend.close()
            raise

    # context manager -------------------------------------------------------------------------------
    def __enter__(self) -> "CounterStore":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._backend.close()

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._backend.name

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Database errors become CanonError('store_error'); CanonError passes through."""
        try:
            yield
        except CanonError:
            raise
        except self._errors as exc:
            raise CanonError("store_error", "counter store failed while %s: %s" % (action, str(exc).strip()))

    # schema ------------------------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The version recorded in the database (0 if it has no schema yet)."""
        with self._guard("reading the schema version"):
            if not self._backend.has_table("schema_version"):
                return 0
            rows = self._backend.query("SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)

    def _prepare_schema(self, create: bool, migrate: bool) -> None:
        latest = latest_schema_version()
        current = self.schema_version()
        if current > latest:
            raise CanonError("store_schema_newer",
                             "the counter store has schema version %d; this collection knows up to %d"
                             % (current, latest), store_version=current, supported_version=latest)
        if current == latest:
            return
        if current == 0 and not create:
            raise CanonError("store_not_found", "the database holds no counter history (no schema)")
        if not migrate:
            raise CanonError("store_error", "the counter store has schema version %d and needs an upgrade to %d"
                             % (current, latest),
                             hint="Run once without check mode (or run canon_counters) to upgrade it.")
        with self._guard("upgrading the schema"), self._backend.write_transaction():
            self._backend.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                                  "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                                  "applied_at TEXT NOT NULL)")
            # Read again under the write lock: another process may have migrated meanwhile.
            rows = self._backend.query("SELECT MAX(version) FROM schema_version")
            current = int(rows[0][0] or 0)
            if current > latest:
                raise CanonError("store_schema_newer", "the counter store has schema version %d; this "
                                 "collection knows up to %d" % (current, latest))
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in migration.statements:
                    self._backend.execute(statement)
                self._backend.execute("INSERT INTO schema_version (version, description, applied_at) "
                                      "VALUES (?, ?, ?)", (migration.version, migration.description,
                                                           format_time(datetime.now(timezone.utc))))

    # writing -------------------------------------------------------------------------------------------
    def record_captures(self, captures: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
        """Store many captures in one transaction; idempotent on (serial, counter, capture time).

        Returns counts (``readings_new``, ``readings_present``), ``devices_new``, the ``resets``
        this batch revealed, ``conflicts`` (a reading already stored for the same key with a
        different value: the stored value is kept) and ``skipped`` counters without a value.
        """
        batch = normalise_captures(captures)
        with self._guard("recording captures"), self._backend.write_transaction():
            result = self._write_batch(batch)
        return result

    def _write_batch(self, batch: _Batch) -> Dict[str, Any]:
        db = self._backend
        serials = sorted(batch.devices)
        known = set()
        for chunk in _chunks(serials):
            known.update(row[0] for row in db.query(
                "SELECT serial FROM devices WHERE serial IN (%s)" % _marks(len(chunk)), chunk))
        db.executemany(
            "INSERT INTO devices (serial, model, address, region, timezone, first_captured_at, last_captured_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET "
            "model = CASE WHEN excluded.last_captured_at >= devices.last_captured_at "
            "  THEN COALESCE(excluded.model, devices.model) ELSE devices.model END, "
            "address = CASE WHEN excluded.last_captured_at >= devices.last_captured_at "
            "  THEN COALESCE(excluded.address, devices.address) ELSE devices.address END, "
            "region = CASE WHEN excluded.last_captured_at >= devices.last_captured_at "
            "  THEN COALESCE(excluded.region, devices.region) ELSE devices.region END, "
            "timezone = CASE WHEN excluded.last_captured_at >= devices.last_captured_at "
            "  THEN excluded.timezone ELSE devices.timezone END, "
            "first_captured_at = CASE WHEN excluded.first_captured_at < devices.first_captured_at "
            "  THEN excluded.first_captured_at ELSE devices.first_captured_at END, "
            "last_captured_at = CASE WHEN excluded.last_captured_at > devices.last_captured_at "
            "  THEN excluded.last_captured_at ELSE devices.last_captured_at END",
            [(d.serial, d.model, d.address, d.region, d.timezone, d.first, d.last)
             for d in (batch.devices[s] for s in serials)])
        db.executemany(
            "INSERT INTO counters (serial, counter_key, name, category, unit, source_table, meta_captured_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial, counter_key) DO UPDATE SET "
            "name = CASE WHEN excluded.meta_captured_at >= counters.meta_captured_at "
            "  THEN COALESCE(excluded.name, counters.name) ELSE counters.name END, "
            "category = CASE WHEN excluded.meta_captured_at >= counters.meta_captured_at "
            "  THEN COALESCE(excluded.category, counters.category) ELSE counters.category END, "
            "unit = CASE WHEN excluded.meta_captured_at >= counters.meta_captured_at "
            "  THEN COALESCE(excluded.unit, counters.unit) ELSE counters.unit END, "
            "source_table = CASE WHEN excluded.meta_captured_at >= counters.meta_captured_at "
            "  THEN COALESCE(excluded.source_table, counters.source_table) ELSE counters.source_table END, "
            "meta_captured_at = CASE WHEN excluded.meta_captured_at > counters.meta_captured_at "
            "  THEN excluded.meta_captured_at ELSE counters.meta_captured_at END",
            [(c.serial, c.key, c.name, c.category, c.unit, c.source_table, c.meta_at)
             for _, c in sorted(batch.counters.items())])

        # New readings per (serial, key), in time order.
        per_pair: Dict[Tuple[str, str], List[Tuple[str, int]]] = {}
        for (serial, key, at), value in sorted(batch.readings.items()):
            per_pair.setdefault((serial, key), []).append((at, value))
        latest = {(r.serial, r.key): r for r in self._latest(serials=serials, at=None)}

        # Readings at or before the latest stored one: already present (a re-run) or a backfill.
        maybe_present = [(s, k, at) for (s, k), items in per_pair.items() for at, _ in items
                         if (s, k) in latest and at <= format_time(latest[(s, k)].captured_at)]
        present = self._values_at(maybe_present)
        conflicts: List[Dict[str, Any]] = []
        readings_present = 0
        append_pairs: Dict[Tuple[str, str], List[Tuple[str, int]]] = {}
        rebuild_pairs: Dict[Tuple[str, str], List[Tuple[str, int]]] = {}
        for pair, items in per_pair.items():
            fresh = []
            for at, value in items:
                stored = present.get((pair[0], pair[1], at))
                if stored is None:
                    fresh.append((at, value))
                    continue
                readings_present += 1
                if stored != value:
                    conflicts.append({"serial": pair[0], "counter": counter_id_of(pair[1]), "captured_at": at,
                                      "stored_value": stored, "value": value})
            if not fresh:
                continue
            last = latest.get(pair)
            if last is not None and fresh[0][0] < format_time(last.captured_at):
                rebuild_pairs[pair] = fresh
            else:
                append_pairs[pair] = fresh

        new_rows: List[Tuple[Any, ...]] = []
        new_resets: List[Tuple[Any, ...]] = []
        for pair, items in append_pairs.items():
            last = latest.get(pair)
            prev = (format_time(last.captured_at), last.value, last.series) if last else None
            for at, value in items:
                series = 0 if prev is None else prev[2] + (1 if value < prev[1] else 0)
                if prev is not None and series != prev[2]:
                    new_resets.append((pair[0], pair[1], at, series, value, prev[0], prev[1]))
                new_rows.append((pair[0], pair[1], at, value, series))
                prev = (at, value, series)
        series_updates: List[Tuple[Any, ...]] = []
        rebuilt_resets: List[Tuple[Any, ...]] = []
        for pair, items in rebuild_pairs.items():
            rows, updates, resets, added = self._rebuild_pair(pair, items)
            new_rows.extend(rows)
            series_updates.extend(updates)
            rebuilt_resets.extend(resets)
            new_resets.extend(added)

        db.executemany("INSERT INTO readings (serial, counter_key, captured_at, value, series) "
                       "VALUES (?, ?, ?, ?, ?)", new_rows)
        if rebuild_pairs:
            db.executemany("DELETE FROM resets WHERE serial = ? AND counter_key = ?", list(rebuild_pairs))
            db.executemany("UPDATE readings SET series = ? WHERE serial = ? AND counter_key = ? AND captured_at = ?",
                           series_updates)
        reset_sql = ("INSERT INTO resets (serial, counter_key, captured_at, series, value, previous_captured_at, "
                     "previous_value) VALUES (?, ?, ?, ?, ?, ?, ?)")
        db.executemany(reset_sql, [r for r in new_resets if (r[0], r[1]) not in rebuild_pairs])
        db.executemany(reset_sql, rebuilt_resets)

        return {
            "captures": batch.captures,
            "devices": len(serials),
            "devices_new": [s for s in serials if s not in known],
            "readings_new": len(new_rows),
            "readings_present": readings_present,
            "conflicts": conflicts,
            "resets": [{"serial": r[0], "counter": counter_id_of(r[1]), "captured_at": r[2], "series": r[3],
                        "value": r[4], "previous_captured_at": r[5], "previous_value": r[6]}
                       for r in sorted(new_resets)],
            "skipped": batch.skipped,
        }

    def _rebuild_pair(self, pair: Tuple[str, str], items: List[Tuple[str, int]]
                      ) -> Tuple[List[Tuple[Any, ...]], List[Tuple[Any, ...]], List[Tuple[Any, ...]],
                                 List[Tuple[Any, ...]]]:
        """Merge back-filled readings into one counter's history and recompute its series.

        The rare path (a capture older than one already stored); it reads that counter's whole
        history. Returns new reading rows, series updates, all reset rows, and the resets that
        did not exist before.
        """
        serial, key = pair
        db = self._backend
        history = {at: (value, series) for at, value, series in db.query(
            "SELECT captured_at, value, series FROM readings WHERE serial = ? AND counter_key = ?", pair)}
        old_resets = {row[0] for row in db.query(
            "SELECT captured_at FROM resets WHERE serial = ? AND counter_key = ?", pair)}
        new_times = {at for at, _ in items}
        merged = sorted([(at, v) for at, (v, _) in history.items()] + list(items))
        rows, updates, resets, added = [], [], [], []
        prev: Optional[Tuple[str, int, int]] = None
        for at, value in merged:
            series = 0 if prev is None else prev[2] + (1 if value < prev[1] else 0)
            if prev is not None and series != prev[2]:
                reset = (serial, key, at, series, value, prev[0], prev[1])
                resets.append(reset)
                if at not in old_resets:
                    added.append(reset)
            if at in new_times:
                rows.append((serial, key, at, value, series))
            elif history[at][1] != series:
                updates.append((series, serial, key, at))
            prev = (at, value, series)
        return rows, updates, resets, added

    def _values_at(self, keys: List[Tuple[str, str, str]]) -> Dict[Tuple[str, str, str], int]:
        """Stored values for exact (serial, key, time) triples."""
        found: Dict[Tuple[str, str, str], int] = {}
        if not keys:
            return found
        wanted = set(keys)
        by_serial: Dict[str, List[str]] = {}
        for serial, _, at in keys:
            by_serial.setdefault(serial, []).append(at)
        serials = sorted(by_serial)
        for chunk in _chunks(serials):
            times = [at for s in chunk for at in by_serial[s]]
            rows = self._backend.query(
                "SELECT serial, counter_key, captured_at, value FROM readings WHERE serial IN (%s) "
                "AND captured_at >= ? AND captured_at <= ?" % _marks(len(chunk)),
                list(chunk) + [min(times), max(times)])
            for serial, key, at, value in rows:
                if (serial, key, at) in wanted:
                    found[(serial, key, at)] = int(value)
        return found

    # reading -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def snapshot(self) -> Iterator["CounterStore"]:
        """Run several queries against one consistent view (a report must not see half a capture)."""
        with self._guard("opening a read snapshot"), self._backend.read_snapshot():
            yield self

    def _where(self, serials: Optional[Sequence[str]], keys: Optional[Set[str]], column_prefix: str = ""
               ) -> Iterator[Tuple[str, List[Any]]]:
        """SQL filter fragments, one per chunk of serials (None = every device)."""
        key_sql, key_params = "", []
        if keys is not None:
            key_list = sorted(keys)
            key_sql = " AND %scounter_key IN (%s)" % (column_prefix, _marks(len(key_list))) if key_list else " AND 1 = 0"
            key_params = key_list
        if serials is None:
            yield key_sql, list(key_params)
            return
        for chunk in _chunks(sorted(set(serials))):
            yield (" AND %sserial IN (%s)%s" % (column_prefix, _marks(len(chunk)), key_sql),
                   list(chunk) + list(key_params))

    @staticmethod
    def _keys(counter_ids: Optional[Iterable[CounterId]]) -> Optional[Set[str]]:
        return None if counter_ids is None else {counter_key(c) for c in counter_ids}

    def devices(self, serials: Optional[Sequence[str]] = None) -> List[Device]:
        """Every device (or the given serials), ordered by serial."""
        found = []
        with self._guard("listing devices"):
            for where, params in self._where(serials, None):
                found.extend(self._backend.query(
                    "SELECT serial, model, address, region, timezone, first_captured_at, last_captured_at "
                    "FROM devices WHERE 1 = 1" + where, params))
        return sorted((Device(r[0], r[1], r[2], r[3], r[4], parse_time(r[5]), parse_time(r[6])) for r in found),
                      key=lambda d: d.serial)

    def counters(self, serials: Optional[Sequence[str]] = None,
                 counter_ids: Optional[Iterable[CounterId]] = None) -> List[CounterInfo]:
        """The counters each device has reported, with their latest name, category and unit."""
        found = []
        with self._guard("listing counters"):
            for where, params in self._where(serials, self._keys(counter_ids)):
                found.extend(self._backend.query(
                    "SELECT serial, counter_key, name, category, unit, source_table FROM counters "
                    "WHERE 1 = 1" + where, params))
        return sorted((CounterInfo(*r) for r in found), key=lambda c: (c.serial, counter_sort_key(c.key)))

    def _latest(self, serials: Optional[Sequence[str]], at: Optional[str], keys: Optional[Set[str]] = None,
                earliest: bool = False) -> List[Reading]:
        order = "ASC" if earliest else "DESC"
        bound = " AND p.captured_at <= ?" if at is not None else ""
        found = []
        for where, params in self._where(serials, keys, column_prefix="c."):
            sql = ("SELECT r.serial, r.counter_key, r.captured_at, r.value, r.series FROM counters c "
                   "JOIN readings r ON r.serial = c.serial AND r.counter_key = c.counter_key "
                   "AND r.captured_at = (SELECT p.captured_at FROM readings p WHERE p.serial = c.serial "
                   "AND p.counter_key = c.counter_key%s ORDER BY p.captured_at %s LIMIT 1) WHERE 1 = 1%s"
                   % (bound, order, where))
            found.extend(self._backend.query(sql, ([at] if at is not None else []) + params))
        return [Reading(r[0], r[1], parse_time(r[2]), int(r[3]), int(r[4])) for r in found]

    def latest_readings(self, at: Optional[datetime] = None, serials: Optional[Sequence[str]] = None,
                        counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reading]:
        """Per (device, counter): the last reading at or before ``at`` (default: the last one)."""
        with self._guard("reading the latest values"):
            return self._latest(serials, format_time(at) if at is not None else None, self._keys(counter_ids))

    def first_readings(self, serials: Optional[Sequence[str]] = None,
                       counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reading]:
        """Per (device, counter): the first reading ever stored (where its history starts)."""
        with self._guard("reading the first values"):
            return self._latest(serials, None, self._keys(counter_ids), earliest=True)

    def readings(self, start: Optional[datetime] = None, end: Optional[datetime] = None,
                 serials: Optional[Sequence[str]] = None,
                 counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reading]:
        """Readings with ``start < captured_at <= end``, ordered by device, counter and time."""
        bounds, bound_params = self._time_bounds(start, end)
        found = []
        with self._guard("reading counter history"):
            for where, params in self._where(serials, self._keys(counter_ids)):
                found.extend(self._backend.query(
                    "SELECT serial, counter_key, captured_at, value, series FROM readings WHERE 1 = 1"
                    + bounds + where, bound_params + params))
        readings = [Reading(r[0], r[1], parse_time(r[2]), int(r[3]), int(r[4])) for r in found]
        return sorted(readings, key=lambda r: (r.serial, counter_sort_key(r.key), r.captured_at))

    def resets(self, start: Optional[datetime] = None, end: Optional[datetime] = None,
               serials: Optional[Sequence[str]] = None,
               counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reset]:
        """Series boundaries with ``start < captured_at <= end``, ordered by device, counter and time."""
        bounds, bound_params = self._time_bounds(start, end)
        found = []
        with self._guard("reading counter resets"):
            for where, params in self._where(serials, self._keys(counter_ids)):
                found.extend(self._backend.query(
                    "SELECT serial, counter_key, captured_at, series, value, previous_captured_at, previous_value "
                    "FROM resets WHERE 1 = 1" + bounds + where, bound_params + params))
        resets = [Reset(r[0], r[1], parse_time(r[2]), int(r[3]), int(r[4]), parse_time(r[5]), int(r[6]))
                  for r in found]
        return sorted(resets, key=lambda r: (r.serial, counter_sort_key(r.key), r.captured_at))

    @staticmethod
    def _time_bounds(start: Optional[datetime], end: Optional[datetime]) -> Tuple[str, List[Any]]:
        sql, params = "", []
        if start is not None:
            sql += " AND captured_at > ?"
            params.append(format_time(start))
        if end is not None:
            sql += " AND captured_at <= ?"
            params.append(format_time(end))
        return sql, params
