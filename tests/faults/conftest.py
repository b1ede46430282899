"""Fixtures for the fault and data-safety suites: a real PostgreSQL on loopback (tests/pg.py)."""

from tests.pg import pg_dsn, pg_server_dsn  # noqa: F401  pylint: disable=unused-import
