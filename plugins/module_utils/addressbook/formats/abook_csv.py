# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canon AddressBook CSV: the device's own address-list import/export file.

Pure standard library and no Ansible imports, so the printer simulator can mirror this file.
Entries are plain dicts with the keys of ``module_utils/addressbook/model.py`` (``type``, ``name``,
``reading``, ``number`` ...). This module only moves them to and from text; it does not check
limits or fill defaults (the domain module does that), so an empty cell simply means "key absent".

What is public knowledge (Canon device manuals, "Editing the Address Book Using a CSV File"):

* the header lines ``# Canon AddressBook CSV version: 0x0002``, ``# CharSet: UTF-8`` (Japanese
  manuals show ``SJIS``), ``# dn: fixed`` (one-touch lists only), ``# SubAddressBookName: <name>``,
  ``# DB Version: 0x010a`` and, only when passwords are encrypted, ``# Crypto Version: 2`` and
  ``# Crypto Attribute: pwd``;
* the ``objectclass`` values ``email``, ``g3fax``, ``ifax``, ``ipfax``, ``remotefilesystem`` (SMB,
  FTP, WebDAV) and ``groupfids``, and the attributes ``cn`` (name), ``cnread`` (reading),
  ``cnshort`` (one-touch button name), ``dn`` (a one-touch number under ``# dn: fixed``) and ``pwd``.

Our own choice (not checked against a device; change it here when a real export is at hand):

* every other column name and the column order (``COLUMNS``); the column header line;
* values: booleans ``1``/``0`` (``true``/``false``/``on``/``off`` accepted), lists comma-separated,
  group members as names separated by ``;`` with ``\\`` escaping ``;`` and ``\\``;
* ``dn`` holds the *device* number (the caller converts, e.g. Type III address book 1 -> 000);
* output uses CRLF line ends and no byte-order mark; input accepts LF, CRLF and a BOM;
* ``ipfax`` records are not modelled (refused, or dropped on request);
* the password encryption: **simulator-defined**, see ``encrypt_secret``. Canon's real scheme is
  not public, so a file encrypted by a real device parses as ``EncryptedSecret`` (ciphertext kept,
  plaintext unknown) and can only be written back unchanged.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import hmac
import io
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

FORMAT_VERSION = "0x0002"
FORMAT_VERSIONS = ("0x0002", "0x0003")       # 0x0003 (DB Version 0x010b) adds the 50th column folderidflag
DB_VERSION = "0x010a"
DB_VERSIONS = {"0x0002": "0x010a", "0x0003": "0x010b"}
LAYOUTS = ("collection", "canon")
CRYPTO_VERSION = "2"
CRYPTO_ATTRIBUTE = "pwd"
LINE_END = "\r\n"

OBJECTCLASS_BY_TYPE: Dict[str, str] = {
    "email": "email",
    "fax": "g3fax",
    "ifax": "ifax",
    "file": "remotefilesystem",
    "group": "groupfids",
}
TYPE_BY_OBJECTCLASS: Dict[str, str] = {value: key for key, value in OBJECTCLASS_BY_TYPE.items()}
UNMODELLED_OBJECTCLASSES = ("ipfax",)

# Secret keys of the entry model and the key ``pwd`` maps to for each destination type.
SECRET_KEY_BY_TYPE: Dict[str, str] = {"file": "password", "fax": "subaddress_password"}

ON_UNSUPPORTED_CHOICES = ("error", "drop")


class AddressBookFormatError(ValueError):
    """A file cannot be parsed or an entry cannot be written in a format.

    ``code`` is the collection error code the caller should report: ``addressbook_format_error``
    for a damaged file, ``addressbook_unsupported_type`` for content the format cannot carry.
    """

    def __init__(self, msg: str, code: str = "addressbook_format_error", line: Optional[int] = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code
        self.line = line


@dataclass(frozen=True)
class EncryptedSecret:
    """A password read from a file in encrypted form whose plaintext is not known.

    It can be written back unchanged but never compared with a declared password.
    """

    token: str

    def __repr__(self) -> str:  # never print ciphertext into logs
        return "EncryptedSecret(********)"


# --- simulator-defined password encryption --------------------------------------------------
# Scheme "pfsim1" (simulator-defined, NOT Canon's): key material = PBKDF2-HMAC-SHA256(export
# password, 16-byte salt, 100,000 iterations, 64 bytes); the first 32 bytes key an HMAC-SHA256
# counter-mode keystream, the last 32 bytes key an HMAC-SHA256 tag (truncated to 16 bytes) over
# salt, nonce and ciphertext (encrypt-then-MAC). Token = "pfsim1:" + base64(salt | nonce(16) |
# ciphertext | tag). Chosen because it needs only the standard library, so the simulator can
# implement the same thing without extra packages.
SECRET_TOKEN_PREFIX = "pfsim1:"
_KDF_ITERATIONS = 100_000
_SALT_BYTES = 16
_NONCE_BYTES = 16
_TAG_BYTES = 16


@functools.lru_cache(maxsize=16)
def _derive_keys(export_password: str, salt: bytes) -> Tuple[bytes, bytes]:
    material = hashlib.pbkdf2_hmac("sha256", export_password.encode("utf-8"), salt, _KDF_ITERATIONS, dklen=64)
    return material[:32], material[32:]


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = bytearray()
    counter = 0
    while len(blocks) < length:
        blocks += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(blocks[:length])


def encrypt_secret(
    plaintext: str,
    export_password: str,
    salt: Optional[bytes] = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> str:
    """Encrypt one password with the simulator-defined scheme; returns the token."""
    salt = salt if salt is not None else random_bytes(_SALT_BYTES)
    nonce = random_bytes(_NONCE_BYTES)
    enc_key, mac_key = _derive_keys(export_password, salt)
    data = plaintext.encode("utf-8")
    ciphertext = bytes(a ^ b for a, b in zip(data, _keystream(enc_key, nonce, len(data))))
    tag = hmac.new(mac_key, salt + nonce + ciphertext, hashlib.sha256).digest()[:_TAG_BYTES]
    return SECRET_TOKEN_PREFIX + base64.b64encode(salt + nonce + ciphertext + tag).decode("ascii")


def decrypt_secret(token: str, export_password: str) -> str:
    """Decrypt a ``pfsim1:`` token; raises AddressBookFormatError on a wrong password or damage."""
    if not token.startswith(SECRET_TOKEN_PREFIX):
        raise AddressBookFormatError(
            "the encrypted password is not in the simulator-defined format "
            "(a real device's encryption cannot be decoded)"
        )
    try:
        raw = base64.b64decode(token[len(SECRET_TOKEN_PREFIX) :], validate=True)
    except (ValueError, TypeError):
        raise AddressBookFormatError("the encrypted password is damaged (bad base64)") from None
    if len(raw) < _SALT_BYTES + _NONCE_BYTES + _TAG_BYTES:
        raise AddressBookFormatError("the encrypted password is damaged (too short)")
    salt, nonce = raw[:_SALT_BYTES], raw[_SALT_BYTES : _SALT_BYTES + _NONCE_BYTES]
    ciphertext, tag = raw[_SALT_BYTES + _NONCE_BYTES : -_TAG_BYTES], raw[-_TAG_BYTES:]
    enc_key, mac_key = _derive_keys(export_password, salt)
    expected = hmac.new(mac_key, salt + nonce + ciphertext, hashlib.sha256).digest()[:_TAG_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise AddressBookFormatError(
            "the encrypted password cannot be decrypted: wrong export password or damaged value"
        )
    data = bytes(a ^ b for a, b in zip(ciphertext, _keystream(enc_key, nonce, len(ciphertext))))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AddressBookFormatError("the decrypted password is not UTF-8") from None


# --- value codecs shared by the formats -------------------------------------------------------
_TRUE_WORDS = ("1", "true", "on", "yes")
_FALSE_WORDS = ("0", "false", "off", "no")


def parse_bool(text: str, where: str) -> bool:
    """Read a boolean cell; formats in this folder share the spelling rules."""
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise AddressBookFormatError("%s: %r is not a boolean" % (where, text))


def parse_int(text: str, where: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise AddressBookFormatError("%s: %r is not a whole number" % (where, text)) from None


def join_members(names: Iterable[str]) -> str:
    """Encode group member names in one cell: ``;`` separated, ``\\`` escapes ``;`` and ``\\``."""
    return ";".join(str(name).replace("\\", "\\\\").replace(";", "\\;") for name in names)


def split_members(text: str) -> List[str]:
    names: List[str] = []
    current: List[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ";":
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    names.append("".join(current))
    return [name for name in names if name != ""]


def check_on_unsupported(value: str) -> None:
    if value not in ON_UNSUPPORTED_CHOICES:
        raise ValueError("on_unsupported must be one of %s" % (", ".join(ON_UNSUPPORTED_CHOICES),))


# --- column table -----------------------------------------------------------------------------
ALL_TYPES = frozenset(OBJECTCLASS_BY_TYPE)


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, the entry key, the value kind and the types it applies to."""

    name: str
    key: str
    kind: str  # str | int | bool | list | members | secret | objectclass
    types: frozenset


COLUMNS: Tuple[Column, ...] = (
    Column("dn", "number", "int", ALL_TYPES),
    Column("objectclass", "type", "objectclass", ALL_TYPES),
    Column("cn", "name", "str", ALL_TYPES),
    Column("cnread", "reading", "str", ALL_TYPES),
    Column("cnshort", "short_name", "str", ALL_TYPES),
    Column("accesscode", "access_number", "int", ALL_TYPES),
    Column("mailaddress", "address", "str", frozenset({"email", "ifax"})),
    Column("enablepartial", "divide_data", "bool", frozenset({"email", "ifax"})),
    Column("dialdata", "fax_number", "str", frozenset({"fax"})),
    Column("sub", "subaddress", "str", frozenset({"fax"})),
    Column("ecm", "ecm", "bool", frozenset({"fax"})),
    Column("txstartspeed", "tx_start_speed", "int", frozenset({"fax"})),
    Column("commode", "long_distance", "str", frozenset({"fax"})),
    Column("lineselect", "line", "str", frozenset({"fax"})),
    Column("ifaxmode", "mode", "str", frozenset({"ifax"})),
    Column("transsvcstr1", "standard_field_1", "str", frozenset({"ifax"})),
    Column("transsvcstr2", "standard_field_2", "str", frozenset({"ifax"})),
    Column("ifaxdirectmode", "send_via_server", "bool", frozenset({"ifax"})),
    Column("bwpapersize", "paper_sizes", "list", frozenset({"ifax"})),
    Column("bwcompressiontype", "compression", "list", frozenset({"ifax"})),
    Column("bwresolution", "resolutions", "list", frozenset({"ifax"})),
    Column("colormode", "color", "bool", frozenset({"ifax"})),
    Column("clpapersize", "color_paper_sizes", "list", frozenset({"ifax"})),
    Column("clresolution", "color_resolutions", "list", frozenset({"ifax"})),
    Column("protocol", "protocol", "str", frozenset({"file"})),
    Column("url", "host", "str", frozenset({"file"})),
    Column("path", "path", "str", frozenset({"file"})),
    Column("port", "port", "int", frozenset({"file"})),
    Column("username", "username", "str", frozenset({"file"})),
    Column("pwd", "", "secret", frozenset(SECRET_KEY_BY_TYPE)),
    Column("pwdinputflag", "confirm_before_sending", "bool", frozenset({"file"})),
    Column("member", "members", "members", frozenset({"group"})),
)
COLUMN_NAMES: Tuple[str, ...] = tuple(column.name for column in COLUMNS)

# --- the real Canon layout (public: the 49 column names in this order, three independent scripts;
# 0x0003 adds folderidflag; research canon-public-protocol-facts.md §2) ------------------------
CANON_COLUMNS_0002: Tuple[str, ...] = (
    "objectclass", "cn", "cnread", "cnshort", "subdbid", "mailaddress", "dialdata", "uri", "url", "path",
    "protocol", "username", "pwd", "member", "indxid", "enablepartial", "sub", "faxprotocol", "ecm",
    "txstartspeed", "commode", "lineselect", "uricommode", "uriflag", "pwdinputflag", "ifaxmode", "transsvcstr1",
    "transsvcstr2", "ifaxdirectmode", "documenttype", "bwpapersize", "bwcompressiontype", "bwpixeltype",
    "bwbitsperpixel", "bwresolution", "clpapersize", "clcompressiontype", "clpixeltype", "clbitsperpixel",
    "clresolution", "accesscode", "uuid", "cnreadlang", "enablesfp", "memberobjectuuid", "loginusername",
    "logindomainname", "usergroupname", "personalid")
CANON_COLUMNS: Dict[str, Tuple[str, ...]] = {"0x0002": CANON_COLUMNS_0002,
                                             "0x0003": CANON_COLUMNS_0002 + ("folderidflag",)}
# Columns the real layout has and the collection's layout names differently: indxid holds the
# number (one-touch button / coded-dial number) where ``dn`` did.
_REAL_ALIASES = {"indxid": "dn"}
# Entry fields the real layout has no column for (left out when writing it): port, colour mode.
CANON_LAYOUT_DROPS = ("port", "color")
SUBDBID_ONE_TOUCH, SUBDBID_LIST = "11", "1"


@dataclass
class CanonCsvBook:
    """One parsed file: the list title, whether it is a one-touch list, and its entries."""

    list_title: str = ""
    one_touch: bool = False
    encrypted: bool = False
    entries: List[Dict[str, Any]] = field(default_factory=list)
    dropped: List[Dict[str, Any]] = field(default_factory=list)


# --- render -----------------------------------------------------------------------------------
def _render_secret(
    value: Any,
    export_password: Optional[str],
    encrypted: bool,
    random_bytes: Callable[[int], bytes],
    salt: bytes,
    where: str,
) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, EncryptedSecret):
        if not encrypted:
            raise AddressBookFormatError(
                "%s: an encrypted password can only be written to an encrypted file" % where,
                code="addressbook_unsupported_type",
            )
        if export_password is not None:
            decrypt_secret(value.token, export_password)  # refuse ciphertext of another password
        return value.token
    if not isinstance(value, str):
        raise AddressBookFormatError("%s: password must be text" % where)
    if not encrypted:
        return value
    if export_password is None:
        raise AddressBookFormatError(
            "%s: a plaintext password cannot be written to an encrypted file "
            "without an export password" % where
        )
    return encrypt_secret(value, export_password, salt=salt, random_bytes=random_bytes)


def _render_cell(
    column: Column,
    entry: Mapping[str, Any],
    entry_type: str,
    where: str,
    secret_args: Tuple[Optional[str], bool, Callable[[int], bytes], bytes],
) -> str:
    if entry_type not in column.types:
        return ""
    if column.kind == "objectclass":
        return OBJECTCLASS_BY_TYPE[entry_type]
    if column.kind == "secret":
        export_password, encrypted, random_bytes, salt = secret_args
        return _render_secret(
            entry.get(SECRET_KEY_BY_TYPE[entry_type]), export_password, encrypted, random_bytes, salt, where
        )
    value = entry.get(column.key)
    if value is None:
        return ""
    if column.kind == "bool":
        return "1" if value else "0"
    if column.kind == "int":
        return str(int(value))
    if column.kind == "list":
        return ",".join(str(item) for item in value)
    if column.kind == "members":
        return join_members(value)
    return str(value)


def _entry_type(entry: Mapping[str, Any], where: str) -> str:
    entry_type = entry.get("type")
    if entry_type not in OBJECTCLASS_BY_TYPE:
        raise AddressBookFormatError(
            "%s: unknown destination type %r" % (where, entry_type), code="addressbook_unsupported_type"
        )
    return entry_type


def render_canon_csv(
    entries: Sequence[Mapping[str, Any]],
    list_title: str = "",
    one_touch: bool = False,
    export_password: Optional[str] = None,
    encrypted: Optional[bool] = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
    salt: Optional[bytes] = None,
    layout: str = "collection",
    version: str = FORMAT_VERSION,
    charset: str = "UTF-8",
) -> str:
    """Write entries as one Canon AddressBook CSV file (one address list per file).

    ``layout='canon'`` writes the devices' own layout: the 49 columns of version 0x0002 (50 with
    ``folderidflag`` for 0x0003), a trailing comma on every line, ``on``/``off`` booleans, the number in
    ``indxid`` (running from 201 where a list has none), ``subdbid`` 1 (11 for one-touch); ``port`` and
    the I-fax colour switch have no column there and are left out. ``charset='SJIS'`` only names the
    charset in the header: encode the text with ``encode_canon_csv``.

    ``salt`` (16 bytes) lets a writer that exports many files under one password derive the key
    once; every password still gets its own random nonce.

    ``encrypted`` None means: encrypted when an export password is given or an entry already
    holds an ``EncryptedSecret``. Passwords of an encrypted file are encrypted with the
    simulator-defined scheme; ``EncryptedSecret`` values are written back unchanged.
    """
    if any(char in list_title for char in "\r\n"):
        raise AddressBookFormatError("the list title must be one line")
    has_ciphertext = any(
        isinstance(entry.get(key), EncryptedSecret)
        for entry in entries
        for key in SECRET_KEY_BY_TYPE.values()
    )
    if encrypted is None:
        encrypted = export_password is not None or has_ciphertext
    if salt is not None and len(salt) != _SALT_BYTES:
        raise AddressBookFormatError("the salt must be %d bytes" % _SALT_BYTES)
    if not encrypted:
        salt = b""
    elif salt is None:
        salt = random_bytes(_SALT_BYTES)  # one salt per file: one key derivation
    if layout not in LAYOUTS:
        raise AddressBookFormatError("layout must be one of %s" % ", ".join(LAYOUTS))
    if version not in FORMAT_VERSIONS or (layout == "collection" and version != FORMAT_VERSION):
        raise AddressBookFormatError("version must be one of %s (the collection layout is %s)"
                                     % (", ".join(FORMAT_VERSIONS), FORMAT_VERSION))
    header = ["# Canon AddressBook CSV version: %s" % version, "# CharSet: %s" % charset]
    if one_touch:
        header.append("# dn: fixed")
    header.append("# SubAddressBookName: %s" % list_title if list_title else "# SubAddressBookName:")
    header.append("# DB Version: %s" % DB_VERSIONS[version])
    if encrypted:
        header += ["# Crypto Version: %s" % CRYPTO_VERSION, "# Crypto Attribute: %s" % CRYPTO_ATTRIBUTE]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=LINE_END)
    if layout == "canon":
        _write_canon_rows(writer, entries, one_touch, version, (export_password, encrypted, random_bytes, salt))
        return LINE_END.join(header) + LINE_END + buffer.getvalue()
    writer.writerow(COLUMN_NAMES)
    for index, entry in enumerate(entries, start=1):
        where = "entry %d (%r)" % (index, entry.get("name"))
        entry_type = _entry_type(entry, where)
        writer.writerow(
            [
                _render_cell(
                    column, entry, entry_type, where, (export_password, encrypted, random_bytes, salt)
                )
                for column in COLUMNS
            ]
        )
    return LINE_END.join(header) + LINE_END + buffer.getvalue()


def _write_canon_rows(writer: Any, entries: Sequence[Mapping[str, Any]], one_touch: bool, version: str,
                      secret_args: Tuple[Optional[str], bool, Callable[[int], bytes], bytes]) -> None:
    names = CANON_COLUMNS[version]
    by_name = {column.name: column for column in COLUMNS}
    by_name["indxid"] = by_name["dn"]
    writer.writerow(list(names) + [""])          # the trailing comma of real exports
    for position, entry in enumerate(entries):
        where = "entry %d (%r)" % (position + 1, entry.get("name"))
        entry_type = _entry_type(entry, where)
        row = []
        for name in names:
            column = by_name.get(name)
            if name == "subdbid":
                row.append(SUBDBID_ONE_TOUCH if one_touch else SUBDBID_LIST)
            elif name == "indxid":
                number = entry.get("number")
                row.append(str(int(number)) if number is not None else str(201 + position))
            elif column is None:
                row.append("")
            elif column.kind == "bool" and entry_type in column.types and entry.get(column.key) is not None:
                row.append("on" if entry.get(column.key) else "off")
            else:
                row.append(_render_cell(column, entry, entry_type, where, secret_args))
        writer.writerow(row + [""])


def parse_abk(data: Union[str, bytes], on_unsupported: str = "error") -> CanonCsvBook:
    """Read Canon's LDIF-like ``.abk`` address book (one public sample only: ``# Canon AddressBook
    version: 1``, ``# CharSet: WCP1252``, ``# DB Version: 0x0108``; records of ``attribute: value`` lines
    with ``objectclass`` lines ``top``/``extensibleobject``/<class>, ``dn`` the entry number)."""
    check_on_unsupported(on_unsupported)
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    head = raw[:400].decode("ascii", "replace").lower()
    if "# canon addressbook version:" not in head:
        raise AddressBookFormatError("not a Canon .abk address book: the first line must be "
                                     "'# Canon AddressBook version: 1'", line=1)
    text = raw.decode("cp1252" if "wcp1252" in head or "cp1252" in head else "utf-8", "strict")
    book = CanonCsvBook()
    known = {column.name: column for column in COLUMNS}
    record: List[Tuple[str, str]] = []
    lines = [line.rstrip("\r") for line in text.split("\n")] + [""]
    for number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            continue
        if line.strip():
            name, _sep, value = line.partition(":")
            record.append((name.strip().lower(), value[1:] if value.startswith(" ") else value))
            continue
        if not record:
            continue
        classes = [value.strip().lower() for name, value in record if name == "objectclass"]
        kinds = [TYPE_BY_OBJECTCLASS[c] for c in classes if c in TYPE_BY_OBJECTCLASS]
        cells = {name: value for name, value in record if name != "objectclass"}
        record = []
        if not kinds:
            if on_unsupported == "error":
                raise AddressBookFormatError("line %d: a record of class %s is not supported" % (number, classes),
                                             code="addressbook_unsupported_type", line=number)
            book.dropped.append({"line": number, "name": cells.get("cn", ""), "reason": "unsupported class"})
            continue
        entry: Dict[str, Any] = {"type": kinds[0]}
        for name, value in cells.items():
            column = known.get(name)
            if column is None or value == "" or column.kind in ("objectclass", "secret") \
                    or entry["type"] not in column.types:
                continue
            _parse_cell(column, value, entry, "line %d" % number, None, False)
        book.entries.append(entry)
    return book


def encode_canon_csv(text: str) -> bytes:
    """The file's bytes in the charset its header names (SJIS as cp932, else UTF-8)."""
    for line in text.split(LINE_END, 8)[:8]:
        if line.lower().startswith("# charset:"):
            name = line.split(":", 1)[1].strip().lower().replace("-", "_")
            if name in ("sjis", "shift_jis", "cp932"):
                return text.encode("cp932")
    return text.encode("utf-8")


# --- parse ------------------------------------------------------------------------------------
def decode_text(data: Union[str, bytes]) -> str:
    """Bytes to text honouring ``# CharSet`` (UTF-8 default, SJIS as Japanese manuals show)."""
    if isinstance(data, str):
        return _no_nul(data[1:] if data.startswith("\ufeff") else data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = "utf-8"
    for raw_line in data.split(b"\n", 12)[:12]:
        line = raw_line.decode("ascii", "replace").strip()
        if line.lower().startswith("# charset:"):
            declared = line.split(":", 1)[1].strip().lower().replace("-", "_")
            if declared in ("sjis", "shift_jis", "cp932", "ms932", "windows_31j"):
                encoding = "cp932"
    try:
        return _no_nul(data.decode(encoding))
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise AddressBookFormatError("line %d is not valid %s (byte %d of the file)" % (line, encoding, exc.start),
                                     line=line) from None


def _no_nul(text: str) -> str:
    """A NUL byte is never part of a name or address: the file is damaged (or not text)."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise AddressBookFormatError("line %d holds a NUL byte (the file is damaged or not text)" % line, line=line)
    return text


def csv_rows(text: str, first_line: int = 1) -> Iterator[Tuple[int, List[str]]]:
    """(line number where the row starts, cells) for every CSV row, strictly: an unclosed quote is an
    error naming the line where the quoted field opened, never a field that swallows the next rows."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = first_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise AddressBookFormatError("CSV syntax error in the row starting at line %d: %s%s" % (
                start, exc, " (a quote is never closed)" if "end of data" in str(exc) or "EOF" in str(exc) else ""),
                line=start) from None
        yield start, row
        start = first_line + reader.line_num


def _parse_header(text: str) -> Tuple[Dict[str, str], int, int]:
    """Read the ``# key: value`` lines; returns (headers by lower-case key, offset, line count)."""
    headers: Dict[str, str] = {}
    position = 0
    lines = 0
    while text.startswith("#", position):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end].rstrip("\r")
        position = end + 1
        lines += 1
        key, _sep, value = line[1:].partition(":")
        value = value[1:] if value.startswith(" ") else value
        headers[key.strip().lower()] = value.rstrip()
    return headers, min(position, len(text)), lines


def _parse_cell(
    column: Column,
    text: str,
    entry: Dict[str, Any],
    where: str,
    export_password: Optional[str],
    encrypted: bool,
) -> None:
    if column.kind == "str":
        entry[column.key] = text
    elif column.kind == "int":
        entry[column.key] = parse_int(text, where)
    elif column.kind == "bool":
        entry[column.key] = parse_bool(text, where)
    elif column.kind == "list":
        entry[column.key] = [item.strip() for item in text.split(",") if item.strip()]
    elif column.kind == "members":
        entry[column.key] = split_members(text)
    elif column.kind == "secret":
        key = SECRET_KEY_BY_TYPE[entry["type"]]
        if not encrypted:
            entry[key] = text
        elif export_password is None:
            entry[key] = EncryptedSecret(text)
        else:
            try:
                entry[key] = decrypt_secret(text, export_password)
            except AddressBookFormatError as exc:
                raise AddressBookFormatError("%s: %s" % (where, exc.msg)) from None


def parse_canon_csv(
    data: Union[str, bytes], export_password: Optional[str] = None, on_unsupported: str = "error"
) -> CanonCsvBook:
    """Read one Canon AddressBook CSV file.

    Encrypted passwords become ``EncryptedSecret`` unless ``export_password`` is given.
    Records this collection does not model (``ipfax``) raise, or with ``on_unsupported='drop'``
    are left out and listed in ``dropped``. Unknown columns are ignored; missing columns are
    simply absent keys.
    """
    check_on_unsupported(on_unsupported)
    text = decode_text(data)
    headers, offset, header_lines = _parse_header(text)
    version = headers.get("canon addressbook csv version")
    if version is None:
        raise AddressBookFormatError(
            "not a Canon AddressBook CSV file: the first line must be "
            "'# Canon AddressBook CSV version: %s'" % FORMAT_VERSION,
            line=1,
        )
    if version.strip().lower() not in FORMAT_VERSIONS:
        raise AddressBookFormatError(
            "unsupported Canon AddressBook CSV version %r (expected %s)" % (version, " or ".join(FORMAT_VERSIONS)),
            line=1,
        )
    charset = headers.get("charset", "UTF-8").strip().upper().replace("_", "-")
    if charset not in ("UTF-8", "SJIS", "SHIFT-JIS", "CP932"):
        raise AddressBookFormatError("unsupported character set %r" % (charset,))
    encrypted = "crypto version" in headers or "crypto attribute" in headers
    book = CanonCsvBook(
        list_title=headers.get("subaddressbookname", ""),
        one_touch=headers.get("dn", "").strip().lower() == "fixed",
        encrypted=encrypted,
    )
    rows = csv_rows(text[offset:], header_lines + 1)
    first = next(rows, None)
    if first is None:
        raise AddressBookFormatError("the column header line is missing", line=header_lines + 1)
    names = [name.strip().lower() for name in first[1]]
    if "objectclass" not in names:
        raise AddressBookFormatError(
            "the column header line has no 'objectclass' column", line=header_lines + 1
        )
    known = {column.name: column for column in COLUMNS}
    known.update({alias: known[name] for alias, name in _REAL_ALIASES.items()})
    if "dn" in names:            # both present: the collection's own dn wins
        known.pop("indxid", None)
    positions = [(index, known[name]) for index, name in enumerate(names) if name in known]
    # real exports end the header with a comma (an empty last name); a row may omit those cells
    needed = len(names)
    while needed and not names[needed - 1]:
        needed -= 1
    for line, row in rows:
        if not row or all(cell == "" for cell in row):
            continue
        if len(row) > len(names) or len(row) < needed:
            # a device export writes every column on every row: fewer cells is a row cut short
            # (a truncated file, a lost delimiter), never silently padded with empty values
            raise AddressBookFormatError(
                "line %d has %d cells but the header names %d columns%s" % (
                    line, len(row), needed if len(row) < needed else len(names),
                    " (the row is cut short)" if len(row) < needed else ""),
                line=line,
            )
        row = row + [""] * (len(names) - len(row))
        entry = _parse_row(row, positions, line, export_password, encrypted, book, on_unsupported)
        if entry is not None:
            book.entries.append(entry)
    return book


def _parse_row(
    row: List[str],
    positions: List[Tuple[int, Column]],
    line: int,
    export_password: Optional[str],
    encrypted: bool,
    book: CanonCsvBook,
    on_unsupported: str,
) -> Optional[Dict[str, Any]]:
    cells = {column.name: row[index] for index, column in positions}
    objectclass = cells.get("objectclass", "").strip().lower()
    name = cells.get("cn", "")
    if objectclass in UNMODELLED_OBJECTCLASSES or objectclass not in TYPE_BY_OBJECTCLASS:
        reason = (
            "objectclass %r is not supported by this collection" % objectclass
            if objectclass in UNMODELLED_OBJECTCLASSES
            else "unknown objectclass %r" % objectclass
        )
        if objectclass not in UNMODELLED_OBJECTCLASSES or on_unsupported == "error":
            code = (
                "addressbook_unsupported_type"
                if objectclass in UNMODELLED_OBJECTCLASSES
                else "addressbook_format_error"
            )
            raise AddressBookFormatError("line %d (%r): %s" % (line, name, reason), code=code, line=line)
        book.dropped.append({"line": line, "name": name, "reason": reason})
        return None
    entry: Dict[str, Any] = {"type": TYPE_BY_OBJECTCLASS[objectclass]}
    for _index, column in positions:
        text = cells[column.name]
        if column.kind == "objectclass" or text == "" or entry["type"] not in column.types:
            continue
        _parse_cell(
            column,
            text,
            entry,
            "line %d (%r) column %s" % (line, name, column.name),
            export_password,
            encrypted,
        )
    return entry


# Cell codecs for other readers of Canon's attributes (the Remote UI's LDIF export and entry forms).
render_cell = _render_cell
parse_cell = _parse_cell
