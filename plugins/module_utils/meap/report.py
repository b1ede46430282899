# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application report: which app, version, status and license expiry on which device, like EMC's
application list export, plus each device's outcome of a rollout. XLSX (Summary, Applications, About) and
CSV twins, written with the collection's one report writer (core/report_book.py).

Input per host: the result a canon_meap_app or canon_meap_app_info task registered (the ``meap_deployment``
role passes them as they are), or an explicit ``outcome`` (changed | unchanged | failed | not run) with
``error_code``/``msg`` on failure and the ``applications``/``system``. Licenses that end within
``expiring_within_days`` are flagged.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.report_book import BookColumn, Sheet

SUMMARY_COLUMNS = (
    BookColumn("host", "Host", "text", 18), BookColumn("address", "Address", "text", 16),
    BookColumn("serial", "Serial", "text", 12), BookColumn("outcome", "Outcome", "text", 12),
    BookColumn("app_version", "Version", "text", 10), BookColumn("app_status", "Status", "text", 10),
    BookColumn("license_status", "License", "text", 12), BookColumn("license_expires", "License expires", "text", 14),
    BookColumn("flag", "Flag", "text", 16), BookColumn("apps", "Apps", "int", 6),
    BookColumn("error", "Error", "text", 48))
APP_COLUMNS = (
    BookColumn("host", "Host", "text", 18), BookColumn("serial", "Serial", "text", 12),
    BookColumn("application_id", "Application ID", "text", 38), BookColumn("name", "Application Name", "text", 22),
    BookColumn("version", "Version", "text", 10), BookColumn("vendor", "Vendor", "text", 16),
    BookColumn("kind", "Type", "text", 16), BookColumn("status", "Status", "text", 10),
    BookColumn("license_status", "License Status", "text", 14),
    BookColumn("license_expires", "License Expires", "text", 14), BookColumn("days_left", "Days left", "int", 10),
    BookColumn("flag", "Flag", "text", 16))
OUTCOMES = ("changed", "unchanged", "failed", "not run")


def _days_left(expires: Optional[str], today: datetime.date) -> Optional[int]:
    if not expires or expires == "never":
        return None
    try:
        return (datetime.date.fromisoformat(expires) - today).days
    except ValueError:
        return None


def outcome_of(result: Mapping[str, Any]) -> str:
    """The outcome of one device: given, or derived from its registered module result (an empty or
    skipped result is a device the rollout never reached)."""
    if result.get("outcome"):
        return str(result["outcome"])
    if not result or result.get("skipped"):
        return "not run"
    if result.get("error_code") or result.get("failed") or result.get("unreachable"):
        return "failed"
    return "changed" if result.get("changed") else "unchanged"


def with_plan(results: Mapping[str, Mapping[str, Any]], planned: Mapping[str, Mapping[str, Any]]
              ) -> Dict[str, Mapping[str, Any]]:
    """Each host's result, the plan's (check-mode) result standing in where the rollout did not run the host.

    A plan with nothing to do is the device's outcome (unchanged); a plan that failed is a failure; a plan
    with work left that the rollout never reached is "not run" (with the device's applications as read).
    """
    merged: Dict[str, Mapping[str, Any]] = {}
    for host in set(results) | set(planned):
        result = results.get(host) or {}
        if outcome_of(result) == "not run" and planned.get(host):
            plan = planned[host]
            result = dict(plan, outcome="not run") if outcome_of(plan) == "changed" else plan
        merged[host] = result
    return merged


def rollout_application(results: Mapping[str, Mapping[str, Any]]) -> Optional[str]:
    """The application a rollout's results are about: the first (by host) that names one."""
    for host in sorted(results):
        app = (results[host] or {}).get("application") or {}
        if app.get("application_id"):
            return str(app["application_id"])
    return None


def build(results: Mapping[str, Mapping[str, Any]], addresses: Optional[Mapping[str, str]] = None,
          application_id: Optional[str] = None, expiring_within_days: int = 30,
          today: Optional[datetime.date] = None, planned: Optional[Mapping[str, Mapping[str, Any]]] = None
          ) -> Dict[str, Any]:
    """Rows, counts and a fingerprint of the expiring licenses (to notify each set once). ``planned``: the
    results of a check-mode plan pass, for hosts the rollout did not run (see with_plan)."""
    if planned:
        results = with_plan(results, planned)
    application_id = application_id or rollout_application(results)
    addresses = addresses or {}
    today = today or datetime.date.today()
    summary: List[Dict[str, Any]] = []
    apps: List[Dict[str, Any]] = []
    expiring: List[Dict[str, Any]] = []
    for host in sorted(results):
        result = results[host] or {}
        outcome = outcome_of(result)
        system = result.get("system") or {}
        row: Dict[str, Any] = {"host": host, "address": addresses.get(host, ""), "serial": system.get("serial", ""),
                               "outcome": outcome, "apps": None, "flag": "", "error": ""}
        if outcome == "failed":
            row["error"] = "%s: %s" % (result.get("error_code") or "failed", result.get("msg") or "")
        device_apps = list(result.get("applications") or [])
        if device_apps:
            row["apps"] = len(device_apps)
        for app in device_apps:
            left = _days_left(app.get("license_expires"), today)
            flag = ("EXPIRED" if left < 0 else "EXPIRING") if left is not None and left <= expiring_within_days else ""
            apps.append({"host": host, "serial": row["serial"], "application_id": app.get("application_id"),
                         "name": app.get("name"), "version": app.get("version"), "vendor": app.get("vendor"),
                         "kind": app.get("kind"), "status": app.get("status"),
                         "license_status": app.get("license_status"), "license_expires": app.get("license_expires"),
                         "days_left": left, "flag": flag})
            if flag:
                expiring.append({"host": host, "application_id": app.get("application_id"), "name": app.get("name"),
                                 "license_expires": app.get("license_expires"), "days_left": left})
            if application_id and app.get("application_id") == application_id:
                row.update(app_version=app.get("version"), app_status=app.get("status"),
                           license_status=app.get("license_status"), license_expires=app.get("license_expires"),
                           flag=flag)
        summary.append(row)
    counts = {o: sum(1 for r in summary if r["outcome"] == o) for o in OUTCOMES}
    fingerprint = hashlib.sha256(json.dumps([(e["host"], e["application_id"], e["license_expires"])
                                             for e in expiring]).encode()).hexdigest()
    return {"summary": summary, "applications": apps, "expiring": expiring, "counts": counts,
            "devices": len(summary), "fingerprint": fingerprint}


def render(report: Mapping[str, Any], fmt: str, title: str) -> List[Tuple[str, bytes]]:
    counts = report["counts"]
    total = {"host": "TOTAL", "outcome": ", ".join("%s %d" % (k, v) for k, v in counts.items() if v),
             "apps": sum(r["apps"] or 0 for r in report["summary"]),
             "flag": "%d expiring" % len(report["expiring"])}
    rows = list(report["summary"]) + [total]
    if fmt == "xlsx":
        sheets = [Sheet("Summary", SUMMARY_COLUMNS, rows, emphasis=lambda r: r.get("host") == "TOTAL"),
                  Sheet("Applications", APP_COLUMNS, report["applications"])]
        about = [("Report", title), ("Devices", report["devices"])] + [(k.capitalize(), v) for k, v in counts.items()] \
            + [("Licenses expiring", len(report["expiring"]))]
        return [(".xlsx", report_book.write_xlsx(sheets, about, None, title="MEAP applications"))]
    return [(".csv", report_book.write_csv(APP_COLUMNS, report["applications"])),
            ("-summary.csv", report_book.write_csv(SUMMARY_COLUMNS, rows))]


def write_files(report: Mapping[str, Any], dest_dir: str, name: str, formats: Sequence[str], title: str
                ) -> Tuple[List[str], bool]:
    """Write the files; unchanged bytes are not rewritten (the writer is deterministic)."""
    rendered = [pair for fmt in ("xlsx", "csv") if fmt in formats for pair in render(report, fmt, title)]
    return report_book.write_report_files(dest_dir, name, rendered)


#: The options of canon_meap_report, for the module and for its controller-side action plugin (one place).
ARGUMENT_SPEC: Dict[str, Any] = dict(
    results=dict(type="dict", required=True), planned=dict(type="dict", default={}),
    addresses=dict(type="dict", default={}),
    application_id=dict(type="str"), expiring_within_days=dict(type="int", default=30), today=dict(type="str"),
    dest_dir=dict(type="path", required=True), name=dict(type="str", default="meap-applications"),
    formats=dict(type="list", elements="str", choices=["xlsx", "csv"], default=["xlsx", "csv"]),
    title=dict(type="str", default="MEAP applications"))


def run_report(params: Mapping[str, Any], check_mode: bool) -> Dict[str, Any]:
    """canon_meap_report's whole behaviour on validated options: the result (raises CanonError)."""
    try:
        today = datetime.date.fromisoformat(params["today"]) if params["today"] else None
    except ValueError:
        raise CanonError("invalid_argument", "today must be an ISO date (YYYY-MM-DD)")
    report = build(params["results"], params["addresses"], params["application_id"], params["expiring_within_days"],
                   today, planned=params["planned"])
    result: Dict[str, Any] = {k: report[k] for k in ("devices", "counts", "expiring", "fingerprint")}
    if check_mode:
        return dict(result, changed=False)
    files, changed = write_files(report, params["dest_dir"], params["name"], params["formats"], params["title"])
    return dict(result, changed=changed, files=files)
