# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning device settings: declared items, file compatibility, drift. Pure functions, no I/O.

Why here and not in the resource: the same comparison serves ``merged``/``replaced`` (what to
write), ``imported`` (import only when something would change) and ``audited`` (the drift report),
and every refusal must happen before the first byte is sent.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.settings import spec as sspec
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt

READ_ONLY_ITEMS = ("network.ipv4.address", "system.display_language")
MASK = "********"


def normalize(path: str, value: Any) -> Any:
    """A declared value in the type of the item (bool/int/str); raises invalid_argument."""
    item = pt.SETTINGS_ITEMS.get(path)
    kind = item.kind if item else "str"
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("on", "true", "yes", "1"):
            return True
        if text in ("off", "false", "no", "0"):
            return False
        raise CanonError("invalid_argument", "settings.%s must be true/false (On/Off), not %r" % (path, value))
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise CanonError("invalid_argument", "settings.%s must be a number, not %r" % (path, value))
    if kind == "ip":
        parts = str(value).split(".")
        if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
            raise CanonError("invalid_argument", "settings.%s must be an IPv4 address, not %r" % (path, value))
        return ".".join(str(int(p)) for p in parts)
    return "" if value is None else str(value)


def check_declared(settings: Mapping[str, Any]) -> Dict[str, Any]:
    """Known, writable item paths with normalised values (before any device I/O)."""
    out: Dict[str, Any] = {}
    for path, value in (settings or {}).items():
        if path not in pt.SETTINGS_ITEMS:
            raise CanonError("invalid_argument", "unknown settings item %r; known items: %s"
                             % (path, ", ".join(sorted(pt.SETTINGS_ITEMS))))
        if path in READ_ONLY_ITEMS:
            raise CanonError("invalid_argument", "settings.%s is read-only on the settings pages (%s)" % (
                path, "change the IP address on the device panel" if path.startswith("network") else
                "the display language is a panel setting and must match between devices that share files"))
        out[path] = normalize(path, value)
    return out


def section(path: str) -> str:
    """The group an item belongs to for state replaced: its path without the last part (network.sntp)."""
    return path.rsplit(".", 1)[0]


def replaced_additions(declared: Mapping[str, Any], device_paths: Iterable[str]) -> Dict[str, Any]:
    """state replaced: items of the touched sections (network.sntp, network.protocols ...) that are not
    declared go back to their factory value."""
    sections = {section(p) for p in declared}
    out: Dict[str, Any] = {}
    for path in device_paths:
        item = pt.SETTINGS_ITEMS.get(path)
        if (item is None or path in declared or section(path) not in sections or item.default is None
                or path in sspec.SNMP_ITEMS or path in READ_ONLY_ITEMS):
            continue
        out[path] = item.default
    return out


def item_actions(want: Mapping[str, Any], have: Mapping[str, Any], page_category: Mapping[str, Optional[str]]
                 ) -> List[Dict[str, Any]]:
    """One action per item whose device value differs from the declared one."""
    actions = []
    for path, value in want.items():
        if path in have and have[path] == value:
            continue
        via = "snmp" if path in sspec.SNMP_ITEMS else "remote_ui"
        action = {"item": path, "via": via, "before": have.get(path), "after": value}
        if via == "remote_ui":
            action["category"] = page_category.get(path)
        actions.append(action)
    return actions


SECRET_FIELDS = ("pin", "password")


def mask_value(path: str, value: Any) -> Any:
    """Mask secret items, and secret fields inside structured items (the PIN of each Department ID)."""
    if path in sspec.SECRET_ITEMS and value not in (None, ""):
        return MASK

    def walk(data: Any) -> Any:
        if isinstance(data, dict):
            return {k: (MASK if k in SECRET_FIELDS and v not in (None, "") else walk(v)) for k, v in data.items()}
        if isinstance(data, list):
            return [walk(v) for v in data]
        return data

    return walk(value)


def applicable(code: str, same_machine: bool, same_series: bool) -> Tuple[bool, Optional[str]]:
    """Import All code rules: A same machine, B same model/series, C any model, No not exported."""
    if code == "A" and not same_machine:
        return False, "import_all_A_other_machine"
    if code == "B" and not same_series:
        return False, "import_all_B_other_series"
    if code not in ("A", "B", "C"):
        return False, "not_included"
    return True, None


def compare(file_values: Mapping[str, Any], codes: Mapping[str, str], device_values: Mapping[str, Any],
            same_machine: bool, same_series: bool, ignore: Iterable[str] = (),
            category_of: Optional[Mapping[str, str]] = None) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
    """(differences, {path: why not comparable}) between a file and the device.

    An item the device would not take from this file (Import All code), an item the device does
    not have, or an ignored item is "not comparable" rather than a difference: it can never be
    made equal by importing this file.
    """
    ignored = set(ignore or [])
    differences: List[Dict[str, Any]] = []
    skipped: Dict[str, str] = {}
    for path in sorted(file_values):
        if path in ignored:
            skipped[path] = "ignored"
            continue
        ok, why = applicable(codes.get(path, "C"), same_machine, same_series)
        if not ok:
            skipped[path] = why or "not_applicable"
            continue
        if path not in device_values:
            skipped[path] = "not_on_device"
            continue
        if device_values[path] != file_values[path]:
            differences.append({"item": path, "category": (category_of or {}).get(path, path.split(".")[0]),
                                "device": mask_value(path, device_values[path]),
                                "baseline": mask_value(path, file_values[path])})
    return differences, skipped


def compare_declared(declared: Mapping[str, Any], device_values: Mapping[str, Any], unreadable: Iterable[str]
                     ) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
    differences: List[Dict[str, Any]] = []
    skipped = {path: "not_readable" for path in unreadable if path in declared}
    for path in sorted(declared):
        if path in skipped:
            continue
        if path not in device_values:
            skipped[path] = "not_on_device"
        elif device_values[path] != declared[path]:
            differences.append({"item": path, "category": pt.SETTINGS_ITEMS[path].category,
                                "device": mask_value(path, device_values[path]),
                                "baseline": mask_value(path, declared[path])})
    return differences, skipped


def compatibility(header: Mapping[str, Any], codes: Mapping[str, str], facts: Mapping[str, Any]
                  ) -> Tuple[bool, bool, List[str]]:
    """Refuse a file the device cannot take; (same_machine, same_series, warnings) otherwise.

    Checked from the manifest/header only, before anything is sent: settings type, security level
    (level 2 needs platform 3.10 or later), display language, and whether any item applies at all.
    """
    file_type = str(header.get("settings_type") or "")
    if file_type != facts.get("settings_type"):
        raise CanonError("settings_type_mismatch", "the file holds settings type %s data but the device is settings "
                         "type %s" % (file_type or "?", facts.get("settings_type")))
    level = int(header.get("security_level") or 1)
    if level not in facts.get("security_levels", [1]):
        raise CanonError("settings_security_level_unsupported",
                         "the file is security level %d; the device (platform version %s) accepts level %s" % (
                             level, facts.get("platform_version") or "?",
                             "/".join(str(x) for x in facts.get("security_levels", [1]))))
    if header.get("display_language") != facts.get("display_language"):
        raise CanonError("settings_language_mismatch", "the file was exported with display language %r, the device "
                         "uses %r; characters would be corrupted" % (header.get("display_language"),
                                                                     facts.get("display_language")))
    same_machine = bool(header.get("serial")) and header.get("serial") == facts.get("serial")
    same_series = bool(header.get("series")) and header.get("series") == facts.get("series")
    counts = {"A": 0, "B": 0, "C": 0}
    usable = 0
    for code in codes.values():
        ok, _why = applicable(code, same_machine, same_series)
        usable += int(ok)
        if not ok and code in counts:
            counts[code] += 1
    if codes and not usable:
        raise CanonError("settings_not_applicable", "no item of the file applies to this device: its items are "
                         "Import All code A (same machine) or B (same series %s, device series %s)"
                         % (header.get("series"), facts.get("series")))
    warnings = []
    if counts["A"] or counts["B"]:
        warnings.append("%d item(s) of the file will not be applied to this device (Import All code A: other "
                        "machine %d, code B: other series %d)" % (counts["A"] + counts["B"], counts["A"],
                                                                  counts["B"]))
    return same_machine, same_series, warnings


def destination_warning(categories: Iterable[str], settings_type: Optional[str]) -> Optional[str]:
    """Canon advises distributing the destination-related categories together (type I)."""
    if settings_type != "I":
        return None
    present = [c for c in pt.SETTINGS_DESTINATION_CATEGORIES if c in set(categories)]
    if present and len(present) < len(pt.SETTINGS_DESTINATION_CATEGORIES):
        missing = [c for c in pt.SETTINGS_DESTINATION_CATEGORIES if c not in present]
        return ("the file carries destination-related categories (%s) without the others (%s); Canon advises "
                "distributing them together or destinations may become inconsistent"
                % (", ".join(present), ", ".join(missing)))
    return None
