# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_meap_app and canon_meap_app_info on the resource-module base: validate, connect, read, plan, apply.

The writes run in the order SMS wants them (stop before update, license Disable -> Download -> Delete
before uninstall) through one SMS session that the base's ExitStack logs out on every exit path. A
login application's start restarts the device: the run waits for SMS and logs in again to read back.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.meap import formats, spec
from ansible_collections.printfleet.canon.plugins.module_utils.meap.plan import Request, find_app, plan_app
from ansible_collections.printfleet.canon.plugins.module_utils.meap.read import MeapConnection, expiring, read_device
from ansible_collections.printfleet.canon.plugins.module_utils.transport.sms import check_new_password


class MeapAppResource(ResourceModule):
    states = spec.STATES
    default_state = "present"
    secret_keys = ("sms_password", "new_sms_password", "password")
    resource_name = "MEAP application"
    connection_class = MeapConnection

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.request: Optional[Request] = None
        self.device: Dict[str, Any] = {}
        self.password_changed = False
        self.password_only = False
        self.returned_licenses: List[str] = []

    # ------------------------------------------------------------------ validate -------------
    def validate(self) -> None:
        p = self.params
        state = self.state
        jar = formats.read_jar(p["src"]) if p.get("src") else None
        self.password_only = not (p.get("name") or p.get("application_id") or jar)
        if state != "gathered" and self.password_only and not (state == "present" and p.get("new_sms_password")):
            raise CanonError("invalid_argument", "give name, application_id or src (the jar names its application); "
                             "only a password change (new_sms_password, state present) needs none")
        if jar and p.get("application_id") and p["application_id"] != jar["application_id"]:
            raise CanonError("invalid_argument", "src holds application %s, not %s"
                             % (jar["application_id"], p["application_id"]))
        if jar and p.get("version") and p["version"] != jar["version"]:
            raise CanonError("invalid_argument", "src holds version %s, not the expected %s"
                             % (jar["version"], p["version"]))
        if state == "latest" and jar is None:
            raise CanonError("invalid_argument", "state latest needs src (the jar to compare with the device)")
        licenses: List[Dict[str, Any]] = []
        if p.get("license"):
            if not os.path.exists(p["license"]):
                raise CanonError("invalid_argument", "license %s does not exist" % p["license"])
            licenses = formats.load_licenses(p["license"])
            if not licenses:
                raise CanonError("meap_license_invalid", "no .lic file in %s" % p["license"])
        if p.get("returned_license_dir") and not os.path.isdir(p["returned_license_dir"]):
            raise CanonError("invalid_argument", "returned_license_dir %s is not a directory" % p["returned_license_dir"])
        change = False
        if p.get("new_sms_password"):
            check_new_password(p["new_sms_password"])
            change = p["update_password"] == "always" and p["new_sms_password"] != p.get("sms_password")
        spec.sms_options(p).validate()           # password present, default refused, ports
        self.request = Request(state=state, application_id=p.get("application_id") or (jar or {}).get("application_id"),
                               name=p.get("name") if not (p.get("application_id") or jar) else None, jar=jar,
                               version=p.get("version"), licenses=licenses, license_given=bool(p.get("license")),
                               allow_downgrade=p["allow_downgrade"], allow_restart=p["allow_restart"],
                               keep_license=bool(p.get("returned_license_dir")),
                               discard_license=bool(p.get("discard_license")), change_password=change)

    # ------------------------------------------------------------------ device ---------------
    def connect(self, stack: contextlib.ExitStack) -> MeapConnection:
        conn = self.connection_class(spec.sms_options(self.params, self.check_mode), stack)
        if conn.session is not None and conn.session.forced_change_done:
            self.wrote = True
            self.password_changed = True
            self.warn("the device forced a change of the default SMS password: it is now new_sms_password")
        return conn

    def read(self, conn: MeapConnection) -> Dict[str, Any]:
        self.device = read_device(conn.session)
        if self.device["system"].get("restart_required"):
            self.warn("SMS asks for a device restart to apply earlier changes")
        if self.state == "gathered":
            return self.device
        app = None if self.password_only else find_app(self.device["applications"], self.request)
        return {"application": app, "serial": self.device["system"]["serial"]}

    def plan(self, before: Dict[str, Any]) -> Plan:
        if self.password_only:             # the SMS password alone
            actions, after_app, warnings = [], None, []
        else:
            actions, after_app, warnings = plan_app(self.request, self.device)
        if self.request.change_password and not self.password_changed:
            actions.append({"action": "change_sms_password"})
        return Plan(actions=actions, after={"application": after_app, "serial": before.get("serial")},
                    warnings=warnings)

    def apply(self, conn: MeapConnection, plan: Plan) -> None:
        stopped: List[str] = []          # applications this run stopped (for an update or an uninstall)
        try:
            self._apply(conn, plan, stopped)
        except CanonError as exc:
            self._start_again(conn, stopped, exc)
            raise

    def _start_again(self, conn: MeapConnection, stopped: List[str], exc: CanonError) -> None:
        """A write after our stop failed (disk full, refusal ...): start what we stopped again, so the
        device keeps the applications as they were instead of one left stopped. Best effort: when the
        device is gone the error says what is left."""
        if not stopped:
            return
        for app_id in stopped:
            try:
                self._start_one(conn, app_id)
            except CanonError as again:
                exc.details.setdefault("left_stopped", []).append(app_id)
                exc.details["start_again_error"] = again.error_code
            else:
                exc.details.setdefault("started_again", []).append(app_id)
        if exc.details.get("started_again"):
            self.warn("the run failed after stopping %s; started again as before" % ", ".join(
                exc.details["started_again"]))

    def _start_one(self, conn: MeapConnection, app_id: str) -> None:
        """Start one application; when SMS is gone (the device restarted mid-write) wait for it first."""
        if conn.session is not None:
            try:
                conn.session.start(app_id)
                return
            except CanonError as exc:
                if exc.error_code != "sms_unreachable":
                    raise
        conn.after_restart(float(self.params["restart_timeout"]))
        conn.session.start(app_id)

    def _apply(self, conn: MeapConnection, plan: Plan, stopped: List[str]) -> None:
        p = self.params
        jar_file = formats.jar_bytes(p["src"]) if p.get("src") else None
        by_id = {lic["file_id"]: lic for lic in self.request.licenses}
        for action in plan.actions:
            kind = action["action"]
            session = conn.session
            app_id = action.get("application_id")
            lic = by_id.get(action.get("license_file_id") or "")
            lic_file = (lic["name"], lic["data"]) if lic else None
            if kind == "stop":
                session.stop(app_id)
                if action.get("reason") in ("update", "uninstall"):
                    stopped.append(app_id)
            elif kind in ("install", "update"):
                session.install(jar_file, lic_file)
            elif kind == "license_install":
                session.install_license(app_id, lic_file)
            elif kind == "license_return":
                data = session.return_license(app_id, keep=action["keep"])
                if data is not None:
                    self.returned_licenses.append(self.save_license(app_id, data))
            elif kind == "uninstall":
                session.uninstall(app_id)
                if app_id in stopped:
                    stopped.remove(app_id)
            elif kind == "start":
                session.start(app_id)
                if app_id in stopped:
                    stopped.remove(app_id)
                if action.get("restart"):
                    conn.after_restart(float(p["restart_timeout"]))
                    self.result["restarted"] = True
            elif kind == "change_sms_password":
                session.change_password(p["new_sms_password"])
                self.password_changed = True
        if self.password_changed:
            self.result["sms_password_changed"] = True
        if conn.session is not None and conn.session.restart_banner:
            self.restart_for_banner(conn)

    def restart_for_banner(self, conn: MeapConnection) -> None:
        """SMS shows "Restart the device ...": restart over SNMP (prtGeneralReset) when allowed, else say so."""
        if not self.params["allow_restart"]:
            self.result["restart_required"] = True
            self.warn("SMS asks for a device restart to apply the changes; set allow_restart: true to restart")
            return
        from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import target_from_params
        from ansible_collections.printfleet.canon.plugins.module_utils.power.restart import send_reset
        send_reset(target_from_params(self.params))      # the collection's one restart (prtGeneralReset)
        conn.after_restart(float(self.params["restart_timeout"]))
        self.result["restarted"] = True

    def save_license(self, app_id: str, data: bytes) -> str:
        """Keep the disabled license SMS gave back (it installs again only on this device), mode 0600."""
        lic = formats.parse_license(data, "returned")
        name = "%s_%s_%s.lic" % (lic["serial"], app_id, lic["file_id"])
        path = os.path.join(self.params["returned_license_dir"], "".join(
            c if c.isalnum() or c in "._-" else "_" for c in name))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path

    def read_back(self, conn: MeapConnection, plan: Plan) -> Any:
        return self.read(conn)

    # ------------------------------------------------------------------ results --------------
    def diff(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        out = super().diff(before, after, plan)
        out["before"], out["after"] = self._diff_side(before), self._diff_side(after)
        return out

    @staticmethod
    def _diff_side(state: Any) -> Dict[str, Any]:
        app = (state or {}).get("application")
        if not app:
            return {"installed": False}
        return {"installed": True, "application_id": app["application_id"], "name": app["name"],
                "version": app["version"], "status": app["status"], "license_status": app["license_status"],
                "license_expires": app.get("license_expires")}

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        result["applications"] = self.device.get("applications", [])
        result["system"] = self.device.get("system", {})
        if plan is not None:
            result["application"] = (after or {}).get("application")
        if self.returned_licenses:
            result["returned_licenses"] = self.returned_licenses
        if self.password_changed:
            result["sms_password_changed"] = True

    def failure_extras(self) -> Dict[str, Any]:
        extras = super().failure_extras()
        if self.returned_licenses:
            extras["returned_licenses"] = self.returned_licenses
        return extras


class MeapAppInfoResource(MeapAppResource):
    """canon_meap_app_info: every app and license on a device (state gathered only)."""

    states = ("gathered",)
    default_state = "gathered"

    def validate(self) -> None:
        spec.sms_options(self.params).validate()
        self.request = Request(state="gathered")

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        apps = self.device.get("applications", [])
        result.pop("gathered", None)
        result["applications"] = apps
        result["system"] = self.device.get("system", {})
        result["licenses_expiring"] = expiring(apps, int(self.params.get("expiring_within_days") or 0))
