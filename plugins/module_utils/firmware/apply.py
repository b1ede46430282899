# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_firmware on the resource-module base: serve the package, tell the device, wait, re-read.

The truth after an update is a fresh version read once the device is back, not the update call:
EMC documents updates that worked although the task reported an error (power or network lost). So
a dropped connection during the update is only a warning when the version then matches, and a
failure (``firmware_verify_failed``) when it does not.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Dict, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import target_from_params
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.firmware import formats, plan as firmware_plan
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.read import (
    FirmwareConnection, read_firmware, read_snmp)
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.spec import POLL_SECONDS, STATES
from ansible_collections.printfleet.canon.plugins.module_utils.power import restart as power
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.file_server import FileServer
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)

# device-reported update errors -> error codes
DEVICE_ERRORS = {
    "no_updater": "firmware_no_updater", "distribution_not_allowed": "firmware_distribution_not_allowed",
    "serial_not_in_package": "firmware_serial_not_in_package", "model_mismatch": "firmware_model_mismatch",
    "not_released": "firmware_not_released", "download_failed": "firmware_download_failed",
    "bad_package": "firmware_bad_package", "power_loss": "firmware_update_failed", "busy": "firmware_device_busy",
}


# what to do next, where the error code's own hint is too general for the device's reason
DEVICE_HINTS = {
    "power_loss": "The device came back on its previous firmware (the update did not take). Check its power supply "
                  "(no switch-off during updates; a UPS), then run the task again: the update starts over.",
}


def device_error(error: str) -> CanonError:
    code = DEVICE_ERRORS.get(error, "firmware_update_failed")
    said = pt.FIRMWARE_TEXTS.get(error, error)
    return CanonError(code, "The device refused or failed the update: %s" % said, DEVICE_HINTS.get(error),
                      device_error=error)


class FirmwareResource(ResourceModule):
    states = STATES
    default_state = "present"
    secret_keys = ("system_manager_pin", "password")
    resource_name = "firmware"
    session_class = RemoteUiSession

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.package: Optional[Dict[str, Any]] = None
        self.connection_lost = False
        self.served: Dict[str, Any] = {}
        self.update_seconds: Optional[float] = None
        self.before_state: Optional[Dict[str, Any]] = None
        self.last_update: Optional[Dict[str, Any]] = None

    def validate(self) -> None:
        params = self.params
        if not params.get("host"):
            raise CanonError("invalid_argument", "host is required")
        if params["wait_timeout"] < 1 or params["clock_tolerance"] < 0:
            raise CanonError("invalid_argument", "wait_timeout must be >= 1 and clock_tolerance >= 0")
        if self.state == "present":
            self.package = formats.read_package(params["src"])
            packaged = self.package["manifest"]["version"]
            if packaged != params["version"]:
                raise CanonError("firmware_bad_package", "The package holds version %s, not the wanted %s."
                                 % (packaged, params["version"]), package_version=packaged)

    def connect(self, stack: contextlib.ExitStack) -> FirmwareConnection:
        target = target_from_params(self.params)
        rui = None
        if self.params.get("system_manager_pin") or self.params.get("password"):
            rui = options_from_params(self.params)
        elif self.state == "present":
            raise CanonError("invalid_argument", "state present needs the Remote UI login (system_manager_id and "
                             "system_manager_pin, or auth_method user with password)")
        conn = FirmwareConnection(target, rui, self.session_class)
        stack.callback(conn.drop_session)
        return conn

    def read(self, conn: FirmwareConnection) -> Dict[str, Any]:
        state = read_firmware(conn)
        if self.before_state is None:
            self.before_state = state
        return state

    def plan(self, before: Dict[str, Any]) -> Plan:
        return firmware_plan.plan_update(before, self.params, self.package)

    def apply(self, conn: FirmwareConnection, plan: Plan) -> None:
        params = self.params
        started = time.monotonic()
        deadline = started + params["wait_timeout"]
        package = plan.data["package"]
        with FileServer(params["src"], params["serve_from"], params["serve_port"],
                        params["serve_protocol"]) as server:
            self.served = {"url_scheme": server.protocol, "address": server.bind_address, "port": server.port}
            try:
                answer = conn.post("firmware_update", {pt.FIRMWARE_URL_FIELD: server.url,
                                                       pt.FIRMWARE_SHA256_FIELD: package["sha256"],
                                                       pt.FIRMWARE_VERSION_FIELD: params["version"]})
            except CanonError as exc:
                if exc.error_code not in ("rui_unreachable", "rui_unexpected_response", "device_busy"):
                    raise
                answer = None
                self.connection_lost = True
                self.warn("The connection to the device was lost after the update request (%s); the version is "
                          "read again when the device is back." % exc.error_code)
            if answer is not None and not answer.get("accepted"):
                raise device_error(str(answer.get("error")))
            self._follow(conn, started, deadline, server)
            self.served["downloads"] = server.downloads
        self.update_seconds = round(time.monotonic() - started, 2)

    def _follow(self, conn: FirmwareConnection, started: float, deadline: float, server: FileServer) -> None:
        """Watch the update until the device restarts (or reports a failure); the server runs meanwhile."""
        while time.monotonic() < deadline:
            try:
                facts = conn.updater_facts() or {}
            except CanonError:
                conn.session = None        # the device went down (restart): its session is gone with it
                break
            update = facts.get("update") or {}
            if update.get("state") == "failed":
                raise device_error(str(update.get("error")))
            if update.get("state") == "done" and facts.get("version") == self.params["version"]:
                break
            time.sleep(POLL_SECONDS)
        else:
            raise CanonError("device_timeout", "The device did not finish the update within wait_timeout (%d s)."
                             % self.params["wait_timeout"])
        wait = power.wait_until_back(conn.target, started, deadline, self.params["wait_for"],
                                     rui_options=conn.rui_options, session_class=self.session_class,
                                     what="firmware update")
        self.result["wait"] = wait.reached

    def read_back(self, conn: FirmwareConnection, plan: Plan) -> Dict[str, Any]:
        conn.drop_session()
        after = read_firmware(conn)
        self.last_update = after.pop("last_update", None)
        after.pop("preflight", None)
        return after

    def verify(self, conn: FirmwareConnection, plan: Plan, after: Dict[str, Any]) -> None:
        last = self.last_update or {}
        if after.get("version") != self.params["version"] and last.get("state") == "failed":
            raise device_error(str(last.get("error")))     # what the updater says went wrong (power loss ...)
        if after.get("version") != self.params["version"]:
            raise CanonError("firmware_verify_failed", "The device reports %s after the update, not %s."
                             % (after.get("version"), self.params["version"]),
                             installed=after.get("version"), wanted=self.params["version"])
        if self.connection_lost:
            self.warn("The update reported a lost connection but the version matches: the update succeeded.")

    def public_state(self, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in ("preflight", "last_update")}
        return self.mask(data)

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        result["previous_version"] = before.get("version")
        result["current_version"] = after.get("version")
        if self.state == "gathered":
            result["firmware"] = self.public_state(before)
            if "preflight" in before:
                result["preflight"] = before["preflight"]
            return
        result["target_version"] = self.params["version"]
        result["updater_present"] = before.get("updater_present")
        result["package"] = formats.package_summary(self.package) if self.package else None
        if not plan.changed:
            result["update_status"] = "not_needed"
        elif self.check_mode:
            result["update_status"] = "would_update"
        else:
            result["update_status"] = "updated"
            result["connection_lost"] = self.connection_lost
            result["served"] = self.served
            result["elapsed"] = self.update_seconds

    def failure_extras(self) -> Dict[str, Any]:
        extras: Dict[str, Any] = {"changed": self.wrote}
        if self.before_state is not None:       # a refusal still tells what the device runs (rollout reports)
            extras["before"] = self.public_state(self.before_state)
            extras["previous_version"] = self.before_state.get("version")
        if self.served:
            extras["served"] = self.served
        if self.wrote:
            try:
                extras["current_version"] = read_snmp(self.conn.target)["version"]
            except CanonError:
                extras["current_version"] = None
        return extras
