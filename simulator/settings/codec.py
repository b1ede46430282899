"""The simulator's export file layouts (simulator-defined: Canon's real schemas are not public).

Public facts kept: iR-ADV (settings type I) exports one XML file, MF/LBP one DCM file; both are
protected by a password of up to 32 ASCII characters that is required even when nothing needs
encrypting; a file must not be edited (this layout carries a MAC, so an edited file is refused
with "The data is incorrect."). Security level 2 uses a stronger key derivation that devices on
platform 3.09 or earlier do not know.

Layout (both): a header (model, series, serial, platform, settings type, security level,
display language, export time), a protection block (KDF, iterations, salt, password check),
categories with items ``path / Import All code / type / JSON value``; secret values are
encrypted (HMAC-SHA256 keystream); a trailing HMAC-SHA256 over everything before it.
This module is the simulator's own codec; the collection has its own in plugins/.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from typing import Any, Dict, List, Optional, Tuple
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr, escape

ITERATIONS = {1: 1000, 2: 20000}
XML_NS = "urn:printfleet:simulator:device-settings:1"
DCM_MAGIC = "CANON-DCM-SIM 1"
MAC_XML = re.compile(rb"\n<!-- MAC ([0-9a-f]{64}) -->\n?$")
MAC_DCM = re.compile(rb"\nMAC ([0-9a-f]{64})\n?$")
HEADER_KEYS = ("model", "series", "serial", "platform_version", "settings_type", "security_level",
               "display_language", "exported_at")


class CodecError(ValueError):
    """reason: invalid_data | wrong_password | security_level."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason


def _keys(password: str, salt: bytes, level: int) -> Tuple[bytes, bytes]:
    raw = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, ITERATIONS[level], 64)
    return raw[:32], raw[32:]


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def _encrypt(key: bytes, plain: bytes) -> str:
    nonce = os.urandom(12)
    return (nonce + bytes(a ^ b for a, b in zip(plain, _stream(key, nonce, len(plain))))).hex()


def _decrypt(key: bytes, text: str) -> bytes:
    raw = bytes.fromhex(text)
    nonce, body = raw[:12], raw[12:]
    return bytes(a ^ b for a, b in zip(body, _stream(key, nonce, len(body))))


def _check(mac_key: bytes) -> str:
    return hmac.new(mac_key, b"password-check", hashlib.sha256).hexdigest()[:16]


def encode(fmt: str, header: Dict[str, Any], categories: List[Tuple[str, str, List[Tuple[str, str, str, Any]]]],
           password: str) -> bytes:
    """fmt xml|dcm; categories: [(id, export name, [(path, code, kind, value), ...]), ...]."""
    level = int(header["security_level"])
    salt = os.urandom(16)
    enc_key, mac_key = _keys(password, salt, level)
    protection = {"kdf": "pbkdf2-sha256", "iterations": ITERATIONS[level], "salt": salt.hex(),
                  "check": _check(mac_key)}

    def value_text(kind: str, value: Any) -> Tuple[str, bool]:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if kind == "secret":
            return _encrypt(enc_key, text.encode("utf-8")), True
        return text, False

    if fmt == "xml":
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<DeviceSettingsExport xmlns="%s" layout="simulator-defined">' % XML_NS,
                 "  <Header %s/>" % " ".join(
                     "%s=%s" % (k, quoteattr(str(header.get(k, "")))) for k in HEADER_KEYS),
                 "  <Protection %s/>" % " ".join("%s=%s" % (k, quoteattr(str(v))) for k, v in protection.items())]
        for cid, name, items in categories:
            lines.append("  <Category id=%s name=%s>" % (quoteattr(cid), quoteattr(name)))
            for path, code, kind, value in items:
                text, encrypted = value_text(kind, value)
                lines.append("    <Item path=%s importAll=%s type=%s%s>%s</Item>" % (
                    quoteattr(path), quoteattr(code), quoteattr(kind), ' encrypted="1"' if encrypted else "",
                    escape(text)))
            lines.append("  </Category>")
        lines.append("</DeviceSettingsExport>")
        body = ("\n".join(lines)).encode("utf-8")
        return body + b"\n<!-- MAC " + hmac.new(mac_key, body, hashlib.sha256).hexdigest().encode() + b" -->\n"
    lines = [DCM_MAGIC]
    lines += ["%s=%s" % (k, header.get(k, "")) for k in HEADER_KEYS]
    lines.append("protection=" + ";".join("%s:%s" % (k, v) for k, v in protection.items()))
    for cid, name, items in categories:
        lines.append("[%s] %s" % (cid, name))
        for path, code, kind, value in items:
            text, encrypted = value_text(kind, value)
            lines.append("%s|%s|%s|%s%s" % (path, code, kind, "!" if encrypted else "", text))
    body = ("\n".join(lines)).encode("utf-8")
    return body + b"\nMAC " + hmac.new(mac_key, body, hashlib.sha256).hexdigest().encode() + b"\n"


def decode(data: bytes, password: Optional[str]) -> Dict[str, Any]:
    """{'format', 'header', 'categories': {id: {'name', 'items': {path: {code, kind, value}}}}}.

    With ``password`` None only the header is read (values stay undecoded).
    """
    if data.lstrip().startswith(b"<?xml") or data.lstrip().startswith(b"<DeviceSettingsExport"):
        return _decode_xml(data, password)
    if data.startswith(DCM_MAGIC.encode()):
        return _decode_dcm(data, password)
    raise CodecError("invalid_data", "The data is incorrect.")


def _verify(body: bytes, mac: bytes, protection: Dict[str, str], password: Optional[str],
            level: int) -> Optional[bytes]:
    if password is None:
        return None
    try:
        salt = bytes.fromhex(protection["salt"])
        if int(protection["iterations"]) != ITERATIONS[level]:
            raise CodecError("invalid_data", "The data is incorrect.")
    except (KeyError, ValueError):
        raise CodecError("invalid_data", "The data is incorrect.")
    enc_key, mac_key = _keys(password, salt, level)
    if not hmac.compare_digest(_check(mac_key), protection.get("check", "")):
        raise CodecError("wrong_password", "The encryption password is incorrect.")
    if not hmac.compare_digest(hmac.new(mac_key, body, hashlib.sha256).hexdigest().encode(), mac):
        raise CodecError("invalid_data", "The data is incorrect.")
    return enc_key


def _value(kind: str, text: str, encrypted: bool, key: Optional[bytes]) -> Any:
    if key is None:
        return None
    try:
        if encrypted:
            text = _decrypt(key, text).decode("utf-8")
        return json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise CodecError("invalid_data", "The data is incorrect.")


def _level(header: Dict[str, Any]) -> int:
    try:
        level = int(header.get("security_level"))
    except (TypeError, ValueError):
        raise CodecError("invalid_data", "The data is incorrect.")
    if level not in ITERATIONS:
        raise CodecError("invalid_data", "The data is incorrect.")
    return level


def _decode_xml(data: bytes, password: Optional[str]) -> Dict[str, Any]:
    found = MAC_XML.search(data)
    if not found:
        raise CodecError("invalid_data", "The data is incorrect.")
    body = data[:found.start()]
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise CodecError("invalid_data", "The data is incorrect.")
    ns = "{%s}" % XML_NS
    head = root.find(ns + "Header")
    prot = root.find(ns + "Protection")
    if head is None or prot is None:
        raise CodecError("invalid_data", "The data is incorrect.")
    header = dict(head.attrib)
    key = _verify(body, found.group(1), dict(prot.attrib), password, _level(header))
    cats: Dict[str, Any] = {}
    for cat in root.findall(ns + "Category"):
        items = {}
        for item in cat.findall(ns + "Item"):
            items[item.get("path")] = {"code": item.get("importAll"), "kind": item.get("type"),
                                       "value": _value(item.get("type") or "", item.text or "",
                                                       item.get("encrypted") == "1", key)}
        cats[cat.get("id")] = {"name": cat.get("name"), "items": items}
    return {"format": "xml", "header": header, "categories": cats}


def _decode_dcm(data: bytes, password: Optional[str]) -> Dict[str, Any]:
    found = MAC_DCM.search(data)
    if not found:
        raise CodecError("invalid_data", "The data is incorrect.")
    body = data[:found.start()]
    try:
        lines = body.decode("utf-8").split("\n")[1:]
    except UnicodeDecodeError:
        raise CodecError("invalid_data", "The data is incorrect.")
    header: Dict[str, Any] = {}
    protection: Dict[str, str] = {}
    cats: Dict[str, Any] = {}
    current: Optional[Dict[str, Any]] = None
    raw_items: List[Tuple[Dict[str, Any], str, str, str, str]] = []
    for line in lines:
        if line.startswith("["):
            cid, _unused, name = line[1:].partition("] ")
            current = cats.setdefault(cid, {"name": name, "items": {}})
        elif current is None and line.startswith("protection="):
            protection = dict(part.split(":", 1) for part in line[len("protection="):].split(";") if ":" in part)
        elif current is None and "=" in line:
            k, _unused, v = line.partition("=")
            header[k] = v
        elif current is not None and line:
            parts = line.split("|", 3)
            if len(parts) != 4:
                raise CodecError("invalid_data", "The data is incorrect.")
            raw_items.append((current, parts[0], parts[1], parts[2], parts[3]))
    key = _verify(body, found.group(1), protection, password, _level(header))
    for cat, path, code, kind, text in raw_items:
        encrypted = text.startswith("!")
        cat["items"][path] = {"code": code, "kind": kind,
                              "value": _value(kind, text[1:] if encrypted else text, encrypted, key)}
    return {"format": "dcm", "header": header, "categories": cats}
