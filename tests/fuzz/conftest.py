"""Fixtures shared with the module unit tests (run a module's main() in-process)."""

from tests.unit.plugins.modules.conftest import run_module  # noqa: F401  pylint: disable=unused-import
