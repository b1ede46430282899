# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare first: the installed version against the wanted one, then every refusal before a transfer.

Order matters: a device already at ``version`` is ``changed=false`` whatever else is true (no
pre-flight, no contact with the updater); a downgrade, a serial or model mismatch, an unreleased
package, a missing Updater, a wrong clock, queued jobs or a running import/export fail here --
before the file server starts and before the device is told anything.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import (
    compare_versions, serial_allowed)


def plan_update(before: Dict[str, Any], params: Dict[str, Any], package: Dict[str, Any]) -> Plan:
    wanted = params["version"]
    current = before.get("version")
    manifest = package["manifest"]
    components = dict(before.get("components") or {}, controller=wanted)
    components.update(manifest.get("components") or {})
    after = dict(before, version=wanted, components=components)
    for key in ("preflight", "last_update"):
        after.pop(key, None)
    order = compare_versions(current, wanted)
    if order == 0:
        return Plan(actions=[], after=dict((k, v) for k, v in before.items() if k not in ("preflight", "last_update")))
    if current is None:
        raise CanonError("firmware_version_incomparable", "The device reports no firmware version over SNMP "
                         "(canPdInfoProductVersion), so the update cannot be checked before or after.")
    if order is None and not params["allow_downgrade"]:
        raise CanonError("firmware_version_incomparable",
                         "Installed %r and wanted %r have different shapes; refusing to guess which is newer."
                         % (current, wanted), installed=current, wanted=wanted)
    if order == 1 and not params["allow_downgrade"]:
        raise CanonError("firmware_downgrade_refused", "Installed firmware %s is newer than the package's %s."
                         % (current, wanted), installed=current, wanted=wanted)
    if before.get("model") and manifest["model"] != before["model"]:
        raise CanonError("firmware_model_mismatch", "The package is for %s; the device is a %s."
                         % (manifest["model"], before["model"]), package_model=manifest["model"],
                         device_model=before["model"])
    if params["serial_check"] and not serial_allowed(manifest, before.get("serial")):
        raise CanonError("firmware_serial_not_in_package", "Serial %s is not in the package's serial list."
                         % (before.get("serial") or "(unknown)"), serial=before.get("serial"))
    if not manifest.get("released", False):
        raise CanonError("firmware_not_released", "The package %s is marked not released." % manifest["version"])
    if not before.get("updater_present"):
        raise CanonError("firmware_no_updater", "The device has no Updater that accepts distribution; only "
                         "version management is possible (installed: %s)." % current)
    warnings: List[str] = []
    preflight = before.get("preflight") or {}
    check_preflight(preflight, params, warnings)
    action = {"action": "update", "from": current, "to": wanted, "downgrade": order == 1,
              "package_sha256": package["sha256"], "serve": params["serve_protocol"]}
    return Plan(actions=[action], after=after, warnings=warnings, data={"package": package})


def check_preflight(preflight: Dict[str, Any], params: Dict[str, Any], warnings: List[str]) -> None:
    if not preflight.get("local_distribution", False):
        raise CanonError("firmware_distribution_not_allowed")
    skew = preflight.get("clock_skew_seconds")
    if skew is None:
        warnings.append("The device clock could not be read; a wrong clock breaks TLS-based updates.")
    elif abs(skew) > params["clock_tolerance"]:
        raise CanonError("firmware_clock_skew", "The device clock is %+.0f s off the controller's (tolerance %d s)."
                         % (skew, params["clock_tolerance"]), clock_skew_seconds=skew)
    if preflight.get("import_export_running"):
        raise CanonError("firmware_device_busy")
    jobs = int(preflight.get("jobs_queued") or 0)
    if jobs and not preflight.get("wait_for_end_of_job"):
        if not params["allow_job_loss"]:
            raise CanonError("firmware_jobs_queued", "%d job(s) are queued and the device deletes them during "
                             "the update." % jobs, jobs_queued=jobs)
        warnings.append("%d queued job(s) will be deleted by the update (allow_job_loss)." % jobs)
    elif jobs:
        warnings.append("%d queued job(s): the device waits for the end of jobs before updating." % jobs)
