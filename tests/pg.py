# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real PostgreSQL server for tests marked ``postgres`` (unit and integration alike).

The first test that asks for it starts a throw-away PostgreSQL 15 cluster (initdb + pg_ctl) in a
temporary directory, listening on 127.0.0.1 and a free port with trust authentication; it is
stopped when the test process exits. One server per process, however many conftests import
the fixtures (tests/unit/... and tests/integration/ both do). PostgreSQL refuses to run as root,
so as root the server runs as the ``postgres`` system user (runuser). Set PRINTFLEET_TEST_PG_DSN
to use an existing server instead; each test gets its own schema either way, dropped afterwards.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from typing import Iterator, List, Optional

import pytest

PG_BIN = os.environ.get("PRINTFLEET_TEST_PG_BIN", "/usr/lib/postgresql/15/bin")
DSN_ENV = "PRINTFLEET_TEST_PG_DSN"
SETUP_HINT = ("Run the setup script (scripts/setup.sh), which installs the 'postgresql' package, "
              "or set %s to the DSN of an existing PostgreSQL server." % DSN_ENV)

_server_dsn: Optional[str] = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


def _run(command: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(_as_server_user(command), check=False, capture_output=True, text=True, timeout=120)


def server_dsn() -> str:
    """DSN of a PostgreSQL database the tests may create schemas in (started on first use)."""
    global _server_dsn
    if _server_dsn is not None:
        return _server_dsn
    existing = os.environ.get(DSN_ENV)
    if existing:
        _server_dsn = existing
        return existing
    initdb, pg_ctl = os.path.join(PG_BIN, "initdb"), os.path.join(PG_BIN, "pg_ctl")
    if not (os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK)):
        pytest.fail("PostgreSQL 15 server programs (initdb, pg_ctl) are not in %s. %s" % (PG_BIN, SETUP_HINT),
                    pytrace=False)
    base = tempfile.mkdtemp(prefix="printfleet-pg-")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, log = os.path.join(base, "data"), os.path.join(base, "server.log")
    done = _run([initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
    if done.returncode:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail("initdb failed: %s %s" % (done.stdout, done.stderr), pytrace=False)

    def stop() -> None:
        _run([pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)

    port = _free_port()
    options = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off" % (port, base))
    started = _run([pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"])
    if started.returncode:
        server_log = open(log).read() if os.path.exists(log) else ""
        stop()
        pytest.fail("PostgreSQL did not start: %s %s\n%s" % (started.stdout, started.stderr, server_log),
                    pytrace=False)
    atexit.register(stop)
    import psycopg
    admin = "host=127.0.0.1 port=%d user=postgres dbname=postgres" % port
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE printfleet_test")
    _server_dsn = "host=127.0.0.1 port=%d user=postgres dbname=printfleet_test" % port
    return _server_dsn


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a PostgreSQL database the tests may create schemas in."""
    return server_dsn()


@pytest.fixture
def pg_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A DSN whose search_path is a fresh schema: every test starts with an empty store."""
    import psycopg
    from psycopg.conninfo import make_conninfo
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "%s"' % schema)
    try:
        yield make_conninfo(pg_server_dsn, options="-c search_path=%s" % schema)
    finally:
        with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
            conn.execute('DROP SCHEMA "%s" CASCADE' % schema)
