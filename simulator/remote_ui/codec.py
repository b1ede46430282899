"""The simulator's own address-book codecs: Canon attributes, LDIF, the adrsList script, forms, CSV.

Written from the documented formats (docs/simulator-remote-ui.md §5, docs/addressbook.md and the
research notes), NOT imported from ``plugins/``: a codec shared with the client could not catch
its own bugs. Entries are dicts with the collection's entry keys (``type``, ``name``, ...); the
wire uses Canon's address-book attribute names (the CSV columns / LDIF attributes).

* LDIF (``/rps/abook.ldif``): one record per entry, CRLF, records separated by an empty line,
  ``objectclass`` lines ``top``, ``extensibleobject`` and the destination class, ``indxid`` the
  entry index (one-touch: the button number); non-ASCII values base64 (``attr:: ...``). Passwords
  (``pwd``) only when password export is allowed.
* adrsList (``/rps/albody.cgi``): ``var adrsList = {<index>:{tp:<class>,nm:"..",ad:"..",ot:".."}};``
* forms: public field names (``ANAME``, ``AAD1`` ... / ``i2021``, ``i2032``) plus Canon attribute
  names for the rest (simulator-defined).
* CSV (the simulator-defined bulk path): the collection's Canon AddressBook CSV column set with
  ``dn`` numbers, and the simulator-defined ``pfsim1`` password encryption.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

# objectclass per destination type (Canon manuals)
CLASSES = {"email": "email", "fax": "g3fax", "ifax": "ifax", "file": "remotefilesystem", "group": "groupfids"}
TYPES = {value: key for key, value in CLASSES.items()}
SECRET_KEYS = {"file": "password", "fax": "subaddress_password"}
_ALL = frozenset(CLASSES)

# (attribute, entry key, kind, types) - kinds: str int bool list members
ATTRIBUTES: Tuple[Tuple[str, str, str, frozenset], ...] = (
    ("cn", "name", "str", _ALL),
    ("cnread", "reading", "str", _ALL),
    ("cnshort", "short_name", "str", _ALL),
    ("accesscode", "access_number", "int", _ALL),
    ("mailaddress", "address", "str", frozenset({"email", "ifax"})),
    ("enablepartial", "divide_data", "bool", frozenset({"email", "ifax"})),
    ("dialdata", "fax_number", "str", frozenset({"fax"})),
    ("sub", "subaddress", "str", frozenset({"fax"})),
    ("ecm", "ecm", "bool", frozenset({"fax"})),
    ("txstartspeed", "tx_start_speed", "int", frozenset({"fax"})),
    ("commode", "long_distance", "str", frozenset({"fax"})),
    ("lineselect", "line", "str", frozenset({"fax"})),
    ("ifaxmode", "mode", "str", frozenset({"ifax"})),
    ("transsvcstr1", "standard_field_1", "str", frozenset({"ifax"})),
    ("transsvcstr2", "standard_field_2", "str", frozenset({"ifax"})),
    ("ifaxdirectmode", "send_via_server", "bool", frozenset({"ifax"})),
    ("bwpapersize", "paper_sizes", "list", frozenset({"ifax"})),
    ("bwcompressiontype", "compression", "list", frozenset({"ifax"})),
    ("bwresolution", "resolutions", "list", frozenset({"ifax"})),
    ("colormode", "color", "bool", frozenset({"ifax"})),
    ("clpapersize", "color_paper_sizes", "list", frozenset({"ifax"})),
    ("clresolution", "color_resolutions", "list", frozenset({"ifax"})),
    ("protocol", "protocol", "str", frozenset({"file"})),
    ("url", "host", "str", frozenset({"file"})),
    ("path", "path", "str", frozenset({"file"})),
    ("port", "port", "int", frozenset({"file"})),
    ("username", "username", "str", frozenset({"file"})),
    ("pwdinputflag", "confirm_before_sending", "bool", frozenset({"file"})),
    ("member", "members", "members", frozenset({"group"})),
)
BY_ATTRIBUTE = {attribute: (key, kind, types) for attribute, key, kind, types in ATTRIBUTES}


class CodecError(ValueError):
    """A value or file the simulated device cannot read."""


# --- values -----------------------------------------------------------------------------------
def _members_out(names: Sequence[str]) -> str:
    return ";".join(str(n).replace("\\", "\\\\").replace(";", "\\;") for n in names)


def _members_in(text: str) -> List[str]:
    out, cur, esc = [], [], False
    for char in text:
        if esc:
            cur.append(char)
            esc = False
        elif char == "\\":
            esc = True
        elif char == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(char)
    out.append("".join(cur))
    return [name for name in out if name]


def value_out(kind: str, value: Any, boolean: Tuple[str, str] = ("1", "0")) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return boolean[0] if value else boolean[1]
    if kind == "int":
        return str(int(value))
    if kind == "list":
        return ",".join(str(v) for v in value)
    if kind == "members":
        return _members_out(value)
    return str(value)


def value_in(kind: str, text: str, what: str) -> Any:
    if kind == "bool":
        word = text.strip().lower()
        if word in ("1", "true", "on", "yes"):
            return True
        if word in ("0", "false", "off", "no"):
            return False
        raise CodecError("%s: %r is not a boolean" % (what, text))
    if kind == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise CodecError("%s: %r is not a number" % (what, text)) from None
    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == "members":
        return _members_in(text)
    return text


def attributes_of(entry: Mapping[str, Any]) -> Dict[str, str]:
    """The entry's non-empty attribute values (no objectclass, no password)."""
    out = {}
    for attribute, key, kind, types in ATTRIBUTES:
        if entry["type"] in types and entry.get(key) not in (None, "", [], ()):
            out[attribute] = value_out(kind, entry.get(key))
    return out


def entry_from_attributes(entry_type: str, values: Mapping[str, str]) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"type": entry_type}
    for attribute, text in values.items():
        found = BY_ATTRIBUTE.get(attribute.lower())
        if found is None or text == "":
            continue
        key, kind, types = found
        if entry_type in types:
            entry[key] = value_in(kind, text, attribute)
    return entry


# --- LDIF -----------------------------------------------------------------------------------
def _ldif_line(name: str, value: str) -> str:
    safe = value.isascii() and not value.startswith((" ", ":", "<")) and not value.endswith(" ") \
        and all(0x20 <= ord(c) < 0x7F for c in value)
    if safe:
        return "%s: %s" % (name, value)
    return "%s:: %s" % (name, base64.b64encode(value.encode("utf-8")).decode("ascii"))


def render_ldif(items: Sequence[Tuple[int, Mapping[str, Any]]], list_title: str, with_passwords: bool) -> str:
    """(index, entry) pairs as the device's LDIF export."""
    records = []
    for index, entry in items:
        lines = [_ldif_line("dn", "indxid=%d,ou=%s" % (index, list_title)), "objectclass: top",
                 "objectclass: extensibleobject", "objectclass: " + CLASSES[entry["type"]],
                 "indxid: %d" % index]
        for attribute, text in attributes_of(entry).items():
            lines.append(_ldif_line(attribute, text))
        secret = entry.get(SECRET_KEYS.get(entry["type"], ""))
        if with_passwords and isinstance(secret, str) and secret:
            lines.append(_ldif_line("pwd", secret))
        records.append("\r\n".join(lines))
    return "\r\n\r\n".join(records) + ("\r\n" if records else "")


# --- adrsList -------------------------------------------------------------------------------
def render_adrs_list(items: Sequence[Tuple[int, Mapping[str, Any]]], class_by_type: Mapping[str, str]) -> str:
    """The albody.cgi answer: a script with ``var adrsList = {...}`` (keys unquoted, as captured)."""
    parts = []
    for index, entry in items:
        address = entry.get("address") or entry.get("fax_number") or entry.get("host") or ""
        other = entry.get("path") or ""
        parts.append("%d:{tp:%s,nm:%s,ad:%s,ot:%s}" % (index, class_by_type[entry["type"]], json.dumps(
            entry.get("name", ""), ensure_ascii=False), json.dumps(address, ensure_ascii=False),
            json.dumps(other, ensure_ascii=False)))
    return "<html><head><script type=\"text/javascript\">\nvar adrsList = {%s};\n</script></head>" \
           "<body></body></html>" % ",".join(parts)


# --- CSV (simulator-defined bulk path) and pfsim1 ---------------------------------------------
CSV_COLUMNS = ("dn", "objectclass", "cn", "cnread", "cnshort", "accesscode", "mailaddress", "enablepartial",
               "dialdata", "sub", "ecm", "txstartspeed", "commode", "lineselect", "ifaxmode", "transsvcstr1",
               "transsvcstr2", "ifaxdirectmode", "bwpapersize", "bwcompressiontype", "bwresolution", "colormode",
               "clpapersize", "clresolution", "protocol", "url", "path", "port", "username", "pwd", "pwdinputflag",
               "member")
TOKEN_PREFIX = "pfsim1:"


def _keys(password: str, salt: bytes) -> Tuple[bytes, bytes]:
    material = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 100_000, dklen=64)
    return material[:32], material[32:]


_KEY_CACHE: Dict[Tuple[str, bytes], Tuple[bytes, bytes]] = {}


def _cached_keys(password: str, salt: bytes) -> Tuple[bytes, bytes]:
    if (password, salt) not in _KEY_CACHE:
        if len(_KEY_CACHE) > 16:
            _KEY_CACHE.clear()
        _KEY_CACHE[(password, salt)] = _keys(password, salt)
    return _KEY_CACHE[(password, salt)]


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:length])


def encrypt(plain: str, password: str, salt: bytes) -> str:
    nonce = os.urandom(16)
    enc, mac = _cached_keys(password, salt)
    data = plain.encode("utf-8")
    cipher = bytes(a ^ b for a, b in zip(data, _stream(enc, nonce, len(data))))
    tag = hmac.new(mac, salt + nonce + cipher, hashlib.sha256).digest()[:16]
    return TOKEN_PREFIX + base64.b64encode(salt + nonce + cipher + tag).decode("ascii")


def decrypt(token: str, password: str) -> Optional[str]:
    """The plaintext, or None when the password does not open the token."""
    try:
        raw = base64.b64decode(token[len(TOKEN_PREFIX):], validate=True)
    except ValueError:
        return None
    if not token.startswith(TOKEN_PREFIX) or len(raw) < 48:
        return None
    salt, nonce, cipher, tag = raw[:16], raw[16:32], raw[32:-16], raw[-16:]
    enc, mac = _cached_keys(password, salt)
    if not hmac.compare_digest(tag, hmac.new(mac, salt + nonce + cipher, hashlib.sha256).digest()[:16]):
        return None
    try:
        return bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)))).decode("utf-8")
    except UnicodeDecodeError:
        return None


def render_csv(entries: Sequence[Mapping[str, Any]], title: str, one_touch: bool, password: Optional[str],
               salt: bytes) -> str:
    header = ["# Canon AddressBook CSV version: 0x0002", "# CharSet: UTF-8"]
    if one_touch:
        header.append("# dn: fixed")
    header += ["# SubAddressBookName: %s" % title, "# DB Version: 0x010a"]
    if password is not None:
        header += ["# Crypto Version: 2", "# Crypto Attribute: pwd"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        values = attributes_of(entry)
        values["objectclass"] = CLASSES[entry["type"]]
        if entry.get("number") is not None:
            values["dn"] = str(entry["number"])
        secret = entry.get(SECRET_KEYS.get(entry["type"], ""))
        if password is not None and isinstance(secret, str) and secret:
            values["pwd"] = secret if secret.startswith(TOKEN_PREFIX) else encrypt(secret, password, salt)
        writer.writerow([values.get(column, "") for column in CSV_COLUMNS])
    return "\r\n".join(header) + "\r\n" + buffer.getvalue()


def parse_csv(data: bytes, password: Optional[str]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(entries, dropped) of a Canon AddressBook CSV import; CodecError when unreadable."""
    encoding = "utf-8"
    head = data[:2000].decode("ascii", "replace").lower()
    if "# charset: sjis" in head or "# charset: shift_jis" in head:
        encoding = "cp932"
    try:
        text = data.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise CodecError("the file is not %s text" % encoding) from None
    lines = text.splitlines(keepends=True)
    headers = {}
    while lines and lines[0].startswith("#"):
        key, _sep, value = lines.pop(0)[1:].partition(":")
        headers[key.strip().lower()] = value.strip()
    if not headers.get("canon addressbook csv version"):
        raise CodecError("not a Canon AddressBook CSV file")
    encrypted = "crypto version" in headers
    try:
        rows = list(csv.reader(io.StringIO("".join(lines), newline=""), strict=True))
    except csv.Error as exc:
        raise CodecError("CSV syntax error: %s" % exc) from None
    if not rows:
        raise CodecError("the column header line is missing")
    names = [name.strip().lower() for name in rows[0]]
    entries, dropped = [], []
    for number, row in enumerate(rows[1:], 1):
        if not any(row):
            continue
        cells = dict(zip(names, row))
        kind = TYPES.get(cells.get("objectclass", "").strip().lower())
        if kind is None:
            dropped.append({"index": number, "name": cells.get("cn", ""), "reason": "unknown objectclass"})
            continue
        entry = entry_from_attributes(kind, cells)
        dn = cells.get("dn", "").strip() or cells.get("indxid", "").strip()   # indxid: the real layout
        if dn:
            entry["number"] = value_in("int", dn, "dn")
        secret = cells.get("pwd", "")
        if secret and kind in SECRET_KEYS:
            if encrypted and password:
                plain = decrypt(secret, password)
                if plain is None:
                    raise CodecError("row %d (%r): the password cannot be decrypted with this password"
                                     % (number, cells.get("cn", "")))
                entry[SECRET_KEYS[kind]] = plain
            else:
                entry[SECRET_KEYS[kind]] = secret
        entries.append(entry)
    return entries, dropped
