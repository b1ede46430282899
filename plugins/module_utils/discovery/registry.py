# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What discovery remembers between sweeps, and EMC's registration conditions.

Why it exists (EMC guide part B, device list and registration conditions):

* Registration conditions are EMC's device-list filter: several values of one field are OR'ed, different
  fields are AND'ed ("[Product Name] Begins with iR-ADV or LBP, AND [Severity] = Error"), matching ignores
  case, and EMC has one row per field, so the same field twice is refused.
* A device that stops answering does not vanish from EMC's device list: it stays with power state
  "No Response". Discovery keeps it as a host (``canon_status: no_response``, ``canon_last_seen``) for
  ``keep_missing`` days, so monitoring and capture report it unreachable instead of forgetting it; an
  inventory refresh that overwrites hosts (AWX "overwrite") keeps it too.
* Devices seen for the first time carry ``canon_first_seen`` and join ``new_devices`` for a few days, so a
  schedule can onboard them.

The device's identity across sweeps is its serial (then MAC, then address), so a renamed or re-addressed
device is the same device. Pure functions; the inventory plugin does the I/O.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

REGISTRY_FORMAT = 1
NO_RESPONSE = "no_response"

# field name -> the record value it tests (vendor is EMC's "Manufacturer")
FIELD_ALIASES = {"vendor": "manufacturer"}
CONDITION_FIELDS = ("manufacturer", "vendor", "model", "serial", "sys_name", "location", "address", "mac",
                    "firmware", "region")
CONDITION_OPERATORS = ("equals", "not_equals", "begins_with", "ends_with", "contains", "not_contains")


# --- registration conditions ------------------------------------------------------------------------------

def parse_conditions(raw: Any) -> List[Dict[str, Any]]:
    """Validate ``conditions``: one entry per field; ``value`` a string or a list of strings (OR'ed).

    Raises CanonError naming the entry (the inventory plugin turns it into a parser error)."""
    out: List[Dict[str, Any]] = []
    seen: Dict[str, int] = {}
    for n, cond in enumerate(raw or [], 1):
        if not isinstance(cond, Mapping):
            raise CanonError("invalid_argument", "conditions[%d] must be a mapping" % n)
        field = cond.get("field")
        if field not in CONDITION_FIELDS:
            raise CanonError("invalid_argument", "conditions[%d].field %r is not one of %s"
                             % (n, field, ", ".join(CONDITION_FIELDS)))
        operator = cond.get("operator") or "equals"
        if operator not in CONDITION_OPERATORS:
            raise CanonError("invalid_argument", "conditions[%d].operator %r is not one of %s"
                             % (n, operator, ", ".join(CONDITION_OPERATORS)))
        value = cond.get("value")
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [v for v in values if v is not None and str(v) != ""]
        if not values:
            raise CanonError("invalid_argument", "conditions[%d].value is required" % n)
        if any(isinstance(v, (Mapping, list, tuple)) for v in values):
            raise CanonError("invalid_argument", "conditions[%d].value must be a string or a list of strings" % n)
        canonical = FIELD_ALIASES.get(field, field)
        if canonical in seen:
            raise CanonError(
                "invalid_argument",
                "conditions[%d]: field %r is already tested by conditions[%d]; EMC has one condition per field. "
                "Put all its values in one condition (values of one field are OR'ed: value: [iR-ADV, LBP]); "
                "different fields are AND'ed" % (n, field, seen[canonical]))
        seen[canonical] = n
        out.append({"field": canonical, "operator": operator, "values": [str(v) for v in values]})
    return out


def _compare(actual: Optional[str], operator: str, expected: str) -> bool:
    a = (actual or "").casefold()
    e = expected.casefold()
    if operator == "equals":
        return a == e
    if operator == "not_equals":
        return a != e
    if operator == "begins_with":
        return a.startswith(e)
    if operator == "ends_with":
        return a.endswith(e)
    if operator == "contains":
        return e in a
    return e not in a          # not_contains


def matches(conditions: Sequence[Mapping[str, Any]], fields: Mapping[str, Optional[str]]) -> bool:
    """Fields AND'ed; values of one field OR'ed (for the negative operators, 'none of the values')."""
    for cond in conditions:
        actual = fields.get(cond["field"])
        results = [_compare(actual, cond["operator"], v) for v in cond["values"]]
        ok = all(results) if cond["operator"] in ("not_equals", "not_contains") else any(results)
        if not ok:
            return False
    return True


# --- the registry of devices seen ---------------------------------------------------------------------------

def utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_utc(text: Any) -> Optional[datetime]:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None


def identity_key(record: Mapping[str, Any]) -> str:
    """Serial, then MAC, then address: what makes a device the same device across sweeps and renames."""
    ident = record.get("identity") or {}
    if ident.get("serial"):
        return "serial:" + str(ident["serial"]).strip().upper()
    if ident.get("mac"):
        return "mac:" + str(ident["mac"]).upper()
    return "address:" + str(record.get("address"))


def merge(previous: Mapping[str, Any], found: Sequence[Mapping[str, Any]], now: datetime,
          keep_missing_days: float) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """(records for the inventory, the registry to store) after one sweep.

    Found devices get ``first_seen`` (kept from before) and ``last_seen`` = now. Devices of the registry
    not found now stay for ``keep_missing_days`` after their ``last_seen`` with device status
    ``no_response``, unless a found device now holds their address; after that they are forgotten.
    """
    stamp = utc_text(now)
    known: Dict[str, Any] = dict((previous or {}).get("devices") or {})
    records: List[Dict[str, Any]] = []
    devices: Dict[str, Any] = {}
    taken = set()
    for rec in found:
        rec = copy.deepcopy(dict(rec))
        key = identity_key(rec)
        before = known.get(key) or {}
        rec["first_seen"] = before.get("first_seen") or stamp
        rec["last_seen"] = stamp
        rec["responding"] = True
        records.append(rec)
        devices[key] = rec
        taken.add(rec["address"])
    horizon = now - timedelta(days=float(keep_missing_days))
    for key, old in known.items():
        if key in devices or not isinstance(old, Mapping):
            continue
        last = parse_utc(old.get("last_seen"))
        if last is None or last < horizon or old.get("address") in taken:
            continue
        rec = copy.deepcopy(dict(old))
        rec["responding"] = False
        rec.setdefault("status", {})
        rec["status"] = dict(rec["status"], device_status=NO_RESPONSE, error_state=[])
        records.append(rec)
        devices[key] = rec
        taken.add(rec.get("address"))
    return records, {"format": REGISTRY_FORMAT, "updated": stamp, "devices": devices}


def is_new(record: Mapping[str, Any], now: datetime, new_device_days: float) -> bool:
    first = parse_utc(record.get("first_seen"))
    return first is not None and first >= now - timedelta(days=float(new_device_days))


# --- a registry file (for controllers without a persistent inventory cache, e.g. AWX) ---------------------------

def load_file(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {"format": REGISTRY_FORMAT, "devices": {}}
    except (OSError, ValueError) as exc:
        raise CanonError("invalid_argument", "registry file %s cannot be read: %s" % (path, exc))
    if not isinstance(data, dict) or data.get("format") != REGISTRY_FORMAT:
        raise CanonError("invalid_argument", "registry file %s is not a discovery registry (format %s)"
                         % (path, REGISTRY_FORMAT))
    return data


def save_file(path: str, data: Mapping[str, Any]) -> None:
    """Atomic write, so a concurrent reader never sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".registry-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def names_in(records: Iterable[Mapping[str, Any]]) -> List[str]:
    return [str(r.get("address")) for r in records]
