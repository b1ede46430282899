"""The connection action plugin: which options it fills from host variables, and which it leaves alone."""

from __future__ import annotations

import os

from ansible_collections.printfleet.canon.plugins.action import canon_device

MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))), "plugins", "modules")


class Templar:
    def template(self, value):
        return value.replace("{{ secret }}", "s3") if isinstance(value, str) else value


def plugin():
    action = canon_device.ActionModule.__new__(canon_device.ActionModule)
    action._templar = Templar()
    return action


def test_documented_options_include_fragments():
    counters = canon_device.documented_options(os.path.join(MODULES, "canon_counters.py"))
    assert {"host", "community", "v3_auth_password", "targets"} <= counters
    book = canon_device.documented_options(os.path.join(MODULES, "canon_addressbook.py"))
    assert {"host", "community", "system_manager_pin", "ca_path", "state"} <= book
    report = canon_device.documented_options(os.path.join(MODULES, "canon_counter_report.py"))
    assert "host" not in report and "community" not in report


def test_host_variables_fill_only_accepted_and_missing_options():
    task_vars = {"inventory_hostname": "p1", "ansible_host": "127.0.0.9", "canon_snmp_community": "{{ secret }}",
                 "canon_snmp_version": "2c", "canon_rui_password": "pw"}
    added = plugin().connection_args({"snmp_version": "1"}, task_vars, {"host", "community", "snmp_version"})
    assert added == {"host": "127.0.0.9", "community": "s3"}     # task's snmp_version wins; password not accepted


def test_host_falls_back_to_inventory_hostname_and_bulk_tasks_get_no_host():
    action = plugin()
    assert action.connection_args({}, {"inventory_hostname": "p1"}, {"host"}) == {"host": "p1"}
    assert action.connection_args({"targets": [{"host": "a"}]}, {"inventory_hostname": "p1"}, {"host"}) == {}
