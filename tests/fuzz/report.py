"""Figures the robustness suites leave for tests/perf/robustness_report.py (JSON lines in the file named
by PRINTFLEET_FUZZ_REPORT; nothing is written without it)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict


def record(entry: Dict[str, Any]) -> None:
    path = os.environ.get("PRINTFLEET_FUZZ_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str) + "\n")
