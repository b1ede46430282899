# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare-first planning for one MEAP application: what SMS must do, or why it must not.

Pure functions over the device state read through SMS (``read.read_device``) and the request
(``Request``), so every refusal -- downgrade, unsupported jar, app limit, storage, login-app
rules, system options, a license that would be lost -- happens before the first SMS write.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import formats

LICENSED = ("Installed", "Expired", "Over Limit", "Invalid", "Disabled")
LOGIN = "Login Application"
SYSTEM_OPTION = "System Option"


@dataclass
class Request:
    """What the task declares, with the jar and licenses already read from the controller."""

    state: str
    application_id: Optional[str] = None
    name: Optional[str] = None
    jar: Optional[Dict[str, Any]] = None
    version: Optional[str] = None
    licenses: List[Dict[str, Any]] = field(default_factory=list)
    license_given: bool = False
    allow_downgrade: bool = False
    allow_restart: bool = False
    keep_license: bool = False               # returned_license_dir given
    discard_license: bool = False
    change_password: bool = False             # new_sms_password differs and update_password=always


def find_app(apps: List[Dict[str, Any]], request: Request) -> Optional[Dict[str, Any]]:
    if request.application_id:
        for app in apps:
            if app["application_id"] == request.application_id:
                return app
        return None
    matches = [app for app in apps if app["name"] == request.name]
    if len(matches) > 1:
        raise CanonError("invalid_argument", "%d applications are named %r on the device; give application_id"
                         % (len(matches), request.name))
    return matches[0] if matches else None


def _license_for(request: Request, serial: str, app_id: str) -> Optional[Dict[str, Any]]:
    if not request.license_given:
        return None
    lic = formats.pick_license(request.licenses, app_id, serial)
    if lic is None:
        raise CanonError("meap_license_invalid", "no license for application %s among the %d given" % (
            app_id, len(request.licenses)), "Give the .lic issued for this application (or a .zip/directory holding it).")
    if lic["serial"] not in ("*", serial):
        raise CanonError("meap_license_wrong_serial", "the licenses for %s are bound to %s, not to this device (%s)"
                         % (app_id, ", ".join(sorted({x["serial"] for x in request.licenses
                                                      if x["application_id"] == app_id})), serial))
    return lic


def _check_jar(jar: Dict[str, Any], system: Dict[str, Any]) -> None:
    why = formats.supports(jar, system.get("meap_spec_versions") or [], system.get("device_specification_ids") or [])
    if why:
        raise CanonError("meap_app_not_supported", "%s cannot run on this device: %s" % (jar["file"], why))


def _license_status_after(lic: Optional[Dict[str, Any]], required: bool, current: Optional[str]) -> str:
    if lic is not None:
        return "Installed"
    if current:
        return current
    return "Not Installed" if required else "Unnecessary"


def plan_app(request: Request, device: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], Optional[Dict[str, Any]],
                                                                List[str]]:
    """(actions, the app as it should be afterwards (None: absent), warnings)."""
    system = device["system"]
    apps = device["applications"]
    if system.get("platform") not in (None, "", "meap"):
        raise CanonError("meap_platform_unsupported", "the device's application platform is %s, not MEAP"
                         % system.get("platform"))
    app = find_app(apps, request)
    actions: List[Dict[str, Any]] = []
    warnings: List[str] = []
    if request.state == "absent":
        return _plan_absent(request, app, actions), None, warnings

    jar = request.jar
    serial = system.get("serial") or ""
    app_id = (app or {}).get("application_id") or request.application_id or (jar or {}).get("application_id")
    after: Dict[str, Any]
    if app is None:
        if jar is None:
            raise CanonError("meap_src_required", "%s is not installed on the device and no src jar was given"
                             % (request.application_id or request.name))
        _check_jar(jar, system)
        if not jar["login_application"] and system.get("app_count") is not None and system.get("app_limit") \
                and system["app_count"] >= system["app_limit"]:
            raise CanonError("meap_app_limit", "the device holds %d of %d applications" % (
                system["app_count"], system["app_limit"]))
        need = _int(jar["usage"].get("MaximumFilespaceUsage"))
        if need and system.get("storage_free_kb") is not None and need > system["storage_free_kb"]:
            raise CanonError("meap_disk_full", "%s needs %d KB, the device has %d KB free" % (
                jar["file"], need, system["storage_free_kb"]))
        lic = _license_for(request, serial, jar["application_id"])
        actions.append({"action": "install", "application_id": jar["application_id"], "version": jar["version"],
                        "file": jar["file"], "license_file_id": lic["file_id"] if lic else None})
        after = {"application_id": jar["application_id"], "name": jar["name"], "version": jar["version"],
                 "vendor": jar["vendor"], "status": "Installed", "running": False,
                 "kind": LOGIN if jar["login_application"] else "Application",
                 "license_status": _license_status_after(lic, jar["license_required"], None),
                 "license_expires": lic["expires"] if lic else None}
        if jar["login_application"]:
            warnings.append("%s is a login application: the device asks for a restart after installing it"
                            % jar["name"])
        was_running = False
    else:
        after = copy.deepcopy(app)
        was_running = bool(app["running"])
        target = None
        if request.state == "latest" or (request.version and request.version != app["version"]):
            if jar is None:
                raise CanonError("meap_src_required", "a version change of %s needs src" % app_id)
            order = formats.compare_versions(jar["version"], app["version"])
            if order < 0 and not request.allow_downgrade:
                raise CanonError("meap_downgrade_refused", "%s %s is installed; the jar holds the older %s" % (
                    app["name"], app["version"], jar["version"]))
            if order != 0:
                target = jar["version"]
        lic = _license_for(request, serial, app_id)
        license_action = None
        if lic is not None:
            status = app["license_status"]
            if status == "Disabled":
                raise CanonError("meap_license_not_deleted", "the license of %s is disabled on the device" % app_id,
                                 "Do not add a license to an application whose license SMS disabled: delete it in "
                                 "SMS > License Management (after downloading it) first.")
            same = status == "Installed" and (lic["expires"] is None or lic["expires"] == app.get("license_expires"))
            if not same:
                license_action = lic
        if target is not None:
            _check_jar(jar, system)
            if app["kind"] == LOGIN and was_running:
                raise CanonError("meap_login_app_stop_refused", "%s is the running login application; SMS updates "
                                 "only stopped applications and a login application cannot be stopped" % app["name"],
                                 "Start another login application first (the device restarts).")
            if was_running:
                actions.append({"action": "stop", "application_id": app_id, "reason": "update"})
                after["running"], after["status"] = False, "Stopped"
            actions.append({"action": "update", "application_id": app_id, "from": app["version"], "to": target,
                            "file": jar["file"], "license_file_id": license_action["file_id"] if license_action
                            else None, "downgrade": formats.compare_versions(target, app["version"]) < 0})
            after["version"] = target
            after["name"], after["vendor"] = jar["name"], jar["vendor"]
        elif license_action is not None:
            actions.append({"action": "license_install", "application_id": app_id,
                            "license_file_id": license_action["file_id"]})
        if license_action is not None:
            after["license_status"] = "Installed"
            after["license_expires"] = license_action["expires"] or after.get("license_expires")
    _plan_run_state(request, after, was_running, actions)
    return actions, after, warnings


def _plan_run_state(request: Request, after: Dict[str, Any], was_running: bool, actions: List[Dict[str, Any]]) -> None:
    want: Optional[bool] = {"started": True, "stopped": False}.get(request.state)
    if want is None:
        want = was_running if not after["running"] else None      # put back what an update stopped
    if want and not after["running"]:
        if after["license_status"] not in ("Installed", "Unnecessary"):
            raise CanonError("meap_license_invalid", "%s cannot start: its license status is %s" % (
                after["application_id"], after["license_status"]), "Give license (the .lic for this device).")
        login = after["kind"] == LOGIN
        if login and not request.allow_restart:
            raise CanonError("meap_restart_required", "starting the login application %s restarts the device"
                             % after["application_id"])
        actions.append({"action": "start", "application_id": after["application_id"], "restart": login})
        after["running"], after["status"] = True, "Started"
    elif want is False and after["running"]:
        if after["kind"] == LOGIN:
            raise CanonError("meap_login_app_stop_refused", "%s is a login application" % after["application_id"])
        actions.append({"action": "stop", "application_id": after["application_id"]})
        after["running"], after["status"] = False, "Stopped"


def _plan_absent(request: Request, app: Optional[Dict[str, Any]], actions: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    if app is None:
        return actions
    app_id = app["application_id"]
    if app["kind"] == SYSTEM_OPTION:
        raise CanonError("meap_system_option", "%s (%s) is a system option" % (app["name"], app_id))
    if app["kind"] == LOGIN and app["running"]:
        raise CanonError("meap_login_app_stop_refused", "%s is the running login application and cannot be stopped "
                         "for the uninstall" % app_id, "Start another login application first (the device restarts).")
    if app["running"]:
        actions.append({"action": "stop", "application_id": app_id, "reason": "uninstall"})
    if app["license_status"] in LICENSED:
        if not (request.keep_license or request.discard_license):
            raise CanonError("meap_license_return_required", "%s holds a license (%s)" % (app_id,
                                                                                          app["license_status"]))
        actions.append({"action": "license_return", "application_id": app_id, "keep": request.keep_license,
                        "already_disabled": app["license_status"] == "Disabled"})
    actions.append({"action": "uninstall", "application_id": app_id, "version": app["version"]})
    return actions


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
