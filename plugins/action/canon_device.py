# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection from the inventory: one action plugin for every device module of the collection.

``meta/runtime.yml`` routes each device module's action here. Before the module runs on the controller,
this fills the connection options the task did not give from the host's variables: ``host`` from
``ansible_host`` (else ``inventory_hostname``), the SNMP options from ``canon_snmp_*``, the Remote UI
options from ``canon_rui_*``, and module secrets such as ``canon_sms_password``. Task arguments (and
``module_defaults``) always win. Only options the module documents are filled, so one set of host
variables serves every module. Secret values travel as module arguments, which the modules declare
``no_log``, so they are masked in results and logs.
"""

from __future__ import annotations

import os
import re

from ansible.plugins.action import ActionBase

# module option -> host variable that supplies it (in this order of preference)
HOST_VARIABLES = {
    "host": ("ansible_host", "inventory_hostname"),
    # SNMP (doc fragment printfleet.canon.connection)
    "snmp_port": ("canon_snmp_port",),
    "snmp_version": ("canon_snmp_version",),
    "community": ("canon_snmp_community",),
    "v3_user": ("canon_snmp_v3_user",),
    "v3_auth_protocol": ("canon_snmp_v3_auth_protocol",),
    "v3_auth_password": ("canon_snmp_v3_auth_password",),
    "v3_priv_protocol": ("canon_snmp_v3_priv_protocol",),
    "v3_priv_password": ("canon_snmp_v3_priv_password",),
    "v3_context": ("canon_snmp_v3_context",),
    "timeout": ("canon_snmp_timeout",),
    "retries": ("canon_snmp_retries",),
    # Remote UI (doc fragment printfleet.canon.remote_ui)
    "rui_flavour": ("canon_rui_flavour",),
    "rui_port": ("canon_rui_port",),
    "use_https": ("canon_rui_use_https",),
    "validate_certs": ("canon_rui_validate_certs",),
    "ca_path": ("canon_rui_ca_path",),
    "allow_legacy_tls": ("canon_rui_allow_legacy_tls",),
    "auth_method": ("canon_rui_auth_method",),
    "system_manager_id": ("canon_rui_system_manager_id",),
    "system_manager_pin": ("canon_rui_system_manager_pin",),
    "username": ("canon_rui_user",),
    "password": ("canon_rui_password",),
    # module secrets held per device
    "sms_password": ("canon_sms_password",),
    "policy_password": ("canon_policy_password",),
    "encryption_password": ("canon_settings_password",),
}

#: Options that, when the task gives them, mean "many devices in one task": then ``host`` is not filled.
BULK_OPTIONS = ("targets", "targets_file")

_OPTION_LINE = re.compile(r"^  ([a-z][a-z0-9_]*):\s*$", re.M)
_FRAGMENT = re.compile(r"printfleet\.canon\.([a-z_]+)")
_DOC_BLOCK = re.compile(r"DOCUMENTATION\s*=\s*r?(\"\"\"|''')(.*?)\1", re.S)


def documented_options(module_path: str) -> set:
    """Top-level option names of a module, its own and those of the collection doc fragments it extends.

    Read from the source text (no YAML parse), because this runs once per host and task.
    """
    with open(module_path, encoding="utf-8") as handle:
        source = handle.read()
    match = _DOC_BLOCK.search(source)
    doc = match.group(2) if match else source
    names = set(_OPTION_LINE.findall(doc.split("\noptions:", 1)[1] if "\noptions:" in doc else ""))
    fragments_dir = os.path.join(os.path.dirname(os.path.dirname(module_path)), "doc_fragments")
    extends = doc.split("extends_documentation_fragment:", 1)[1] if "extends_documentation_fragment:" in doc else ""
    for fragment in _FRAGMENT.findall(extends.split("\noptions:", 1)[0]):
        path = os.path.join(fragments_dir, fragment.split(".")[0] + ".py")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            names.update(_OPTION_LINE.findall(text))
    return names


class ActionModule(ActionBase):
    """Fill connection options from host variables, then run the module on the controller."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def _module_name(self) -> str:
        # the task's own action: resolved_action names this (redirected) action plugin instead
        return self._task.action

    def _module_path(self, name: str):
        loader = self._shared_loader_obj.module_loader
        context = loader.find_plugin_with_context(name, collection_list=self._task.collections)
        return context.plugin_resolved_path if context.resolved else None

    def connection_args(self, task_args: dict, task_vars: dict, accepted: set) -> dict:
        """The options to add: accepted by the module, not given by the task, known for the host."""
        added = {}
        bulk = any(task_args.get(option) for option in BULK_OPTIONS)
        for option, variables in HOST_VARIABLES.items():
            if option not in accepted or task_args.get(option) is not None:
                continue
            if option == "host" and bulk:
                continue
            for variable in variables:
                if variable in task_vars and task_vars[variable] not in (None, ""):
                    value = self._templar.template(task_vars[variable])
                    if value not in (None, ""):
                        added[option] = value
                        break
        return added

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        name = self._module_name()
        module_args = dict(self._task.args)
        path = self._module_path(name)
        if path:
            name = self._shared_loader_obj.module_loader.find_plugin_with_context(
                name, collection_list=self._task.collections).resolved_fqcn or name
            module_args.update(self.connection_args(module_args, task_vars, documented_options(path)))
        # async (async: N, poll: 0) works as with any module: the module runs wrapped on the controller
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars,
                                           wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
