# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report maths: windows, local-midnight periods across DST, deltas, gaps, resets, partial periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import (
    CounterSelector, add_months, build_reports, local_midnight, parse_as_of, period_usage, window_periods)
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import (
    CounterInfo, CounterStore, Reading, Reset)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

UTC = timezone.utc
LATER = datetime(2030, 1, 1, tzinfo=UTC)     # "now" after every period in these tests: all complete


@pytest.fixture
def store(tmp_path):
    with CounterStore(path=str(tmp_path / "counters.sqlite")) as opened:
        yield opened


def record(store, readings, serial="2XA01234", zone="Europe/Berlin", region="emea", counters=None,
           address="127.0.1.5"):
    """Store captures of one device: readings = [(time, value)] for counter 101, or counters={id: value}."""
    captures = []
    for at, value in readings:
        values = value if isinstance(value, dict) else {101: value}
        captures.append({"serial": serial, "timezone": zone, "region": region, "address": address,
                         "model": "iR-ADV C5535", "captured_at": at,
                         "counters": [{"id": cid, "name": "Total 1" if cid == 101 else "Counter %s" % cid,
                                       "category": "scan" if cid == 501 else "total", "value": v}
                                      for cid, v in values.items()]})
    store.record_captures(captures)


def by_period(report, serial=None, counter=101):
    return {row["period"]: row for row in report.rows
            if row["counter_id"] == counter and (serial is None or row.get("serial") == serial)}


def usages(report, **kwargs):
    return {label: row["usage"] for label, row in by_period(report, **kwargs).items()}


def report(store, name, period, as_of, now=LATER, **kwargs):
    (built,) = build_reports(store, [name], period, as_of, now=now, **kwargs)
    return built


# --- calendar -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),      # leap year
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),     # year boundary
    (date(2024, 1, 15), -1, date(2023, 12, 15)),
    (date(2024, 5, 31), -12, date(2023, 5, 31)),
])
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("as_of, first, count", [
    (date(2024, 3, 15), date(2024, 2, 16), 29),
    (date(2024, 3, 31), date(2024, 3, 1), 31),       # one month before Mar 31 is Feb 29
    (date(2023, 3, 31), date(2023, 3, 1), 31),       # ... or Feb 28
    (date(2024, 2, 29), date(2024, 1, 30), 31),
    (date(2024, 1, 10), date(2023, 12, 11), 31),
])
def test_daily_window_is_one_month(as_of, first, count):
    periods = window_periods("daily", as_of)
    assert (periods[0].first_day, periods[-1].last_day, len(periods)) == (first, as_of, count)
    assert all(p.next_day - p.first_day == timedelta(days=1) for p in periods)
    assert periods[-1].label == as_of.isoformat()


def test_weekly_window_is_25_iso_weeks_starting_monday_across_the_year_end():
    periods = window_periods("weekly", date(2025, 1, 1))
    assert len(periods) == 25
    assert all(p.first_day.weekday() == 0 and (p.next_day - p.first_day).days == 7 for p in periods)
    assert all(a.next_day == b.first_day for a, b in zip(periods, periods[1:]))
    assert (periods[-1].label, periods[-1].first_day) == ("2025-W01", date(2024, 12, 30))
    assert (periods[-2].label, periods[0].label) == ("2024-W52", "2024-W29")


def test_monthly_window_is_twelve_calendar_months():
    periods = window_periods("monthly", date(2024, 1, 15))
    assert [p.label for p in periods][:2] == ["2023-02", "2023-03"] and periods[-1].label == "2024-01"
    feb = window_periods("monthly", date(2024, 3, 10))[-2]
    assert (feb.label, feb.first_day, feb.last_day) == ("2024-02", date(2024, 2, 1), date(2024, 2, 29))


def test_yearly_window_is_five_calendar_years():
    periods = window_periods("yearly", date(2024, 6, 1))
    assert [p.label for p in periods] == ["2020", "2021", "2022", "2023", "2024"]
    assert (periods[-1].first_day, periods[-1].last_day) == (date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize("zone, day, start, end, hours", [
    ("Europe/Berlin", date(2024, 3, 31), "2024-03-30T23:00", "2024-03-31T22:00", 23),      # spring forward
    ("Europe/Berlin", date(2024, 10, 27), "2024-10-26T22:00", "2024-10-27T23:00", 25),     # fall back
    ("America/New_York", date(2024, 3, 10), "2024-03-10T05:00", "2024-03-11T04:00", 23),
    ("America/New_York", date(2024, 11, 3), "2024-11-03T04:00", "2024-11-04T05:00", 25),
    ("America/Santiago", date(2022, 9, 11), "2022-09-11T04:00", "2022-09-12T03:00", 23),  # no midnight at all
])
def test_day_bounds_are_local_midnights(zone, day, start, end, hours):
    period = window_periods("daily", day)[-1]
    lower, upper = period.bounds(ZoneInfo(zone))
    assert lower == datetime.fromisoformat(start + "+00:00")
    assert upper == datetime.fromisoformat(end + "+00:00")
    assert upper - lower == timedelta(hours=hours)
    assert local_midnight(day, ZoneInfo(zone)) == lower


@pytest.mark.parametrize("as_of, day, instant", [
    ("2024-03-15", date(2024, 3, 15), None),
    (date(2024, 3, 15), date(2024, 3, 15), None),
    ("2024-03-15T08:00:00+02:00", date(2024, 3, 15), datetime(2024, 3, 15, 6, tzinfo=UTC)),
    (None, LATER.astimezone().date(), LATER),       # default: now, today's date on the controller
])
def test_as_of_forms(as_of, day, instant):
    assert parse_as_of(as_of, LATER) == (day, instant)


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "2024-03-15T08:00:00", 12])
def test_bad_as_of_is_refused(bad):
    with pytest.raises(CanonError) as err:
        parse_as_of(bad, LATER)
    assert err.value.error_code == "invalid_argument"


# --- the usage rule -----------------------------------------------------------------------------------------

def reading(day, value, series=0):
    return Reading("S", "101", datetime(2024, 3, day, 12, tzinfo=UTC), value, series)


def test_usage_across_a_reset_counts_both_series_from_their_own_start():
    start = datetime(2024, 3, 1, tzinfo=UTC)
    resets = [Reset("S", "101", reading(15, 50).captured_at, 1, 50, reading(10, 200).captured_at, 200)]
    baseline = Reading("S", "101", datetime(2024, 2, 28, tzinfo=UTC), 100, 0)
    use = period_usage(start, baseline, reading(31, 80, 1), None, resets, complete=True)
    assert (use.usage, use.reset, use.gap, use.partial) == ((200 - 100) + (80 - 50), True, False, False)


def test_usage_without_a_reading_in_the_period_is_a_gap():
    start = datetime(2024, 3, 10, tzinfo=UTC)
    use = period_usage(start, reading(5, 100), reading(5, 100), reading(1, 90), [], complete=True)
    assert (use.usage, use.gap) == (None, True)
    assert period_usage(start, None, None, None, [], complete=False).partial is True


def test_usage_when_history_starts_inside_the_period_is_partial():
    start = datetime(2024, 3, 1, tzinfo=UTC)
    use = period_usage(start, None, reading(20, 180), reading(10, 100), [], complete=True)
    assert (use.usage, use.partial, use.start.value) == (80, True, 100)


# --- periods in each device's time zone ---------------------------------------------------------------------

@pytest.mark.parametrize("zone, readings, as_of, expected", [
    # Berlin, spring forward on 2024-03-31 (23-hour day)
    ("Europe/Berlin", [("2024-03-29T22:30:00+00:00", 100), ("2024-03-30T22:30:00+00:00", 110),
                       ("2024-03-31T21:30:00+00:00", 130),   # 23:30 CEST, still March 31
                       ("2024-03-31T22:30:00+00:00", 170),   # 00:30 CEST, April 1
                       ("2024-04-01T21:30:00+00:00", 200)],
     "2024-04-01", {"2024-03-30": 10, "2024-03-31": 20, "2024-04-01": 70}),
    # Berlin, fall back on 2024-10-27 (25-hour day)
    ("Europe/Berlin", [("2024-10-26T21:30:00+00:00", 100),
                       ("2024-10-26T22:30:00+00:00", 120),   # 00:30 CEST, already October 27
                       ("2024-10-27T22:30:00+00:00", 150),   # 23:30 CET, still October 27
                       ("2024-10-27T23:30:00+00:00", 190), ("2024-10-28T22:30:00+00:00", 200)],
     "2024-10-28", {"2024-10-27": 50, "2024-10-28": 50}),
    # New York, spring forward on 2024-03-10
    ("America/New_York", [("2024-03-10T03:30:00+00:00", 100), ("2024-03-11T03:30:00+00:00", 125),  # 23:30 EDT
                          ("2024-03-11T04:30:00+00:00", 160)],
     "2024-03-11", {"2024-03-10": 25, "2024-03-11": 35}),
    # New York, fall back on 2024-11-03
    ("America/New_York", [("2024-11-03T03:30:00+00:00", 100),
                          ("2024-11-03T04:30:00+00:00", 110),   # 00:30 EDT, already November 3
                          ("2024-11-04T04:30:00+00:00", 140),   # 23:30 EST, still November 3
                          ("2024-11-04T05:30:00+00:00", 180)],
     "2024-11-04", {"2024-11-03": 40, "2024-11-04": 40}),
])
def test_daily_usage_follows_local_days_through_dst_changes(store, zone, readings, as_of, expected):
    record(store, readings, zone=zone)
    got = usages(report(store, "by_device", "daily", as_of))
    assert {label: got[label] for label in expected} == expected


def test_month_ends_and_a_reading_exactly_at_midnight(store):
    berlin = [("2023-12-31T22:00:00+00:00", 1000),     # Dec 31 23:00 local
              ("2024-01-31T22:59:00+00:00", 1300),     # Jan 31 23:59 local
              ("2024-01-31T23:00:00+00:00", 1310),     # Feb 1 00:00 local exactly: closes January
              ("2024-02-29T22:00:00+00:00", 1500),     # Feb 29 23:00 local (leap day)
              ("2024-02-29T23:30:00+00:00", 1510)]     # Mar 1 00:30 local
    record(store, berlin)
    rows = by_period(report(store, "by_device", "monthly", "2024-03-31"))
    assert (rows["2024-01"]["usage"], rows["2024-02"]["usage"], rows["2024-03"]["usage"]) == (310, 190, 10)
    assert rows["2024-02"]["last_day"] == date(2024, 2, 29)
    assert rows["2024-02"]["start_captured_at"].isoformat() == "2024-02-01T00:00:00+01:00"
    assert rows["2023-12"]["partial"] and rows["2023-12"]["usage"] == 0       # history starts inside December
    assert rows["2023-11"]["gap"] and rows["2023-11"]["usage"] is None


def test_year_boundary_is_the_local_new_year(store):
    record(store, [("2022-12-31T12:00:00-05:00", 100), ("2023-12-31T23:30:00-05:00", 500),   # 2024 in UTC
                   ("2024-06-01T12:00:00-04:00", 700)], zone="America/New_York")
    rows = by_period(report(store, "by_device", "yearly", "2024-12-31"))
    assert {label: row["usage"] for label, row in rows.items()} == {
        "2020": None, "2021": None, "2022": 0, "2023": 400, "2024": 200}
    assert rows["2022"]["partial"] and rows["2021"]["gap"]


def test_weekly_report_has_25_weeks_per_counter(store):
    record(store, [(datetime(2024, 1, 1, 21, tzinfo=UTC) + timedelta(days=i), 1000 + 10 * i)
                   for i in range(200)])
    rows = report(store, "by_device", "weekly", "2024-06-30").rows
    assert len(rows) == 25 and rows[-1]["period"] == "2024-W26"
    assert all(row["usage"] == 70 for row in rows[1:]) and not any(row["gap"] for row in rows)


def test_gap_is_flagged_and_the_usage_lands_in_the_next_period_with_a_reading(store):
    record(store, [("2024-03-01T22:00:00+00:00", 100), ("2024-03-03T22:00:00+00:00", 160)], zone="UTC")
    rows = by_period(report(store, "by_device", "daily", "2024-03-03"))
    assert (rows["2024-03-02"]["usage"], rows["2024-03-02"]["gap"]) == (None, True)
    assert (rows["2024-03-03"]["usage"], rows["2024-03-03"]["gap"]) == (60, False)


def test_daily_usages_add_up_to_the_whole_window(store):
    values = [1000 + 37 * i + (i % 5) * 3 for i in range(40)]     # uneven, never down
    first = datetime(2024, 2, 1, 23, 50, tzinfo=UTC)
    record(store, [(first + timedelta(days=i), v) for i, v in enumerate(values)], zone="America/New_York")
    rows = report(store, "by_device", "daily", "2024-03-10").rows
    assert sum(r["usage"] for r in rows) == rows[-1]["end_value"] - rows[0]["start_value"]
    assert all(a["end_value"] == b["start_value"] for a, b in zip(rows, rows[1:]))


def test_reset_inside_a_period_never_gives_a_negative_usage(store):
    record(store, [("2024-02-28T12:00:00+00:00", 100), ("2024-03-10T12:00:00+00:00", 200),
                   ("2024-03-15T12:00:00+00:00", 50),      # board replaced
                   ("2024-03-31T12:00:00+00:00", 80), ("2024-04-30T12:00:00+00:00", 90),
                   ("2024-05-02T12:00:00+00:00", 5),       # reset right after the April baseline
                   ("2024-05-31T12:00:00+00:00", 25)], zone="UTC")
    rows = by_period(report(store, "by_device", "monthly", "2024-05-31"))
    assert (rows["2024-03"]["usage"], rows["2024-03"]["reset"]) == ((200 - 100) + (80 - 50), True)
    assert (rows["2024-04"]["usage"], rows["2024-04"]["reset"]) == (10, False)
    assert (rows["2024-05"]["usage"], rows["2024-05"]["reset"]) == (20, True)
    assert all(row["usage"] is None or row["usage"] >= 0 for row in rows.values())


def test_running_period_is_partial(store):
    record(store, [("2024-02-10T12:00:00+00:00", 100), ("2024-03-12T12:00:00+00:00", 150)], zone="UTC")
    now = datetime(2024, 3, 15, 12, tzinfo=UTC)
    rows = by_period(report(store, "by_device", "monthly", "2024-03-15", now=now))
    assert (rows["2024-03"]["partial"], rows["2024-03"]["usage"]) == (True, 50)
    assert rows["2024-02"]["partial"] is True              # its history starts inside February
    assert rows["2024-01"]["partial"] is False and rows["2024-01"]["gap"] is True


def test_readings_after_an_as_of_instant_are_ignored(store):
    record(store, [("2024-02-29T12:00:00+00:00", 100), ("2024-03-12T12:00:00+00:00", 150),
                   ("2024-03-14T12:00:00+00:00", 190)], zone="UTC")
    reports = build_reports(store, ["by_device", "lifetime"], "monthly", "2024-03-13T00:00:00+00:00",
                            now=LATER)
    march = by_period(reports[0])["2024-03"]
    assert (march["usage"], march["end_value"], march["partial"]) == (50, 150, True)
    assert [row["value"] for row in reports[1].rows] == [150]


# --- fleet sums, lifetime, filters --------------------------------------------------------------------------

def test_by_counter_sums_devices_in_their_own_time_zones(store):
    # Both read at 23:30 local on Mar 1 and Mar 2: the same local days, different UTC instants.
    record(store, [("2024-03-01T23:30:00+01:00", 100), ("2024-03-02T23:30:00+01:00", 130)], serial="BERLIN1")
    record(store, [("2024-03-01T23:30:00-05:00", 500), ("2024-03-02T23:30:00-05:00", 545)], serial="NEWYORK1",
           zone="America/New_York", region="amer", address="127.0.2.5")
    # read in February only: a gap in March
    record(store, [("2024-02-20T23:30:00+01:00", 7)], serial="SILENT1", address="127.0.3.5")
    built = report(store, "by_counter", "daily", "2024-03-02")
    day = by_period(built)["2024-03-02"]
    assert (day["usage"], day["devices"], day["gap_devices"], day["gap"]) == (30 + 45, 3, 1, True)
    assert (day["counter_name"], day["category"]) == ("Total 1", "total")
    assert built.chart.categories[-1] == "2024-03-02" and built.chart.series[0][1][-1] == 75


def test_lifetime_shows_latest_values_with_reset_and_stale_flags(store):
    record(store, [("2024-03-01T12:00:00+00:00", {101: 900, 501: 40}),
                   ("2024-03-02T12:00:00+00:00", {101: 20}),           # 101 reset; 501 missing now
                   ], zone="UTC")
    rows = {row["counter_id"]: row for row in report(store, "lifetime", "monthly", "2024-03-31").rows}
    total = rows[101]
    assert (total["value"], total["reset"], total["gap"], total["series"]) == (20, True, False, 1)
    assert (rows[501]["value"], rows[501]["reset"], rows[501]["gap"]) == (40, False, True)


def test_filters_by_counter_id_category_device_and_region(store):
    record(store, [("2024-03-01T12:00:00+00:00", {101: 10, 501: 5, "prtMarkerLifeCount": 9})], serial="A1",
           zone="UTC")
    record(store, [("2024-03-01T12:00:00+00:00", {101: 20})], serial="B2", zone="UTC", region="amer",
           address="127.0.9.9")

    def pick(**kwargs):
        return sorted((row["serial"], str(row["counter_id"])) for row in
                      report(store, "lifetime", "monthly", "2024-03-31", **kwargs).rows)

    assert pick(counters=["101"]) == [("A1", "101"), ("B2", "101")]
    assert pick(counters=["scan"]) == [("A1", "501")]
    assert pick(counters=["prtMarkerLifeCount", 501]) == [("A1", "501"), ("A1", "prtMarkerLifeCount")]
    assert pick(devices=["127.0.9.9"]) == [("B2", "101")]
    assert pick(devices=["a1"], counters=[101]) == [("A1", "101")]
    assert pick(regions=["AMER"]) == [("B2", "101")]
    assert pick(regions=["apac"]) == []


def test_counter_selector_matches_ids_and_categories():
    info = CounterInfo("S", "501", "Scan (Total 1)", "scan", None, None)
    assert CounterSelector(None).matches(info) and CounterSelector([]).matches(info)
    assert CounterSelector([501]).matches(info) and CounterSelector(["Scan"]).matches(info)
    assert not CounterSelector([101, "total"]).matches(info)


@pytest.mark.parametrize("reports, period", [(["by_month"], "monthly"), ([], "monthly"),
                                             (["by_device"], "hourly")])
def test_unknown_report_or_period_is_refused(store, reports, period):
    with pytest.raises(CanonError) as err:
        build_reports(store, reports, period, "2024-03-01")
    assert err.value.error_code == "invalid_argument"
