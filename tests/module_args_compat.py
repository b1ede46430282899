"""``patch_module_args`` for every ansible-core the collection supports (the matrix in scripts/test.sh).

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args``; on 2.17 and 2.18 the same is done by
setting the serialized arguments AnsibleModule reads (``basic._ANSIBLE_ARGS``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator, Optional
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args  # noqa: F401  (ansible-core >= 2.19)
except ImportError:  # ansible-core 2.17 / 2.18
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args: Optional[Dict[str, Any]] = None) -> Iterator[None]:
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield
