# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iW EMC destination-list files "for applications": Excel (.xlsx) and CSV.

No Ansible imports; the CSV half is pure standard library, the XLSX half needs openpyxl (imported
only when used), so the simulator can mirror this file.

Public knowledge (iW EMC 4.1.4 guide L5395-L5530, digest part C §1.5.3): the column names and
their meaning per destination type (``AddressId``, ``AddressType`` = Email/Fax/File/IFax, ``Name``,
``Furigana``, ``AccessCode`` ("0" = none on export), e-mail ``smtp``/``MailAddress``/``EnablePartial``,
fax ``t30``/``DialData``/``SubAddress``/``Password``/``UriComMode``/``EnableECM``/``TxStartSpeed``/
``ComMode``/``LineSelect``/``FaxProtocol``, file ``Protocol`` (ftp/smb/ipx/addonprotocol0225 =
WebDAV)/``HostName``/``Path``/``UserName``/``RememberMe``/``Password``, I-fax ``t34`` and its
Bw*/Cl* columns), the defaults of blank cells, one sheet per type in XLSX and one type per CSV,
UTF-8 CSV (BOM recommended), ``True``/``False`` booleans, and that EMC exports the password of an
existing destination encrypted. The guide also says values starting with "certain characters" get
a leading TAB (CSV) or apostrophe (XLSX) on export; the character list did not survive extraction.

Our own choice:

* the guarded characters are ``= + - @`` (the usual spreadsheet-formula starters); a TAB/apostrophe
  before one of them is removed when reading; the colour columns are spelled ``Cl...`` (the guide's
  extraction shows ``CI...``; both are read);
* sheet names are the ``AddressType`` values; all four sheets are always written; cells are text;
* a ``Password`` with an ``AddressId`` is EMC ciphertext and reads as ``EncryptedSecret``; without
  one it is plaintext (a new destination);
* ``RememberMe`` is the inverse of the entry key ``confirm_before_sending`` (the guide: "False to
  enter a password each time"), so a blank ``RememberMe`` reads as ``confirm_before_sending: true``;
* not modelled: intranet IP fax by URI (``UriFlag`` True or ``UriComMode`` other than ip_auto) and
  NetWare IPX (``ipx``) - refused, or dropped on request. Groups cannot be written (EMC keeps them in
  address lists, not in the destination list). The format has no entry numbers, one-touch button
  names or file port: they are not written and read back as absent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .abook_csv import (
    AddressBookFormatError,
    EncryptedSecret,
    check_on_unsupported,
    csv_rows,
    decode_text,
    parse_bool,
    parse_int,
)

SHEET_BY_TYPE: Dict[str, str] = {"email": "Email", "fax": "Fax", "file": "File", "ifax": "IFax"}
TYPE_BY_SHEET: Dict[str, str] = {value.lower(): key for key, value in SHEET_BY_TYPE.items()}
GUARDED_FIRST_CHARACTERS = ("=", "+", "-", "@")
FILE_PROTOCOL_TO_EMC = {"ftp": "ftp", "smb": "smb", "webdav": "addonprotocol0225"}
FILE_PROTOCOL_FROM_EMC = {value: key for key, value in FILE_PROTOCOL_TO_EMC.items()}
COLUMN_ALIASES = {"ciresolution": "ClResolution", "cicompressiontype": "ClCompressionType"}

_COMMON = ("AddressId", "AddressType", "Name", "Furigana", "AccessCode", "Protocol")
COLUMNS_BY_TYPE: Dict[str, Tuple[str, ...]] = {
    "email": _COMMON + ("MailAddress", "EnablePartial"),
    "fax": _COMMON
    + (
        "UriFlag",
        "DialData",
        "Uri",
        "SubAddress",
        "Password",
        "UriComMode",
        "EnableECM",
        "TxStartSpeed",
        "ComMode",
        "LineSelect",
        "FaxProtocol",
    ),
    "file": _COMMON + ("HostName", "Path", "UserName", "RememberMe", "Password"),
    "ifax": _COMMON
    + (
        "MailAddress",
        "IFaxMode",
        "TransSvcStr1",
        "TransSvcStr2",
        "IsDirectMode",
        "BwPaperSize",
        "BwCompressionType",
        "BwResolution",
        "EnablePartial",
        "BW_CL",
        "ClPaperSize",
        "ClResolution",
        "BwPixelType",
        "BwBitsPerPixel",
        "ClCompressionType",
        "ClPixelType",
        "ClBitsPerPixel",
    ),
}
PROTOCOL_BY_TYPE = {"email": "smtp", "fax": "t30", "ifax": "t34"}

# Plain column <-> entry key mappings (kind: str | int | bool | list); special columns are handled
# in code: AddressId, AddressType, AccessCode, Protocol, Password, RememberMe, UriFlag, Uri,
# UriComMode, FaxProtocol, BW_CL and the constant pixel/bit-depth columns.
_PLAIN: Dict[str, Tuple[Tuple[str, str, str], ...]] = {
    "common": (("Name", "name", "str"), ("Furigana", "reading", "str")),
    "email": (("MailAddress", "address", "str"), ("EnablePartial", "divide_data", "bool")),
    "fax": (
        ("DialData", "fax_number", "str"),
        ("SubAddress", "subaddress", "str"),
        ("EnableECM", "ecm", "bool"),
        ("TxStartSpeed", "tx_start_speed", "int"),
        ("ComMode", "long_distance", "str"),
        ("LineSelect", "line", "str"),
    ),
    "file": (("HostName", "host", "str"), ("Path", "path", "str"), ("UserName", "username", "str")),
    "ifax": (
        ("MailAddress", "address", "str"),
        ("IFaxMode", "mode", "str"),
        ("TransSvcStr1", "standard_field_1", "str"),
        ("TransSvcStr2", "standard_field_2", "str"),
        ("IsDirectMode", "send_via_server", "bool"),
        ("BwPaperSize", "paper_sizes", "list"),
        ("BwCompressionType", "compression", "list"),
        ("BwResolution", "resolutions", "list"),
        ("EnablePartial", "divide_data", "bool"),
    ),
}
_COLOR_PLAIN = (("ClPaperSize", "color_paper_sizes", "list"), ("ClResolution", "color_resolutions", "list"))
_IFAX_CONSTANTS_BW = {"BwPixelType": "bw", "BwBitsPerPixel": "bw"}
_IFAX_CONSTANTS_COLOR = {"ClCompressionType": "jpeg", "ClPixelType": "rgb", "ClBitsPerPixel": "8"}
_SECRET_KEY = {"fax": "subaddress_password", "file": "password"}


@dataclass
class EmcDestinations:
    """Destinations of one EMC file; ``address_ids[i]`` belongs to ``entries[i]`` (None = new)."""

    entries: List[Dict[str, Any]] = field(default_factory=list)
    address_ids: List[Optional[str]] = field(default_factory=list)
    dropped: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class EmcRendered:
    data: Union[str, bytes]
    dropped: List[Dict[str, Any]] = field(default_factory=list)


# --- sanitising ---------------------------------------------------------------------------------
def guard_value(value: str, marker: str) -> str:
    """Prefix values that a spreadsheet would run as a formula, as EMC does on export."""
    return marker + value if value.startswith(GUARDED_FIRST_CHARACTERS) else value


def unguard_value(value: str, marker: str) -> str:
    if value.startswith(marker) and value[len(marker) :].startswith(GUARDED_FIRST_CHARACTERS):
        return value[len(marker) :]
    return value


# --- entry -> row ---------------------------------------------------------------------------------
def _bool_text(value: Any) -> str:
    return "True" if value else "False"


def _plain_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return _bool_text(value)
    if kind == "list":
        return ",".join(str(item) for item in value)
    if kind == "int":
        return str(int(value))
    return str(value)


def _secret_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, EncryptedSecret):
        return value.token
    return str(value)


def entry_to_row(entry: Mapping[str, Any], address_id: Optional[str] = None) -> Dict[str, str]:
    """One entry as the cells of its type's columns (unguarded text)."""
    entry_type = entry["type"]
    cells = {name: "" for name in COLUMNS_BY_TYPE[entry_type]}
    cells["AddressId"] = address_id or ""
    cells["AddressType"] = SHEET_BY_TYPE[entry_type]
    access = entry.get("access_number")
    cells["AccessCode"] = str(int(access)) if access else "0"
    for column, key, kind in _PLAIN["common"] + _PLAIN[entry_type]:
        cells[column] = _plain_cell(entry.get(key), kind)
    if entry_type in PROTOCOL_BY_TYPE:
        cells["Protocol"] = PROTOCOL_BY_TYPE[entry_type]
    if entry_type == "fax":
        cells.update(
            UriFlag="False",
            Uri="",
            UriComMode="ip_auto",
            FaxProtocol="g3",
            Password=_secret_cell(entry.get("subaddress_password")),
        )
    elif entry_type == "file":
        protocol = entry.get("protocol") or "ftp"
        if protocol not in FILE_PROTOCOL_TO_EMC:
            raise AddressBookFormatError(
                "entry %r: file protocol %r cannot be written" % (entry.get("name"), protocol),
                code="addressbook_unsupported_type",
            )
        cells["Protocol"] = FILE_PROTOCOL_TO_EMC[protocol]
        cells["RememberMe"] = _bool_text(not entry.get("confirm_before_sending"))
        cells["Password"] = _secret_cell(entry.get("password"))
    elif entry_type == "ifax":
        color = bool(entry.get("color"))
        cells["BW_CL"] = "mixed" if color else "bw"
        cells.update(_IFAX_CONSTANTS_BW)
        if color:
            for column, key, kind in _COLOR_PLAIN:
                cells[column] = _plain_cell(entry.get(key), kind)
            cells.update(_IFAX_CONSTANTS_COLOR)
    return cells


# --- row -> entry ---------------------------------------------------------------------------------
def row_to_entry(
    cells: Mapping[str, str], entry_type: str, where: str
) -> Tuple[Dict[str, Any], Optional[str]]:
    """Cells (unguarded, keyed by canonical column name) to (entry, AddressId).

    Raises AddressBookFormatError with code ``addressbook_unsupported_type`` for content that is
    not modelled (IP fax by URI, NetWare IPX).
    """

    def get(column: str) -> str:
        return (
            (cells.get(column) or "").strip()
            if column not in ("Name", "Furigana", "Password")
            else (cells.get(column) or "")
        )

    entry: Dict[str, Any] = {"type": entry_type}
    address_id = get("AddressId") or None
    access = get("AccessCode")
    if access and access != "0":
        entry["access_number"] = parse_int(access, "%s AccessCode" % where)
    plain = _PLAIN["common"] + _PLAIN[entry_type]
    if entry_type == "ifax" and get("BW_CL").lower() == "mixed":
        plain = plain + _COLOR_PLAIN
    for column, key, kind in plain:
        text = get(column)
        if text == "":
            continue
        cell_where = "%s %s" % (where, column)
        if kind == "bool":
            entry[key] = parse_bool(text, cell_where)
        elif kind == "int":
            entry[key] = parse_int(text, cell_where)
        elif kind == "list":
            entry[key] = [item.strip() for item in text.split(",") if item.strip()]
        else:
            entry[key] = text
    if entry_type == "fax":
        if get("UriFlag") and parse_bool(get("UriFlag"), where + " UriFlag"):
            raise AddressBookFormatError(
                "%s: intranet IP fax destinations (UriFlag True) are not supported" % where,
                code="addressbook_unsupported_type",
            )
        if get("UriComMode").lower() not in ("", "ip_auto"):
            raise AddressBookFormatError(
                "%s: IP fax communication mode %r is not supported" % (where, get("UriComMode")),
                code="addressbook_unsupported_type",
            )
        if get("FaxProtocol").lower() == "ecm":
            if entry.get("ecm") is False:
                raise AddressBookFormatError("%s: FaxProtocol ecm needs EnableECM True" % where)
            entry["ecm"] = True
    elif entry_type == "file":
        protocol = get("Protocol").lower()
        if protocol:
            if protocol not in FILE_PROTOCOL_FROM_EMC:
                raise AddressBookFormatError(
                    "%s: file protocol %r is not supported" % (where, protocol),
                    code="addressbook_unsupported_type",
                )
            entry["protocol"] = FILE_PROTOCOL_FROM_EMC[protocol]
        remember = get("RememberMe")
        entry["confirm_before_sending"] = not (
            parse_bool(remember, where + " RememberMe") if remember else False
        )
    elif entry_type == "ifax":
        color = get("BW_CL").lower()
        if color not in ("", "bw", "mixed"):
            raise AddressBookFormatError("%s: BW_CL must be bw or mixed, not %r" % (where, color))
        if color:
            entry["color"] = color == "mixed"
    if entry_type in _SECRET_KEY:
        secret = get("Password")
        if secret:
            entry[_SECRET_KEY[entry_type]] = EncryptedSecret(secret) if address_id else secret
    return entry, address_id


def _type_of_row(cells: Mapping[str, str], default: Optional[str], where: str) -> str:
    label = (cells.get("AddressType") or "").strip().lower()
    if not label and default:
        return default
    if label not in TYPE_BY_SHEET:
        raise AddressBookFormatError(
            "%s: AddressType must be Email, Fax, File or IFax, not %r" % (where, cells.get("AddressType"))
        )
    return TYPE_BY_SHEET[label]


def _canonical_columns(header: Sequence[str], where: str) -> List[str]:
    names = []
    for name in header:
        clean = (name or "").strip()
        names.append(COLUMN_ALIASES.get(clean.lower(), clean))
    if "AddressType" not in names and "AddressId" not in names:
        raise AddressBookFormatError(
            "%s: the first row must name the columns (AddressId, AddressType, ...)" % where
        )
    return names


def _split_for_render(
    entries: Sequence[Mapping[str, Any]],
    address_ids: Optional[Sequence[Optional[str]]],
    allowed: Sequence[str],
    on_unsupported: str,
    reason_other: str,
) -> Tuple[List[Tuple[Mapping[str, Any], Optional[str]]], List[Dict[str, Any]]]:
    check_on_unsupported(on_unsupported)
    if address_ids is not None and len(address_ids) != len(entries):
        raise ValueError("address_ids must have one item per entry")
    kept: List[Tuple[Mapping[str, Any], Optional[str]]] = []
    dropped: List[Dict[str, Any]] = []
    for index, entry in enumerate(entries):
        entry_type = entry.get("type")
        if entry_type not in allowed:
            reason = (
                "groups cannot be written to an EMC destination file"
                if entry_type == "group"
                else reason_other % (entry_type,)
            )
            if on_unsupported == "error":
                raise AddressBookFormatError(
                    "entry %d (%r): %s" % (index + 1, entry.get("name"), reason),
                    code="addressbook_unsupported_type",
                )
            dropped.append({"index": index + 1, "name": entry.get("name"), "reason": reason})
            continue
        kept.append((entry, address_ids[index] if address_ids is not None else None))
    return kept, dropped


# --- CSV ----------------------------------------------------------------------------------------
def render_emc_csv(
    entries: Sequence[Mapping[str, Any]],
    destination_type: str,
    address_ids: Optional[Sequence[Optional[str]]] = None,
    on_unsupported: str = "error",
    bom: bool = True,
) -> EmcRendered:
    """Write one destination type as EMC "CSV (for applications)" text (CRLF, BOM by default)."""
    if destination_type not in COLUMNS_BY_TYPE:
        raise AddressBookFormatError(
            "EMC CSV files hold email, fax, file or ifax destinations, not %r" % (destination_type,),
            code="addressbook_unsupported_type",
        )
    kept, dropped = _split_for_render(
        entries,
        address_ids,
        (destination_type,),
        on_unsupported,
        "%%s entries do not belong in a %s CSV file" % destination_type,
    )
    columns = COLUMNS_BY_TYPE[destination_type]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for entry, address_id in kept:
        cells = entry_to_row(entry, address_id)
        writer.writerow([guard_value(cells[column], "\t") for column in columns])
    return EmcRendered(data=("\ufeff" if bom else "") + buffer.getvalue(), dropped=dropped)


def parse_emc_csv(
    data: Union[str, bytes], destination_type: Optional[str] = None, on_unsupported: str = "error"
) -> EmcDestinations:
    """Read an EMC "CSV (for applications)" file; the type comes from AddressType when not given."""
    check_on_unsupported(on_unsupported)
    text = decode_text(data)
    rows = csv_rows(text)
    result = EmcDestinations()
    first = next(rows, None)
    if first is None:
        raise AddressBookFormatError("the file is empty")
    header = first[1]
    columns = _canonical_columns(header, "line 1")
    for line, row in rows:
        if not row or all(cell == "" for cell in row):
            continue
        where = "line %d" % line
        if len(row) < len(columns):
            # EMC writes every column: fewer cells is a row cut short (a truncated file gives
            # addresses like 'plus@e'), never a row padded with empty values
            raise AddressBookFormatError("%s has %d of %d cells (the row is cut short)"
                                         % (where, len(row), len(columns)), line=line)
        cells = {
            column: unguard_value(row[index], "\t") if index < len(row) else ""
            for index, column in enumerate(columns)
        }
        entry_type = _type_of_row(cells, destination_type, where)
        if destination_type is not None and entry_type != destination_type:
            raise AddressBookFormatError(
                "%s: a %s row in a file of %s destinations" % (where, entry_type, destination_type)
            )
        _collect(result, cells, entry_type, "%s (%r)" % (where, cells.get("Name", "")), on_unsupported)
    return result


def _collect(
    result: EmcDestinations, cells: Mapping[str, str], entry_type: str, where: str, on_unsupported: str
) -> None:
    try:
        entry, address_id = row_to_entry(cells, entry_type, where)
    except AddressBookFormatError as exc:
        if exc.code != "addressbook_unsupported_type" or on_unsupported == "error":
            raise
        result.dropped.append({"where": where, "name": cells.get("Name", ""), "reason": exc.msg})
        return
    result.entries.append(entry)
    result.address_ids.append(address_id)


# --- XLSX ---------------------------------------------------------------------------------------
def _openpyxl() -> Any:
    try:
        import openpyxl  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - depends on the controller
        raise AddressBookFormatError(
            "reading or writing .xlsx needs the Python package openpyxl", code="missing_dependency"
        ) from None
    return openpyxl


def render_emc_xlsx(
    entries: Sequence[Mapping[str, Any]],
    address_ids: Optional[Sequence[Optional[str]]] = None,
    on_unsupported: str = "error",
) -> EmcRendered:
    """Write an EMC destination workbook: one sheet per destination type, every cell text."""
    openpyxl = _openpyxl()
    kept, dropped = _split_for_render(
        entries, address_ids, tuple(SHEET_BY_TYPE), on_unsupported, "%s entries cannot be written"
    )
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for entry_type, sheet_name in SHEET_BY_TYPE.items():
        sheet = workbook.create_sheet(sheet_name)
        columns = COLUMNS_BY_TYPE[entry_type]
        sheet.append(list(columns))
        for entry, address_id in kept:
            if entry["type"] != entry_type:
                continue
            cells = entry_to_row(entry, address_id)
            sheet.append([guard_value(cells[column], "'") for column in columns])
        for row in sheet.iter_rows():
            for cell in row:
                cell.data_type = "s"
                cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return EmcRendered(data=buffer.getvalue(), dropped=dropped)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_values(sheet: Any) -> Any:
    """Row value tuples of one sheet; a formula cell or a sheet whose XML is broken is an error that
    names the sheet and row (openpyxl's own parser message alone names neither)."""
    number = 0
    iterator = sheet.iter_rows()
    while True:
        number += 1
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # pylint: disable=broad-except  # XML and value errors of a damaged sheet
            raise AddressBookFormatError("sheet %s row %d cannot be read (the workbook is damaged: %s)"
                                         % (sheet.title, number, type(exc).__name__)) from None
        values = []
        for cell in row:
            if getattr(cell, "data_type", None) == "f":
                raise AddressBookFormatError(
                    "sheet %s row %d column %d holds a formula (%s); EMC address books hold values only: "
                    "save the sheet with values (Paste Special > Values)"
                    % (sheet.title, number, getattr(cell, "column", 0) or 0, str(cell.value)[:40]))
            values.append(cell.value)
        yield tuple(values)


def parse_emc_xlsx(data: bytes, on_unsupported: str = "error") -> EmcDestinations:
    """Read every sheet of an EMC destination workbook (row type from AddressType or sheet name)."""
    check_on_unsupported(on_unsupported)
    openpyxl = _openpyxl()
    try:
        # formulas as written (not cached values): a formula cell is refused, never read as ""
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise AddressBookFormatError("not a readable .xlsx workbook: %s" % (exc,)) from None
    result = EmcDestinations()
    try:
        for sheet in workbook.worksheets:
            rows = _sheet_values(sheet)
            header = next(rows, None)
            if header is None or all(value is None for value in header):
                continue
            columns = _canonical_columns([_cell_text(value) for value in header], "sheet %s" % sheet.title)
            default_type = TYPE_BY_SHEET.get(sheet.title.strip().lower())
            for number, row in enumerate(rows, start=2):
                values = [_cell_text(value) for value in row]
                if all(value == "" for value in values):
                    continue
                cells = {
                    column: unguard_value(values[index], "'") if index < len(values) else ""
                    for index, column in enumerate(columns)
                }
                where = "sheet %s row %d" % (sheet.title, number)
                entry_type = _type_of_row(cells, default_type, where)
                _collect(
                    result, cells, entry_type, "%s (%r)" % (where, cells.get("Name", "")), on_unsupported
                )
    finally:
        workbook.close()
    return result
