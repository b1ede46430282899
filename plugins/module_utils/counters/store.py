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
import time
from collections.abc import Mapping as AbcMapping  # isinstance on typing.Mapping is slow per counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence,
                    Set, Tuple, Union)
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

CounterId = Union[int, str]


# --- schema -------------------------------------------------------------------------------------

class Migration(NamedTuple):
    version: int
    description: str
    statements: Tuple[str, ...]


# Append new migrations; never edit a released one. SQL here must run on SQLite >= 3.24 and
# PostgreSQL >= 12 alike (one schema for both). The one dialect difference is physical, not
# logical: ``{clustered}`` becomes WITHOUT ROWID on SQLite (a row lives in its primary-key
# B-tree only) and nothing on PostgreSQL.
#
# Readings are keyed time first (captured_at, serial, counter_key): a nightly capture appends
# at the end of the tree instead of touching one page per counter of every device, so insert
# cost stays flat as the history grows. Per-device lookups go through ``captures``.
#
# ``readings`` carries no foreign keys: on PostgreSQL the two per-row checks cost more than
# the insert itself (25,000 rows: 0.2 s without, 1.7 s with). ``record_captures`` writes the
# capture and counter rows in the same transaction before the readings, and ``verify()``
# checks that no reading lacks them.
MIGRATIONS: Tuple[Migration, ...] = (
    Migration(1, "devices, counters, captures, readings, resets", (
        # One row per device (serial); model, address, region and time zone as of its latest capture.
        """CREATE TABLE devices (
            serial TEXT PRIMARY KEY,
            model TEXT,
            address TEXT,
            region TEXT,
            timezone TEXT NOT NULL
        )""",
        # The counters each device has reported; names, categories, units as of the latest capture.
        """CREATE TABLE counters (
            serial TEXT NOT NULL REFERENCES devices (serial),
            counter_key TEXT NOT NULL,
            name TEXT,
            category TEXT,
            unit TEXT,
            source_table TEXT,
            PRIMARY KEY (serial, counter_key)
        )""",
        # One row per capture of one device: where it was at the time (audit trail of moves).
        """CREATE TABLE captures (
            serial TEXT NOT NULL REFERENCES devices (serial),
            captured_at TEXT NOT NULL,
            model TEXT,
            address TEXT,
            region TEXT,
            PRIMARY KEY (serial, captured_at)
        ){clustered}""",
        """CREATE TABLE readings (
            captured_at TEXT NOT NULL,
            serial TEXT NOT NULL,
            counter_key TEXT NOT NULL,
            value BIGINT NOT NULL CHECK (value >= 0),
            series INTEGER NOT NULL CHECK (series >= 0),
            PRIMARY KEY (captured_at, serial, counter_key)
        ){clustered}""",
        # One row per series boundary: the first reading of series N and the last one of N-1.
        """CREATE TABLE resets (
            serial TEXT NOT NULL,
            counter_key TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            series INTEGER NOT NULL,
            value BIGINT NOT NULL,
            previous_captured_at TEXT NOT NULL,
            previous_value BIGINT NOT NULL,
            PRIMARY KEY (serial, counter_key, captured_at),
            FOREIGN KEY (captured_at, serial, counter_key)
                REFERENCES readings (captured_at, serial, counter_key)
        ){clustered}""",
        "CREATE INDEX resets_by_time ON resets (captured_at)",
    )),
    # The device's own name (sysName) and location (sysLocation) as of its latest capture, for the report's
    # summary ("name/location"). Rows of older stores keep NULL until the device is captured again.
    Migration(2, "device name and location", (
        "ALTER TABLE devices ADD COLUMN name TEXT",
        "ALTER TABLE devices ADD COLUMN location TEXT",
    )),
)

# Serialises writers on PostgreSQL (several controllers / AWX nodes): pg_advisory_xact_lock key.
_PG_WRITER_LOCK = 0x7072696E74666C74  # "printflt"
_IN_CHUNK = 500                     # parameters per IN (...) list
_MAX_VALUE = 2 ** 63 - 1            # BIGINT
_MAX_TEXT_ID = 200                  # longest counter label kept as an id
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_DIGITS = re.compile(r"[0-9]+\Z")

Pair = Tuple[str, str]                    # (serial, counter key)
Point = Tuple[str, int, int]              # (time text, value, series)


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
        return text  # "101" is Canon ID 101; "0101" stays a label (counter_id_of keeps it text)
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
        raise CanonError("invalid_argument", "%s %s has no UTC offset; give an aware time (e.g. ...+00:00)"
                         % (what, value.isoformat()))
    return value.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return to_utc(moment).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """The instant of a stored time text (fromisoformat: fast, and exact for our fixed format)."""
    return datetime.fromisoformat(text)


# --- what the store returns ------------------------------------------------------------------------

@dataclass(frozen=True)
class Device:
    serial: str
    model: Optional[str]
    address: Optional[str]
    region: Optional[str]
    timezone: str
    first_captured_at: Optional[datetime]
    last_captured_at: Optional[datetime]
    name: Optional[str] = None          # sysName as of the latest capture (schema 2)
    location: Optional[str] = None      # sysLocation as of the latest capture (schema 2)


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


class Reading(NamedTuple):
    """One stored value. A NamedTuple: reports create hundreds of thousands of them."""
    serial: str
    key: str
    captured_at: datetime
    value: int
    series: int

    @property
    def counter_id(self) -> CounterId:
        return counter_id_of(self.key)


class Reset(NamedTuple):
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
    model: Optional[str]
    address: Optional[str]
    region: Optional[str]
    timezone: str
    at: str               # the capture these values came from; the latest one wins
    name: Optional[str] = None
    location: Optional[str] = None


@dataclass
class _Batch:
    captures: Dict[Tuple[str, str], Tuple[Optional[str], ...]]   # (serial, time) -> (model, address, region)
    devices: Dict[str, _DeviceRow]
    counters: Dict[Pair, Tuple[str, Tuple[Optional[str], ...]]]   # -> (time, (name, category, unit, table))
    readings: Dict[Pair, Dict[str, int]]                          # (serial, key) -> {time: value}
    skipped: List[Dict[str, Any]]


def _optional_text(container: Mapping[str, Any], name: str) -> Optional[str]:
    value = container.get(name)
    if value is None:
        return None
    if type(value) is str:  # common case first, runs per counter  # pylint: disable=unidiomatic-typecheck
        return value.strip() or None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise CanonError("invalid_argument", "field %r must be text, got %r" % (name, value))
    return str(value).strip() or None


def _counter_value(value: Any, serial: str, key: str) -> int:
    if type(value) is not int:  # exact type: bool is no count  # pylint: disable=unidiomatic-typecheck
        if isinstance(value, bool) or not isinstance(value, (int, str)) or (
                isinstance(value, str) and not _DIGITS.match(value.strip())):
            raise CanonError("invalid_argument", "counter %s of %s has value %r; counters are whole numbers"
                             % (key, serial, value))
        value = int(value.strip()) if isinstance(value, str) else int(value)
    if value < 0 or value > _MAX_VALUE:
        raise CanonError("invalid_argument",
                         "counter %s of %s has value %d out of range" % (key, serial, value))
    return value


def _validated_timezone(name: Optional[str], serial: str) -> str:
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CanonError("invalid_argument", "device %s: unknown time zone %r (use an IANA name such as "
                         "Europe/Berlin)" % (serial, name))
    return name


def normalise_captures(captures: Iterable[Mapping[str, Any]]) -> _Batch:
    """Validate every capture and fold it into rows; raises CanonError('invalid_argument').

    Runs before the transaction opens, so a bad capture anywhere in the batch writes nothing.
    """
    if isinstance(captures, AbcMapping):
        captures = [captures]
    batch = _Batch({}, {}, {}, {}, [])
    text = _optional_text
    for capture in captures:
        if not isinstance(capture, AbcMapping):
            raise CanonError("invalid_argument",
                             "a capture must be a dict, got %r" % (type(capture).__name__,))
        serial = _optional_text(capture, "serial")
        if not serial:
            raise CanonError("invalid_argument", "a capture has no serial; the serial identifies the device",
                             address=capture.get("address"))
        at = format_time(to_utc(capture.get("captured_at"), "captured_at of %s" % serial))
        where = (_optional_text(capture, "model"), _optional_text(capture, "address"),
                 _optional_text(capture, "region"))
        batch.captures[(serial, at)] = where
        zone = _validated_timezone(_optional_text(capture, "timezone"), serial)
        device = _DeviceRow(*where, timezone=zone, at=at, name=_optional_text(capture, "name"),
                            location=_optional_text(capture, "location"))
        known = batch.devices.get(serial)
        if known is None or at >= known.at:
            batch.devices[serial] = device

        counters = capture.get("counters")
        if not isinstance(counters, (list, tuple)):
            raise CanonError("invalid_argument", "capture of %s: 'counters' must be a list" % serial)
        for counter in counters:
            if (type(counter) is not dict and not isinstance(counter, AbcMapping)) or "id" not in counter:  # pylint: disable=unidiomatic-typecheck
                raise CanonError("invalid_argument", "capture of %s: every counter needs an 'id'" % serial)
            cid = counter["id"]
            key = str(cid) if type(cid) is int and cid >= 0 else counter_key(cid)  # exact type: bool is no count  # pylint: disable=unidiomatic-typecheck
            pair = (serial, key)
            previous = batch.counters.get(pair)
            if previous is None or at >= previous[0]:
                batch.counters[pair] = (at, (text(counter, "name"), text(counter, "category"),
                                             text(counter, "unit"), text(counter, "table")))
            raw = counter.get("value")
            if raw is None:
                batch.skipped.append({"serial": serial, "counter": counter_id_of(key), "captured_at": at,
                                      "reason": "no value"})
                continue
            if type(raw) is int and (raw < 0 or raw > _MAX_VALUE):  # pylint: disable=unidiomatic-typecheck
                # one device's impossible number must not cost the batch (every other device's
                # readings of the night): this reading is skipped and reported with its device
                batch.skipped.append({"serial": serial, "counter": counter_id_of(key), "captured_at": at,
                                      "reason": "value %d out of range (0 to 2^63-1)" % raw})
                continue
            value = _counter_value(raw, serial, key)
            stored = batch.readings.setdefault(pair, {}).setdefault(at, value)
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
    errors: Tuple[type, ...] = ()
    ddl_words: Dict[str, str] = {}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        raise NotImplementedError

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows; the fastest way each database offers."""
        sql = "INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(columns), _marks(len(columns)))
        self.executemany(sql, rows)

    def write_transaction(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def read_snapshot(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    @staticmethod
    def is_lock_error(exc: BaseException) -> bool:
        """A transient conflict with another writer (PostgreSQL: serialization failure, deadlock,
        lock not available), worth trying the whole transaction again."""
        return getattr(exc, "sqlstate", None) in ("40001", "40P01", "55P03")

    def close(self) -> None:
        raise NotImplementedError


class _SqliteBackend(_Backend):
    name = "sqlite"
    errors = (sqlite3.Error,)
    ddl_words = {"clustered": " WITHOUT ROWID"}
    busy_timeout = 30.0     # seconds SQLite itself waits for the lock per attempt

    @staticmethod
    def is_lock_error(exc: BaseException) -> bool:
        """Another writer holds the lock: wait and try again rather than drop the capture."""
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)

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
            self.conn = sqlite3.connect(path, timeout=self.busy_timeout, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            # 64 MiB page cache: a nightly capture touches one leaf per counter of every device.
            self.conn.execute("PRAGMA cache_size = -65536")
            if not existed:
                # WAL: reports read while a capture writes. Switching the journal mode does not wait
                # for the busy timeout: two captures creating the store at once retry here instead
                # of one failing with "database is locked".
                deadline = time.monotonic() + CounterStore.lock_wait
                while True:
                    try:
                        self.conn.execute("PRAGMA journal_mode = WAL")
                        break
                    except sqlite3.OperationalError as exc:
                        if not self.is_lock_error(exc) or time.monotonic() >= deadline:
                            raise
                        time.sleep(0.05)
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
    ddl_words = {"clustered": ""}

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise CanonError("missing_dependency",
                             "a PostgreSQL counter store needs the psycopg 3 package, which is not installed",
                             hint="Install it into the Python that runs Ansible: "
                                  "pip install 'psycopg[binary]>=3.1'.")
        self.errors = (psycopg.Error,)
        try:
            self.conn = psycopg.connect(dsn, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            # The message names host/port/database; psycopg never echoes the password.
            raise CanonError("store_error", "cannot connect to the PostgreSQL counter store: %s"
                             % str(exc).strip())

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

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # COPY: one round trip for the batch, about five times faster than executemany here.
        if not rows:
            return
        with self.conn.cursor() as cur:
            with cur.copy("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns))) as copy:
                for row in rows:
                    copy.write_row(row)

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


# --- the store ----------------------------------------------------------------------------------------

class CounterStore:
    """The counter history. Open with a SQLite ``path`` or a PostgreSQL ``dsn``.

    ``create=False`` refuses to create a missing store (a report must not invent an empty
    history); ``migrate=False`` never upgrades an older schema (check mode writes nothing): such a
    store opens read-only, reads give what its schema holds (e.g. no device name before schema 2) and
    ``record_captures`` refuses with ``store_error``.
    """

    # Seconds a capture waits in all for another writer's lock before it fails (store_error).
    lock_wait = 600.0

    def __init__(self, path: Optional[str] = None, dsn: Optional[str] = None, *, create: bool = True,
                 migrate: bool = True) -> None:
        if bool(path) == bool(dsn):
            raise CanonError("invalid_argument", "give the counter store either a path or a dsn")
        self._backend: _Backend = _PostgresBackend(dsn) if dsn else _SqliteBackend(path, create)
        self._version = latest_schema_version()     # of the open database; lower only when read-only
        try:
            self._prepare_schema(create=create, migrate=migrate)
        except BaseException:
            self._backend.close()
            raise

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
        except self._backend.errors as exc:
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
        if current == latest:
            return
        if current > latest:
            raise self._newer(current, latest)
        if current == 0 and not create:
            raise CanonError("store_not_found", "the database holds no counter history (no schema)")
        if not migrate:
            self._version = current       # read-only: readable as it is, never upgraded here
            return
        with self._guard("upgrading the schema"), self._backend.write_transaction():
            self._backend.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                                  "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                                  "applied_at TEXT NOT NULL)")
            # Read again under the write lock: another process may have migrated meanwhile.
            current = int(self._backend.query("SELECT MAX(version) FROM schema_version")[0][0] or 0)
            if current > latest:
                raise self._newer(current, latest)
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in migration.statements:
                    self._backend.execute(statement.format(**self._backend.ddl_words))
                self._backend.execute("INSERT INTO schema_version (version, description, applied_at) "
                                      "VALUES (?, ?, ?)", (migration.version, migration.description,
                                                           format_time(datetime.now(timezone.utc))))

    @staticmethod
    def _newer(current: int, latest: int) -> CanonError:
        return CanonError("store_schema_newer", "the counter store has schema version %d; this collection "
                          "knows versions up to %d" % (current, latest),
                          store_version=current, supported_version=latest)

    # writing -------------------------------------------------------------------------------------------
    def record_captures(self, captures: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
        """Store many captures in one transaction; idempotent on (serial, counter, capture time).

        Returns ``captures`` / ``captures_new``, ``devices`` / ``devices_new`` (serials seen for
        the first time), ``readings_new`` / ``readings_present`` (already stored: a re-run),
        ``resets`` (series boundaries this batch revealed), ``conflicts`` (a reading stored
        earlier for the same key with another value; the stored value is kept) and ``skipped``
        (counters listed without a value).
        """
        batch = normalise_captures(captures)
        if self._version < latest_schema_version():
            raise CanonError("store_error", "the counter store has schema version %d and needs an upgrade "
                             "to %d before it can be written" % (self._version, latest_schema_version()),
                             hint="Run once without check mode (or run canon_counters) to upgrade it.")
        # Another capture or a report holding the write lock is waited for (each attempt waits
        # busy_timeout, then the whole transaction is tried again) up to LOCK_WAIT seconds in all:
        # a night's readings are never dropped because a concurrent writer was slow.
        deadline = time.monotonic() + self.lock_wait
        pause = 0.05
        while True:
            try:
                with self._backend.write_transaction():
                    return self._write_batch(batch)
            except CanonError:
                raise
            except self._backend.errors as exc:
                if self._backend.is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(pause)
                    pause = min(2.0, pause * 2)
                    continue
                with self._guard("recording captures"):
                    raise

    def _write_batch(self, batch: _Batch) -> Dict[str, Any]:
        db = self._backend
        serials = sorted(batch.devices)
        stored_devices: Dict[str, Tuple[Any, ...]] = {}
        catalog: Dict[Pair, Tuple[Any, ...]] = {}
        for chunk in _chunks(serials):
            marks = _marks(len(chunk))
            for row in db.query("SELECT serial, model, address, region, timezone, name, location FROM devices "
                                "WHERE serial IN (%s)" % marks, chunk):
                stored_devices[row[0]] = tuple(row[1:])
            for row in db.query("SELECT serial, counter_key, name, category, unit, source_table "
                                "FROM counters WHERE serial IN (%s)" % marks, chunk):
                catalog[(row[0], row[1])] = tuple(row[2:])
        last_capture = self._edge_captures(serials, None)

        # Device and counter descriptions: insert new ones; update known ones only from a capture
        # at least as recent as the device's last (most nights nothing changes, nothing is written).
        device_inserts, device_updates = [], []
        for serial in serials:
            row = batch.devices[serial]
            new = (row.model, row.address, row.region, row.timezone, row.name, row.location)
            old = stored_devices.get(serial)
            if old is None:
                device_inserts.append((serial,) + new)
            elif row.at >= (last_capture.get(serial) or ""):
                merged = tuple(n if n is not None else o for n, o in zip(new, old))
                if merged != old:
                    device_updates.append(merged + (serial,))
        db.insert("devices", ("serial", "model", "address", "region", "timezone", "name", "location"),
                  device_inserts)
        db.executemany("UPDATE devices SET model = ?, address = ?, region = ?, timezone = ?, name = ?, "
                       "location = ? WHERE serial = ?", device_updates)
        counter_inserts, counter_updates = [], []
        for pair, (at, fields) in sorted(batch.counters.items()):
            old = catalog.get(pair)
            if old is None:
                counter_inserts.append(pair + fields)
            elif fields != old and at >= (last_capture.get(pair[0]) or ""):
                merged = tuple(n if n is not None else o for n, o in zip(fields, old))
                if merged != old:
                    counter_updates.append(merged + pair)
        db.insert("counters", ("serial", "counter_key", "name", "category", "unit", "source_table"),
                  counter_inserts)
        db.executemany("UPDATE counters SET name = ?, category = ?, unit = ?, source_table = ? "
                       "WHERE serial = ? AND counter_key = ?", counter_updates)

        # The stored history's last point per counter: read before this batch's captures exist.
        latest = self._edge_points(serials, None, None, set(catalog))
        recorded = self._recorded_captures(list(batch.captures))
        db.insert("captures", ("serial", "captured_at", "model", "address", "region"),
                  [key + where for key, where in sorted(batch.captures.items()) if key not in recorded])
        present = self._values_at(recorded)
        conflicts: List[Dict[str, Any]] = []
        readings_present = 0
        new_rows: List[Tuple[Any, ...]] = []
        new_resets: List[Tuple[Any, ...]] = []
        rebuild: Dict[Pair, List[Tuple[str, int]]] = {}
        for pair, items in batch.readings.items():
            kept = sorted(items.items()) if len(items) > 1 else list(items.items())
            if present:
                fresh, kept = kept, []
                for at, value in fresh:
                    stored = present.get((pair[0], pair[1], at))
                    if stored is None:
                        kept.append((at, value))
                        continue
                    readings_present += 1
                    if stored != value:
                        conflicts.append({"serial": pair[0], "counter": counter_id_of(pair[1]),
                                          "captured_at": at, "stored_value": stored, "value": value})
            last = latest.get(pair)
            if kept and last is not None and kept[0][0] < last[0]:
                rebuild[pair] = kept      # older than what is stored: a back-fill
                continue
            prev = last                   # the common path: append after the stored history
            for at, value in kept:
                series = 0 if prev is None else prev[2] + (1 if value < prev[1] else 0)
                if prev is not None and series != prev[2]:
                    new_resets.append(pair + (at, series, value, prev[0], prev[1]))
                new_rows.append((at,) + pair + (value, series))
                prev = (at, value, series)

        series_updates: List[Tuple[Any, ...]] = []
        rebuilt_resets: List[Tuple[Any, ...]] = []
        for pair, items in rebuild.items():
            rows, updates, resets, added = self._rebuild_pair(pair, items)
            new_rows.extend(rows)
            series_updates.extend(updates)
            rebuilt_resets.extend(resets)
            new_resets.extend(added)

        new_rows.sort()   # primary-key order: the B-tree appends instead of splitting pages
        db.insert("readings", ("captured_at", "serial", "counter_key", "value", "series"), new_rows)
        reset_columns = ("serial", "counter_key", "captured_at", "series", "value", "previous_captured_at",
                         "previous_value")
        if rebuild:
            db.executemany("DELETE FROM resets WHERE serial = ? AND counter_key = ?", list(rebuild))
            db.executemany("UPDATE readings SET series = ? "
                           "WHERE captured_at = ? AND serial = ? AND counter_key = ?", series_updates)
            db.insert("resets", reset_columns, rebuilt_resets)
        db.insert("resets", reset_columns, [r for r in new_resets if (r[0], r[1]) not in rebuild])

        return {
            "captures": len(batch.captures),
            "captures_new": len(batch.captures) - len(recorded),
            "devices": len(serials),
            "devices_new": [s for s in serials if s not in stored_devices],
            "readings_new": len(new_rows),
            "readings_present": readings_present,
            "conflicts": sorted(conflicts, key=lambda c: (c["serial"], str(c["counter"]), c["captured_at"])),
            "resets": [{"serial": r[0], "counter": counter_id_of(r[1]), "captured_at": r[2], "series": r[3],
                        "value": r[4], "previous_captured_at": r[5], "previous_value": r[6]}
                       for r in sorted(new_resets)],
            "skipped": batch.skipped,
        }

    def _rebuild_pair(self, pair: Pair, items: List[Tuple[str, int]]
                      ) -> Tuple[List[Tuple[Any, ...]], List[Tuple[Any, ...]], List[Tuple[Any, ...]],
                                 List[Tuple[Any, ...]]]:
        """Merge back-filled readings into one counter's history and recompute its series.

        The rare path (a capture older than one already stored); it reads that counter's whole
        history. Returns new reading rows, series updates, every reset row of the counter, and
        the resets that did not exist before.
        """
        serial, key = pair
        history = {at: (int(value), int(series)) for at, value, series in self._pair_history(pair)}
        old_resets = {row[0] for row in self._backend.query(
            "SELECT captured_at FROM resets WHERE serial = ? AND counter_key = ?", pair)}
        new_times = {at for at, _unused in items}
        merged = sorted([(at, v) for at, (v, _unused) in history.items()] + list(items))
        rows, updates, resets, added = [], [], [], []
        prev: Optional[Point] = None
        for at, value in merged:
            series = 0 if prev is None else prev[2] + (1 if value < prev[1] else 0)
            if prev is not None and series != prev[2]:
                reset = (serial, key, at, series, value, prev[0], prev[1])
                resets.append(reset)
                if at not in old_resets:
                    added.append(reset)
            if at in new_times:
                rows.append((at, serial, key, value, series))
            elif history[at][1] != series:
                updates.append((series, at, serial, key))
            prev = (at, value, series)
        return rows, updates, resets, added

    def _pair_history(self, pair: Pair) -> List[Tuple[Any, ...]]:
        return self._backend.query(
            "SELECT r.captured_at, r.value, r.series FROM captures c CROSS JOIN readings r "
            "WHERE c.serial = ? AND r.captured_at = c.captured_at AND r.serial = c.serial "
            "AND r.counter_key = ?", pair)

    def _recorded_captures(self, keys: List[Tuple[str, str]]) -> Set[Tuple[str, str]]:
        """Which (serial, time) captures are already stored."""
        wanted = set(keys)
        found: Set[Tuple[str, str]] = set()
        by_serial: Dict[str, List[str]] = {}
        for serial, at in keys:
            by_serial.setdefault(serial, []).append(at)
        for chunk in _chunks(sorted(by_serial)):
            times = [at for s in chunk for at in by_serial[s]]
            for row in self._backend.query(
                    "SELECT serial, captured_at FROM captures WHERE serial IN (%s) AND captured_at >= ? "
                    "AND captured_at <= ?" % _marks(len(chunk)), list(chunk) + [min(times), max(times)]):
                if (row[0], row[1]) in wanted:
                    found.add((row[0], row[1]))
        return found

    def _values_at(self, captures: Set[Tuple[str, str]]) -> Dict[Tuple[str, str, str], int]:
        """Stored values of the readings of already-recorded captures: (serial, key, time) -> value."""
        found: Dict[Tuple[str, str, str], int] = {}
        by_serial: Dict[str, List[str]] = {}
        for serial, at in captures:
            by_serial.setdefault(serial, []).append(at)
        for chunk in _chunks(sorted(by_serial)):
            times = [at for s in chunk for at in by_serial[s]]
            for serial, key, at, value in self._backend.query(
                    "SELECT serial, counter_key, captured_at, value FROM readings WHERE captured_at >= ? "
                    "AND captured_at <= ? AND serial IN (%s)" % _marks(len(chunk)),
                    [min(times), max(times)] + list(chunk)):
                if (serial, at) in captures:
                    found[(serial, key, at)] = int(value)
        return found

    # edges: the last capture at or before an instant, the first capture ---------------------------------
    def _edge_captures(self, serials: Optional[Sequence[str]], at: Optional[str], earliest: bool = False
                       ) -> Dict[str, Optional[str]]:
        """serial -> time of its last capture at or before ``at`` (or its first capture)."""
        bound = " AND c.captured_at <= ?" if at is not None else ""
        order = "ASC" if earliest else "DESC"
        found: Dict[str, Optional[str]] = {}
        for where, params in self._where(serials, None, "d."):
            found.update(self._backend.query(
                "SELECT d.serial, (SELECT c.captured_at FROM captures c WHERE c.serial = d.serial%s "
                "ORDER BY c.captured_at %s LIMIT 1) FROM devices d WHERE 1 = 1%s" % (bound, order, where),
                ([at] if at is not None else []) + params))
        return found

    def _edge_points(self, serials: Optional[Sequence[str]], at: Optional[str], keys: Optional[Set[str]],
                     catalog: Set[Pair], earliest: bool = False) -> Dict[Pair, Point]:
        """(serial, key) -> (time, value, series) of the last reading at or before ``at`` (or the first).

        Reads each device's edge capture in one query; only a counter missing from that capture
        (a device that stopped reporting it) needs its own, longer look-up.
        """
        bound = " AND c.captured_at <= ?" if at is not None else ""
        order = "ASC" if earliest else "DESC"
        found: Dict[Pair, Point] = {}
        for where, params in self._where(serials, None, "d."):
            key_sql, key_params = self._key_filter(keys, "r.")
            sql = ("SELECT r.serial, r.counter_key, r.captured_at, r.value, r.series FROM "
                   "(SELECT d.serial AS serial, (SELECT c.captured_at FROM captures c "
                   "WHERE c.serial = d.serial%s ORDER BY c.captured_at %s LIMIT 1) AS at "
                   "FROM devices d WHERE 1 = 1%s) l "
                   # CROSS JOIN: SQLite must drive from the devices, probing readings by primary key.
                   "CROSS JOIN readings r WHERE r.captured_at = l.at AND r.serial = l.serial%s"
                   % (bound, order, where, key_sql))
            for row in self._backend.query(sql, ([at] if at is not None else []) + params + key_params):
                found[(row[0], row[1])] = (row[2], int(row[3]), int(row[4]))
        missing = [pair for pair in catalog if pair not in found and (keys is None or pair[1] in keys)]
        if missing:
            edges = self._edge_captures(sorted({serial for serial, _unused in missing}), at, earliest)
            for pair in sorted(missing):
                if edges.get(pair[0]) is None:
                    continue          # no capture of this device on that side of ``at`` at all
                rows = self._backend.query(
                    "SELECT r.captured_at, r.value, r.series FROM captures c CROSS JOIN readings r "
                    "WHERE c.serial = ?%s AND r.captured_at = c.captured_at AND r.serial = c.serial "
                    "AND r.counter_key = ? ORDER BY c.captured_at %s LIMIT 1" % (bound, order),
                    [pair[0]] + ([at] if at is not None else []) + [pair[1]])
                if rows:
                    found[pair] = (rows[0][0], int(rows[0][1]), int(rows[0][2]))
        return found

    # checking ------------------------------------------------------------------------------------------
    def verify(self) -> Dict[str, int]:
        """Count violations of the store's invariants; every count is 0 in a healthy store.

        For operators (after a restore, a manual edit) and for tests. It reads every reading once.
        """
        window = ("SELECT serial, counter_key, captured_at, value, series, "
                  "LAG(value) OVER w AS previous_value, LAG(series) OVER w AS previous_series FROM readings "
                  "WINDOW w AS (PARTITION BY serial, counter_key ORDER BY captured_at)")
        checks = {
            "readings_without_capture":
                "SELECT COUNT(*) FROM readings r WHERE NOT EXISTS (SELECT 1 FROM captures c "
                "WHERE c.serial = r.serial AND c.captured_at = r.captured_at)",
            "readings_without_counter":
                "SELECT COUNT(*) FROM readings r WHERE NOT EXISTS (SELECT 1 FROM counters k "
                "WHERE k.serial = r.serial AND k.counter_key = r.counter_key)",
            # a series starts at 0 and grows by one exactly where the value drops
            "series_inconsistent":
                "SELECT COUNT(*) FROM (%s) x WHERE (previous_series IS NULL AND series <> 0) OR "
                "(value < previous_value AND series <> previous_series + 1) OR "
                "(value >= previous_value AND series <> previous_series)" % window,
            "series_changes_without_reset":
                "SELECT COUNT(*) FROM (%s) x WHERE series <> previous_series AND NOT EXISTS "
                "(SELECT 1 FROM resets z WHERE z.serial = x.serial AND z.counter_key = x.counter_key "
                "AND z.captured_at = x.captured_at AND z.series = x.series "
                "AND z.previous_value = x.previous_value)" % window,
            "resets_without_series_change":
                "SELECT COUNT(*) FROM resets z WHERE NOT EXISTS (SELECT 1 FROM readings r "
                "WHERE r.captured_at = z.captured_at AND r.serial = z.serial AND "
                "r.counter_key = z.counter_key AND r.series = z.series AND r.series > 0)",
        }
        with self._guard("verifying the store"):
            return {name: int(self._backend.query(sql)[0][0]) for name, sql in checks.items()}

    # reading -------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def snapshot(self) -> Iterator["CounterStore"]:
        """Run several queries against one consistent view (a report must not see half a capture)."""
        with self._guard("opening a read snapshot"), self._backend.read_snapshot():
            yield self

    @staticmethod
    def _key_filter(keys: Optional[Set[str]], prefix: str = "") -> Tuple[str, List[Any]]:
        if keys is None:
            return "", []
        if not keys:
            return " AND 1 = 0", []
        ordered = sorted(keys)
        return " AND %scounter_key IN (%s)" % (prefix, _marks(len(ordered))), ordered

    def _where(self, serials: Optional[Sequence[str]], keys: Optional[Set[str]], prefix: str = ""
               ) -> Iterator[Tuple[str, List[Any]]]:
        """SQL filter fragments, one per chunk of serials (None = every device)."""
        key_sql, key_params = self._key_filter(keys, prefix)
        if serials is None:
            yield key_sql, key_params
            return
        for chunk in _chunks(sorted(set(serials))):
            yield " AND %sserial IN (%s)%s" % (prefix, _marks(len(chunk)), key_sql), list(chunk) + key_params

    @staticmethod
    def _keys(counter_ids: Optional[Iterable[CounterId]]) -> Optional[Set[str]]:
        return None if counter_ids is None else {counter_key(c) for c in counter_ids}

    def devices(self, serials: Optional[Sequence[str]] = None) -> List[Device]:
        """Every device (or the given serials) with its first and last capture, ordered by serial."""
        found = []
        named = "d.name, d.location" if self._version >= 2 else "NULL, NULL"   # schema 1: no name yet
        with self._guard("listing devices"):
            for where, params in self._where(serials, None, "d."):
                found.extend(self._backend.query(
                    "SELECT d.serial, d.model, d.address, d.region, d.timezone, " + named + ", "
                    "(SELECT c.captured_at FROM captures c WHERE c.serial = d.serial "
                    "ORDER BY c.captured_at LIMIT 1), "
                    "(SELECT c.captured_at FROM captures c WHERE c.serial = d.serial "
                    "ORDER BY c.captured_at DESC LIMIT 1) FROM devices d WHERE 1 = 1" + where, params))
        devices = [Device(r[0], r[1], r[2], r[3], r[4], r[7] and parse_time(r[7]), r[8] and parse_time(r[8]),
                          name=r[5], location=r[6]) for r in found]
        return sorted(devices, key=lambda d: d.serial)

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

    def _catalog(self, serials: Optional[Sequence[str]], keys: Optional[Set[str]]) -> Set[Pair]:
        pairs: Set[Pair] = set()
        for where, params in self._where(serials, keys):
            pairs.update((r[0], r[1]) for r in self._backend.query(
                "SELECT serial, counter_key FROM counters WHERE 1 = 1" + where, params))
        return pairs

    def latest_readings_at(self, instants: Sequence[datetime], serials: Optional[Sequence[str]] = None,
                           counter_ids: Optional[Iterable[CounterId]] = None
                           ) -> Dict[datetime, Dict[Pair, Reading]]:
        """For each instant: per (serial, counter key), the last reading at or before it.

        One call for many instants (a report's period boundaries) shares the catalogue look-up.
        """
        keys = self._keys(counter_ids)
        result: Dict[datetime, Dict[Pair, Reading]] = {}
        with self._guard("reading counter values"):
            catalog = self._catalog(serials, keys)
            times: Dict[str, datetime] = {}       # the same reading answers many instants: parse once
            for instant in instants:
                points = self._edge_points(serials, format_time(instant), keys, catalog)
                for text, _unused, _unused in points.values():
                    if text not in times:
                        times[text] = parse_time(text)
                result[instant] = {pair: Reading(pair[0], pair[1], times[p[0]], p[1], p[2])
                                   for pair, p in points.items()}
        return result

    def latest_readings(self, at: Optional[datetime] = None, serials: Optional[Sequence[str]] = None,
                        counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reading]:
        """Per (device, counter): the last reading at or before ``at`` (default: the last one)."""
        keys = self._keys(counter_ids)
        with self._guard("reading counter values"):
            points = self._edge_points(serials, None if at is None else format_time(at), keys,
                                       self._catalog(serials, keys))
        return self._sorted_readings(points)

    def last_capture_times(self, at: Optional[datetime] = None, serials: Optional[Sequence[str]] = None
                           ) -> Dict[str, Optional[datetime]]:
        """serial -> time of the device's last capture at or before ``at`` (None: no capture by then)."""
        with self._guard("reading capture times"):
            edges = self._edge_captures(serials, None if at is None else format_time(at))
        return {serial: parse_time(text) if text else None for serial, text in edges.items()}

    def first_readings(self, serials: Optional[Sequence[str]] = None,
                       counter_ids: Optional[Iterable[CounterId]] = None) -> List[Reading]:
        """Per (device, counter): the first reading stored (where its history starts)."""
        keys = self._keys(counter_ids)
        with self._guard("reading counter values"):
            points = self._edge_points(serials, None, keys, self._catalog(serials, keys), earliest=True)
        return self._sorted_readings(points)

    @staticmethod
    def _sorted_readings(points: Mapping[Pair, Point]) -> List[Reading]:
        return [Reading(pair[0], pair[1], parse_time(p[0]), p[1], p[2])
                for pair, p in sorted(points.items(), key=lambda i: (i[0][0], counter_sort_key(i[0][1])))]

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
                    "SELECT serial, counter_key, captured_at, series, value, previous_captured_at, "
                    "previous_value FROM resets WHERE 1 = 1" + bounds + where, bound_params + params))
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
