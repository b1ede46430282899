"""Property-based fuzzing of every target in tests/fuzz/targets.py (one table; a parser is one line).

Profiles (environment PRINTFLEET_FUZZ_PROFILE): ``ci`` (default: 100 cases per target, the suite
stays within about a minute) and ``nightly`` (5,000 cases per target, or PRINTFLEET_FUZZ_EXAMPLES).
Each target's figures (cases tried, crashes, hangs, peak memory) are appended to the JSON-lines file
PRINTFLEET_FUZZ_REPORT when set; tests/perf/robustness_report.py prints them.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.report import record
from tests.fuzz.targets import TARGETS

PROFILE = os.environ.get("PRINTFLEET_FUZZ_PROFILE", "ci")
EXAMPLES = int(os.environ.get("PRINTFLEET_FUZZ_EXAMPLES") or (5000 if PROFILE == "nightly" else 100))
CASE_SECONDS = 5.0            # the bound on one case (a parser or reader that loops fails here)
# The bound on memory one case may hold at once, above what the process held when it began (hypothesis's own
# record of earlier cases grows with their number: measured over a whole target it passed 64 MiB from about
# 1,500 cases on, with nothing leaked, so a per-target figure would fail the nightly profile on hypothesis).
PEAK_BYTES = 64 * 1024 * 1024


def _jsonable(value):
    json.dumps(value, allow_nan=False)


@settings(max_examples=1, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(st.text(min_size=1))
def _unicode_tables(_text):
    """Nothing: drawing one character of the default alphabet builds hypothesis's Unicode tables."""


def _hypothesis_setup():
    """Hypothesis's own one-time work in this process, before any case is timed or traced. Unless
    .hypothesis/ holds them from an earlier run (a fresh CI checkout does not), the first draw of a
    text builds a table of all 1.1 million code points (measured: 1.2 s, 17.5 s CPU with tracemalloc
    on, one case of 36.6 s at load 6: the FlakyFailure that withdrew sweep.identify_v1), and the first
    draw after new modules were imported parses every new local module for constants. Both belong
    to hypothesis, not to the target whose case happens to draw first; the bounds stay as they are."""
    _unicode_tables()
    try:
        from hypothesis.internal.conjecture.providers import _get_local_constants
    except ImportError:          # another hypothesis: its scan happens in a case (the bound covers it)
        return
    _get_local_constants()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_fuzz_target(target):
    stats = {"target": target.name, "group": target.group, "cases": 0, "refused": 0, "crashes": 0, "hangs": 0,
             "slowest_ms": 0.0, "peak_mb": 0.0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=PROFILE == "ci",
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def case(value):
        stats["cases"] += 1
        tracemalloc.reset_peak()
        held_before = tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        try:
            result = target.run(value)
        except target.allowed as exc:
            stats["refused"] += 1
            assert str(exc), "an error without a message"
        except Exception:
            stats["crashes"] += 1
            raise
        else:
            if target.jsonable:
                _jsonable(result)
        finally:
            elapsed = time.monotonic() - started
            stats["slowest_ms"] = max(stats["slowest_ms"], round(elapsed * 1000, 1))
            if elapsed > CASE_SECONDS:
                stats["hangs"] += 1
            held = tracemalloc.get_traced_memory()[1] - held_before
            stats["peak_mb"] = max(stats["peak_mb"], round(held / 1e6, 1))
        assert elapsed <= CASE_SECONDS, "one case took %.1fs" % elapsed
        assert held <= PEAK_BYTES, "one case held %.1f MB at once" % (held / 1e6)

    _hypothesis_setup()
    tracemalloc.start()
    try:
        case()
    finally:
        tracemalloc.stop()
        record(dict(stats, suite="fuzz"))
    assert stats["peak_mb"] * 1e6 <= PEAK_BYTES, stats
    assert stats["cases"] >= min(EXAMPLES, 50), stats
