# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings drift report: an XLSX workbook (Summary + Drift sheets) and CSV files.

Input: the ``canon_device_settings`` audit result of every host (``state: audited``), keyed by host.
Summary: one row per device (compliant, differences, not comparable, error) with a count column per
category, and a totals row per category. Drift: one row per device and differing item. Cells that
a spreadsheet could read as formulas are neutralised as EMC does (CSV: leading TAB, XLSX: text).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.counters.report_writers import (
    needs_neutralising, neutralise_csv)

try:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    OPENPYXL_IMPORT_ERROR: Optional[str] = None
except ImportError as _exc:  # pragma: no cover - openpyxl is in requirements.txt
    OPENPYXL_IMPORT_ERROR = str(_exc)

DETAIL_COLUMNS = ("host", "address", "model", "category", "item", "device_value", "baseline_value")
SUMMARY_COLUMNS = ("host", "address", "model", "status", "differences", "not_comparable", "error")


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
                                "device_value": _text(diff.get("device")), "baseline_value": _text(diff.get("baseline"))})
        summary.append(row)
    fingerprint = hashlib.sha256(json.dumps([(d["host"], d["item"], d["device_value"], d["baseline_value"])
                                             for d in details]).encode()).hexdigest()
    return {"summary": summary, "details": details, "categories": dict(sorted(categories.items())),
            "devices": len(summary), "drifted": sum(1 for r in summary if r["status"] == "drift"),
            "errors": sum(1 for r in summary if r["status"] == "error"), "differences": len(details),
            "fingerprint": fingerprint}


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise_csv(_text(row.get(c))) for c in columns])
    return out.getvalue().encode("utf-8")


def summary_rows(report: Mapping[str, Any]) -> Tuple[List[str], List[Dict[str, Any]]]:
    cats = list(report["categories"])
    columns = list(SUMMARY_COLUMNS) + ["drift: %s" % c for c in cats]
    rows = []
    for row in report["summary"]:
        flat = {k: row.get(k) for k in SUMMARY_COLUMNS}
        flat.update({"drift: %s" % c: row["by_category"].get(c, 0) for c in cats})
        rows.append(flat)
    total = {"host": "TOTAL", "status": "%d of %d drifted" % (report["drifted"], report["devices"]),
             "differences": report["differences"]}
    total.update({"drift: %s" % c: n for c, n in report["categories"].items()})
    rows.append(total)
    return columns, rows


def write_xlsx(report: Mapping[str, Any], title: str) -> bytes:
    if OPENPYXL_IMPORT_ERROR is not None:
        raise CanonError("missing_dependency", "XLSX reports need the openpyxl package: %s" % OPENPYXL_IMPORT_ERROR)
    wb = Workbook(write_only=True)
    columns, rows = summary_rows(report)
    for name, cols, data in (("Summary", columns, rows), ("Drift", list(DETAIL_COLUMNS), report["details"])):
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        header = []
        for col in cols:
            cell = WriteOnlyCell(ws, value=col)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in data:
            cells = []
            for col in cols:
                value = row.get(col)
                if isinstance(value, str):
                    cell = WriteOnlyCell(ws, value=value)
                    if needs_neutralising(value):
                        cell.data_type = "s"      # text, never a formula
                    cells.append(cell)
                else:
                    cells.append(value)
            ws.append(cells)
    about = wb.create_sheet("About")
    for line in (("Report", title), ("Devices", report["devices"]), ("Drifted", report["drifted"]),
                 ("Errors", report["errors"]), ("Differing items", report["differences"])):
        about.append(list(line))
    raw = io.BytesIO()
    wb.save(raw)
    return raw.getvalue()


def write_files(report: Mapping[str, Any], dest_dir: str, name: str, formats: Sequence[str], title: str
                ) -> List[str]:
    os.makedirs(dest_dir, exist_ok=True)
    files = []
    outputs: List[Tuple[str, bytes]] = []
    if "xlsx" in formats:
        outputs.append((name + ".xlsx", write_xlsx(report, title)))
    if "csv" in formats:
        columns, rows = summary_rows(report)
        outputs.append((name + ".csv", write_csv(report["details"], DETAIL_COLUMNS)))
        outputs.append((name + "-summary.csv", write_csv(rows, columns)))
    for filename, data in outputs:
        path = os.path.join(dest_dir, filename)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        files.append(path)
    return files
