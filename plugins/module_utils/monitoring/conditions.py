# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring conditions (EMC's "Monitor Printers" notification conditions) and their state between runs.

EMC evaluates notification conditions against each device's status, alerts and supply levels
(research/emc-guide-part-b §7): supply thresholds fire at or below a percentage, the paper
threshold ignores the multi-purpose tray, severities follow PrtAlertSeverityLevelTC, and an
"error ongoing" condition notifies once when the same error is still there after a duration.

Here a run is: ``observe`` every device (pure: canon_device_info results in, conditions out),
then ``reconcile`` those with the state kept from the last run (pure: what is new, ongoing,
pending or cleared, and the next state), then send one notification for what changed. The state
is a small JSON file on the controller, written atomically; nothing is notified twice.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

STATE_VERSION = 1
EMC_SEVERITIES = ("warning", "error", "service_call")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "service_call": 3}

# Supply kinds by prtMarkerSuppliesType (names as device.py decodes them).
SUPPLY_KINDS: Dict[str, Tuple[str, ...]] = {
    "toner": ("toner", "tonerCartridge", "ink", "inkCartridge"),
    "drum": ("opc",),
    "waste_toner": ("wasteToner", "wasteInk"),
    "developer": ("developer",),
    "staples": ("staples",),
}
SUPPLY_LABELS = {"toner": "toner", "drum": "drum", "waste_toner": "waste toner capacity", "developer": "developer",
                 "staples": "staples"}
# EMC excludes the multi-purpose tray from "Paper Remaining": by input type (sheetFeedManual) or its name.
MANUAL_TRAY = re.compile(r"multi[- ]?purpose|manual|bypass|mp tray", re.IGNORECASE)


@dataclass(frozen=True)
class Rules:
    """Thresholds in percent (None = off) and the other conditions, as EMC's condition tab."""

    toner_below_pct: Optional[float] = 10
    drum_below_pct: Optional[float] = 10
    waste_toner_below_pct: Optional[float] = 10
    developer_below_pct: Optional[float] = None
    staples_below_pct: Optional[float] = None
    paper_below_pct: Optional[float] = None
    severities: Tuple[str, ...] = ("error", "service_call")
    error_ongoing_minutes: Optional[float] = None
    no_response: bool = True
    notify_cleared: bool = True

    def validate(self) -> None:
        for name in ("toner_below_pct", "drum_below_pct", "waste_toner_below_pct", "developer_below_pct",
                     "staples_below_pct", "paper_below_pct"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                raise CanonError("invalid_argument", "%s must be between 0 and 100, got %s" % (name, value))
        bad = [s for s in self.severities if s not in EMC_SEVERITIES]
        if bad:
            raise CanonError("invalid_argument", "severities: %s not in %s"
                             % (", ".join(bad), ", ".join(EMC_SEVERITIES)))
        if self.error_ongoing_minutes is not None and self.error_ongoing_minutes < 0:
            raise CanonError("invalid_argument", "error_ongoing_minutes must not be negative")

    def threshold(self, kind: str) -> Optional[float]:
        return getattr(self, kind + "_below_pct")


@dataclass
class Condition:
    """Something true about a device now. ``key`` identifies it across runs: it starts with the device's
    serial when known (else the host name), so renaming a host is not a "cleared" plus a "new" event."""

    key: str
    host: str
    address: Optional[str]
    kind: str
    severity: str
    subject: str
    message: str
    value: Optional[float] = None
    threshold: Optional[float] = None
    notify: bool = True          # False for error-ongoing trackers until their duration is reached
    device: Optional[str] = None     # the identity the key starts with (serial, else host)
    code: Optional[str] = None       # alert code name/number and text, for error-code targets
    groups: Tuple[str, ...] = ()

    def public(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in ("key", "host", "address", "kind", "severity", "subject", "message",
                                              "value", "threshold")}


# --- observing one device (pure) -------------------------------------------------------------------------

def _pct(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _supply_name(row: Mapping[str, Any], kind: str) -> str:
    colour = row.get("colorant")
    label = SUPPLY_LABELS[kind]
    if kind == "toner" and colour:
        return "%s %s" % (str(colour).capitalize(), label)
    return row.get("description") or label


def device_id(host: str, serial: Optional[str] = None, info: Optional[Mapping[str, Any]] = None) -> str:
    """The identity monitoring state is kept under: the serial (given, or from the device_info result),
    else the host name."""
    serial = serial or ((info or {}).get("identity") or {}).get("serial")
    return ("serial:%s" % str(serial).strip().upper()) if serial and str(serial).strip() else str(host)


def observe(host: str, address: Optional[str], info: Mapping[str, Any], rules: Rules,
            serial: Optional[str] = None, groups: Sequence[str] = ()) -> List[Condition]:
    """Conditions true now for one device, from its canon_device_info result (or its failure)."""
    out = _observe(device_id(host, serial, info), address, info, rules)
    for cond in out:
        cond.host = host
        cond.device = device_id(host, serial, info)
        cond.groups = tuple(groups or ())
    return out


def _observe(host: str, address: Optional[str], info: Mapping[str, Any], rules: Rules) -> List[Condition]:
    out: List[Condition] = []
    if info.get("error_code") or not info.get("identity"):
        code = info.get("error_code") or "unknown"
        if rules.no_response:
            kind = "no_response" if code == "snmp_no_response" else "read_error"
            subject = "No response" if kind == "no_response" else "Cannot read the device (%s)" % code
            out.append(Condition("%s|%s" % (host, kind), host, address, kind, "error", subject,
                                 str(info.get("msg") or subject)))
        return out

    for row in info.get("supplies") or []:
        for kind, types in SUPPLY_KINDS.items():
            limit = rules.threshold(kind)
            if limit is None or row.get("type") not in types:
                continue
            percent = _pct(row.get("percent"))
            if percent is None or percent > limit:
                continue
            name = _supply_name(row, kind)
            out.append(Condition("%s|%s_low|%s" % (host, kind, row.get("index")), host, address, kind + "_low",
                                 "warning", name, "%s at %g %% (threshold %g %%)" % (name, percent, limit),
                                 percent, limit))

    if rules.paper_below_pct is not None:
        for row in info.get("inputs") or []:
            if row.get("type") == "sheetFeedManual" or MANUAL_TRAY.search(str(row.get("name") or "")):
                continue
            percent = _pct(row.get("percent"))
            if percent is None or percent > rules.paper_below_pct:
                continue
            name = row.get("name") or "tray %s" % row.get("index")
            text = "%s paper at %g %% (threshold %g %%)" % (name, percent, rules.paper_below_pct)
            out.append(Condition("%s|paper_low|%s" % (host, row.get("index")), host, address, "paper_low",
                                 "warning", name, text, percent, rules.paper_below_pct))

    for alert in info.get("alerts") or []:
        severity = alert.get("emc_severity")
        if not severity:
            continue
        ident = "%s|%s|%s" % (alert.get("group"), alert.get("group_index"),
                              alert.get("code_raw", alert.get("code")))
        text = alert.get("description") or str(alert.get("code"))
        code = "%s %s %s" % (alert.get("code"), alert.get("code_raw", ""), text)
        if severity in rules.severities:
            out.append(Condition("%s|alert|%s" % (host, ident), host, address, "alert", severity,
                                 "%s: %s" % (severity.replace("_", " "), alert.get("code")), text, code=code))
        if rules.error_ongoing_minutes is not None and severity in ("error", "service_call"):
            out.append(Condition("%s|error_ongoing|%s" % (host, ident), host, address, "error_ongoing", severity,
                                 "error ongoing: %s" % alert.get("code"), text, notify=False))
    return out


# --- state across runs (pure) -------------------------------------------------------------------------------

def utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: Any, what: str = "now") -> datetime:
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise CanonError("invalid_argument", "%s %r is not an ISO-8601 date-time" % (what, text))
    if moment.tzinfo is None:
        raise CanonError("invalid_argument", "%s %r has no UTC offset" % (what, text))
    return moment.astimezone(timezone.utc)


@dataclass
class Outcome:
    new: List[Dict[str, Any]] = field(default_factory=list)        # notify now
    ongoing: List[Dict[str, Any]] = field(default_factory=list)    # notified before, still true: silent
    pending: List[Dict[str, Any]] = field(default_factory=list)    # error-ongoing not yet long enough: silent
    cleared: List[Dict[str, Any]] = field(default_factory=list)    # notified before, no longer true
    state: Dict[str, Any] = field(default_factory=dict)

    @property
    def notify(self) -> bool:
        return bool(self.new or self.cleared)


def empty_state() -> Dict[str, Any]:
    return {"version": STATE_VERSION, "conditions": {}}


def reconcile(state: Mapping[str, Any], observed: Iterable[Condition], evaluated_hosts: Iterable[str],
              now: datetime, rules: Rules, groups_of: Optional[Mapping[str, Sequence[str]]] = None) -> Outcome:
    """Compare what is true now with the last run's state.

    A condition notifies once, when it first appears (an error-ongoing condition when it has
    lasted ``error_ongoing_minutes``); it stays silent while it lasts; when it ends it is
    reported as cleared (if it had been notified and ``notify_cleared``) and forgotten, so a
    later recurrence notifies again. Hosts not evaluated in this run (``--limit``) keep their
    conditions untouched.
    """
    groups_of = groups_of or {}
    before: Dict[str, Dict[str, Any]] = dict((state or {}).get("conditions") or {})
    hosts = set(evaluated_hosts)          # device identities (serial:..., else host names) evaluated now

    def owner(record: Mapping[str, Any]) -> Any:
        return record.get("device") or record.get("host")

    stamp = utc_text(now)
    outcome = Outcome()
    after: Dict[str, Dict[str, Any]] = {k: v for k, v in before.items() if owner(v) not in hosts}
    seen = set()
    for cond in observed:
        if cond.key in seen:
            continue
        seen.add(cond.key)
        record = dict(before.get(cond.key) or {"first_seen": stamp, "notified_at": None, "message": cond.message})
        # only what identifies the condition is kept, so an unchanged fleet leaves the file unchanged
        record.update(host=cond.host, address=cond.address, kind=cond.kind, severity=cond.severity,
                      subject=cond.subject)
        if cond.device and cond.device != cond.host:
            record["device"] = cond.device
        since = parse_time(record["first_seen"], "state first_seen")
        public = dict(cond.public(), first_seen=record["first_seen"], groups=list(cond.groups))
        if cond.code:
            public["code"] = cond.code
        if record.get("notified_at"):
            outcome.ongoing.append(dict(public, notified_at=record["notified_at"]))
        elif cond.notify or (rules.error_ongoing_minutes is not None
                             and now - since >= timedelta(minutes=rules.error_ongoing_minutes)):
            record["notified_at"] = stamp
            outcome.new.append(public)
        else:
            outcome.pending.append(public)
        after[cond.key] = record
    for key, record in before.items():
        if owner(record) in hosts and key not in seen and record.get("notified_at"):
            if rules.notify_cleared:
                fields = ("host", "address", "kind", "severity", "subject", "message")
                outcome.cleared.append(dict({k: record.get(k) for k in fields},
                                            key=key, first_seen=record.get("first_seen"), cleared_at=stamp,
                                            groups=list(groups_of.get(owner(record), ()))))
    outcome.state = {"version": STATE_VERSION, "conditions": dict(sorted(after.items()))}
    return outcome


# --- the notification text ------------------------------------------------------------------------------------

def _line(status: str, item: Mapping[str, Any]) -> str:
    where = item.get("host") or "?"
    if item.get("address") and item.get("address") != where:
        where = "%s (%s)" % (where, item["address"])
    return "%-8s %-12s %s: %s" % (status, item.get("severity") or "", where, item.get("message") or "")


def notification(outcome: Outcome, now: datetime, prefix: str = "[printfleet]") -> Dict[str, Any]:
    """Subject and text for mail; the JSON payload for webhooks (EMC-like event fields)."""
    parts = []
    if outcome.new:
        parts.append("%d new" % len(outcome.new))
    if outcome.cleared:
        parts.append("%d cleared" % len(outcome.cleared))
    worst = max((i.get("severity") or "info" for i in outcome.new), key=lambda s: SEVERITY_RANK.get(s, 0),
                default=None)
    subject = "%s printer conditions: %s" % (prefix, ", ".join(parts) or "none")
    if worst:
        subject += " (worst: %s)" % worst.replace("_", " ")
    lines = ["Printer monitoring at %s" % utc_text(now), ""]
    lines += [_line("NEW", i) for i in outcome.new]
    lines += [_line("CLEARED", i) for i in outcome.cleared]
    if outcome.ongoing:
        lines += ["", "Still ongoing (already notified): %d" % len(outcome.ongoing)]
    payload = {
        "source": "printfleet.canon",
        "event": "printer_monitoring",
        "generated_at": utc_text(now),
        "counts": {"new": len(outcome.new), "cleared": len(outcome.cleared), "ongoing": len(outcome.ongoing),
                   "pending": len(outcome.pending)},
        "new": outcome.new,
        "cleared": outcome.cleared,
    }
    return {"subject": subject, "body": "\n".join(lines) + "\n", "payload": payload}


# --- the state file -------------------------------------------------------------------------------------------

def load_state(path: str) -> Dict[str, Any]:
    """The last run's state; an empty one when the file does not exist yet."""
    if not os.path.exists(path):
        return empty_state()
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CanonError("monitoring_state_error", "cannot read the monitoring state file %s: %s" % (path, exc))
    if not isinstance(data, dict) or not isinstance(data.get("conditions"), dict):
        raise CanonError("monitoring_state_error", "%s is not a monitoring state file" % path)
    if int(data.get("version") or 0) > STATE_VERSION:
        raise CanonError("monitoring_state_error", "%s was written by a newer collection version" % path,
                         hint="Upgrade printfleet.canon on this controller.")
    return data


def save_state(path: str, state: Mapping[str, Any]) -> None:
    """Write atomically (temporary file + rename), so a crash never leaves half a state."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".monitoring-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise CanonError("monitoring_state_error", "cannot write the monitoring state file %s: %s" % (path, exc))


def evaluate(devices: Sequence[Mapping[str, Any]], state: Mapping[str, Any], now: datetime,
             rules: Rules) -> Tuple[Outcome, List[Condition]]:
    """Observe every device, then reconcile with ``state``. ``devices``: {name, address, result}."""
    observed: List[Condition] = []
    names = []
    groups_of: Dict[str, Sequence[str]] = {}
    for device in devices:
        name = str(device.get("name") or device.get("address") or "")
        if not name:
            raise CanonError("invalid_argument", "every device needs a name")
        result = device.get("result") or {}
        ident = device_id(name, device.get("serial"), result)
        names.append(ident)
        names.append(name)            # state written before conditions were keyed by serial
        groups_of[ident] = groups_of[name] = list(device.get("groups") or [])
        observed.extend(observe(name, device.get("address"), result, rules, device.get("serial"),
                                device.get("groups") or ()))
    return reconcile(state, observed, names, now, rules, groups_of), observed


# --- targeted conditions (EMC: a condition per error content and device group, own recipients) -----------------

@dataclass(frozen=True)
class Target:
    """An EMC-style notification condition: what it matches (error codes / Error Content, device groups,
    condition kinds) and where it goes. Empty matchers match everything."""

    name: str
    error_codes: Tuple[str, ...] = ()
    groups: Tuple[str, ...] = ()
    kinds: Tuple[str, ...] = ()

    def matches(self, item: Mapping[str, Any]) -> bool:
        if self.kinds and item.get("kind") not in self.kinds:
            return False
        if self.groups and not set(self.groups) & set(item.get("groups") or ()):
            return False
        if self.error_codes:
            text = " ".join(str(item.get(k) or "") for k in ("code", "subject", "message")).casefold()
            if not any(str(code).casefold() in text for code in self.error_codes):
                return False
        return True


def parse_targets(raw: Optional[Sequence[Mapping[str, Any]]]) -> List[Target]:
    targets: List[Target] = []
    names = set()
    for n, item in enumerate(raw or [], 1):
        name = str(item.get("name") or "").strip()
        if not name:
            raise CanonError("invalid_argument", "targets[%d] needs a name" % n)
        if name in names:
            raise CanonError("invalid_argument", "targets: %r is defined twice" % name)
        names.add(name)
        kinds = tuple(item.get("kinds") or ())
        targets.append(Target(name, tuple(str(c) for c in item.get("error_codes") or ()),
                              tuple(str(g) for g in item.get("groups") or ()), kinds))
    return targets


def targeted(outcome: Outcome, targets: Sequence[Target], now: datetime, prefix: str = "[printfleet]"
             ) -> List[Dict[str, Any]]:
    """One notification per target with what it matches (new and cleared); targets with nothing are
    returned with notify false, so a playbook can loop over all of them."""
    out = []
    for target in targets:
        part = Outcome(new=[i for i in outcome.new if target.matches(i)],
                       cleared=[i for i in outcome.cleared if target.matches(i)],
                       ongoing=[i for i in outcome.ongoing if target.matches(i)])
        out.append({"name": target.name, "notify": part.notify,
                    "notification": notification(part, now, "%s %s" % (prefix, target.name))})
    return out
