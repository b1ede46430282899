# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between CanonError and AnsibleModule, so every module fails the same way."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


@contextlib.contextmanager
def canon_errors_fail(module: Any, **extra: Any) -> Iterator[None]:
    """Turn a CanonError raised inside the block into ``fail_json(msg, error_code, hint)``."""
    try:
        yield
    except CanonError as exc:
        result = exc.to_result()
        result.update(extra)
        module.fail_json(**result)


def require(import_error: Any, package: str, module: Any) -> None:
    """Fail with error_code missing_dependency when an optional import failed."""
    if import_error:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib(package), error_code="missing_dependency",
                         exception=import_error)
