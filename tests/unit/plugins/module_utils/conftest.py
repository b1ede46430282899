# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the module_utils tests: a real PostgreSQL server (shared with the integration tests)."""

from __future__ import annotations

from tests.pg import pg_dsn, pg_server_dsn  # noqa: F401  (fixtures)
