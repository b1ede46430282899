# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings drift report: an XLSX workbook (Summary, Drift, About) and its CSV twins, written with the
collection's one report writer (core/report_book.py: formulas neutralised, deterministic bytes).

Input: the ``canon_device_settings`` audit result of every host (``state: audited``), keyed by host.
Summary: one row per device (status, differences, not comparable, error) with a count column per
category, and a TOTAL row with the counts per category. Drift: one row per device and differing item.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book
from ansible_collections.printfleet.canon.plugins.module_utils.core.report_book import BookColumn, Sheet

DETAIL_COLUMNS = (BookColumn("host", "Host", "text", 18), BookColumn("address", "Address", "text", 16),
                  BookColumn("model", "Model", "text", 18), BookColumn("category", "Category", "text", 16),
                  BookColumn("item", "Item", "text", 34), BookColumn("device_value", "Device value", "text", 24),
                  BookColumn("baseline_value", "Baseline value", "text", 24))
SUMMARY_COLUMNS = (BookColumn("host", "Host", "text", 18), BookColumn("address", "Address", "text", 16),
                   BookColumn("model", "Model", "text", 18), BookColumn("status", "Status", "text", 16),
                   BookColumn("differences", "Differences", "int", 12),
                   BookColumn("not_comparable", "Not comparable", "int", 14),
                   BookColumn("error", "Error", "text", 40))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def build(audits: Mapping[str, Mapping[str, Any]], addresses: Optional[Mapping[str, str]] = None
          ) -> Dict[str, Any]:
    """Rows and counts from the audit results (failed hosts become rows with their error)."""
    addresses = addresses or {}
    summary: List[Dict[str, Any]] = []
    details: List[Dict[str, Any]] = []
    categories: Dict[str, int] = {}
    for host in sorted(audits):
        result = audits[host] or {}
        device = result.get("device") or {}
        row: Dict[str, Any] = {"host": host, "address": addresses.get(host, ""), "model": device.get("model", ""),
                               "by_category": {}}
        if result.get("failed") or "differences" not in result:
            row.update(status="error", differences=None, not_comparable=None,
                       error="%s: %s" % (result.get("error_code") or "failed", result.get("msg") or "no result"))
        else:
            diffs = list(result.get("differences") or [])
            row.update(status="drift" if diffs else "compliant", differences=len(diffs),
                       not_comparable=int(result.get("not_comparable") or 0), error="")
            for diff in diffs:
                category = diff.get("category") or str(diff.get("item", "")).split(".", maxsplit=1)[0]
                row["by_category"][category] = row["by_category"].get(category, 0) + 1
                categories[category] = categories.get(category, 0) + 1
                details.append({"host": host, "address": row["address"], "model": row["model"],
                                "category": category, "item": diff.get("item"),
                                "device_value": _text(diff.get("device")),
                                "baseline_value": _text(diff.get("baseline"))})
        summary.append(row)
    fingerprint = hashlib.sha256(json.dumps([(d["host"], d["item"], d["device_value"], d["baseline_value"])
                                             for d in details]).encode()).hexdigest()
    return {"summary": summary, "details": details, "categories": dict(sorted(categories.items())),
            "devices": len(summary), "drifted": sum(1 for r in summary if r["status"] == "drift"),
            "errors": sum(1 for r in summary if r["status"] == "error"), "differences": len(details),
            "fingerprint": fingerprint}


def summary_sheet(report: Mapping[str, Any]) -> Tuple[List[BookColumn], List[Dict[str, Any]]]:
    """Columns and rows of the Summary sheet: per device, a count column per category, a TOTAL row."""
    cats = list(report["categories"])
    columns = list(SUMMARY_COLUMNS) + [BookColumn("drift_" + c, "Drift: %s" % c, "int", 12) for c in cats]
    rows: List[Dict[str, Any]] = []
    for row in report["summary"]:
        flat = {c.key: row.get(c.key) for c in SUMMARY_COLUMNS}
        flat.update({"drift_" + c: row["by_category"].get(c, 0) for c in cats})
        rows.append(flat)
    total: Dict[str, Any] = {"host": "TOTAL", "status": "%d of %d drifted" % (report["drifted"], report["devices"]),
                             "differences": report["differences"]}
    total.update({"drift_" + c: n for c, n in report["categories"].items()})
    rows.append(total)
    return columns, rows


def render(report: Mapping[str, Any], fmt: str, title: str) -> List[Tuple[str, bytes]]:
    """(file suffix, bytes) of one format: xlsx -> one workbook, csv -> details and summary."""
    columns, rows = summary_sheet(report)
    if fmt == "xlsx":
        sheets = [Sheet("Summary", columns, rows, emphasis=lambda r: r.get("host") == "TOTAL"),
                  Sheet("Drift", DETAIL_COLUMNS, report["details"])]
        about = [("Report", title), ("Devices", report["devices"]), ("Drifted", report["drifted"]),
                 ("Errors", report["errors"]), ("Differing items", report["differences"])]
        return [(".xlsx", report_book.write_xlsx(sheets, about, None, title="Settings drift"))]
    return [(".csv", report_book.write_csv(DETAIL_COLUMNS, report["details"])),
            ("-summary.csv", report_book.write_csv(columns, rows))]


def write_files(report: Mapping[str, Any], dest_dir: str, name: str, formats: Sequence[str], title: str
                ) -> Tuple[List[str], bool]:
    """Write the files; (paths, changed) -- unchanged bytes are not rewritten (the writer is deterministic)."""
    rendered = [pair for fmt in ("xlsx", "csv") if fmt in formats for pair in render(report, fmt, title)]
    return report_book.write_report_files(dest_dir, name, rendered)
