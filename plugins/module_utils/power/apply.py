# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_power on the resource-module base: restart (SNMP prtGeneralReset or the Remote UI) or shut down.

A power action is never "already done": every run that is asked to restart restarts (changed=true),
check mode says what it would do. Proof comes from reading back: after a restart sysUpTime must be
smaller than the time since the reset (and the Remote UI / login application answer when asked
for); after a shutdown SNMP must fall silent.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Dict, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import target_from_params
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.read import page_json
from ansible_collections.printfleet.canon.plugins.module_utils.power import restart as power
from ansible_collections.printfleet.canon.plugins.module_utils.power.spec import STATES
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)


class PowerConnection:
    def __init__(self, target: Any, rui_options: Any) -> None:
        self.target, self.rui_options = target, rui_options


class PowerResource(ResourceModule):
    states = STATES
    default_state = "restarted"
    secret_keys = ("system_manager_pin", "password")
    resource_name = "power"
    session_class = RemoteUiSession

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.method: str = "snmp"
        self.acted_at: Optional[float] = None
        self.wait_result: Dict[str, Any] = {}

    def _has_rui_login(self) -> bool:
        return bool(self.params.get("system_manager_pin") or self.params.get("password"))

    def validate(self) -> None:
        params = self.params
        if params["wait_timeout"] < 1:
            raise CanonError("invalid_argument", "wait_timeout must be at least 1")
        self.method = params.get("method") or ("remote_ui" if self.state == "shutdown" else "snmp")
        if self.state == "shutdown" and self.method == "snmp":
            raise CanonError("power_unsupported", "There is no standard SNMP object to shut a printer down; "
                             "use method remote_ui.")
        if self.method == "remote_ui" and not self._has_rui_login():
            raise CanonError("invalid_argument", "method remote_ui needs the Remote UI login "
                             "(system_manager_id and system_manager_pin, or password)")
        if self.state == "restarted" and params["wait"] and set(params["wait_for"]) - {"snmp"} \
                and not self._has_rui_login() and not params.get("rui_port"):
            raise CanonError("invalid_argument", "wait_for remote_ui/login_app needs the Remote UI options "
                             "(system_manager_id/system_manager_pin)")

    def connect(self, stack: contextlib.ExitStack) -> PowerConnection:
        rui = None
        if self._has_rui_login():
            rui = options_from_params(self.params)
        elif set(self.params["wait_for"]) - {"snmp"}:
            params = dict(self.params, auth_method="user", password="-")    # probe only, never logs in
            rui = options_from_params(params)
        return PowerConnection(target_from_params(self.params), rui)

    def read(self, conn: PowerConnection) -> Dict[str, Any]:
        uptime = power.read_uptime(conn.target)
        if uptime is None:
            uptime = power.read_uptime(conn.target)     # one more short try: a lost datagram is no answer
        if uptime is None:
            raise CanonError("snmp_no_response", "The device did not answer SNMP (sysUpTime).")
        return {"power": "on", "uptime_seconds": round(uptime, 1)}

    def plan(self, before: Dict[str, Any]) -> Plan:
        action = {"action": "restart" if self.state == "restarted" else "shutdown", "method": self.method}
        if self.method == "snmp":
            action["object"] = "prtGeneralReset.1 = powerCycleReset(4)"
        after = {"power": "on" if self.state == "restarted" else "off"}
        if self.check_mode:
            self.result["msg"] = "would %s the device via %s" % (action["action"], self.method.replace("_", " "))
        return Plan(actions=[action], after=after)

    def apply(self, conn: PowerConnection, plan: Plan) -> None:
        self.acted_at = time.monotonic()
        if self.method == "snmp":
            self.acted_at = power.send_reset(conn.target)
            return
        session = self.session_class(conn.rui_options)
        try:
            session.login()
            answer = page_json(session.post_form("power_control", {
                pt.POWER_ACTION_FIELD: "restart" if self.state == "restarted" else "shutdown"}))
        finally:
            session.close()       # the device is going down: no logout
        if not answer.get("accepted"):
            raise CanonError("power_unsupported", "The device refused the %s." % self.state)
        self.acted_at = time.monotonic()

    def read_back(self, conn: PowerConnection, plan: Plan) -> Dict[str, Any]:
        deadline = self.acted_at + self.params["wait_timeout"]
        if self.state == "shutdown":
            if not power.wait_until_down(conn.target, deadline):
                raise CanonError("device_timeout", "The device still answers SNMP after the shutdown request.")
            return {"power": "off"}
        if not self.params["wait"]:
            return {"power": "on"}
        found = power.wait_until_back(conn.target, self.acted_at, deadline, self.params["wait_for"],
                                      rui_options=conn.rui_options, session_class=self.session_class)
        self.wait_result = {"reached": found.reached, "went_down": found.went_down}
        return {"power": "on", "uptime_seconds": round(found.uptime_seconds or 0.0, 1)}

    def verify(self, conn: PowerConnection, plan: Plan, after: Dict[str, Any]) -> None:
        """The read-back itself proved it (uptime reset or SNMP silent); nothing is left to re-plan."""

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        result["method"] = self.method
        result["power_state_after"] = after.get("power") if not self.check_mode else None
        if self.wait_result:
            result["waited"] = self.wait_result["reached"]
