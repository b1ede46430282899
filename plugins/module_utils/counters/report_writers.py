# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter reports as XLSX (openpyxl) and CSV files: deterministic bytes, formulas neutralised.

Same data, same bytes: the module compares the bytes with the file on disk to decide
``changed``, so nothing here may depend on the clock unless ``generated_at`` is given.

Formula neutralisation, as EMC does it (EMC 4.1.4 guide, "Regarding CSV/Excel Files
Exported from This Software"; the guide does not list the trigger characters, so this uses
the usual CSV-injection set ``= + - @ TAB CR``):

* CSV: a text value starting with a trigger gets a leading TAB (EMC's choice).
* XLSX: the cell is written as a text cell with Excel's quote prefix (``quotePrefix``), the
  file-format form of typing a leading apostrophe: Excel and LibreOffice show the text as it
  is and never evaluate it, even after the cell is edited, and the stored value is unchanged.
  Every text cell is written as text, so ``=1+1`` or ``#N/A`` from a device never becomes a
  formula or an error value.

Numbers stay numbers: only text is neutralised, so a negative number is never touched.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book
from ansible_collections.printfleet.canon.plugins.module_utils.core.report_book import (  # noqa: F401 (re-exported)  # pylint: disable=unused-import
    CSV_NEUTRALISER, FORMULA_TRIGGERS, OPENPYXL_IMPORT_ERROR, UTF8_BOM, ZIP_EPOCH, Sheet, needs_neutralising,
    neutralise_csv)
from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import Report
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

FORMATS: Tuple[str, ...] = ("xlsx", "csv")
FILE_STEM = "counter-report"
XLSX_MAX_ROWS = report_book.XLSX_MAX_ROWS
_FLAG_LEGEND = (
    ("Gap", "No reading inside the period: usage unknown; it is counted in the next period with a reading."),
    ("Reset", "The counter went down (board replacement, reset). Usage = before-reset part + "
              "after-reset part; the new series counts from its first reading, not from zero."),
    ("Partial", "The period had not ended when the report was made, or the counter's history starts "
                "inside it."),
    ("Summary", "One row per device: the report period's usage of total (101, else prtMarkerLifeCount), black "
                "(108, else 112 + 113), colour (122 + 123), large (103, else 112 + 122) and scan (501); region "
                "and fleet totals; Flags: gap, reset, no reading. The chart shows the fleet's usage per period."),
)


# --- where files go --------------------------------------------------------------------------------------

def default_file_name(reports: Sequence[Report], fmt: str, report: Optional[Report] = None) -> str:
    """counter-report-<period>.xlsx for a workbook; counter-report-<period>-<report>.csv per CSV.

    A lifetime report has no period: counter-report-lifetime.csv (or .xlsx when alone).
    """
    periods = sorted({r.period for r in reports if r.period})
    if fmt == "xlsx":
        return "%s-%s.xlsx" % (FILE_STEM, periods[0] if periods else "lifetime")
    if report is None:  # an internal call-order error, not a user input
        raise RuntimeError("internal error: report is not set")
    if report.period is None:
        return "%s-lifetime.csv" % FILE_STEM
    return "%s-%s-%s.csv" % (FILE_STEM, report.period, report.name)


def plan_outputs(dest: str, reports: Sequence[Report], fmt: str) -> List[Tuple[str, List[Report]]]:
    """(path, reports in that file) for each file to write.

    ``dest`` ending in ``.xlsx`` / ``.csv`` is a file name; anything else is a directory that
    receives the default names. With CSV and several reports, a file name ``x.csv`` becomes
    ``x-<report>.csv`` per report.
    """
    if fmt not in FORMATS:
        raise CanonError("invalid_argument", "format must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    if not reports:
        raise CanonError("invalid_argument", "no report to write")
    dest = os.path.abspath(os.path.expanduser(dest))
    suffix = "." + fmt
    if fmt == "xlsx":
        path = dest if dest.lower().endswith(suffix) else os.path.join(dest, default_file_name(reports, fmt))
        return [(path, list(reports))]
    if dest.lower().endswith(suffix):
        if len(reports) == 1:
            return [(dest, [reports[0]])]
        stem = dest[:-len(suffix)]
        return [("%s-%s%s" % (stem, r.name, suffix), [r]) for r in reports]
    return [(os.path.join(dest, default_file_name(reports, fmt, r)), [r]) for r in reports]


# --- CSV ----------------------------------------------------------------------------------------------------

def write_csv(report: Report, generated_at: Optional[datetime] = None) -> bytes:
    """One report as UTF-8 CSV with a BOM (Excel detects the encoding), header = column keys.

    ``generated_at`` adds a trailing ``generated_at`` column (CSV has no place for a note). The summary's
    CSV twin holds the same rows as its sheet (devices, region totals, fleet total).
    """
    return report_book.write_csv(report.columns, report.rows, generated_at)


# --- XLSX ---------------------------------------------------------------------------------------------------

def _sheet(report: Report) -> Sheet:
    if len(report.rows) + 1 > XLSX_MAX_ROWS:
        raise CanonError("report_error", "the %s report has %d rows; an Excel sheet holds %d"
                         % (report.name, len(report.rows), XLSX_MAX_ROWS - 1),
                         hint="Select fewer counters or devices, a longer period, or format: csv.")
    chart = None
    if report.chart and report.chart.series and report.chart.categories:
        chart = report_book.BookChart(tuple(report.chart.categories), tuple(report.chart.series))
    emphasis = (lambda row: row.get("row_type") not in (None, "device")) if report.name == "summary" else None
    return Sheet(report.title, report.columns, report.rows, chart, emphasis, report.name)


def _about(reports: Sequence[Report], generated_at: Optional[datetime]) -> List[Tuple[str, Any]]:
    period = next((r.period for r in reports if r.period), None)
    window = next((r.periods for r in reports if r.periods), ())
    lines: List[Tuple[str, Any]] = [("Report", "Counter report (printfleet.canon)"),
                                    ("Contents", ", ".join(r.title for r in reports))]
    if period:
        lines += [("Period", period), ("Window", "%s to %s" % (window[0], window[-1]) if window else "")]
    lines += [("Time zones", "Periods start at local midnight in each device's region time zone.")]
    lines += list(_FLAG_LEGEND)
    if generated_at is not None:
        lines.append(("Generated at", generated_at.astimezone(timezone.utc).replace(tzinfo=None)))
    return lines


def write_xlsx(reports: Sequence[Report], generated_at: Optional[datetime] = None) -> bytes:
    """One workbook (core/report_book.py): a sheet per report in the order given - the summary first, so
    the workbook opens on it - each with frozen header, filters, number formats, widths and, for usage
    reports, a bar chart of usage per period beside the table; then an About sheet. Deterministic bytes."""
    report_book.require_openpyxl()
    sheets = [_sheet(r) for r in reports]
    return report_book.write_xlsx(sheets, _about(reports, generated_at), generated_at, title="Counter report")


def render(reports: Sequence[Report], fmt: str, generated_at: Optional[datetime] = None) -> bytes:
    """The bytes of one output file (see plan_outputs): a workbook, or one report's CSV."""
    if fmt == "xlsx":
        return write_xlsx(reports, generated_at)
    if fmt == "csv" and len(reports) == 1:
        return write_csv(reports[0], generated_at)
    raise CanonError("invalid_argument", "a CSV file holds exactly one report")
