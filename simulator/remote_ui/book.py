"""A simulated device's address book and the rules its import enforces.

The simulator keeps its OWN table of the book types (from the iW EMC 4.1.4 guide, lines cited),
on purpose separate from ``plugins/module_utils/addressbook/model.py``: a test then proves that the
collection's validation agrees with a device, instead of comparing the collection with itself.

Entries are dicts with the keys of the collection's entry model (``type``, ``name``, ``number``
...). ``number`` is the collection's number (the spec, the control API); files and pages carry
the device number, which differs only for the Type III Address Book (device 000-299 = 1-300,
guide L5712).

Import rules (all or nothing, like the device's "Could not import the destination."):
per-list capacity, the Type I shared total over Address Lists 1-10, one-touch capacity, number
range and uniqueness of numbered lists, required fields, text lengths and characters, control
characters, group members. Destination types (and file protocols) the model lacks are silently
dropped with success (guide L4516-L4570, L9862-L9888), and fields only Type I devices store are
dropped on Type II/III.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import codec

# =============================================================================================
# Book types (guide L4412-L4512, L5684-L5716)
# =============================================================================================


@dataclass(frozen=True)
class SimList:
    """One list of a book type. Device numbers run ``first..last`` (None: not numbered)."""

    name: str
    title: str
    capacity: int
    first: Optional[int] = None
    last: Optional[int] = None
    one_touch: bool = False
    pool: Optional[str] = None
    offset: int = 0            # device number = number + offset

    @property
    def numbered(self) -> bool:
        return self.first is not None


@dataclass(frozen=True)
class SimBookType:
    name: str
    lists: Tuple[SimList, ...]
    pools: Mapping[str, int]
    destination_types: frozenset
    file_protocols: frozenset
    group_max: Optional[int]
    group_max_by_type: Mapping[str, int]
    group_member_types: frozenset
    group_mixed: bool
    deletes_workflows: bool
    type_i_fields: bool        # stores the fields the guide marks "Type I only"

    def list(self, name: str) -> SimList:
        for item in self.lists:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def list_names(self) -> Tuple[str, ...]:
        return tuple(item.name for item in self.lists)


_ALL = frozenset({"email", "fax", "ifax", "file", "group"})
BOOK_TYPES: Dict[str, SimBookType] = {
    # Type I: Address List 1-10 (1,600 each, 1,600 in total, L4458-L4460), One-Touch 1-200 (L4474)
    "I": SimBookType(
        "I",
        tuple(SimList("address_list_%d" % n, "Address List %d" % n, 1600, pool="address_lists")
              for n in range(1, 11)) + (SimList("one_touch", "One-Touch", 200, 1, 200, one_touch=True),),
        {"address_lists": 1600}, _ALL, frozenset({"ftp", "smb", "webdav"}),
        256, {}, frozenset({"email", "fax", "ifax", "file"}), True, False, True),
    # Type II: Coded Dial 1-281, Favorites 1-19 (L4464, L4478, L5699-L5702): 281 + 19 = the guide's 300
    "II": SimBookType(
        "II",
        (SimList("coded_dial", "Coded Dial", 281, 1, 281),
         SimList("favorites", "Favorites", 19, 1, 19, one_touch=True)),
        {}, _ALL, frozenset({"ftp", "smb"}),
        None, {"email": 100, "ifax": 100, "fax": 299}, frozenset({"email", "ifax", "fax"}), False, True, False),
    # Type III: Address Book 000-299 (= 1-300), One-touch Speed Dial 001-200 (L4468, L4482, L5711-L5712)
    "III": SimBookType(
        "III",
        (SimList("address_book", "Address Book", 300, 0, 299, offset=-1),
         SimList("one_touch_speed_dial", "One-touch Speed Dial", 200, 1, 200, one_touch=True)),
        {}, frozenset({"email", "fax", "file", "group"}), frozenset({"ftp", "smb"}),
        499, {}, frozenset({"email", "fax", "ifax", "file"}), True, True, False),
}

# Fields the guide marks "used only for destinations distributed to Type I" (L5395-L5530).
TYPE_I_ONLY_FIELDS = frozenset({
    "access_number", "divide_data", "subaddress", "subaddress_password", "line", "mode", "standard_field_1",
    "standard_field_2", "send_via_server", "paper_sizes", "compression", "resolutions", "color",
    "color_paper_sizes", "color_resolutions", "port", "confirm_before_sending"})
REQUIRED = {"email": ("address",), "ifax": ("address",), "fax": ("fax_number",), "file": ("host",), "group": ()}


# =============================================================================================
# Text limits (Destination Specifications table, L4526-L4573)
# =============================================================================================
@dataclass(frozen=True)
class Limit:
    chars: int
    bytes: Optional[int] = None     # multi-byte budget: non-ASCII characters count ``weight``
    weight: int = 2
    charset: Optional[str] = None   # ascii | fax | fax3


ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
FAX = frozenset("0123456789 *#")
FAX3 = FAX | frozenset("PpTCR")
CHARSETS = {"ascii": ASCII, "fax": FAX, "fax3": FAX3}

LimitSpec = Union[Limit, Mapping[str, Limit]]      # one limit, or one per file protocol
FIELD_LIMITS: Dict[str, Dict[Tuple[str, str], LimitSpec]] = {
    "I": {
        ("*", "name"): Limit(24, 24), ("*", "reading"): Limit(24), ("*", "short_name"): Limit(24, 24),
        ("email", "address"): Limit(120, charset="ascii"), ("ifax", "address"): Limit(128, charset="ascii"),
        ("fax", "fax_number"): Limit(120, charset="ascii"),
        ("fax", "subaddress"): Limit(20, charset="fax"), ("fax", "subaddress_password"): Limit(20, charset="fax"),
        ("file", "host"): Limit(128, 128), ("file", "path"): Limit(255, 255),
        ("file", "username"): {"ftp": Limit(24, 24), "smb": Limit(128, 128), "webdav": Limit(128, 128)},
        ("file", "password"): Limit(24),
        ("ifax", "standard_field_1"): Limit(40), ("ifax", "standard_field_2"): Limit(16),
    },
    "II": {
        ("*", "name"): Limit(16), ("*", "reading"): Limit(16), ("*", "short_name"): Limit(16),
        ("email", "address"): Limit(120, charset="ascii"), ("ifax", "address"): Limit(120, charset="ascii"),
        ("fax", "fax_number"): Limit(120, charset="fax"),
        ("file", "host"): Limit(120), ("file", "path"): Limit(120),
        ("file", "username"): Limit(32, 32, weight=3), ("file", "password"): Limit(32, charset="ascii"),
    },
    "III": {
        ("*", "name"): Limit(16, 16), ("*", "reading"): Limit(16), ("*", "short_name"): Limit(16, 16),
        ("email", "address"): Limit(120, charset="ascii"),
        ("fax", "fax_number"): Limit(120, charset="fax3"),
        ("file", "host"): {"ftp": Limit(47, charset="ascii"), "smb": Limit(120, 120)},
        ("file", "path"): {"ftp": Limit(120, charset="ascii"), "smb": Limit(120, 120)},
        ("file", "username"): {"ftp": Limit(24), "smb": Limit(24, 24)},
        ("file", "password"): {"ftp": Limit(24, charset="ascii"), "smb": Limit(14)},
    },
}
TEXT_FIELDS = ("name", "reading", "short_name", "address", "fax_number", "subaddress", "subaddress_password",
               "host", "path", "username", "password", "standard_field_1", "standard_field_2")


def limit_for(book_type: str, entry_type: str, field_name: str, protocol: Optional[str]) -> Optional[Limit]:
    table = FIELD_LIMITS[book_type]
    spec = table.get((entry_type, field_name)) or table.get(("*", field_name))
    if isinstance(spec, Mapping):
        return spec.get(protocol or "")
    return spec


def _weighted(text: str, weight: int) -> int:
    return sum(1 if ord(c) < 0x80 or 0xFF61 <= ord(c) <= 0xFF9F else weight for c in text)


def _control_character(text: str) -> Optional[str]:
    for char in text:
        if unicodedata.category(char) == "Cc":
            return char
    return None


def text_problem(book_type: str, entry: Mapping[str, Any], field_name: str, value: str) -> Optional[str]:
    """Why the device refuses one text value, or None."""
    control = _control_character(value)
    if control is not None:
        return "%s contains the control character U+%04X" % (field_name, ord(control))
    limit = limit_for(book_type, entry["type"], field_name, entry.get("protocol") if entry["type"] == "file" else None)
    if limit is None:
        return None
    if len(value) > limit.chars:
        return "%s is %d characters long; this device allows %d" % (field_name, len(value), limit.chars)
    if limit.bytes is not None and _weighted(value, limit.weight) > limit.bytes:
        return "%s is too long for this device (%d bytes with multi-byte characters counting %d; at most %d)" % (
            field_name, _weighted(value, limit.weight), limit.weight, limit.bytes)
    if limit.charset:
        wrong = sorted({c for c in value if c not in CHARSETS[limit.charset]})
        if wrong:
            return "%s contains characters this device refuses: %s" % (field_name, " ".join(repr(c) for c in wrong))
        if limit.charset == "fax3":
            if value.startswith(" "):
                return "%s must not start with a space" % field_name
            if value.count("T") > 1 or value.count("C") > 1 or "R" in value[1:]:
                return "%s: 'T' and 'C' at most once, 'R' only first" % field_name
    return None


# =============================================================================================
# Device capabilities and the book itself
# =============================================================================================
@dataclass
class ImportResult:
    ok: bool
    entries: List[Dict[str, Any]] = field(default_factory=list)    # the list after the import
    dropped: List[Dict[str, Any]] = field(default_factory=list)    # silently skipped
    errors: List[str] = field(default_factory=list)               # why the import failed


def describe(index: int, entry: Mapping[str, Any]) -> str:
    return "entry %d (%r)" % (index, entry.get("name", ""))


class AddressBook:
    """One device's lists. Lists are replaced, never edited in place, so a book given to many
    devices by one spec entry can be shared until a device changes it."""

    def __init__(self, book_type: str, fax: bool, content: Optional[Mapping[str, Sequence[Mapping]]] = None) -> None:
        self.kind = BOOK_TYPES[book_type]
        types = set(self.kind.destination_types)
        if not fax:
            types.discard("fax")
        self.destination_types = frozenset(types)
        self.lists: Dict[str, List[Dict[str, Any]]] = {name: [] for name in self.kind.list_names}
        self._salts: Dict[str, bytes] = {}
        self._index: Dict[str, List[int]] = {name: [] for name in self.kind.list_names}
        self._next_index = 201           # Canon exports number entries from 201 (indxid)
        for name, entries in (content or {}).items():
            self.replace(name, entries)

    # --- content ------------------------------------------------------------------------
    def replace(self, list_name: str, entries: Iterable[Mapping[str, Any]]) -> None:
        """Set a list's content as given (control API and spec: collection numbering, no limits)."""
        if list_name not in self.lists:
            raise ValueError("Type %s address books have no list %r (lists: %s)"
                             % (self.kind.name, list_name, ", ".join(self.kind.list_names)))
        items = []
        for entry in entries:
            if not isinstance(entry, Mapping) or entry.get("type") not in codec.CLASSES:
                raise ValueError("%s: every entry needs a type (%s)" % (
                    list_name, ", ".join(sorted(codec.CLASSES))))
            items.append(entry if isinstance(entry, dict) else dict(entry))
        self.lists[list_name] = items
        self._reindex(list_name)

    # --- entry indices (AIDX / indxid) ------------------------------------------------------
    def _reindex(self, list_name: str) -> None:
        """Fresh indices for a list set as a whole (import, control API)."""
        count = len(self.lists[list_name])
        self._index[list_name] = list(range(self._next_index, self._next_index + count))
        self._next_index += count

    def indexed(self, list_name: str) -> List[Tuple[int, Dict[str, Any]]]:
        """(index, entry) in device order, entries in device numbering; the index of a numbered
        list is the device number, of the others the entry's stable index."""
        spec = self.kind.list(list_name)
        if spec.numbered:
            return sorted(self.by_device_number(list_name).items())
        return list(zip(self._index[list_name], self.lists[list_name]))

    def entry_at(self, list_name: str, index: int) -> Optional[Dict[str, Any]]:
        return dict(self.indexed(list_name)).get(index)

    def add_entry(self, list_name: str, entry: Dict[str, Any]) -> int:
        """Append one entry to an unnumbered list; returns its index."""
        self.lists[list_name] = list(self.lists[list_name]) + [entry]
        self._index[list_name] = list(self._index[list_name]) + [self._next_index]
        self._next_index += 1
        return self._next_index - 1

    def set_at(self, list_name: str, index: int, entry: Dict[str, Any]) -> None:
        position = self._index[list_name].index(index)
        old_name = self.lists[list_name][position].get("name")
        items = list(self.lists[list_name])
        items[position] = entry
        if old_name != entry.get("name"):   # groups follow a renamed member
            items = [dict(e, members=[entry["name"] if m == old_name else m for m in e.get("members") or []])
                     if e["type"] == "group" else e for e in items]
        self.lists[list_name] = items

    def remove_at(self, list_name: str, index: int) -> bool:
        if index not in self._index[list_name]:
            return False
        position = self._index[list_name].index(index)
        name = self.lists[list_name][position].get("name")
        items = list(self.lists[list_name])
        del items[position]
        ids = list(self._index[list_name])
        del ids[position]
        self.lists[list_name] = [dict(e, members=[m for m in e.get("members") or [] if m != name])
                                 if e["type"] == "group" else e for e in items]
        self._index[list_name] = ids
        return True

    def count(self, list_name: str) -> int:
        return len(self.lists[list_name])

    def capacity(self, list_name: str) -> int:
        return self.kind.list(list_name).capacity

    def total_capacity(self) -> Optional[int]:
        """The shared pool (Type I address lists); None when the type has none."""
        return next(iter(self.kind.pools.values()), None)

    def by_device_number(self, list_name: str) -> Dict[int, Dict[str, Any]]:
        spec = self.kind.list(list_name)
        return {e["number"] + spec.offset: e for e in self.lists[list_name] if e.get("number") is not None}

    def device_entries(self, list_name: str, with_secrets: bool) -> List[Dict[str, Any]]:
        """A list as files carry it: device numbers, sorted by number; secrets optional."""
        spec = self.kind.list(list_name)
        out = []
        for entry in self.lists[list_name]:
            item = dict(entry)
            if spec.numbered and item.get("number") is not None:
                item["number"] = item["number"] + spec.offset
            else:
                item.pop("number", None)
            if not with_secrets:
                for key in codec.SECRET_KEYS.values():
                    item.pop(key, None)
            out.append(item)
        if spec.numbered:
            out.sort(key=lambda e: e.get("number", 0))
        return out

    # --- export -------------------------------------------------------------------------
    def export_csv(self, list_name: str, export_password: Optional[str]) -> str:
        """Canon AddressBook CSV; passwords only when an export password encrypts them."""
        spec = self.kind.list(list_name)
        entries = self.device_entries(list_name, with_secrets=export_password is not None)
        return codec.render_csv(entries, spec.title, spec.one_touch, export_password,
                                self._export_salt(export_password) or b"")

    def _export_salt(self, export_password: Optional[str]) -> Optional[bytes]:
        """One salt per export password, so a client exporting every list under one password
        costs one key derivation, not one per list (PBKDF2 is most of an export's time)."""
        if export_password is None:
            return None
        if export_password not in self._salts:
            if len(self._salts) >= 8:
                self._salts.clear()
            self._salts[export_password] = os.urandom(16)
        return self._salts[export_password]

    def export_ldif(self, list_name: str, with_passwords: bool = False) -> str:
        """The list as the device's LDIF export (every destination type, ``indxid`` per record)."""
        spec = self.kind.list(list_name)
        return codec.render_ldif(self.indexed(list_name), spec.title, with_passwords)

    # --- import -------------------------------------------------------------------------
    def check_import(self, list_name: str, data: bytes, mode: str, password: Optional[str]) -> ImportResult:
        """Parse and check a Canon CSV import; nothing is stored here (see ``apply``)."""
        try:
            entries, dropped = codec.parse_csv(data, password or None)
        except codec.CodecError as exc:
            return ImportResult(False, errors=[str(exc)])
        return self.check_entries(list_name, entries, mode, dropped)

    def check_entries(self, list_name: str, raw_entries: Sequence[Mapping[str, Any]], mode: str,
                      dropped: Optional[List[Dict[str, Any]]] = None) -> ImportResult:
        """The device's rules for entries in device numbering (see module docstring)."""
        spec = self.kind.list(list_name)
        kind = self.kind
        result = ImportResult(True, dropped=list(dropped or []))
        errors = result.errors
        accepted: List[Dict[str, Any]] = []
        for index, raw in enumerate(raw_entries, 1):
            entry = dict(raw)
            # without the password the ciphertext is stored as the password (what the EMC guide
            # says of encrypted imports, L5340-L5392): codec.parse_csv leaves it in place
            entry_type = entry.get("type")
            if entry_type not in self.destination_types or (
                    entry_type == "file" and (entry.get("protocol") or "ftp") not in kind.file_protocols):
                result.dropped.append({"index": index, "name": entry.get("name", ""),
                                       "reason": "not supported by this device"})
                continue
            if not kind.type_i_fields:
                for key in TYPE_I_ONLY_FIELDS:
                    entry.pop(key, None)
            if entry_type == "file" and not entry.get("protocol"):
                entry["protocol"] = "ftp"
            problem = self._entry_problem(spec, entry)
            if problem:
                errors.append("%s: %s" % (describe(index, raw), problem))
                continue
            if spec.numbered:
                entry["number"] = entry["number"] - spec.offset
            else:
                entry.pop("number", None)
            accepted.append(entry)
        dropped_names = {d.get("name") for d in result.dropped}
        kept_names = {e.get("name") for e in accepted}
        for entry in accepted:
            if entry["type"] == "group" and entry.get("members"):
                # members that were skipped as unsupported are skipped with them
                entry["members"] = [m for m in entry["members"] if m in kept_names or m not in dropped_names]
        new_list = accepted if mode == "overwrite" else list(self.lists[list_name]) + accepted
        if spec.numbered:
            seen: Dict[int, Mapping[str, Any]] = {}
            for entry in new_list:
                number = entry.get("number")
                if number is None:
                    continue        # only content set through the spec or control API lacks one
                if number in seen:
                    errors.append("No. %s (%r) is used twice (also by %r)" % (
                        str(number + spec.offset).zfill(3 if spec.offset else 1), entry.get("name"),
                        seen[number].get("name")))
                seen[number] = entry
            new_list.sort(key=lambda e: (e.get("number") is None, e.get("number") or 0))
        if len(new_list) > spec.capacity:
            errors.append("%s would hold %d destinations; this device allows %d" % (
                spec.title, len(new_list), spec.capacity))
        if spec.pool:
            total = sum(len(new_list) if other.name == list_name else len(self.lists[other.name])
                        for other in kind.lists if other.pool == spec.pool)
            if total > kind.pools[spec.pool]:
                errors.append("the address lists would hold %d destinations in total; this device allows %d" % (
                    total, kind.pools[spec.pool]))
        errors.extend(self._group_problems(new_list))
        result.entries = new_list
        result.ok = not errors
        return result

    def _entry_problem(self, spec: SimList, entry: Mapping[str, Any]) -> Optional[str]:
        if not entry.get("name"):
            return "name is required"
        for key in REQUIRED[entry["type"]]:
            if not entry.get(key):
                return "%s is required" % key
        if spec.numbered:
            number = entry.get("number")
            if number is None:
                return "a destination number (dn) is required in %s" % spec.title
            if not spec.first <= number <= spec.last:     # type: ignore[operator]
                width = 3 if spec.offset or spec.first == 0 else 1
                return "No. %s is outside %s-%s of %s" % (
                    str(number).zfill(width), str(spec.first).zfill(width), str(spec.last).zfill(width), spec.title)
        if entry.get("short_name") and not spec.one_touch:
            return "short_name applies only to one-touch lists"
        for key in TEXT_FIELDS:
            value = entry.get(key)
            if isinstance(value, str) and value:
                if key in ("password", "subaddress_password") and value.startswith(codec.TOKEN_PREFIX):
                    continue   # stored ciphertext, see check_entries
                problem = text_problem(self.kind.name, entry, key, value)
                if problem:
                    return problem
        for member in entry.get("members") or []:
            if _control_character(member) is not None:
                return "a member name contains a control character"
        return None

    def _group_problems(self, entries: Sequence[Mapping[str, Any]]) -> List[str]:
        kind = self.kind
        by_name: Dict[str, Mapping[str, Any]] = {}
        for entry in entries:
            by_name.setdefault(entry.get("name", ""), entry)
        problems = []
        for group in entries:
            if group["type"] != "group":
                continue
            counts: Dict[str, int] = {}
            for member in group.get("members") or []:
                target = by_name.get(member)
                if target is None:
                    problems.append("group %r: member %r is not in this list" % (group.get("name"), member))
                    continue
                if target["type"] not in kind.group_member_types:
                    problems.append("group %r: %s destinations cannot be group members" % (
                        group.get("name"), target["type"]))
                counts[target["type"]] = counts.get(target["type"], 0) + 1
            total = len(group.get("members") or [])
            if kind.group_max is not None and total > kind.group_max:
                problems.append("group %r has %d members; at most %d" % (group.get("name"), total, kind.group_max))
            for member_type, limit in kind.group_max_by_type.items():
                if counts.get(member_type, 0) > limit:
                    problems.append("group %r has %d %s members; at most %d" % (
                        group.get("name"), counts[member_type], member_type, limit))
            if not kind.group_mixed and len(counts) > 1:
                problems.append("group %r mixes destination types" % group.get("name"))
        return problems

    def apply(self, list_name: str, result: ImportResult) -> None:
        if result.ok:
            self.lists[list_name] = result.entries
            self._reindex(list_name)

    # --- per-entry edits (portal forms) -------------------------------------------------
    def put_entry(self, list_name: str, entry: Dict[str, Any]) -> None:
        """Store one entry at its number (replacing what was there)."""
        kept = [e for e in self.lists[list_name] if e.get("number") != entry["number"]]
        kept.append(entry)
        kept.sort(key=lambda e: e.get("number") or 0)
        self.lists[list_name] = kept

    def delete_number(self, list_name: str, number: int) -> bool:
        entries = self.lists[list_name]
        gone = [e for e in entries if e.get("number") == number]
        if not gone:
            return False
        names = {e.get("name") for e in gone}
        kept = []
        for entry in entries:
            if entry.get("number") == number:
                continue
            if entry["type"] == "group" and any(m in names for m in entry.get("members") or []):
                entry = dict(entry, members=[m for m in entry["members"] if m not in names])
            kept.append(entry)
        self.lists[list_name] = kept
        return True

    # --- facts --------------------------------------------------------------------------
    def info_rows(self) -> List[Tuple[str, int, int]]:
        return [(spec.name, len(self.lists[spec.name]), spec.capacity) for spec in self.kind.lists]

    def snapshot(self) -> Dict[str, List[Dict[str, Any]]]:
        return {name: [dict(e) for e in entries] for name, entries in self.lists.items()}
