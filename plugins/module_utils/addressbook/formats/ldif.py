# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LDIF address lists, as the classic Remote UI exports from ``/rps/abook.ldif``.

Pure standard library and no Ansible imports, so the printer simulator can mirror this file.

Public knowledge: the classic Remote UI answers ``POST /rps/abook.ldif`` with LDIF whose records
are separated by CRLF CRLF and whose lines are ``attribute: value``; seen attributes include
``username``, ``mailaddress``/``mail`` and ``pwd`` (research/canon-device-protocols.md §3.2).
Canon's manuals say the "LDAP format" import/export carries e-mail and fax destinations only -
no one-touch buttons. LDIF syntax itself (``::`` base64 values, folding, ``dn``) is RFC 2849.

Our own choice:

* a record is written as ``dn: cn=<name>[,ou=<list title>]``, ``objectclass: top``,
  ``objectclass: person`` and the Canon class (``email`` or ``g3fax``), ``cn``, ``cnread`` when set,
  ``mailaddress`` (e-mail) or ``facsimileTelephoneNumber`` (fax), and ``indxid`` for an entry number;
* reading accepts ``mail``/``mailaddress`` and ``facsimileTelephoneNumber``/``dialdata``; without a
  Canon class a record with an e-mail address is an e-mail destination (a fax number on the same
  record is reported as dropped), else one with a fax number is a fax destination;
* only ``email`` and ``fax`` are carried. Writing a group, file, I-fax or one-touch entry, or
  reading a record of another class (or one with ``url``/``path``/``username``/``pwd``, i.e. a file
  destination as device exports contain them), raises AddressBookFormatError with code
  ``addressbook_unsupported_type``; with ``on_unsupported='drop'`` such entries are left out and
  listed in ``dropped``. Passwords (``pwd``) are therefore never read from or written to LDIF.
* lines are folded at 76 characters; output uses CRLF and ends with CRLF; no ``version:`` line.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .abook_csv import AddressBookFormatError, check_on_unsupported, decode_text, parse_int

LINE_END = "\r\n"
FOLD_WIDTH = 76
SUPPORTED_TYPES = ("email", "fax")
CANON_CLASS_BY_TYPE = {"email": "email", "fax": "g3fax"}
TYPE_BY_CANON_CLASS = {"email": "email", "g3fax": "fax"}
UNSUPPORTED_CLASSES = ("ifax", "ipfax", "remotefilesystem", "groupfids")
FILE_ATTRIBUTES = ("url", "path", "username", "pwd")
MAIL_ATTRIBUTES = ("mailaddress", "mail")
FAX_ATTRIBUTES = ("facsimiletelephonenumber", "dialdata")
UNSUPPORTED_REASON = "the LDIF (LDAP) format carries only e-mail and fax destinations"


@dataclass
class LdifBook:
    """Entries read from (or written to) LDIF, plus what was left out and why."""

    entries: List[Dict[str, Any]] = field(default_factory=list)
    dropped: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class LdifRendered:
    text: str
    dropped: List[Dict[str, Any]] = field(default_factory=list)


# --- RFC 2849 / RFC 4514 helpers -------------------------------------------------------------
_UNSAFE_FIRST = (" ", ":", "<")


def _needs_base64(value: str) -> bool:
    """RFC 2849 SAFE-STRING test: anything else is written with ``::`` and base64."""
    if value == "":
        return False
    if value.startswith(_UNSAFE_FIRST) or value.endswith(" "):
        return True
    return any(ord(char) > 0x7E or ord(char) < 0x20 or char == "\x00" for char in value)


def _attribute_line(name: str, value: str) -> str:
    if _needs_base64(value):
        return "%s:: %s" % (name, base64.b64encode(value.encode("utf-8")).decode("ascii"))
    return "%s: %s" % (name, value)


def _fold(line: str) -> List[str]:
    if len(line) <= FOLD_WIDTH:
        return [line]
    pieces = [line[:FOLD_WIDTH]]
    rest = line[FOLD_WIDTH:]
    while rest:
        pieces.append(" " + rest[: FOLD_WIDTH - 1])
        rest = rest[FOLD_WIDTH - 1 :]
    return pieces


def escape_dn_value(value: str) -> str:
    """Escape an attribute value for a distinguished name (RFC 4514 section 2.4)."""
    out = []
    for index, char in enumerate(value):
        if char in ',+"\\<>;=' or (index == 0 and char in "# ") or (index == len(value) - 1 and char == " "):
            out.append("\\" + char)
        elif char == "\x00":
            out.append("\\00")
        else:
            out.append(char)
    return "".join(out)


def first_rdn_value(dn: str) -> str:
    """The value of the first RDN of a DN, unescaped (used when a record has no ``cn``)."""
    _attr, _sep, rest = dn.partition("=")
    out: List[str] = []
    index = 0
    while index < len(rest):
        char = rest[index]
        if char == "\\" and index + 1 < len(rest):
            pair = rest[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(chr(int(pair, 16)))
                index += 3
                continue
            out.append(rest[index + 1])
            index += 2
            continue
        if char in ",+":
            break
        out.append(char)
        index += 1
    return "".join(out)


# --- render -----------------------------------------------------------------------------------
def render_ldif(
    entries: Sequence[Mapping[str, Any]],
    list_title: str = "",
    one_touch: bool = False,
    on_unsupported: str = "error",
) -> LdifRendered:
    """Write e-mail and fax entries as LDIF (CRLF, folded, base64 for non-ASCII values).

    A one-touch list cannot be written at all (the format has no buttons); other destination
    types are refused or, with ``on_unsupported='drop'``, left out and listed in ``dropped``.
    """
    check_on_unsupported(on_unsupported)
    if one_touch:
        raise AddressBookFormatError(
            "one-touch lists cannot be written as LDIF: %s and no one-touch buttons" % UNSUPPORTED_REASON,
            code="addressbook_unsupported_type",
        )
    records: List[str] = []
    dropped: List[Dict[str, Any]] = []
    for index, entry in enumerate(entries, start=1):
        entry_type = entry.get("type")
        name = entry.get("name") or ""
        if entry_type not in SUPPORTED_TYPES:
            reason = "%s entries cannot be written: %s" % (entry_type, UNSUPPORTED_REASON)
            if on_unsupported == "error":
                raise AddressBookFormatError(
                    "entry %d (%r): %s" % (index, name, reason), code="addressbook_unsupported_type"
                )
            dropped.append({"index": index, "name": name, "reason": reason})
            continue
        dn = "cn=" + escape_dn_value(name)
        if list_title:
            dn += ",ou=" + escape_dn_value(list_title)
        lines = [
            _attribute_line("dn", dn),
            "objectclass: top",
            "objectclass: person",
            "objectclass: " + CANON_CLASS_BY_TYPE[entry_type],
            _attribute_line("cn", name),
        ]
        if entry.get("reading"):
            lines.append(_attribute_line("cnread", entry["reading"]))
        if entry_type == "email":
            lines.append(_attribute_line("mailaddress", entry.get("address") or ""))
        else:
            lines.append(_attribute_line("facsimileTelephoneNumber", entry.get("fax_number") or ""))
        if entry.get("number") is not None:
            lines.append("indxid: %d" % int(entry["number"]))
        folded: List[str] = []
        for line in lines:
            folded.extend(_fold(line))
        records.append(LINE_END.join(folded))
    text = (LINE_END * 2).join(records)
    return LdifRendered(text=text + LINE_END if text else "", dropped=dropped)


# --- parse ------------------------------------------------------------------------------------
def _unfolded_records(text: str) -> List[List[Tuple[int, str]]]:
    """Split into records of (line number, logical line); comments and ``version`` dropped."""
    records: List[List[Tuple[int, str]]] = []
    current: List[Tuple[int, str]] = []
    in_comment = False
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if raw == "":
            if current:
                records.append(current)
            current = []
            in_comment = False
            continue
        if raw.startswith(" "):
            if in_comment:
                continue
            if not current:
                raise AddressBookFormatError(
                    "line %d: continuation line without a preceding line" % number, line=number
                )
            current[-1] = (current[-1][0], current[-1][1] + raw[1:])
            continue
        in_comment = raw.startswith("#")
        if in_comment:
            continue
        current.append((number, raw))
    if current:
        records.append(current)
    if records and len(records[0]) == 1 and records[0][0][1].lower().startswith("version:"):
        records.pop(0)
    elif records and records[0][0][1].lower().startswith("version:"):
        records[0].pop(0)
    return records


def _decode_line(number: int, line: str) -> Tuple[str, str]:
    name, sep, rest = line.partition(":")
    if not sep or not name.strip():
        raise AddressBookFormatError(
            "line %d: expected 'attribute: value', got %r" % (number, line[:40]), line=number
        )
    if rest.startswith(":"):
        try:
            value = base64.b64decode(rest[1:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise AddressBookFormatError(
                "line %d: bad base64 value for %s" % (number, name), line=number
            ) from None
    elif rest.startswith("<"):
        raise AddressBookFormatError(
            "line %d: URL values (%s:<) are not supported" % (number, name), line=number
        )
    else:
        value = rest[1:] if rest.startswith(" ") else rest
    return name.strip().lower(), value


# Record splitting and line decoding for other LDIF readers (the device's own LDIF export).
unfolded_records = _unfolded_records
decode_line = _decode_line


def _first(attributes: Dict[str, List[str]], names: Sequence[str]) -> Optional[str]:
    for name in names:
        if attributes.get(name):
            return attributes[name][0]
    return None


def parse_ldif(data: Union[str, bytes], on_unsupported: str = "error") -> LdifBook:
    """Read LDIF into e-mail and fax entries (see the module docstring for the mapping)."""
    check_on_unsupported(on_unsupported)
    text = decode_text(data)
    book = LdifBook()
    for record in _unfolded_records(text):
        first_line = record[0][0]
        attributes: Dict[str, List[str]] = {}
        for number, line in record:
            name, value = _decode_line(number, line)
            attributes.setdefault(name, []).append(value)
        dn = (attributes.get("dn") or [""])[0]
        name = _first(attributes, ("cn",))
        if name is None:
            name = first_rdn_value(dn) if dn else ""
        classes = {value.strip().lower() for value in attributes.get("objectclass", [])}
        entry = _record_to_entry(attributes, classes, name, first_line, book, on_unsupported)
        if entry is not None:
            book.entries.append(entry)
    return book


def _record_to_entry(
    attributes: Dict[str, List[str]], classes: set, name: str, line: int, book: LdifBook, on_unsupported: str
) -> Optional[Dict[str, Any]]:
    def unsupported(reason: str) -> None:
        if on_unsupported == "error":
            raise AddressBookFormatError(
                "record at line %d (%r): %s" % (line, name, reason),
                code="addressbook_unsupported_type",
                line=line,
            )
        book.dropped.append({"line": line, "name": name, "reason": reason})

    foreign = sorted(classes.intersection(UNSUPPORTED_CLASSES))
    if foreign or any(attr in attributes for attr in FILE_ATTRIBUTES):
        what = "objectclass %s" % foreign[0] if foreign else "a file destination"
        unsupported("%s cannot be imported: %s" % (what, UNSUPPORTED_REASON))
        return None
    mail = _first(attributes, MAIL_ATTRIBUTES)
    fax = _first(attributes, FAX_ATTRIBUTES)
    canon_types = [TYPE_BY_CANON_CLASS[c] for c in sorted(classes) if c in TYPE_BY_CANON_CLASS]
    if canon_types:
        entry_type = canon_types[0]
    elif mail is not None:
        entry_type = "email"
        if fax is not None:
            book.dropped.append(
                {
                    "line": line,
                    "name": name,
                    "reason": "fax number ignored: one destination per record, e-mail kept",
                }
            )
    elif fax is not None:
        entry_type = "fax"
    else:
        book.dropped.append({"line": line, "name": name, "reason": "no e-mail address or fax number"})
        return None
    entry: Dict[str, Any] = {"type": entry_type, "name": name}
    reading = _first(attributes, ("cnread",))
    if reading:
        entry["reading"] = reading
    if entry_type == "email":
        entry["address"] = mail or ""
    else:
        entry["fax_number"] = fax or ""
    number = _first(attributes, ("indxid",))
    if number:
        entry["number"] = parse_int(number, "record at line %d (%r) indxid" % (line, name))
    return entry
