# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EMC's Reports menu from canon_device_info data: firmware, consumables, status totals, plus rollouts.

Each report is a summary sheet people read at a glance (counts and a chart) followed by the detail
sheet, written by core/report_book.py as XLSX and CSV. Input is what the roles collect per host: the
canon_device_info result (``identity``, ``status``, ``supplies``, ``highest_severity``), optionally the
canon_firmware result (components), a status history, or rollout outcomes.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book
from ansible_collections.printfleet.canon.plugins.module_utils.core.report_book import BookChart, BookColumn, Sheet
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import compare_versions, newest

REPORTS = ("firmware", "consumables", "status", "rollout")
STATUS_KEYS = ("normal", "warning", "error", "service_call", "unknown")
LEVEL_BANDS = (("empty or under 10%", 0, 10), ("10-25%", 10, 25), ("25-50%", 25, 50), ("50% and more", 50, 101))

C = BookColumn
FIRMWARE_COLUMNS = (C("host", "Host", width=18), C("model", "Model", width=18), C("serial", "Serial", width=12),
                    C("component", "Component"), C("version", "Version"), C("newest_for_model", "Newest seen (model)"),
                    C("current", "Current", "bool", 9))
FIRMWARE_SUMMARY = (C("model", "Model", width=18), C("devices", "Devices", "int", 9),
                    C("newest", "Newest seen"), C("on_newest", "On newest", "int", 10),
                    C("behind", "Behind", "int", 9), C("versions", "Versions (devices)", width=40))
SUPPLY_COLUMNS = (C("host", "Host", width=18), C("model", "Model", width=18),
                  C("description", "Cartridge / supply (for ordering)", width=34), C("type", "Type"),
                  C("colorant", "Colour", width=10), C("percent", "Level %", "float", 9),
                  C("level_state", "Level state", width=12))
SUPPLY_SUMMARY = (C("band", "Level", width=20), C("supplies", "Supplies", "int", 10),
                  C("devices", "Devices", "int", 9), C("examples", "Lowest first", width=60))
STATUS_COLUMNS = (C("host", "Host", width=18), C("model", "Model", width=18)) + tuple(
    C(key, "%s %%" % key.replace("_", " ").title(), "float", 12) for key in STATUS_KEYS) + (
    C("samples", "Samples", "int", 9), C("current", "Current"))
STATUS_SUMMARY = (C("status", "Status", width=16), C("share", "Fleet share %", "float", 14),
                  C("devices_now", "Devices now", "int", 12))
ROLLOUT_COLUMNS = (C("host", "Host", width=18), C("model", "Model", width=18), C("serial", "Serial", width=12),
                   C("before", "Before"), C("after", "After"), C("outcome", "Outcome", width=12),
                   C("error_code", "Error code", width=30), C("message", "Message", width=60))
ROLLOUT_SUMMARY = (C("outcome", "Outcome", width=16), C("devices", "Devices", "int", 10),
                   C("hosts", "Hosts", width=60))


def _identity(entry: Mapping[str, Any]) -> Dict[str, Any]:
    info = entry.get("info") or {}
    return dict(info.get("identity") or {})


def emc_status(info: Mapping[str, Any]) -> str:
    """One word per device as EMC's per-device series: service_call, error, warning, normal or unknown."""
    if not info or info.get("failed") or not info.get("status"):
        return "unknown"
    worst = info.get("highest_severity")
    if worst in ("service_call", "error", "warning"):
        return worst
    device_status = (info.get("status") or {}).get("device_status")
    if device_status == "down":
        return "error"
    if device_status == "warning":
        return "warning"
    return "normal" if device_status in ("running", "testing") else "unknown"


def firmware_report(devices: Sequence[Mapping[str, Any]]) -> Tuple[List[Sheet], Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    by_model: "OrderedDict[str, List[Dict[str, Any]]]" = OrderedDict()
    for entry in devices:
        ident = _identity(entry)
        model = ident.get("model") or (entry.get("firmware") or {}).get("model") or "(unknown)"
        components = dict((entry.get("firmware") or {}).get("components") or {})
        if not components and ident.get("firmware"):
            components = {"controller": ident["firmware"]}
        for component, version in sorted(components.items()) or [("controller", None)]:
            row = {"host": entry.get("host"), "model": model, "serial": ident.get("serial"),
                   "component": component, "version": version}
            rows.append(row)
            by_model.setdefault(model, []).append(row)
    summary = []
    for model, model_rows in by_model.items():
        newest_per_component = {c: newest([r["version"] for r in model_rows if r["component"] == c])
                                for c in {r["component"] for r in model_rows}}
        for row in model_rows:
            best = newest_per_component.get(row["component"])
            row["newest_for_model"] = best
            row["current"] = row["version"] is not None and compare_versions(row["version"], best) == 0
        controller = [r for r in model_rows if r["component"] == "controller"]
        hosts = {r["host"] for r in model_rows}
        versions = Counter(r["version"] or "(unread)" for r in controller)
        on_newest = sum(1 for r in controller if r["current"])
        summary.append({"model": model, "devices": len(hosts), "newest": newest_per_component.get("controller"),
                        "on_newest": on_newest, "behind": len(controller) - on_newest,
                        "versions": ", ".join("%s (%d)" % item for item in sorted(versions.items()))})
    chart = BookChart(categories=tuple(s["model"] for s in summary),
                      series=(("On newest", tuple(float(s["on_newest"]) for s in summary)),
                              ("Behind", tuple(float(s["behind"]) for s in summary))),
                      title="Controller firmware per model", x_title="Model", y_title="Devices")
    sheets = [Sheet("Summary", FIRMWARE_SUMMARY, summary, chart=chart if summary else None),
              Sheet("Firmware", FIRMWARE_COLUMNS, rows)]
    return sheets, {"devices": len({r["host"] for r in rows}), "models": len(summary),
                    "behind": sum(s["behind"] for s in summary), "rows": len(rows)}


def consumables_report(devices: Sequence[Mapping[str, Any]]) -> Tuple[List[Sheet], Dict[str, Any]]:
    rows = []
    for entry in devices:
        ident = _identity(entry)
        for supply in (entry.get("info") or {}).get("supplies") or []:
            rows.append({"host": entry.get("host"), "model": ident.get("model"),
                         "description": supply.get("description"), "type": supply.get("type"),
                         "colorant": supply.get("colorant"), "percent": supply.get("percent"),
                         "level_state": supply.get("level_state")})
    rows.sort(key=lambda r: (r["percent"] is None, r["percent"] if r["percent"] is not None else 0,
                             str(r["host"]), str(r["description"])))
    summary = []
    for band, low, high in LEVEL_BANDS:
        inside = [r for r in rows if r["percent"] is not None and low <= r["percent"] < high]
        summary.append({"band": band, "supplies": len(inside), "devices": len({r["host"] for r in inside}),
                        "examples": "; ".join("%s %s %.0f%%" % (r["host"], r["description"], r["percent"])
                                              for r in inside[:5])})
    unknown = [r for r in rows if r["percent"] is None]
    summary.append({"band": "level not reported", "supplies": len(unknown),
                    "devices": len({r["host"] for r in unknown}), "examples": ""})
    chart = BookChart(categories=tuple(s["band"] for s in summary),
                      series=(("Supplies", tuple(float(s["supplies"]) for s in summary)),),
                      title="Supplies by level", x_title="Level", y_title="Supplies")
    sheets = [Sheet("Summary", SUPPLY_SUMMARY, summary, chart=chart),
              Sheet("Consumables", SUPPLY_COLUMNS, rows)]
    low = sum(s["supplies"] for s in summary[:1])
    return sheets, {"supplies": len(rows), "under_10_percent": low, "devices": len({r["host"] for r in rows})}


def status_report(devices: Sequence[Mapping[str, Any]],
                  history: Optional[Sequence[Mapping[str, Any]]] = None) -> Tuple[List[Sheet], Dict[str, Any]]:
    """Share of samples per status per device (history entries: host, status); today's status when no history."""
    samples: Dict[str, Counter] = OrderedDict()
    models: Dict[str, Any] = {}
    current: Dict[str, str] = {}
    for entry in devices:
        host = str(entry.get("host"))
        models[host] = _identity(entry).get("model")
        current[host] = emc_status(entry.get("info") or {})
        samples.setdefault(host, Counter())
    for item in history or []:
        host = str(item.get("host"))
        status = item.get("status") if item.get("status") in STATUS_KEYS else "unknown"
        samples.setdefault(host, Counter())[status] += 1
    for host, counts in samples.items():
        if not sum(counts.values()) and host in current:
            counts[current[host]] += 1
    rows = []
    fleet = Counter()
    for host, counts in samples.items():
        total = sum(counts.values()) or 1
        fleet.update(counts)
        row = {"host": host, "model": models.get(host), "samples": sum(counts.values()),
               "current": current.get(host, "unknown")}
        row.update({key: round(100.0 * counts[key] / total, 1) for key in STATUS_KEYS})
        rows.append(row)
    fleet_total = sum(fleet.values()) or 1
    now = Counter(current.values())
    summary = [{"status": key.replace("_", " "), "share": round(100.0 * fleet[key] / fleet_total, 1),
                "devices_now": now.get(key, 0)} for key in STATUS_KEYS]
    chart = BookChart(categories=tuple(s["status"] for s in summary),
                      series=(("Fleet share %", tuple(float(s["share"]) for s in summary)),),
                      title="Share of time per status", x_title="Status", y_title="%")
    sheets = [Sheet("Summary", STATUS_SUMMARY, summary, chart=chart), Sheet("Status", STATUS_COLUMNS, rows)]
    return sheets, {"devices": len(rows), "now": dict(now)}


def rollout_report(outcomes: Sequence[Mapping[str, Any]]) -> Tuple[List[Sheet], Dict[str, Any]]:
    rows = [{key: item.get(key) for key in ("host", "model", "serial", "before", "after", "outcome", "error_code",
                                            "message")} for item in outcomes]
    rows.sort(key=lambda r: str(r["host"]))
    counts: "OrderedDict[str, List[str]]" = OrderedDict((k, []) for k in ("updated", "current", "refused", "failed"))
    for row in rows:
        counts.setdefault(str(row["outcome"]), []).append(str(row["host"]))
    summary = [{"outcome": key, "devices": len(hosts), "hosts": ", ".join(hosts)} for key, hosts in counts.items()]
    chart = BookChart(categories=tuple(s["outcome"] for s in summary),
                      series=(("Devices", tuple(float(s["devices"]) for s in summary)),),
                      title="Firmware rollout", x_title="Outcome", y_title="Devices")
    sheets = [Sheet("Summary", ROLLOUT_SUMMARY, summary, chart=chart), Sheet("Devices", ROLLOUT_COLUMNS, rows)]
    return sheets, {key: len(hosts) for key, hosts in counts.items()}


def build(report: str, devices: Sequence[Mapping[str, Any]],
          history: Optional[Sequence[Mapping[str, Any]]] = None) -> Tuple[List[Sheet], Dict[str, Any]]:
    if report == "firmware":
        return firmware_report(devices)
    if report == "consumables":
        return consumables_report(devices)
    if report == "status":
        return status_report(devices, history)
    return rollout_report(devices)


def render(report: str, sheets: Sequence[Sheet], fmt: str, title: str) -> List[Tuple[str, bytes]]:
    """(suffix, bytes) per file: one workbook (summary first), or the detail CSV and the summary CSV."""
    if fmt == "xlsx":
        about = [("Report", title), ("Source", "canon_device_info / canon_firmware data collected by the roles"),
                 ("Collection", "printfleet.canon")]
        return [(".xlsx", report_book.write_xlsx(list(sheets), about, None, title=title))]
    summary, detail = sheets[0], sheets[1]
    return [(".csv", report_book.write_csv(detail.columns, detail.rows)),
            ("-summary.csv", report_book.write_csv(summary.columns, summary.rows))]


def write_files(report: str, sheets: Sequence[Sheet], dest_dir: str, name: str, formats: Sequence[str],
                title: str) -> Tuple[List[str], bool]:
    """Write the files; unchanged bytes are not rewritten (deterministic writer), so reruns are changed=false."""
    rendered = [pair for fmt in ("xlsx", "csv") if fmt in formats for pair in render(report, sheets, fmt, title)]
    return report_book.write_report_files(dest_dir, name, rendered)
