"""Run a module's main() in-process with given arguments and collect what it returns or fails with."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict
from unittest import mock

import pytest
from ansible.module_utils import basic
from tests.module_args_compat import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result: Dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


def _warn(self, warning: str, **_: Any) -> None:
    self.__dict__.setdefault("_test_warnings", []).append(warning)


def _exit_json(self, **kwargs: Any) -> None:
    kwargs.setdefault("changed", False)
    if self.__dict__.get("_test_warnings"):
        kwargs["warnings"] = self._test_warnings
    # the real exit_json masks no_log values in the output; do the same so tests can check for leaks
    raise ModuleExit(json.loads(json.dumps(basic.remove_values(kwargs, self.no_log_values), default=str)))


def _fail_json(self, msg: str = "", **kwargs: Any) -> None:
    kwargs.update(failed=True, msg=msg)
    if self.__dict__.get("_test_warnings"):
        kwargs["warnings"] = self._test_warnings
    raise ModuleExit(json.loads(json.dumps(basic.remove_values(kwargs, self.no_log_values), default=str)))


@pytest.fixture
def run_module() -> Callable[..., Dict[str, Any]]:
    """run_module(module, args, check=False) -> result dict (``failed`` True on fail_json)."""

    def run(module: Any, args: Dict[str, Any], check: bool = False) -> Dict[str, Any]:
        args = dict(args)
        if check:
            args["_ansible_check_mode"] = True
        with patch_module_args(args), mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json,
                                                          fail_json=_fail_json, warn=_warn):
            with pytest.raises(ModuleExit) as done:
                module.main()
        return done.value.result

    return run
