# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter reports as EMC draws them ([Reports] > [Counters]), computed from the counter store.

Pure computation: the only I/O is store queries. The rules, which docs/counter-reports.md
repeats for users:

* Report types: ``by_device`` (usage per device, counter and period), ``by_counter`` (the
  fleet's usage per counter and period), ``lifetime`` (the latest absolute value per device
  and counter).
* Periods and windows (EMC's): daily -> the days after the same date one month earlier,
  weekly -> 25 weeks, monthly -> 12 months, yearly -> 5 years; the window ends with the
  period that contains the ``as_of`` date. Weeks are ISO weeks: they start on Monday and are
  labelled ``2025-W01``.
* Every device's periods start at local midnight in the device's region time zone
  (zoneinfo), so a 23-hour or 25-hour day at a DST change is one day, and a month is
  calendar month in that zone. Period labels are the same for every device, which is what
  makes the fleet sums of ``by_counter`` meaningful.
* Usage in a period = value(E) - value(B), where B is the last reading at or before the
  period start and E the last reading at or before the period end (and not after ``as_of``).
  A reading exactly at midnight closes the day before and opens the next one, so the periods
  of a window add up to the usage over the whole window.
* ``gap``: no reading inside the period (none after B up to the end): the usage is unknown
  (None); it shows in the next period that has a reading.
* ``partial``: the period has not ended yet as of the report, or the counter's history starts
  inside the period (no B: the first reading is used instead).
* ``reset``: the counter went down inside the period (a new series in the store). The usage
  is (last value before the reset - B) + (E - first value after the reset): the new series
  counts from its first reading, not from zero. Pages printed between the last reading of the
  old series and the first of the new are unknown and not counted; a restored counter (set
  back to a value after a board change) is never billed twice.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import (
    CounterId, CounterInfo, CounterStore, Device, Reading, Reset, counter_id_of, counter_key,
    counter_sort_key, to_utc)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

REPORT_TYPES: Tuple[str, ...] = ("summary", "by_device", "by_counter", "lifetime")
REPORT_TITLES: Dict[str, str] = {"summary": "Summary", "by_device": "By device", "by_counter": "By counter",
                                 "lifetime": "Lifetime"}
# The summary's usage columns and, for each, the counters that make it up: the first alternative whose
# counters the device has is used, so no page is counted twice (101 is Total 1; 108 Black 1; 122 + 123 the
# colour counters by size; 103 Total (Large); 501 Scan (Total 1); a non-Canon printer's total is its
# Printer-MIB life count).
SUMMARY_BUCKETS: Tuple[Tuple[str, Tuple[Tuple[str, ...], ...]], ...] = (
    ("total", (("101",), ("prtMarkerLifeCount",))),
    ("black", (("108",), ("112", "113"))),
    ("colour", (("122", "123"), ("105",))),
    ("large", (("103",), ("112", "122"))),
    ("scan", (("501",),)),
)
RATE_KEYS: Tuple[str, ...] = tuple(name for name, _unused in SUMMARY_BUCKETS)
# period -> number of periods in the window (daily: computed from one calendar month)
PERIODS: Dict[str, Optional[int]] = {"daily": None, "weekly": 25, "monthly": 12, "yearly": 5}
FLAGS: Tuple[str, ...] = ("gap", "reset", "partial")

Pair = Tuple[str, str]


# --- periods ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    label: str
    first_day: date
    next_day: date        # first day of the following period (exclusive end)

    @property
    def last_day(self) -> date:
        return self.next_day - timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> Tuple[datetime, datetime]:
        """[start, end) in UTC: local midnights of the first day and of the next period's first day."""
        return local_midnight(self.first_day, zone), local_midnight(self.next_day, zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local calendar day starts.

    Where midnight does not exist (a DST jump at 00:00) fold=0 maps it to the first instant
    after the gap; where it exists twice, to the first one: the day starts when it starts.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's end (Mar 31 - 1 = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_first - timedelta(days=1)).day))


def window_periods(period: str, as_of_day: date) -> List[Period]:
    """The periods of EMC's window for ``period``, oldest first, the last one containing ``as_of_day``."""
    if period == "daily":
        first = add_months(as_of_day, -1) + timedelta(days=1)
        days = (as_of_day - first).days + 1
        return [Period(d.isoformat(), d, d + timedelta(days=1))
                for d in (first + timedelta(days=i) for i in range(days))]
    if period == "weekly":
        monday = as_of_day - timedelta(days=as_of_day.weekday())
        periods = []
        for i in range(PERIODS["weekly"] - 1, -1, -1):
            start = monday - timedelta(weeks=i)
            iso = start.isocalendar()
            periods.append(Period("%04d-W%02d" % (iso[0], iso[1]), start, start + timedelta(weeks=1)))
        return periods
    if period == "monthly":
        this_month = as_of_day.replace(day=1)
        starts = [add_months(this_month, -i) for i in range(PERIODS["monthly"] - 1, -1, -1)]
        return [Period("%04d-%02d" % (s.year, s.month), s, add_months(s, 1)) for s in starts]
    if period == "yearly":
        return [Period("%04d" % y, date(y, 1, 1), date(y + 1, 1, 1))
                for y in range(as_of_day.year - PERIODS["yearly"] + 1, as_of_day.year + 1)]
    raise CanonError("invalid_argument", "period must be one of %s, got %r" % (", ".join(PERIODS), period))


def parse_as_of(as_of: Any, now: datetime) -> Tuple[date, Optional[datetime]]:
    """(report day, instant or None) from a date, an aware datetime, ISO text, or None (= now).

    A date means "through the end of that day" in each device's zone. A date-time is an
    instant (its date, in its own offset, is the report day). The default is now, with today's
    date on the controller.
    """
    if as_of is None or as_of == "":
        return now.astimezone().date(), now
    if isinstance(as_of, datetime):
        return as_of.date(), to_utc(as_of, "as_of")
    if isinstance(as_of, date):
        return as_of, None
    if isinstance(as_of, str):
        text = as_of.strip()
        if len(text) == 10:
            try:
                return date.fromisoformat(text), None
            except ValueError:
                pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise CanonError("invalid_argument", "as_of %r is neither a date (YYYY-MM-DD) nor an ISO-8601 "
                             "date-time with offset" % (as_of,))
        return moment.date(), to_utc(moment, "as_of")
    raise CanonError("invalid_argument", "as_of must be a date or a date-time, got %r" % (as_of,))


# --- usage of one counter in one period -------------------------------------------------------------------

class Usage(NamedTuple):
    usage: Optional[int]
    start: Optional[Reading]      # the reading the usage counts from (B, or the first reading)
    end: Optional[Reading]        # E
    gap: bool
    reset: bool
    partial: bool


# A period before the counter's first reading: shared, since most of a long window can be that.
_NO_DATA = {True: Usage(None, None, None, True, False, False),
            False: Usage(None, None, None, True, False, True)}


def period_usage(start: datetime, baseline: Optional[Reading], end_reading: Optional[Reading],
                 first_reading: Optional[Reading], resets: Sequence[Reset], complete: bool) -> Usage:
    """Usage of one counter of one device in the period starting at ``start`` (rules: module doc).

    ``baseline``: last reading at or before ``start``; ``end_reading``: last reading at or
    before the period end (capped at as_of); ``first_reading``: the counter's first reading;
    ``resets``: the counter's series boundaries (any range; those that matter are picked here).
    """
    if end_reading is None:
        return _NO_DATA[complete]
    if end_reading.captured_at <= start:
        return Usage(None, baseline, None, True, False, not complete)
    partial = not complete
    base = baseline
    if base is None:
        base = first_reading if first_reading is not None else end_reading
        partial = True
    usage, level, reset = 0, base.value, False
    for boundary in resets:
        if base.captured_at < boundary.captured_at <= end_reading.captured_at:
            usage += boundary.previous_value - level
            level = boundary.value
            reset = True
    usage += end_reading.value - level
    if usage < 0:  # the store's series make this impossible; never print a negative bill
        raise CanonError("report_error", "negative usage for counter %s of %s; the counter store is "
                         "inconsistent"
                         % (end_reading.counter_id, end_reading.serial))
    return Usage(usage, base, end_reading, False, reset, partial)


# --- selections --------------------------------------------------------------------------------------------

class CounterSelector:
    """Which counters a report covers: ids (101, "prtMarkerLifeCount") or categories ("total")."""

    def __init__(self, entries: Optional[Iterable[Any]] = None) -> None:
        entries = list(entries) if entries is not None else []
        self.everything = not entries
        self.keys: Set[str] = set()
        self.categories: Set[str] = set()
        for entry in entries:
            key = counter_key(entry)
            self.keys.add(key)
            if isinstance(counter_id_of(key), str):
                self.categories.add(key.casefold())

    def matches(self, info: CounterInfo) -> bool:
        if self.everything:
            return True
        return info.key in self.keys or (info.category or "").casefold() in self.categories


def select_devices(devices: Iterable[Device], wanted: Optional[Iterable[str]] = None,
                   regions: Optional[Iterable[str]] = None) -> List[Device]:
    """Devices whose serial or address is in ``wanted`` and whose region is in ``regions`` (None = all)."""
    wanted_set = {str(w).strip().casefold() for w in wanted} if wanted else None
    region_set = {str(r).strip().casefold() for r in regions} if regions else None
    chosen = []
    for device in devices:
        if wanted_set is not None and device.serial.casefold() not in wanted_set and \
                (device.address or "").casefold() not in wanted_set:
            continue
        if region_set is not None and (device.region or "").casefold() not in region_set:
            continue
        chosen.append(device)
    return chosen


# --- reports ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str      # text | id | int | date | datetime | bool
    width: int


def _columns(*specs: Tuple[str, str, str, int]) -> Tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


_DEVICE_COLUMNS = (("region", "Region", "text", 12), ("timezone", "Time zone", "text", 18),
                   ("serial", "Serial number", "text", 14), ("model", "Model", "text", 20),
                   ("address", "Address", "text", 16))
_COUNTER_COLUMNS = (("counter_id", "Counter", "id", 12), ("counter_name", "Counter name", "text", 28),
                    ("category", "Category", "text", 10), ("unit", "Unit", "text", 12))
_PERIOD_COLUMNS = (("period", "Period", "text", 10), ("first_day", "First day", "date", 11),
                   ("last_day", "Last day", "date", 11))
_FLAG_COLUMNS = (("gap", "Gap", "bool", 7), ("reset", "Reset", "bool", 7), ("partial", "Partial", "bool", 8))

# The one place that says which fields each report has, in which order, with which title and type.
REPORT_COLUMNS: Dict[str, Tuple[Column, ...]] = {
    "by_device": _columns(*_DEVICE_COLUMNS, *_COUNTER_COLUMNS, *_PERIOD_COLUMNS,
                          ("start_value", "Start value", "int", 13),
                          ("start_captured_at", "Start reading (local time)", "datetime", 19),
                          ("end_value", "End value", "int", 13),
                          ("end_captured_at", "End reading (local time)", "datetime", 19),
                          ("usage", "Usage", "int", 11), *_FLAG_COLUMNS),
    "by_counter": _columns(*_COUNTER_COLUMNS, *_PERIOD_COLUMNS, ("usage", "Usage", "int", 13),
                           ("devices", "Devices", "int", 9), ("gap_devices", "Devices with gap", "int", 9),
                           ("reset_devices", "Devices with reset", "int", 9),
                           ("partial_devices", "Devices partial", "int", 9), *_FLAG_COLUMNS),
    "summary": _columns(("row_type", "Row", "text", 14), ("region", "Region", "text", 12),
                        ("serial", "Serial number", "text", 14), ("model", "Model", "text", 20),
                        ("name", "Name", "text", 18), ("location", "Location", "text", 22),
                        ("address", "Address", "text", 16), ("period", "Period", "text", 10),
                        *((name, name.capitalize(), "int", 11) for name, _unused in SUMMARY_BUCKETS),
                        ("flags", "Flags", "text", 26)),
    "lifetime": _columns(*_DEVICE_COLUMNS, *_COUNTER_COLUMNS, ("value", "Value", "int", 14),
                         ("captured_at", "Reading (local time)", "datetime", 19),
                         ("series", "Series", "int", 7), *_FLAG_COLUMNS),
}


@dataclass(frozen=True)
class UsageChart:
    """Usage per period, one series per counter: what the XLSX bar chart draws."""
    categories: Tuple[str, ...]                          # period labels
    series: Tuple[Tuple[str, Tuple[Optional[int], ...]], ...]


@dataclass
class Report:
    name: str
    period: Optional[str]
    periods: Tuple[str, ...]            # the window's period labels, oldest first (empty for lifetime)
    rows: List[Dict[str, Any]]
    chart: Optional[UsageChart] = None
    columns: Tuple[Column, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.columns:
            self.columns = REPORT_COLUMNS[self.name]

    @property
    def title(self) -> str:
        return REPORT_TITLES[self.name]

    def flag_counts(self) -> Dict[str, int]:
        return {flag: sum(1 for row in self.rows if row.get(flag)) for flag in FLAGS}

    def summary(self) -> Dict[str, Any]:
        """What the module returns about this report (the rows can be far too many to return)."""
        return {
            "rows": len(self.rows),
            "devices": (max((row["devices"] for row in self.rows), default=0) if self.name == "by_counter"
                        else len({row["serial"] for row in self.rows if row.get("serial")})),
            "counters": len({str(row["counter_id"]) for row in self.rows if "counter_id" in row}),
            "period": self.period,
            "first_period": self.periods[0] if self.periods else None,
            "last_period": self.periods[-1] if self.periods else None,
            "flags": self.flag_counts(),
        }


def _counter_label(key: str, name: Optional[str]) -> str:
    return "%s %s" % (key, name) if name else key


def _usage_chart(usages: Mapping[Pair, List[Tuple[Period, Usage]]], selected: Mapping[Pair, CounterInfo],
                 periods: Sequence[str]) -> UsageChart:
    """Usage per counter and period summed over the devices; None where no device had a usage."""
    totals: Dict[str, List[Optional[int]]] = {}
    for pair, per_period in usages.items():
        sums = totals.setdefault(pair[1], [None] * len(periods))
        for index, (_unused, use) in enumerate(per_period):
            if use.usage is not None:
                sums[index] = (sums[index] or 0) + use.usage
    names_by_key: Dict[str, List[Optional[str]]] = {}
    for pair in usages:
        names_by_key.setdefault(pair[1], []).append(selected[pair].name)
    names = {key: _most_common(found) for key, found in names_by_key.items()}
    return UsageChart(tuple(periods), tuple((_counter_label(key, names[key]), tuple(totals[key]))
                                            for key in sorted(totals, key=counter_sort_key)))


def _most_common(values: Iterable[Optional[str]]) -> Optional[str]:
    tally = Tally(v for v in values if v)
    if not tally:
        return None
    return sorted(tally.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _zone(device: Device) -> ZoneInfo:
    try:
        return ZoneInfo(device.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise CanonError("report_error",
                         "device %s has an unknown time zone %r" % (device.serial, device.timezone))


def build_reports(store: CounterStore, reports: Sequence[str] = REPORT_TYPES, period: str = "monthly",
                  as_of: Any = None, counters: Optional[Iterable[CounterId]] = None,
                  devices: Optional[Iterable[str]] = None, regions: Optional[Iterable[str]] = None,
                  now: Optional[datetime] = None, rates: Optional[Mapping[str, Any]] = None,
                  warnings: Optional[List[str]] = None) -> List[Report]:
    """Compute the requested reports from one consistent snapshot of the store.

    ``counters``: ids or categories; ``devices``: serials or addresses; ``regions``: region
    names; ``now`` is for tests (it decides which periods are still running).
    """
    wanted = list(dict.fromkeys(reports))
    unknown = [r for r in wanted if r not in REPORT_TYPES]
    if unknown or not wanted:
        raise CanonError("invalid_argument",
                         "reports must be a non-empty list of %s" % ", ".join(REPORT_TYPES))
    if period not in PERIODS:
        raise CanonError("invalid_argument",
                         "period must be one of %s, got %r" % (", ".join(PERIODS), period))
    now = to_utc(now, "now") if now is not None else datetime.now(timezone.utc)
    as_of_day, as_of_instant = parse_as_of(as_of, now)
    selector = CounterSelector(counters)
    periods = window_periods(period, as_of_day)
    labels = tuple(p.label for p in periods)

    with store.snapshot():
        chosen = select_devices(store.devices(), devices, regions)
        serials = [d.serial for d in chosen]
        catalog = {(c.serial, c.key): c for c in store.counters(serials)} if serials else {}
        selected = {pair: info for pair, info in catalog.items() if selector.matches(info)}
        by_zone: Dict[str, List[Device]] = {}
        for device in chosen:
            by_zone.setdefault(device.timezone or "UTC", []).append(device)
        keys = sorted({key for _unused, key in selected})
        usages: Dict[Pair, List[Tuple[Period, Usage]]] = {}
        lifetime: Dict[Pair, Reading] = {}
        device_last: Dict[str, Optional[datetime]] = {}
        needs_usage = any(r != "lifetime" for r in wanted)
        for zone_name, zone_devices in sorted(by_zone.items()):
            zone = _zone(zone_devices[0])
            zone_serials = {d.serial for d in zone_devices}
            cutoff = local_midnight(as_of_day + timedelta(days=1), zone)
            if as_of_instant is not None:
                cutoff = min(cutoff, as_of_instant)
            settled = min(cutoff, now)       # periods ending after this are still running
            # Every look-up is capped at the cutoff: nothing captured after as_of is used.
            bounds = [tuple(min(b, cutoff) for b in p.bounds(zone)) for p in periods] if needs_usage else []
            instants = sorted({b for pair in bounds for b in pair} | {cutoff})
            at = store.latest_readings_at(instants, sorted(zone_serials), keys)
            device_last.update(store.last_capture_times(cutoff, sorted(zone_serials)))
            lifetime.update((pair, reading) for pair, reading in at[cutoff].items() if pair in selected)
            if not needs_usage:
                continue
            firsts = {(r.serial, r.key): r for r in store.first_readings(sorted(zone_serials), keys)}
            resets: Dict[Pair, List[Reset]] = {}
            for boundary in store.resets(bounds[0][0], cutoff, sorted(zone_serials), keys):
                resets.setdefault((boundary.serial, boundary.key), []).append(boundary)
            complete = [p.bounds(zone)[1] <= settled for p in periods]
            steps = [(p, at[start], at[end], start, done)
                     for p, (start, end), done in zip(periods, bounds, complete)]
            for pair in sorted(selected):
                if pair[0] not in zone_serials or pair not in at[cutoff]:
                    continue   # no reading of this counter up to the end of the window
                first, pair_resets = firsts.get(pair), resets.get(pair, ())
                usages[pair] = [
                    (p, period_usage(start, at_start.get(pair), at_end.get(pair), first, pair_resets, done))
                    for p, at_start, at_end, start, done in steps]

    devices_by_serial = {d.serial: d for d in chosen}
    chart = _usage_chart(usages, selected, labels) if needs_usage else None
    built = []
    for name in wanted:
        if name == "summary":
            built.append(summary_report(usages, selected, chosen, period, labels, rates, warnings))
        elif name == "by_device":
            rows = _by_device_rows(usages, selected, devices_by_serial)
            built.append(Report(name, period, labels, rows, chart))
        elif name == "by_counter":
            built.append(Report(name, period, labels, _by_counter_rows(usages, selected), chart))
        else:
            rows = _lifetime_rows(lifetime, selected, devices_by_serial, device_last)
            built.append(Report(name, None, (), rows))
    return built


def _device_fields(device: Device, info: CounterInfo) -> Dict[str, Any]:
    return {"region": device.region, "timezone": device.timezone, "serial": device.serial,
            "model": device.model, "address": device.address, "counter_id": info.counter_id,
            "counter_name": info.name, "category": info.category, "unit": info.unit}


def _in_row_order(pairs: Iterable[Pair], devices: Mapping[str, Device]) -> List[Pair]:
    """Rows go by region, serial, then counter (Canon numbers first, numerically)."""
    return sorted(pairs, key=lambda pair: ((devices[pair[0]].region or "").casefold(), pair[0],
                                           counter_sort_key(pair[1])))


def _by_device_rows(usages: Mapping[Pair, List[Tuple[Period, Usage]]], selected: Mapping[Pair, CounterInfo],
                    devices: Mapping[str, Device]) -> List[Dict[str, Any]]:
    rows = []
    period_fields: Dict[str, Dict[str, Any]] = {}
    for pair in _in_row_order(usages, devices):
        device = devices[pair[0]]
        zone = _zone(device)
        base = _device_fields(device, selected[pair])
        for p, use in usages[pair]:
            if p.label not in period_fields:
                period_fields[p.label] = {"period": p.label, "first_day": p.first_day, "last_day": p.last_day}
            row = dict(base)
            row.update(period_fields[p.label])
            start, end = use.start, use.end
            row.update({
                "start_value": start.value if start else None,
                "start_captured_at": start.captured_at.astimezone(zone) if start else None,
                "end_value": end.value if end else None,
                "end_captured_at": end.captured_at.astimezone(zone) if end else None,
                "usage": use.usage, "gap": use.gap, "reset": use.reset, "partial": use.partial})
            rows.append(row)
    return rows


def _by_counter_rows(usages: Mapping[Pair, List[Tuple[Period, Usage]]], selected: Mapping[Pair, CounterInfo]
                     ) -> List[Dict[str, Any]]:
    grouped: Dict[str, List[Pair]] = {}
    for pair in usages:
        grouped.setdefault(pair[1], []).append(pair)
    rows = []
    for key in sorted(grouped, key=counter_sort_key):
        pairs = grouped[key]
        infos = [selected[p] for p in pairs]
        described = {"counter_id": counter_id_of(key), "counter_name": _most_common(i.name for i in infos),
                     "category": _most_common(i.category for i in infos),
                     "unit": _most_common(i.unit for i in infos)}
        for index, (period, _unused) in enumerate(usages[pairs[0]]):
            uses = [usages[pair][index][1] for pair in pairs]
            known = [u.usage for u in uses if u.usage is not None]
            counts = {flag: sum(1 for u in uses if getattr(u, flag)) for flag in FLAGS}
            row = dict(described)
            row.update({"period": period.label, "first_day": period.first_day, "last_day": period.last_day,
                        "usage": sum(known) if known else None, "devices": len(uses),
                        "gap_devices": counts["gap"], "reset_devices": counts["reset"],
                        "partial_devices": counts["partial"]})
            row.update({flag: counts[flag] > 0 for flag in FLAGS})
            rows.append(row)
    return rows


def _lifetime_rows(latest: Mapping[Pair, Reading], selected: Mapping[Pair, CounterInfo],
                   devices: Mapping[str, Device], device_last: Mapping[str, Optional[datetime]]
                   ) -> List[Dict[str, Any]]:
    """Latest absolute values; ``gap``: the device's last capture did not include this counter
    (the value is older), ``reset``: the counter has been reset, so it no longer counts from
    factory shipment."""
    rows = []
    for pair in _in_row_order(latest, devices):
        reading, device = latest[pair], devices[pair[0]]
        row = _device_fields(device, selected[pair])
        row.update({"value": reading.value, "captured_at": reading.captured_at.astimezone(_zone(device)),
                    "series": reading.series,
                    "gap": reading.captured_at < (device_last.get(pair[0]) or reading.captured_at),
                    "reset": reading.series > 0, "partial": False})
        rows.append(row)
    return rows


# --- the summary sheet ------------------------------------------------------------------------------------------

def _bucket_usage(usages: Mapping[Pair, List[Tuple[Period, Usage]]], serial: str, index: int,
                  alternatives: Sequence[Sequence[str]]) -> Tuple[Optional[int], bool, Optional[Sequence[str]]]:
    """(usage, gap, counters used) of one summary column for one device and period."""
    for keys in alternatives:
        if all((serial, key) in usages for key in keys):
            uses = [usages[(serial, key)][index][1] for key in keys]
            if any(u.usage is None for u in uses):
                return None, True, keys
            return sum(u.usage for u in uses), False, keys
    return None, False, None


def parse_rates(rates: Optional[Mapping[str, Any]]) -> Tuple[Dict[str, float], Optional[str]]:
    """``rates``: price per page (or scan) by summary column, plus an optional ``currency``."""
    if not rates:
        return {}, None
    if not isinstance(rates, Mapping):
        raise CanonError("invalid_argument", "rates must be a mapping such as {black: 0.01, colour: 0.08, currency: EUR}")
    out: Dict[str, float] = {}
    currency = rates.get("currency")
    for key, value in rates.items():
        if key == "currency":
            continue
        if key not in RATE_KEYS:
            raise CanonError("invalid_argument", "rates: %r is not one of %s (or currency)" % (key, ", ".join(RATE_KEYS)))
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if isinstance(value, bool) or number < 0:
            raise CanonError("invalid_argument", "rates.%s must be a number >= 0, got %r" % (key, value))
        out[key] = number
    return out, (str(currency) if currency else None)


def summary_report(usages: Mapping[Pair, List[Tuple[Period, Usage]]], selected: Mapping[Pair, CounterInfo],
                   devices: Sequence[Device], period: str, labels: Sequence[str],
                   rates: Optional[Mapping[str, Any]] = None, warnings: Optional[List[str]] = None) -> Report:
    """One row per device with the report period's usage of total, black, colour, large and scan side
    by side, region subtotals, a fleet total, flags (gap, reset, no reading), optional cost columns from
    ``rates``, and a chart of the fleet's usage per period. The period is the window's last one (the one
    that contains ``as_of``)."""
    prices, currency = parse_rates(rates)
    warnings = warnings if warnings is not None else []
    index = len(labels) - 1
    buckets = [name for name, _unused in SUMMARY_BUCKETS]
    cost_columns = [("cost_" + name, "Cost %s%s" % (name, " (%s)" % currency if currency else ""), "money", 12)
                    for name in buckets if name in prices]
    if prices:
        cost_columns.append(("cost_total", "Cost%s" % (" (%s)" % currency if currency else ""), "money", 12))
    columns = tuple(REPORT_COLUMNS["summary"][:-1]) + tuple(Column(*c) for c in cost_columns) + \
        (REPORT_COLUMNS["summary"][-1],)
    ordered = sorted(devices, key=lambda d: ((d.region or "").casefold(), d.serial))
    rows: List[Dict[str, Any]] = []
    chart_totals = {name: [None] * len(labels) for name in buckets}

    def add(into: Dict[str, Any], name: str, value: Optional[int]) -> None:
        if value is not None:
            into[name] = (into.get(name) or 0) + value

    def subtotal(kind: str, region: Optional[str], members: List[Dict[str, Any]]) -> Dict[str, Any]:
        row: Dict[str, Any] = {"row_type": kind, "region": region, "period": labels[index] if labels else None}
        for name in buckets + [c[0] for c in cost_columns]:
            values = [m.get(name) for m in members if m.get(name) is not None]
            row[name] = round(sum(values), 2) if name.startswith("cost") and values else (sum(values) if values
                                                                                          else None)
        flagged = sum(1 for m in members if m.get("flags"))
        row["flags"] = "%d device(s) flagged" % flagged if flagged else ""
        return row

    region_rows: List[Dict[str, Any]] = []
    current: Optional[str] = None
    all_devices: List[Dict[str, Any]] = []
    for device in ordered:
        if region_rows and (device.region or "") != (current or ""):
            rows.append(subtotal("region total", current, region_rows))
            region_rows = []
        current = device.region
        row: Dict[str, Any] = {"row_type": "device", "region": device.region, "serial": device.serial,
                               "model": device.model, "name": device.name, "location": device.location,
                               "address": device.address,
                               "period": labels[index] if labels else None}
        flags: List[str] = []
        has_any = any(pair[0] == device.serial for pair in usages)
        for name, alternatives in SUMMARY_BUCKETS:
            value, gap, used = (_bucket_usage(usages, device.serial, index, alternatives) if labels
                                else (None, False, None))
            row[name] = value
            if gap and "gap" not in flags:
                flags.append("gap")
            if used:
                for key in used:
                    use = usages[(device.serial, key)][index][1]
                    if use.reset and "reset" not in flags:
                        flags.append("reset")
            for i in range(len(labels)):
                v, _g, _u = _bucket_usage(usages, device.serial, i, alternatives)
                if v is not None:
                    chart_totals[name][i] = (chart_totals[name][i] or 0) + v
            if name in prices:
                if used is None:
                    warnings.append("rates.%s: device %s has no %s counter; its %s cost is left empty, not zero"
                                    % (name, device.serial, name, name))
                    row["cost_" + name] = None
                else:
                    row["cost_" + name] = round(value * prices[name], 2) if value is not None else None
        if prices:
            costs = [row.get("cost_" + n) for n in buckets if n in prices and row.get("cost_" + n) is not None]
            row["cost_total"] = round(sum(costs), 2) if costs else None
        if not has_any:
            flags.append("no reading")
        row["flags"] = ", ".join(flags)
        rows.append(row)
        region_rows.append(row)
        all_devices.append(row)
    if region_rows:
        rows.append(subtotal("region total", current, region_rows))
    rows.append(subtotal("fleet total", None, all_devices))
    chart = UsageChart(tuple(labels), tuple((name.capitalize(), tuple(chart_totals[name])) for name in buckets))
    return Report("summary", period, tuple(labels), rows, chart, columns)
