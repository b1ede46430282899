#!/usr/bin/env python3
"""Robustness report (issue 18): runs the fuzz, fault-injection, data-safety and secrets suites with a
figures file and prints, per target and per case: cases tried, crashes, hangs, peak memory, leaks,
readings lost or doubled, device states left half-written. Prints figures only.

    python tests/perf/robustness_report.py [--profile ci|nightly] [--examples N] [--skip-slow]
    python tests/perf/robustness_report.py --from figures.jsonl      # print an earlier run's figures
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITES = ["tests/fuzz", "tests/faults", "tests/integration/test_secrets_audit.py"]


def run(figures: str, profile: str, examples: int, skip_slow: bool) -> int:
    env = dict(os.environ, PRINTFLEET_FUZZ_REPORT=figures, PRINTFLEET_FUZZ_PROFILE=profile,
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    if examples:
        env["PRINTFLEET_FUZZ_EXAMPLES"] = str(examples)
    suites = SUITES[:1] if skip_slow else SUITES
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"] + suites, cwd=ROOT,
                          env=env, capture_output=True, text=True)
    tail = [line for line in proc.stdout.splitlines() if " passed" in line or " failed" in line]
    print("pytest %s: %s (%.0fs)" % (" ".join(suites), tail[-1] if tail else "no summary", time.monotonic() - started))
    if proc.returncode:
        print(proc.stdout[-4000:])
    return proc.returncode


def report(entries: List[Dict[str, Any]]) -> None:
    fuzz = [e for e in entries if e.get("suite") == "fuzz"]
    if fuzz:
        print("\nFuzzing (hypothesis)")
        print("%-24s %-6s %7s %8s %8s %6s %10s %8s" % ("target", "group", "cases", "refused", "crashes", "hangs",
                                                      "slowest ms", "peak MB"))
        for e in fuzz:
            print("%-24s %-6s %7d %8d %8d %6d %10.1f %8.1f" % (e["target"], e["group"], e["cases"], e["refused"],
                                                              e["crashes"], e["hangs"], e["slowest_ms"], e["peak_mb"]))
        print("%-24s %-6s %7d %8d %8d %6d" % ("total", "", sum(e["cases"] for e in fuzz),
                                              sum(e["refused"] for e in fuzz), sum(e["crashes"] for e in fuzz),
                                              sum(e["hangs"] for e in fuzz)))
        print("leaks: peak memory per target at most %.1f MB (bound 64 MB)" % max(e["peak_mb"] for e in fuzz))
    faults = [e for e in entries if e.get("suite") == "faults"]
    if faults:
        print("\nFault injection (module write path x fault)")
        print("%-40s %-24s %-12s %s" % ("case", "outcome", "half-written", "fault fired"))
        for e in faults:
            print("%-40s %-24s %-12d %s" % (e["case"], e["outcome"], e["half_written"], e["fired"]))
        print("device states left half-written: %d of %d cases" % (sum(e["half_written"] for e in faults),
                                                                    len(faults)))
        modules: Dict[str, Dict[str, int]] = {}
        for e in faults:
            name = e.get("module") or e["case"].split("-", 1)[0]
            row = modules.setdefault(name, {"cases": 0, "ok": 0, "coded": 0, "half": 0, "reruns": 0, "rerun_ok": 0})
            row["cases"] += 1
            row["ok" if e["outcome"] == "ok" else "coded"] += 1
            row["half"] += e["half_written"]
            if e.get("rerun") is not None:
                row["reruns"] += 1
                row["rerun_ok"] += e["rerun"] == "ok"
        line = "%-24s %6s %6s %16s %13s %16s"
        print("\n" + line % ("module", "cases", "ok", "failed with code", "half-written", "re-runs complete"))
        for name, row in modules.items():
            reruns = "%d of %d" % (row["rerun_ok"], row["reruns"]) if row["reruns"] else "-"
            print(line % (name, row["cases"], row["ok"], row["coded"], row["half"], reruns))
        totals = [sum(r[key] for r in modules.values()) for key in ("cases", "ok", "coded", "half")]
        print(line % tuple(["total"] + totals + [""]))
    tls = [e for e in entries if e.get("suite") == "tls"]
    if tls:
        print("\nTLS handshake failure (real: the handshake itself fails)")
        for e in tls:
            print("%-10s %-10s %-18s reason %-14s login posts %d  handshakes tried %d" % (
                e["client"], e["mode"], e["code"], e["reason"], e["login_posts"], e["handshakes"]))
    safety = [e for e in entries if e.get("suite") == "data_safety"]
    if safety:
        print("\nData safety (counter store)")
        for e in safety:
            print("%-42s kills %2d  half-written %d  readings lost %d  doubled %d" % (
                e["case"], e["kills"], e["half_written"], e["lost"], e["doubled"]))
    secrets = [e for e in entries if e.get("suite") == "secrets"]
    if secrets:
        print("\nSecrets audit")
        for e in secrets:
            print("%-26s modules %2d  secret markers %3d  leaks %d" % (e["case"], e["modules"], e["markers"],
                                                                     e["leaks"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="ci", choices=["ci", "nightly"])
    ap.add_argument("--examples", type=int, default=0, help="cases per fuzz target (overrides the profile)")
    ap.add_argument("--skip-slow", action="store_true", help="fuzzing only")
    ap.add_argument("--from", dest="source", help="print the figures of an earlier run (JSON lines)")
    args = ap.parse_args()
    rc = 0
    if args.source:
        figures = args.source
    else:
        figures = tempfile.mktemp(prefix="robustness-", suffix=".jsonl")
        rc = run(figures, args.profile, args.examples, args.skip_slow)
    with open(figures, encoding="utf-8") as fh:
        entries = [json.loads(line) for line in fh if line.strip()]
    report(entries)
    return rc


if __name__ == "__main__":
    sys.exit(main())
