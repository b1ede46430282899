# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address-book domain logic: book types, limits, the entry model, validation, states and diffs.

No network code. The Remote UI client reads ``have`` from a device and writes what
``plan_changes`` says; the module shapes results from ``build_diff``; ``render_list`` /
``parse_list`` back the offline ``rendered`` and ``parsed`` states.

Every limit lives once, in ``BOOK_TYPE_SPECS`` (lists, numbering, capacities, group rules) or
``FIELD_LIMITS`` (text fields), with the line of the iW EMC 4.1.4 guide it comes from
(``seeds/iw-emc-4.1.4-users-guide.txt``). Values marked "our choice" are not in the guide.

Entry identity within a list: by ``number`` in numbered lists (every Type II/III list and the
Type I one-touch list), by ``name`` in the Type I address lists (the guide: Type I address lists
do not need destination numbers, L5692).
"""

from __future__ import annotations

import copy
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import emc_addressbook as emc_format
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import ldif as ldif_format
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import (
    ON_UNSUPPORTED_CHOICES,
    AddressBookFormatError,
    EncryptedSecret,
    parse_canon_csv,
    render_canon_csv,
)

MASK = "********"
DESTINATION_TYPES: Tuple[str, ...] = ("email", "fax", "ifax", "file", "group")
FILE_PROTOCOLS: Tuple[str, ...] = ("ftp", "smb", "webdav")
SECRET_FIELDS: Tuple[str, ...] = ("password", "subaddress_password")
STATES: Tuple[str, ...] = ("merged", "replaced", "overridden", "deleted")
UPDATE_PASSWORD_CHOICES: Tuple[str, ...] = ("on_create", "always")
FORMATS: Tuple[str, ...] = ("canon_csv", "ldif", "emc_csv", "emc_xlsx")
ACCESS_NUMBER_RANGE: Tuple[int, int] = (1, 9_999_999)  # guide L4529, L5225
PORT_RANGE: Tuple[int, int] = (1, 65_535)
DEFAULT_PORTS: Dict[str, Optional[int]] = {"ftp": 21, "webdav": 80, "smb": None}  # our choice


# =============================================================================================
# Book types, lists and numbering
# =============================================================================================
@dataclass(frozen=True)
class ListSpec:
    """One manageable list of a book type.

    ``number_range`` is None for lists identified by name. Device numbers are
    ``number + device_number_offset``, shown with ``device_number_digits`` digits when set.
    """

    name: str
    title: str
    capacity: int
    number_range: Optional[Tuple[int, int]] = None
    one_touch: bool = False
    pool: Optional[str] = None
    device_number_offset: int = 0
    device_number_digits: Optional[int] = None
    source: str = ""

    @property
    def numbered(self) -> bool:
        return self.number_range is not None

    def usable_capacity(self, capacity: Optional[int] = None) -> int:
        """A capacity (the guide's by default) as limited by the number range too.

        The guide's capacities exceed its number ranges (Type II 300 vs 1-281, Type III 500 vs
        1-300); with unique numbers the range is the real limit.
        """
        capacity = self.capacity if capacity is None else capacity
        if self.number_range is None:
            return capacity
        return min(capacity, self.number_range[1] - self.number_range[0] + 1)


@dataclass(frozen=True)
class BookTypeSpec:
    """An address-book type (I, II or III) as the EMC guide describes it."""

    name: str
    lists: Tuple[ListSpec, ...]
    pools: Mapping[str, int]
    destination_types: frozenset
    file_protocols: frozenset
    group_max_members: Optional[int]
    group_member_types: frozenset
    group_max_members_by_type: Mapping[str, int]
    group_mixed_types: bool
    deletes_workflows: bool
    extended_fields: bool  # stores the fields the guide marks "used for Type I only"

    @property
    def list_names(self) -> Tuple[str, ...]:
        return tuple(spec.name for spec in self.lists)

    def list_spec(self, list_name: str) -> ListSpec:
        for spec in self.lists:
            if spec.name == list_name:
                return spec
        raise CanonError(
            "addressbook_unsupported_type",
            "Type %s address books have no list %r; manageable lists: %s"
            % (self.name, list_name, ", ".join(self.list_names)),
            list=list_name,
        )


_DESTINATIONS = frozenset({"email", "fax", "ifax", "file"})
BOOK_TYPE_SPECS: Dict[str, BookTypeSpec] = {
    "I": BookTypeSpec(
        name="I",
        lists=tuple(
            ListSpec(
                "address_list_%d" % n,
                "Address List %d" % n,
                1600,
                pool="address_lists",
                source="L4420, L4460",
            )
            for n in range(1, 11)
        )
        + (
            ListSpec(
                "one_touch",
                "One-Touch",
                200,
                number_range=(1, 200),
                one_touch=True,
                source="L4421, L4474, L5692",
            ),
        ),
        pools={"address_lists": 1600},  # L4460
        destination_types=_DESTINATIONS | {"group"},
        file_protocols=frozenset(FILE_PROTOCOLS),  # L4550 (IPX not modelled)
        group_max_members=256,  # L4488
        group_member_types=_DESTINATIONS,
        group_max_members_by_type={},
        group_mixed_types=True,  # L4488
        deletes_workflows=False,
        extended_fields=True,
    ),
    "II": BookTypeSpec(
        name="II",
        lists=(
            ListSpec("coded_dial", "Coded Dial", 300, number_range=(1, 281), source="L4434, L4464, L5702"),
            ListSpec(
                "favorites",
                "Favorites",
                19,
                number_range=(1, 19),
                one_touch=True,
                source="L4435, L4478, L5699",
            ),
        ),
        pools={},
        destination_types=_DESTINATIONS | {"group"},
        file_protocols=frozenset({"ftp", "smb"}),  # L4550, L4564
        group_max_members=None,
        group_member_types=frozenset({"email", "ifax", "fax"}),  # L4499
        group_max_members_by_type={"email": 100, "ifax": 100, "fax": 299},  # L4494
        group_mixed_types=False,  # L4500
        deletes_workflows=True,  # L4439
        extended_fields=False,
    ),
    "III": BookTypeSpec(
        name="III",
        lists=(
            ListSpec(
                "address_book",
                "Address Book",
                500,
                number_range=(1, 300),
                device_number_offset=-1,
                device_number_digits=3,
                source="L4445, L4468, L5712",
            ),
            ListSpec(
                "one_touch_speed_dial",
                "One-touch Speed Dial",
                200,
                number_range=(1, 200),
                one_touch=True,
                device_number_digits=3,
                source="L4446, L4482, L5711",
            ),
        ),
        pools={},
        destination_types=frozenset({"email", "fax", "file", "group"}),  # I-fax "-" for Type III, L4569
        file_protocols=frozenset({"ftp", "smb"}),  # L4550, L4564
        group_max_members=499,  # L4504
        group_member_types=_DESTINATIONS,
        group_max_members_by_type={},
        group_mixed_types=True,  # L4504
        deletes_workflows=True,  # L4450
        extended_fields=False,
    ),
}

_BOOK_TYPE_ALIASES = {
    "i": "I",
    "1": "I",
    "type1": "I",
    "type_i": "I",
    "typei": "I",
    "ii": "II",
    "2": "II",
    "type2": "II",
    "type_ii": "II",
    "typeii": "II",
    "iii": "III",
    "3": "III",
    "type3": "III",
    "type_iii": "III",
    "typeiii": "III",
}


def normalize_book_type(value: Any) -> str:
    """'I' | 'II' | 'III' from the spellings users and device facts use (1, 'type2', 'III' ...)."""
    key = str(value).strip().lower().replace(" ", "").replace("-", "_")
    if key not in _BOOK_TYPE_ALIASES:
        raise CanonError("invalid_argument", "unknown address-book type %r; use I, II or III" % (value,))
    return _BOOK_TYPE_ALIASES[key]


def book_type_spec(book_type: Any) -> BookTypeSpec:
    return BOOK_TYPE_SPECS[normalize_book_type(book_type)]


def manageable_lists(book_type: Any) -> Tuple[str, ...]:
    return book_type_spec(book_type).list_names


def to_device_number(book_type: Any, list_name: str, number: int) -> int:
    """Collection number -> device number (Type III Address Book: 1 -> 000, guide table L5712)."""
    return number + book_type_spec(book_type).list_spec(list_name).device_number_offset


def from_device_number(book_type: Any, list_name: str, device_number: int) -> int:
    return device_number - book_type_spec(book_type).list_spec(list_name).device_number_offset


def format_device_number(book_type: Any, list_name: str, number: int) -> str:
    """The device number as the device shows it ('000' for Type III Address Book number 1)."""
    spec = book_type_spec(book_type).list_spec(list_name)
    device_number = number + spec.device_number_offset
    return (
        str(device_number).zfill(spec.device_number_digits)
        if spec.device_number_digits
        else str(device_number)
    )


# =============================================================================================
# Text limits (Destination Specifications table, guide L4524-L4573)
# =============================================================================================
@dataclass(frozen=True)
class TextLimit:
    """Length and character rules of one text field.

    ``max_bytes`` is the guide's multi-byte budget: single-byte characters (ASCII and half-width
    katakana) count 1, others ``multibyte_weight`` (2, or 3 where the guide says full-width = 3 bytes).
    """

    max_chars: int
    max_bytes: Optional[int] = None
    multibyte_weight: int = 2
    charset: str = "any"  # any | ascii | fax_digits | fax_type3 | fax_type1
    no_leading_space: bool = False
    source: str = ""


_ASCII_PRINTABLE = frozenset(chr(code) for code in range(0x20, 0x7F))
_FAX_DIGITS = frozenset("0123456789 *#")
_FAX_TYPE3 = _FAX_DIGITS | frozenset("PpTCR")
CHARSETS: Dict[str, frozenset] = {
    "ascii": _ASCII_PRINTABLE,
    "fax_digits": _FAX_DIGITS,
    "fax_type3": _FAX_TYPE3,
}
CHARSET_LABELS = {
    "ascii": "ASCII 0x20-0x7E",
    "fax_digits": "digits, space, * and #",
    "fax_type3": "digits, space, *, #, P, p, T, C and R",
}

_NAME_LIMITS = {
    "I": TextLimit(24, 24, source="L4527"),
    "II": TextLimit(16, source="L4527"),
    "III": TextLimit(16, 16, source="L4527"),
}
# (destination type or '*', field) -> {book type or '*': TextLimit or {file protocol: TextLimit}}
FIELD_LIMITS: Dict[Tuple[str, str], Dict[str, Any]] = {
    ("*", "name"): _NAME_LIMITS,
    ("*", "reading"): {
        "I": TextLimit(24, source="L4528"),
        "II": TextLimit(16, source="L4528"),
        "III": TextLimit(16, source="L4528"),
    },
    ("*", "short_name"): _NAME_LIMITS,  # our choice: the guide gives no button-name limit
    ("email", "address"): {"*": TextLimit(120, charset="ascii", source="L4534")},
    ("fax", "fax_number"): {
        "I": TextLimit(120, charset="ascii", source="L4541"),
        "II": TextLimit(120, charset="fax_digits", source="L4541"),
        "III": TextLimit(120, charset="fax_type3", no_leading_space=True, source="L4541"),
    },
    ("fax", "subaddress"): {"I": TextLimit(20, charset="fax_digits", no_leading_space=True, source="L4542")},
    ("fax", "subaddress_password"): {"I": TextLimit(20, charset="fax_digits", source="L4543")},
    ("file", "host"): {
        "I": TextLimit(128, 128, source="L4556"),
        "II": TextLimit(120, source="L4556"),
        "III": {
            "ftp": TextLimit(47, charset="ascii", source="L4556"),
            "smb": TextLimit(120, 120, source="L4556"),
        },
    },
    ("file", "path"): {
        "I": TextLimit(255, 255, source="L4557"),
        "II": TextLimit(120, source="L4557"),
        "III": {
            "ftp": TextLimit(120, charset="ascii", source="L4557"),
            "smb": TextLimit(120, 120, source="L4557"),
        },
    },
    ("file", "username"): {
        "I": {
            "ftp": TextLimit(24, 24, source="L4558"),
            "smb": TextLimit(128, 128, source="L4558"),
            "webdav": TextLimit(128, 128, source="L4558"),
        },
        "II": {
            "ftp": TextLimit(32, 32, multibyte_weight=3, source="L4558"),
            "smb": TextLimit(32, 32, multibyte_weight=3, source="L4558"),
        },
        "III": {"ftp": TextLimit(24, source="L4558"), "smb": TextLimit(24, 24, source="L4558")},
    },
    ("file", "password"): {
        "I": TextLimit(24, source="L4562"),  # 32 on some models: field_max override
        "II": TextLimit(32, charset="ascii", source="L4562"),
        "III": {"ftp": TextLimit(24, charset="ascii", source="L4562"), "smb": TextLimit(14, source="L4562")},
    },
    ("ifax", "address"): {
        "I": TextLimit(128, charset="ascii", source="L4569"),  # charset: our choice
        "II": TextLimit(120, charset="ascii", source="L4569"),
    },
    ("ifax", "standard_field_1"): {"I": TextLimit(40, source="L4570")},
    ("ifax", "standard_field_2"): {"I": TextLimit(16, source="L4571")},
}


def text_limit(
    book_type: str, destination_type: str, field_name: str, protocol: Optional[str] = None
) -> Optional[TextLimit]:
    """The limit for one field on one book type (None when the guide gives none)."""
    row = FIELD_LIMITS.get((destination_type, field_name)) or FIELD_LIMITS.get(("*", field_name))
    if row is None:
        return None
    limit = row.get(book_type, row.get("*"))
    if isinstance(limit, dict):
        limit = limit.get(protocol or "")
    return limit


def is_single_byte(char: str) -> bool:
    """ASCII and half-width katakana count as single-byte characters in the guide's tables."""
    code = ord(char)
    return code < 0x80 or 0xFF61 <= code <= 0xFF9F


def weighted_length(text: str, multibyte_weight: int = 2) -> int:
    return sum(1 if is_single_byte(char) else multibyte_weight for char in text)


def find_control_character(text: str) -> Optional[str]:
    """The first control character (Unicode category Cc), which devices refuse (guide L9874)."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            return char
    return None


# =============================================================================================
# The entry model
# =============================================================================================
@dataclass(frozen=True)
class FieldSpec:
    """One entry field: its kind, device default and whether only Type I devices store it."""

    key: str
    kind: str  # text | secret | bool | int | choice | choices | members | number
    default: Any = None
    required: bool = False
    choices: Tuple[Any, ...] = ()
    type_i_only: bool = False


_PAPER_SIZES = ("a4", "a3", "b4")
_BW_RESOLUTIONS = ("200x100", "200x200", "200x400", "300x300", "400x400", "600x600")
_COLOR_RESOLUTIONS = ("100x100", "200x200", "300x300", "400x400", "600x600")

COMMON_FIELDS: Tuple[FieldSpec, ...] = (
    FieldSpec("name", "text", "", required=True),
    FieldSpec("reading", "text", ""),
    FieldSpec("number", "number", None),
    FieldSpec("short_name", "text", ""),
    FieldSpec("access_number", "int", None, type_i_only=True),
)
# Defaults: the EMC guide's "if nothing is specified" values (L5430-L5515), our choice where silent.
FIELDS_BY_TYPE: Dict[str, Tuple[FieldSpec, ...]] = {
    "email": COMMON_FIELDS
    + (
        FieldSpec("address", "text", "", required=True),
        FieldSpec("divide_data", "bool", False, type_i_only=True),
    ),
    "fax": COMMON_FIELDS
    + (
        FieldSpec("fax_number", "text", "", required=True),
        FieldSpec("subaddress", "text", "", type_i_only=True),
        FieldSpec("subaddress_password", "secret", None, type_i_only=True),
        FieldSpec("ecm", "bool", True),
        FieldSpec("tx_start_speed", "choice", 33600, choices=(4800, 9600, 14400, 33600)),
        FieldSpec(
            "long_distance",
            "choice",
            "domestic",
            choices=("domestic", "international1", "international2", "international3"),
        ),
        FieldSpec(
            "line", "choice", "auto", choices=("auto", "line1", "line2", "line3", "line4"), type_i_only=True
        ),
    ),
    "ifax": COMMON_FIELDS
    + (
        FieldSpec("address", "text", "", required=True),
        FieldSpec("mode", "choice", "simple", choices=("simple", "full"), type_i_only=True),
        FieldSpec("standard_field_1", "text", "", type_i_only=True),
        FieldSpec("standard_field_2", "text", "", type_i_only=True),
        FieldSpec("send_via_server", "bool", True, type_i_only=True),
        FieldSpec("divide_data", "bool", False, type_i_only=True),
        FieldSpec("paper_sizes", "choices", ("a4",), choices=_PAPER_SIZES, type_i_only=True),
        FieldSpec("compression", "choices", ("mh",), choices=("mh", "mr", "mmr"), type_i_only=True),
        FieldSpec(
            "resolutions", "choices", ("200x100", "200x200"), choices=_BW_RESOLUTIONS, type_i_only=True
        ),
        FieldSpec("color", "bool", False, type_i_only=True),
        FieldSpec("color_paper_sizes", "choices", ("a4",), choices=_PAPER_SIZES, type_i_only=True),
        FieldSpec("color_resolutions", "choices", ("200x200",), choices=_COLOR_RESOLUTIONS, type_i_only=True),
    ),
    "file": COMMON_FIELDS
    + (
        FieldSpec("protocol", "choice", "ftp", choices=FILE_PROTOCOLS),
        FieldSpec("host", "text", "", required=True),
        FieldSpec("path", "text", ""),
        FieldSpec("username", "text", ""),
        FieldSpec("password", "secret", None),
        FieldSpec("port", "int", None, type_i_only=True),  # default per protocol, DEFAULT_PORTS
        FieldSpec("confirm_before_sending", "bool", False, type_i_only=True),
    ),
    "group": COMMON_FIELDS + (FieldSpec("members", "members", ()),),
}
ALL_FIELD_KEYS = frozenset(spec.key for specs in FIELDS_BY_TYPE.values() for spec in specs) | {"type"}
COLOR_ONLY_FIELDS = ("color_paper_sizes", "color_resolutions")


def describe_entry(list_name: Optional[str], entry: Mapping[str, Any]) -> str:
    """'coded_dial entry No. 5 'Sales'' - how every message names an entry."""
    parts = []
    if list_name:
        parts.append(list_name)
    parts.append("entry")
    number = entry.get("number") if isinstance(entry, Mapping) else None
    if number is not None:
        parts.append("No. %s" % (number,))
    name = entry.get("name") if isinstance(entry, Mapping) else None
    parts.append(repr(name if name is not None else ""))
    return " ".join(parts)


def _entry_error(
    code: str,
    list_name: Optional[str],
    entry: Mapping[str, Any],
    text: str,
    field_name: Optional[str] = None,
    hint: Optional[str] = None,
) -> CanonError:
    details: Dict[str, Any] = {
        "list": list_name,
        "entry": entry.get("name") if isinstance(entry, Mapping) else None,
    }
    if isinstance(entry, Mapping) and entry.get("number") is not None:
        details["number"] = entry.get("number")
    if field_name:
        details["field"] = field_name
    return CanonError(
        code,
        "%s: %s" % (describe_entry(list_name, entry), text),
        hint,
        **{key: value for key, value in details.items() if value is not None},
    )


def _normalize_value(spec: FieldSpec, value: Any, list_name: Optional[str], entry: Mapping[str, Any]) -> Any:
    def bad(text: str) -> CanonError:
        return _entry_error(
            "addressbook_invalid_entry", list_name, entry, "%s %s" % (spec.key, text), spec.key
        )

    if spec.kind == "secret":
        if value is None or isinstance(value, (str, EncryptedSecret)):
            return value
        raise bad("must be text")
    if spec.kind == "choices":
        if value is None or value == [] or value == "":
            return list(spec.default)
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise bad("must be a list")
        chosen = {str(item).strip().lower() for item in items if str(item).strip()}
        unknown = sorted(chosen.difference(spec.choices))
        if unknown:
            raise bad(
                "has unknown value(s) %s; choose from %s" % (", ".join(unknown), ", ".join(spec.choices))
            )
        return [choice for choice in spec.choices if choice in chosen]
    if spec.kind == "members":
        if value is None:
            return []
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise bad("must be a list of entry names")
        members = [item.strip(" ") for item in value]
        duplicates = sorted({item for item in members if members.count(item) > 1})
        if duplicates:
            raise bad("lists %s more than once" % ", ".join(repr(item) for item in duplicates))
        return sorted(members)
    if value is None:
        return list(spec.default) if isinstance(spec.default, tuple) else spec.default
    if spec.kind == "text":
        if not isinstance(value, str):
            raise bad("must be text (quote numbers in YAML so leading zeros are kept)")
        return value.strip(" ")
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise bad("must be true or false")
        return value
    if spec.kind in ("int", "number") or (spec.kind == "choice" and isinstance(spec.default, int)):
        if isinstance(value, bool):
            raise bad("must be a whole number")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int):
            raise bad("must be a whole number")
        if spec.kind == "choice" and value not in spec.choices:
            raise bad("must be one of %s" % ", ".join(str(choice) for choice in spec.choices))
        return value
    if spec.kind == "choice":
        word = str(value).strip().lower()
        if word not in spec.choices:
            raise bad("must be one of %s, not %r" % (", ".join(spec.choices), value))
        return word
    raise AssertionError("unknown field kind %s" % spec.kind)  # pragma: no cover


def _lower_domain(address: str) -> str:
    local, at, domain = address.rpartition("@")
    return "%s@%s" % (local, domain.lower()) if at else address


def normalize_entry(entry: Mapping[str, Any], list_name: Optional[str] = None) -> Dict[str, Any]:
    """The canonical form of an entry: every field of its type present, device defaults filled.

    Rules (so a declared entry and the same entry read from a device compare equal): absent or
    None fields take the device default; surrounding ASCII spaces are removed from text (not from
    passwords); the domain of e-mail and I-fax addresses is lower-cased; ``access_number`` 0 means
    none; multi-value I-fax options are sets (sorted in the guide's order); group members are a
    set (sorted); colour options of a monochrome I-fax and the port of an FTP/WebDAV destination
    take their defaults. Passwords are kept as given (None = not declared). Keys of other
    destination types are accepted only when None (what an Ansible argument spec produces).
    """
    if not isinstance(entry, Mapping):
        raise CanonError(
            "addressbook_invalid_entry",
            "%s entry must be a mapping, not %r" % (list_name or "an", type(entry).__name__),
            list=list_name,
        )
    entry_type = entry.get("type")
    if entry_type not in FIELDS_BY_TYPE:
        raise _entry_error(
            "addressbook_invalid_entry",
            list_name,
            entry,
            "type must be one of %s, not %r" % (", ".join(DESTINATION_TYPES), entry_type),
            "type",
        )
    specs = FIELDS_BY_TYPE[entry_type]
    own_keys = {spec.key for spec in specs} | {"type"}
    for key, value in entry.items():
        if key in own_keys or value is None:
            continue
        reason = (
            "does not apply to %s entries" % entry_type if key in ALL_FIELD_KEYS else "is not a known field"
        )
        raise _entry_error("addressbook_invalid_entry", list_name, entry, "%r %s" % (key, reason), key)
    result: Dict[str, Any] = {"type": entry_type}
    for spec in specs:
        result[spec.key] = _normalize_value(spec, entry.get(spec.key), list_name, entry)
    if result["access_number"] == 0:
        result["access_number"] = None
    if entry_type in ("email", "ifax"):
        result["address"] = _lower_domain(result["address"])
    if entry_type == "ifax" and not result["color"]:
        for key in COLOR_ONLY_FIELDS:
            result[key] = list(next(spec.default for spec in specs if spec.key == key))
    if entry_type == "file" and result["port"] is None:
        result["port"] = DEFAULT_PORTS[result["protocol"]]
    return result


def normalize_book(book: Mapping[str, Sequence[Mapping[str, Any]]]) -> Dict[str, List[Dict[str, Any]]]:
    """Normalise every entry of every list (lists keep their order)."""
    return {
        list_name: [normalize_entry(entry, list_name) for entry in (entries or [])]
        for list_name, entries in book.items()
    }


def comparable(entry: Mapping[str, Any]) -> Dict[str, Any]:
    """A normalised entry without its write-only secrets, for equality tests."""
    return {key: value for key, value in entry.items() if key not in SECRET_FIELDS}


def secret_is_known(value: Any) -> bool:
    """True when a stored password's plaintext is known (not encrypted, not unread)."""
    return isinstance(value, str)


def mask_entry(entry: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy with every set password replaced by ``********``."""
    masked = dict(entry)
    for key in SECRET_FIELDS:
        if key in masked and masked[key] not in (None, ""):
            masked[key] = MASK
    return masked


def mask_book(book: Mapping[str, Sequence[Mapping[str, Any]]]) -> Dict[str, List[Dict[str, Any]]]:
    return {list_name: [mask_entry(entry) for entry in entries] for list_name, entries in book.items()}


# =============================================================================================
# Device capabilities and validation
# =============================================================================================
@dataclass(frozen=True)
class DeviceCapabilities:
    """What one device accepts; built by ``normalize_capabilities`` from a plain dict."""

    spec: BookTypeSpec
    destination_types: frozenset
    file_protocols: frozenset
    multibyte: bool
    capacities: Mapping[str, int]
    pool_capacities: Mapping[str, int]
    field_max: Mapping[str, int]

    @property
    def book_type(self) -> str:
        return self.spec.name

    def capacity(self, list_name: str) -> int:
        """Usable capacity: device-reported when given, else the guide's, capped by the number range."""
        return self.spec.list_spec(list_name).usable_capacity(self.capacities.get(list_name))


CAPABILITY_KEYS = (
    "book_type",
    "destination_types",
    "file_protocols",
    "multibyte",
    "capacities",
    "total_capacity",
    "field_max",
)


def normalize_capabilities(capabilities: Union[Mapping[str, Any], DeviceCapabilities]) -> DeviceCapabilities:
    """Check a device-capability dict (shape in docs/addressbook.md) and fill the type's defaults."""
    if isinstance(capabilities, DeviceCapabilities):
        return capabilities
    if not isinstance(capabilities, Mapping) or "book_type" not in capabilities:
        raise CanonError("invalid_argument", "device capabilities need at least 'book_type'")
    unknown = sorted(set(capabilities).difference(CAPABILITY_KEYS))
    if unknown:
        raise CanonError("invalid_argument", "unknown device capability key(s): %s" % ", ".join(unknown))
    spec = book_type_spec(capabilities["book_type"])

    def subset(key: str, allowed: frozenset) -> frozenset:
        value = capabilities.get(key)
        if value is None:
            return allowed
        chosen = frozenset(value)
        extra = sorted(chosen.difference(allowed))
        if extra:
            raise CanonError(
                "invalid_argument",
                "Type %s address books cannot hold %s %s"
                % (spec.name, key.replace("_", " "), ", ".join(extra)),
            )
        return chosen

    capacities = dict(capabilities.get("capacities") or {})
    for list_name, value in capacities.items():
        spec.list_spec(list_name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CanonError("invalid_argument", "capacity of %s must be a whole number >= 0" % list_name)
    pools = dict(spec.pools)
    if capabilities.get("total_capacity") is not None:
        if not pools:
            raise CanonError(
                "invalid_argument", "Type %s address books have no shared total capacity" % spec.name
            )
        pools = {pool: int(capabilities["total_capacity"]) for pool in pools}
    field_max = dict(capabilities.get("field_max") or {})
    for key, value in field_max.items():
        destination, _dot, field_name = key.rpartition(".")
        if (
            field_name not in ALL_FIELD_KEYS
            or (destination and destination not in FIELDS_BY_TYPE)
            or not isinstance(value, int)
            or value < 1
        ):
            raise CanonError(
                "invalid_argument",
                "field_max key %r must be '<type>.<field>' or '<field>' with a positive length" % key,
            )
    return DeviceCapabilities(
        spec=spec,
        destination_types=subset("destination_types", spec.destination_types),
        file_protocols=subset("file_protocols", spec.file_protocols),
        multibyte=bool(capabilities.get("multibyte", True)),
        capacities=capacities,
        pool_capacities=pools,
        field_max=field_max,
    )


def _check_text(
    caps: DeviceCapabilities,
    list_name: str,
    entry: Mapping[str, Any],
    field_name: str,
    value: str,
    limit: Optional[TextLimit],
) -> None:
    def fail(text: str) -> CanonError:
        return _entry_error(
            "addressbook_invalid_entry", list_name, entry, "%s %s" % (field_name, text), field_name
        )

    control = find_control_character(value)
    if control is not None:
        raise fail("contains the control character U+%04X; devices refuse control characters" % ord(control))
    if not caps.multibyte and any(not is_single_byte(char) for char in value):
        raise fail("contains multi-byte characters, which this device does not support")
    if limit is None:
        return
    override = caps.field_max.get("%s.%s" % (entry["type"], field_name), caps.field_max.get(field_name))
    max_chars = override or limit.max_chars
    max_bytes = override if (override and limit.max_bytes) else limit.max_bytes
    if len(value) > max_chars:
        raise fail(
            "is %d characters long; Type %s allows %d (guide %s)"
            % (len(value), caps.book_type, max_chars, limit.source or "n/a")
        )
    if max_bytes is not None and weighted_length(value, limit.multibyte_weight) > max_bytes:
        raise fail(
            "is too long: Type %s allows %d characters, %d multi-byte (each counts %d) (guide %s)"
            % (
                caps.book_type,
                max_chars,
                max_bytes // limit.multibyte_weight,
                limit.multibyte_weight,
                limit.source or "n/a",
            )
        )
    if limit.charset in CHARSETS:
        wrong = sorted({char for char in value if char not in CHARSETS[limit.charset]})
        if wrong:
            raise fail(
                "may contain only %s on Type %s, not %s"
                % (CHARSET_LABELS[limit.charset], caps.book_type, " ".join(repr(c) for c in wrong))
            )
    if limit.no_leading_space and value.startswith(" "):
        raise fail("must not start with a space")
    if limit.charset == "fax_type3":
        if value.count("T") > 1 or value.count("C") > 1:
            raise fail("may contain 'T' and 'C' at most once each on Type III")
        if "R" in value[1:]:
            raise fail("may contain 'R' only as the first character on Type III")


def _validate_entry_fields(caps: DeviceCapabilities, list_spec: ListSpec, entry: Mapping[str, Any]) -> None:
    """Field-level checks of one normalised entry on this device."""
    list_name = list_spec.name
    entry_type = entry["type"]
    if entry_type not in caps.destination_types:
        raise _entry_error(
            "addressbook_unsupported_type",
            list_name,
            entry,
            "this device does not support %s destinations (supported: %s)"
            % (entry_type, ", ".join(sorted(caps.destination_types))),
            "type",
        )
    protocol = entry.get("protocol") if entry_type == "file" else None
    if protocol is not None and protocol not in caps.file_protocols:
        raise _entry_error(
            "addressbook_unsupported_type",
            list_name,
            entry,
            "file protocol %s is not supported here (supported: %s)"
            % (protocol, ", ".join(sorted(caps.file_protocols))),
            "protocol",
        )
    for spec in FIELDS_BY_TYPE[entry_type]:
        value = entry.get(spec.key)
        if spec.required and not value:
            raise _entry_error(
                "addressbook_invalid_entry", list_name, entry, "%s is required" % spec.key, spec.key
            )
        if spec.type_i_only and not caps.spec.extended_fields:
            default = DEFAULT_PORTS.get(protocol or "") if spec.key == "port" else spec.default
            default = list(default) if isinstance(default, tuple) else default
            if value not in (default, None, ""):
                raise _entry_error(
                    "addressbook_invalid_entry",
                    list_name,
                    entry,
                    "%s is stored only by Type I devices; leave it unset on Type %s"
                    % (spec.key, caps.book_type),
                    spec.key,
                )
        if isinstance(value, str) and value != "" and spec.kind in ("text", "secret"):
            _check_text(
                caps,
                list_name,
                entry,
                spec.key,
                value,
                text_limit(caps.book_type, entry_type, spec.key, protocol),
            )
    if entry["short_name"] and not list_spec.one_touch:
        raise _entry_error(
            "addressbook_invalid_entry",
            list_name,
            entry,
            "short_name (one-touch button name) applies only to one-touch lists",
            "short_name",
        )
    access = entry.get("access_number")
    if access is not None and not ACCESS_NUMBER_RANGE[0] <= access <= ACCESS_NUMBER_RANGE[1]:
        raise _entry_error(
            "addressbook_invalid_entry",
            list_name,
            entry,
            "access_number must be %d-%d (guide L4529)" % ACCESS_NUMBER_RANGE,
            "access_number",
        )
    if entry_type == "file":
        if protocol == "ftp" and not entry["username"]:
            raise _entry_error(
                "addressbook_invalid_entry",
                list_name,
                entry,
                "username is required for FTP destinations (guide L5266)",
                "username",
            )
        if protocol == "smb" and entry["port"] is not None:
            raise _entry_error(
                "addressbook_invalid_entry", list_name, entry, "SMB destinations have no port", "port"
            )
        if entry["port"] is not None and not PORT_RANGE[0] <= entry["port"] <= PORT_RANGE[1]:
            raise _entry_error("addressbook_invalid_entry", list_name, entry, "port must be 1-65535", "port")


def _validate_number(list_spec: ListSpec, entry: Mapping[str, Any], book_type: str) -> None:
    number = entry.get("number")
    if not list_spec.numbered:
        if number is not None:
            raise _entry_error(
                "addressbook_invalid_entry",
                list_spec.name,
                entry,
                "entries of Type %s %s have no number (they are identified by name)"
                % (book_type, list_spec.name),
                "number",
            )
        return
    low, high = list_spec.number_range  # type: ignore[misc]
    if number is None:
        raise _entry_error(
            "addressbook_number_out_of_range",
            list_spec.name,
            entry,
            "a number %d-%d is required in %s" % (low, high, list_spec.name),
            "number",
        )
    if not low <= number <= high:
        raise _entry_error(
            "addressbook_number_out_of_range",
            list_spec.name,
            entry,
            "number %d is outside %d-%d for Type %s %s (guide %s)"
            % (number, low, high, book_type, list_spec.name, list_spec.source),
            "number",
        )


def _check_unique(list_spec: ListSpec, entries: Sequence[Mapping[str, Any]], names: bool = True) -> None:
    """Numbers unique in numbered lists (guide L5688); names unique where they identify entries.

    ``names=False`` skips the name rule: for a list about to be written it only matters for
    declared entries (checked before planning), and a device may already hold duplicate names.
    """
    if not list_spec.numbered and not names:
        return
    key = "number" if list_spec.numbered else "name"
    seen: Dict[Any, Mapping[str, Any]] = {}
    for entry in entries:
        value = entry.get(key)
        if value is None:
            continue
        if value in seen:
            raise _entry_error(
                "addressbook_invalid_entry",
                list_spec.name,
                entry,
                "%s %r is used twice in %s (also by %s)"
                % (key, value, list_spec.name, describe_entry(None, seen[value])),
                key,
            )
        seen[value] = entry


def _validate_groups(
    caps: DeviceCapabilities, list_spec: ListSpec, entries: Sequence[Mapping[str, Any]]
) -> None:
    """Every group of a written list, changed or not: a member may have been removed meanwhile."""
    spec = caps.spec
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for entry in entries:
        by_name.setdefault(entry.get("name") or "", []).append(entry)
    for group in entries:
        if group["type"] != "group":
            continue
        member_types: Dict[str, int] = {}
        for member_name in group["members"]:
            found = by_name.get(member_name, [])
            if not found:
                raise _entry_error(
                    "addressbook_invalid_entry",
                    list_spec.name,
                    group,
                    "member %r is not an entry of %s (members must be in the group's own list, "
                    "guide L5725)" % (member_name, list_spec.name),
                    "members",
                )
            if len(found) > 1:
                raise _entry_error(
                    "addressbook_invalid_entry",
                    list_spec.name,
                    group,
                    "member %r is ambiguous: %d entries of %s have that name"
                    % (member_name, len(found), list_spec.name),
                    "members",
                )
            member_type = found[0]["type"]
            if member_type == "group":
                raise _entry_error(
                    "addressbook_invalid_entry",
                    list_spec.name,
                    group,
                    "member %r is a group; groups cannot contain groups" % member_name,
                    "members",
                )
            if member_type not in spec.group_member_types:
                raise _entry_error(
                    "addressbook_invalid_entry",
                    list_spec.name,
                    group,
                    "member %r is a %s destination; Type %s groups hold only %s (guide L4499)"
                    % (member_name, member_type, spec.name, ", ".join(sorted(spec.group_member_types))),
                    "members",
                )
            member_types[member_type] = member_types.get(member_type, 0) + 1
        if not spec.group_mixed_types and len(member_types) > 1:
            raise _entry_error(
                "addressbook_invalid_entry",
                list_spec.name,
                group,
                "mixes %s members; Type %s groups must hold one destination type (guide L4500)"
                % (" and ".join(sorted(member_types)), spec.name),
                "members",
            )
        count = len(group["members"])
        if spec.group_max_members is not None and count > spec.group_max_members:
            raise _entry_error(
                "addressbook_over_limit",
                list_spec.name,
                group,
                "has %d members; Type %s groups hold at most %d (guide L4488-L4504)"
                % (count, spec.name, spec.group_max_members),
                "members",
            )
        for member_type, limit in spec.group_max_members_by_type.items():
            if member_types.get(member_type, 0) > limit:
                raise _entry_error(
                    "addressbook_over_limit",
                    list_spec.name,
                    group,
                    "has %d %s members; Type %s groups hold at most %d (guide L4494)"
                    % (member_types[member_type], member_type, spec.name, limit),
                    "members",
                )


def _validate_list(
    caps: DeviceCapabilities,
    list_name: str,
    entries: Sequence[Mapping[str, Any]],
    check: Callable[[Mapping[str, Any]], bool],
    unique_names: bool = True,
) -> None:
    """List-level rules for every entry; field rules only for entries where ``check`` is true."""
    list_spec = caps.spec.list_spec(list_name)
    capacity = caps.capacity(list_name)
    if len(entries) > capacity:
        raise CanonError(
            "addressbook_over_limit",
            "%s would hold %d entries; this device allows %d (guide %s)"
            % (list_name, len(entries), capacity, list_spec.source),
            list=list_name,
            count=len(entries),
            capacity=capacity,
        )
    for entry in entries:
        if check(entry):
            _validate_number(list_spec, entry, caps.book_type)
            _validate_entry_fields(caps, list_spec, entry)
    _check_unique(list_spec, entries, unique_names)
    _validate_groups(caps, list_spec, entries)


def _validate_pools(caps: DeviceCapabilities, book: Mapping[str, Sequence[Any]]) -> None:
    for pool, capacity in caps.pool_capacities.items():
        members = [spec.name for spec in caps.spec.lists if spec.pool == pool]
        total = sum(len(book.get(name) or []) for name in members)
        if total > capacity:
            used = ", ".join(
                "%s %d" % (name, len(book.get(name) or [])) for name in members if book.get(name)
            )
            raise CanonError(
                "addressbook_over_limit",
                "the Type %s address lists would hold %d entries in total "
                "(%s); the device allows %d across all address lists (guide L4460)"
                % (caps.book_type, total, used, capacity),
                total=total,
                capacity=capacity,
            )


def validate_book(
    book: Mapping[str, Sequence[Mapping[str, Any]]],
    capabilities: Union[Mapping[str, Any], DeviceCapabilities],
) -> Dict[str, List[Dict[str, Any]]]:
    """Normalise and check a whole desired book against a device; returns the normalised book.

    Raises CanonError (``addressbook_*``) naming the list and entry at the first problem: unknown
    list or destination type, counts and totals, numbers (range, required, unique), field
    lengths and characters, control characters, Type-I-only fields, group members.
    """
    caps = normalize_capabilities(capabilities)
    for list_name in book:
        caps.spec.list_spec(list_name)
    normalized = normalize_book(book)
    for list_name, entries in normalized.items():
        _validate_list(caps, list_name, entries, lambda _entry: True)
    _validate_pools(caps, normalized)
    return normalized


# =============================================================================================
# Resource states: merged | replaced | overridden | deleted
# =============================================================================================
@dataclass
class ListChange:
    """What happens to one list: entries added, removed and modified (field-level)."""

    added: List[Dict[str, Any]] = field(default_factory=list)
    removed: List[Dict[str, Any]] = field(default_factory=list)
    modified: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.modified)


@dataclass
class AddressBookPlan:
    """The outcome of ``plan_changes``: lists before and after, and what changes per list.

    ``after`` holds every list of ``before`` plus the targeted ones; lists not targeted are the
    device's lists unchanged. ``lists_to_write`` names the lists whose content changes.
    """

    state: str
    capabilities: DeviceCapabilities
    update_password: str
    before: Dict[str, List[Dict[str, Any]]]
    after: Dict[str, List[Dict[str, Any]]]
    target_lists: Tuple[str, ...]
    changes: Dict[str, ListChange]

    @property
    def lists_to_write(self) -> Tuple[str, ...]:
        return tuple(name for name in self.target_lists if self.changes[name].changed)

    @property
    def changed(self) -> bool:
        return bool(self.lists_to_write)

    @property
    def deletes_workflows(self) -> bool:
        return self.changed and self.capabilities.spec.deletes_workflows

    def result(self) -> Dict[str, Any]:
        """``before``/``after`` for the module result, passwords masked."""
        return {
            "changed": self.changed,
            "before": mask_book(self.before),
            "after": mask_book(self.after),
            "lists_to_write": list(self.lists_to_write),
        }


def _identity_keys(list_spec: ListSpec, entries: Sequence[Mapping[str, Any]]) -> List[Tuple[Any, ...]]:
    """Keys by number (numbered lists) or name; repeats get an occurrence index so none is lost."""
    seen: Dict[Any, int] = {}
    keys = []
    for entry in entries:
        value = entry.get("number") if list_spec.numbered else entry.get("name")
        occurrence = seen.get(value, 0)
        seen[value] = occurrence + 1
        keys.append((value, occurrence))
    return keys


def _resolve_secrets(
    result: Dict[str, Any],
    have: Optional[Mapping[str, Any]],
    declared: Mapping[str, Any],
    update_password: str,
) -> bool:
    """Set the passwords of ``result``; True when a password write counts as a change.

    New entries (or a changed destination type) take the declared password. For an existing
    entry: an undeclared (None) password keeps the device's; ``on_create`` never rewrites it;
    ``always`` rewrites it unless the device's plaintext is known and equal.
    """
    changed = False
    for key in SECRET_FIELDS:
        if key not in result:
            continue
        wanted = declared.get(key)
        if have is None or have.get("type") != result["type"]:
            result[key] = wanted
            continue
        current = have.get(key)
        if wanted is None or update_password == "on_create":
            result[key] = current
            continue
        result[key] = wanted
        if not (secret_is_known(current) and current == wanted):
            changed = True
    return changed


def _want_key(list_spec: ListSpec, entry: Mapping[str, Any]) -> Any:
    return entry.get("number") if list_spec.numbered else entry.get("name")


def _merge_list(
    list_spec: ListSpec, have: List[Dict[str, Any]], want: Sequence[Mapping[str, Any]], update_password: str
) -> Tuple[List[Dict[str, Any]], set]:
    result = [dict(entry) for entry in have]
    index_by_key = {
        key[0]: position for position, key in enumerate(_identity_keys(list_spec, have)) if key[1] == 0
    }
    secret_changes = set()
    for raw in want:
        declared = normalize_entry(raw, list_spec.name)
        key = _want_key(list_spec, declared)
        position = index_by_key.get(key)
        if position is None:
            result.append(declared)
            index_by_key[key] = len(result) - 1
            continue
        current = have[position]
        if current["type"] == raw.get("type"):
            overlay = dict(current)
            if raw.get("protocol") is not None and raw.get("protocol") != current.get("protocol"):
                overlay.pop("port", None)  # a port belongs to the old protocol
            overlay.update({k: v for k, v in raw.items() if v is not None})
            merged = normalize_entry(overlay, list_spec.name)
        else:
            merged = declared
        if _resolve_secrets(merged, current, declared, update_password):
            secret_changes.add(key)
        result[position] = merged
    return result, secret_changes


def _replace_list(
    list_spec: ListSpec, have: List[Dict[str, Any]], want: Sequence[Mapping[str, Any]], update_password: str
) -> Tuple[List[Dict[str, Any]], set]:
    have_by_key = {
        key[0]: have[position] for position, key in enumerate(_identity_keys(list_spec, have)) if key[1] == 0
    }
    result = []
    secret_changes = set()
    for raw in want:
        declared = normalize_entry(raw, list_spec.name)
        key = _want_key(list_spec, declared)
        entry = dict(declared)
        if _resolve_secrets(entry, have_by_key.get(key), declared, update_password):
            secret_changes.add(key)
        result.append(entry)
    return result, secret_changes


def _delete_from_list(
    list_spec: ListSpec, have: List[Dict[str, Any]], want: Sequence[Mapping[str, Any]]
) -> List[Dict[str, Any]]:
    """Remove the named entries (by number where given, else by name); prune group members."""
    if not want:
        return []
    numbers = {
        raw.get("number") for raw in want if isinstance(raw, Mapping) and raw.get("number") is not None
    }
    names = {
        str(raw.get("name")).strip(" ")
        for raw in want
        if isinstance(raw, Mapping) and raw.get("number") is None and raw.get("name") is not None
    }
    if any(
        not isinstance(raw, Mapping) or (raw.get("number") is None and raw.get("name") is None)
        for raw in want
    ):
        raise CanonError(
            "addressbook_invalid_entry",
            "%s: entries to delete need a name or a number" % list_spec.name,
            list=list_spec.name,
        )
    kept = [
        dict(entry) for entry in have if entry.get("number") not in numbers and entry.get("name") not in names
    ]
    remaining = {entry.get("name") for entry in kept}
    for entry in kept:
        if entry["type"] == "group":
            entry["members"] = [member for member in entry["members"] if member in remaining]
    return kept


def _field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], secret_changed: bool
) -> Dict[str, Any]:
    changes: Dict[str, Any] = {}
    for key in list(before) + [k for k in after if k not in before]:
        if key in SECRET_FIELDS:
            continue
        if before.get(key) != after.get(key):
            changes[key] = {"before": before.get(key), "after": after.get(key)}
    if secret_changed:
        for key in SECRET_FIELDS:
            if key in after:
                changes[key] = {"before": mask_entry(before).get(key), "after": mask_entry(after).get(key)}
    return changes


def _list_change(
    list_spec: ListSpec, before: List[Dict[str, Any]], after: List[Dict[str, Any]], secret_changes: set
) -> ListChange:
    before_keys = dict(zip(_identity_keys(list_spec, before), before))
    after_keys = dict(zip(_identity_keys(list_spec, after), after))
    change = ListChange()
    for key, entry in after_keys.items():
        if key not in before_keys:
            change.added.append(mask_entry(entry))
    for key, entry in before_keys.items():
        if key not in after_keys:
            change.removed.append(mask_entry(entry))
            continue
        new = after_keys[key]
        secret_changed = key[1] == 0 and key[0] in secret_changes
        if comparable(entry) != comparable(new) or secret_changed:
            item: Dict[str, Any] = {"name": new.get("name"), "type": new.get("type")}
            if list_spec.numbered:
                item["number"] = new.get("number")
            item["changes"] = _field_changes(entry, new, secret_changed)
            change.modified.append(item)
    return change


def plan_changes(
    have: Mapping[str, Sequence[Mapping[str, Any]]],
    want: Mapping[str, Sequence[Mapping[str, Any]]],
    state: str,
    capabilities: Union[Mapping[str, Any], DeviceCapabilities],
    update_password: str = "on_create",
) -> AddressBookPlan:
    """Compute the resulting lists and the change set for a resource state.

    * ``merged``: named lists keep their entries; declared entries are added, or update the entry
      with the same identity field by field (declared, non-None fields win; a changed type
      replaces the entry).
    * ``replaced``: each named list becomes exactly the declared entries.
    * ``overridden``: every manageable list of the type becomes its declared entries (lists not
      named become empty).
    * ``deleted``: in each named list, the declared entries (by number where given, else name) are
      removed, and removed names are dropped from groups; a named list with no entries is emptied;
      an empty ``want`` empties every manageable list.

    Lists not named are never touched (except by ``overridden``). Entries added or modified get
    every field check; lists written get the list checks (counts, numbers, groups); Type I address
    lists also the shared total. Raises CanonError on any violation, before anything is written.
    """
    if state not in STATES:
        raise CanonError("invalid_argument", "state must be one of %s, not %r" % (", ".join(STATES), state))
    if update_password not in UPDATE_PASSWORD_CHOICES:
        raise CanonError(
            "invalid_argument", "update_password must be on_create or always, not %r" % (update_password,)
        )
    caps = normalize_capabilities(capabilities)
    spec = caps.spec
    for list_name in list(have) + list(want):
        spec.list_spec(list_name)
    before = {
        list_name: [normalize_entry(entry, list_name) for entry in (entries or [])]
        for list_name, entries in have.items()
    }
    if state == "overridden" or (state == "deleted" and not want):
        targets = spec.list_names
    else:
        targets = tuple(name for name in spec.list_names if name in want)
    after = {list_name: [dict(entry) for entry in entries] for list_name, entries in before.items()}
    changes: Dict[str, ListChange] = {}
    for list_name in targets:
        list_spec = spec.list_spec(list_name)
        current = before.get(list_name, [])
        declared = list((want.get(list_name) or []) if want else [])
        if state == "deleted":
            result, secret_changes = _delete_from_list(list_spec, current, declared), set()
        else:
            _check_unique(list_spec, [normalize_entry(entry, list_name) for entry in declared])
            if state == "merged":
                result, secret_changes = _merge_list(list_spec, current, declared, update_password)
            else:
                result, secret_changes = _replace_list(list_spec, current, declared, update_password)
        if list_spec.numbered:
            result.sort(key=lambda entry: (entry.get("number") is None, entry.get("number") or 0))
        after[list_name] = result
        changes[list_name] = _list_change(list_spec, current, result, secret_changes)
        unchanged = _unchanged_entries(list_spec, result, current)
        _validate_list(
            caps,
            list_name,
            result,
            lambda entry, unchanged=unchanged: id(entry) not in unchanged,
            unique_names=False,
        )
    _validate_pools(caps, after)
    return AddressBookPlan(
        state=state,
        capabilities=caps,
        update_password=update_password,
        before=before,
        after=after,
        target_lists=targets,
        changes=changes,
    )


def _unchanged_entries(
    list_spec: ListSpec, result: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
) -> set:
    """ids of result entries the device already holds as they are (device truth is not re-checked)."""
    held: Dict[Any, Dict[str, Any]] = {}
    for entry in current:
        held.setdefault(_want_key(list_spec, entry), comparable(entry))
    return {id(entry) for entry in result if held.get(_want_key(list_spec, entry)) == comparable(entry)}


# =============================================================================================
# Diff and workflow deletion
# =============================================================================================
def build_diff(plan: AddressBookPlan, workflow_count: Optional[int] = None) -> Dict[str, Any]:
    """The change report for diff mode and results; passwords always masked.

    Per targeted list: added / removed / modified (field-level before/after), counts before and
    after and the usable capacity. For Type I the shared address-list total is reported under
    ``totals``. For Type II/III ``workflows_deleted`` is the number of device workflows a write
    deletes (``workflow_count``, as the device reports it; None when unknown) or 0 when nothing
    is written.
    """
    caps = plan.capabilities
    lists: Dict[str, Any] = {}
    for list_name in plan.target_lists:
        change = plan.changes[list_name]
        lists[list_name] = {
            "added": change.added,
            "removed": change.removed,
            "modified": change.modified,
            "count_before": len(plan.before.get(list_name, [])),
            "count_after": len(plan.after.get(list_name, [])),
            "capacity": caps.capacity(list_name),
        }
    diff: Dict[str, Any] = {
        "book_type": caps.book_type,
        "state": plan.state,
        "changed": plan.changed,
        "lists": lists,
        "warnings": [],
    }
    if caps.pool_capacities:
        diff["totals"] = {}
        for pool, capacity in caps.pool_capacities.items():
            names = [spec.name for spec in caps.spec.lists if spec.pool == pool]
            diff["totals"][pool] = {
                "count_before": sum(len(plan.before.get(name, [])) for name in names),
                "count_after": sum(len(plan.after.get(name, [])) for name in names),
                "capacity": capacity,
            }
    if caps.spec.deletes_workflows:
        if not plan.changed:
            diff["workflows_deleted"] = 0
        else:
            diff["workflows_deleted"] = workflow_count
            diff["warnings"].append(
                "Writing a Type %s address book deletes all workflows on the device (%s)."
                % (
                    caps.book_type,
                    "%d workflow(s)" % workflow_count if workflow_count is not None else "count unknown",
                )
            )
    return diff


def require_workflow_acknowledgement(
    plan: AddressBookPlan, acknowledged: bool, workflow_count: Optional[int] = None
) -> None:
    """Refuse a Type II/III write that deletes workflows unless the user acknowledged it.

    Not needed when nothing is written or the device reports zero workflows.
    """
    if not plan.deletes_workflows or acknowledged or workflow_count == 0:
        return
    count = "%d workflow(s)" % workflow_count if workflow_count is not None else "all workflows"
    raise CanonError(
        "addressbook_workflow_ack_required",
        "Writing %s to this Type %s device deletes %s on it."
        % (", ".join(plan.lists_to_write), plan.capabilities.book_type, count),
        workflow_count=workflow_count,
    )


# =============================================================================================
# Offline conversions (the module's rendered and parsed states)
# =============================================================================================
@dataclass
class ParsedList:
    entries: List[Dict[str, Any]]
    dropped: List[Dict[str, Any]] = field(default_factory=list)
    list_title: str = ""
    address_ids: List[Optional[str]] = field(default_factory=list)


@dataclass
class RenderedList:
    data: Union[str, bytes]
    dropped: List[Dict[str, Any]] = field(default_factory=list)


def _format_error(exc: AddressBookFormatError, fmt: str) -> CanonError:
    return (
        CanonError(exc.code, "%s: %s" % (fmt, exc.msg), line=exc.line)
        if exc.line
        else CanonError(exc.code, "%s: %s" % (fmt, exc.msg))
    )


def _check_format(fmt: str, on_unsupported: str) -> None:
    if fmt not in FORMATS:
        raise CanonError("invalid_argument", "format must be one of %s, not %r" % (", ".join(FORMATS), fmt))
    if on_unsupported not in ON_UNSUPPORTED_CHOICES:
        raise CanonError(
            "invalid_argument",
            "on_unsupported must be one of %s, not %r" % (", ".join(ON_UNSUPPORTED_CHOICES), on_unsupported),
        )


def render_list(
    entries: Sequence[Mapping[str, Any]],
    fmt: str,
    book_type: Any,
    list_name: str,
    export_password: Optional[str] = None,
    on_unsupported: str = "error",
    list_title: Optional[str] = None,
    destination_type: Optional[str] = None,
) -> RenderedList:
    """Write one list's entries in a file format, without a device.

    Entries are normalised first. The device formats (``canon_csv``, ``ldif``) carry device
    numbers (Type III Address Book 1 -> 0). ``emc_csv`` needs ``destination_type`` (one type per
    file); EMC files carry no numbers or button names. ``export_password`` encrypts
    ``canon_csv`` passwords with the simulator-defined scheme.
    """
    _check_format(fmt, on_unsupported)
    spec = book_type_spec(book_type)
    list_spec = spec.list_spec(list_name)
    normalized = [normalize_entry(entry, list_name) for entry in entries]
    device_entries = []
    for entry in normalized:
        item = dict(entry)
        if item.get("number") is not None:
            item["number"] = item["number"] + list_spec.device_number_offset
        device_entries.append(item)
    title = list_spec.title if list_title is None else list_title
    try:
        if fmt == "canon_csv":
            return RenderedList(
                render_canon_csv(
                    device_entries,
                    list_title=title,
                    one_touch=list_spec.one_touch,
                    export_password=export_password,
                )
            )
        if fmt == "ldif":
            rendered = ldif_format.render_ldif(
                device_entries, list_title=title, one_touch=list_spec.one_touch, on_unsupported=on_unsupported
            )
            return RenderedList(rendered.text, rendered.dropped)
        if fmt == "emc_csv":
            if destination_type is None:
                raise CanonError(
                    "invalid_argument", "emc_csv files hold one destination type; give destination_type"
                )
            emc = emc_format.render_emc_csv(normalized, destination_type, on_unsupported=on_unsupported)
        else:
            emc = emc_format.render_emc_xlsx(normalized, on_unsupported=on_unsupported)
        return RenderedList(emc.data, emc.dropped)
    except AddressBookFormatError as exc:
        raise _format_error(exc, fmt) from None


def parse_list(
    data: Union[str, bytes],
    fmt: str,
    book_type: Any,
    list_name: str,
    export_password: Optional[str] = None,
    on_unsupported: str = "error",
    destination_type: Optional[str] = None,
) -> ParsedList:
    """Read one list's entries from a file, without a device; entries come back normalised.

    Device numbers become collection numbers; numbers are dropped for lists identified by name.
    A Canon CSV file's one-touch marker must match the list. Without ``export_password`` encrypted
    passwords stay ``EncryptedSecret`` (plaintext unknown).
    """
    _check_format(fmt, on_unsupported)
    spec = book_type_spec(book_type)
    list_spec = spec.list_spec(list_name)
    title = ""
    address_ids: List[Optional[str]] = []
    try:
        if fmt == "canon_csv":
            book = parse_canon_csv(data, export_password=export_password, on_unsupported=on_unsupported)
            if book.one_touch != list_spec.one_touch:
                raise CanonError(
                    "addressbook_format_error",
                    "canon_csv: the file is %sa one-touch list but %s is %s"
                    % ("" if book.one_touch else "not ", list_name, "one" if list_spec.one_touch else "not"),
                    list=list_name,
                )
            raw, dropped, title = book.entries, book.dropped, book.list_title
        elif fmt == "ldif":
            parsed = ldif_format.parse_ldif(data, on_unsupported=on_unsupported)
            raw, dropped = parsed.entries, parsed.dropped
        elif fmt == "emc_csv":
            emc = emc_format.parse_emc_csv(
                data, destination_type=destination_type, on_unsupported=on_unsupported
            )
            raw, dropped, address_ids = emc.entries, emc.dropped, emc.address_ids
        else:
            if isinstance(data, str):
                raise CanonError("invalid_argument", "emc_xlsx data must be bytes")
            emc = emc_format.parse_emc_xlsx(data, on_unsupported=on_unsupported)
            raw, dropped, address_ids = emc.entries, emc.dropped, emc.address_ids
    except AddressBookFormatError as exc:
        raise _format_error(exc, fmt) from None
    entries = []
    for entry in raw:
        item = dict(entry)
        if item.get("number") is not None:
            item["number"] = item["number"] - list_spec.device_number_offset if list_spec.numbered else None
        entries.append(normalize_entry(item, list_name))
    return ParsedList(entries=entries, dropped=dropped, list_title=title, address_ids=address_ids)


def render_book(
    book: Mapping[str, Sequence[Mapping[str, Any]]],
    fmt: str,
    book_type: Any,
    export_password: Optional[str] = None,
    on_unsupported: str = "error",
) -> Dict[str, RenderedList]:
    """``render_list`` for every list of a book (``canon_csv``, ``ldif`` or ``emc_xlsx``)."""
    if fmt == "emc_csv":
        raise CanonError("invalid_argument", "emc_csv holds one destination type; use render_list")
    return {
        list_name: render_list(
            entries, fmt, book_type, list_name, export_password=export_password, on_unsupported=on_unsupported
        )
        for list_name, entries in book.items()
    }


def copy_book(book: Mapping[str, Iterable[Mapping[str, Any]]]) -> Dict[str, List[Dict[str, Any]]]:
    """A deep copy, for callers that keep ``have`` while planning."""
    return {
        list_name: [copy.deepcopy(dict(entry)) for entry in entries] for list_name, entries in book.items()
    }
