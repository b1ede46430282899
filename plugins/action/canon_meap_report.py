# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_meap_report on the controller, in the task's worker process.

The report reads registered results and writes files on the controller; run as a module it paid a Python
start, ansible's module_utils and openpyxl's import in a process of its own for every write (about 0.3 s,
a rollout writes it after its last batch and after each failure). The behaviour is the module's
(module_utils/meap/report.py: the same options and ``run_report``); the module documents it.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import report as meap_report


class ActionModule(ActionBase):
    """Validate the options with the module's spec, build the report, write the files."""

    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        try:
            params = self.validate_argument_spec(argument_spec=meap_report.ARGUMENT_SPEC)[1]
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=str(exc), error_code="invalid_argument")
            return result
        try:
            result.update(meap_report.run_report(params, bool(self._task.check_mode)))
        except CanonError as exc:
            result.update(exc.to_result(), failed=True)
        return result
