# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export files of Import/Export All: read them (never write or edit them) and describe them.

Canon warns never to edit an exported file, so the collection only *reads* files: to compare
values (audit), to check before an import that the device can take the file (manifest), and to
show a file (``state: parsed``). The file travels to the device byte for byte as the device gave it.

The layout is the simulator's (Canon's XML and DCM schemas are not public; docs/device-protocols.md
says so): a header, a protection block (PBKDF2-HMAC-SHA256, salt, password check), categories of
``path / Import All code / type / JSON value`` items, secret values encrypted with an HMAC-SHA256
keystream, and an HMAC-SHA256 over the file. This is the collection's own reader.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple
from xml.etree import ElementTree as ET

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

ITERATIONS = {1: 1000, 2: 20000}
XML_NS = "urn:printfleet:simulator:device-settings:1"
DCM_MAGIC = b"CANON-DCM-SIM 1"
_MAC_XML = re.compile(rb"\n<!-- MAC ([0-9a-f]{64}) -->\n?$")
_MAC_DCM = re.compile(rb"\nMAC ([0-9a-f]{64})\n?$")
MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_KEYS = ("model", "series", "serial", "platform_version", "settings_type", "security_level",
                 "display_language", "exported_at")


def _bad(msg: str) -> CanonError:
    return CanonError("settings_invalid_data", msg)


def _keys(password: str, salt: bytes, level: int) -> Tuple[bytes, bytes]:
    raw = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, ITERATIONS[level], 64)
    return raw[:32], raw[32:]


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    out, counter = b"", 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def file_format(data: bytes) -> str:
    head = data.lstrip()[:64]
    if head.startswith(b"<?xml") or head.startswith(b"<DeviceSettingsExport"):
        return "xml"
    if data.startswith(DCM_MAGIC):
        return "dcm"
    raise _bad("the file is not a device settings export (neither the XML nor the DCM layout)")


def _split(data: bytes) -> Tuple[str, bytes, bytes]:
    fmt = file_format(data)
    found = (_MAC_XML if fmt == "xml" else _MAC_DCM).search(data)
    if not found:
        raise _bad("the export file has no integrity code: it is truncated or was edited")
    return fmt, data[:found.start()], found.group(1)


class ExportFile:
    """A parsed export: header, protection and raw items; values decoded with ``unlock(password)``."""

    readable = True

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.format, self.body, self.mac = _split(data)
        self.header: Dict[str, Any] = {}
        self.protection: Dict[str, str] = {}
        # category id -> (name, [(path, code, kind, text, encrypted)])
        self.raw: Dict[str, Tuple[str, List[Tuple[str, str, str, str, bool]]]] = {}
        (self._parse_xml if self.format == "xml" else self._parse_dcm)()
        try:
            self.security_level = int(self.header.get("security_level"))
        except (TypeError, ValueError):
            raise _bad("the export file names no valid security level")
        if self.security_level not in ITERATIONS:
            raise _bad("unknown security level %s in the export file" % self.security_level)
        self._key: Optional[bytes] = None

    def _parse_xml(self) -> None:
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError as exc:
            raise _bad("the XML export cannot be parsed: %s" % exc)
        ns = "{%s}" % XML_NS
        head, prot = root.find(ns + "Header"), root.find(ns + "Protection")
        if head is None or prot is None:
            raise _bad("the XML export has no Header or Protection element")
        self.header, self.protection = dict(head.attrib), dict(prot.attrib)
        for cat in root.findall(ns + "Category"):
            rows = [(i.get("path") or "", i.get("importAll") or "", i.get("type") or "", i.text or "",
                     i.get("encrypted") == "1") for i in cat.findall(ns + "Item")]
            self.raw[cat.get("id") or ""] = (cat.get("name") or "", rows)

    def _parse_dcm(self) -> None:
        try:
            lines = self.body.decode("utf-8").split("\n")[1:]
        except UnicodeDecodeError:
            raise _bad("the DCM export is not UTF-8 text")
        current: Optional[List[Tuple[str, str, str, str, bool]]] = None
        for line in lines:
            if line.startswith("["):
                cid, _unused, name = line[1:].partition("] ")
                current = []
                self.raw[cid] = (name, current)
            elif current is None and line.startswith("protection="):
                self.protection = dict(p.split(":", 1) for p in line[len("protection="):].split(";") if ":" in p)
            elif current is None and "=" in line:
                key, _unused, value = line.partition("=")
                self.header[key] = value
            elif current is not None and line:
                parts = line.split("|", 3)
                if len(parts) != 4:
                    raise _bad("malformed item line in the DCM export")
                text = parts[3]
                current.append((parts[0], parts[1], parts[2], text[1:] if text.startswith("!") else text,
                                text.startswith("!")))

    # ------------------------------------------------------------------ facts ---------------
    @property
    def categories(self) -> List[str]:
        return list(self.raw)

    def codes(self) -> Dict[str, str]:
        """{item path: Import All code} -- readable without the password."""
        return {path: code for _n, rows in self.raw.values() for path, code, _k, _t, _e in rows}

    def kinds(self) -> Dict[str, str]:
        return {path: kind for _n, rows in self.raw.values() for path, _c, kind, _t, _e in rows}

    def category_of(self) -> Dict[str, str]:
        return {path: cid for cid, (_n, rows) in self.raw.items() for path, _c, _k, _t, _e in rows}

    def checksum(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def manifest(self) -> Dict[str, Any]:
        """What the controller keeps beside the file (no secrets): enough to refuse before sending."""
        out: Dict[str, Any] = {key: self.header.get(key) for key in MANIFEST_KEYS}
        out["security_level"] = self.security_level
        codes = self.codes()
        out.update(format=self.format, categories=self.categories, items=len(codes), readable=True,
                   import_all_codes={code: sum(1 for c in codes.values() if c == code) for code in sorted(set(codes.values()))},
                   sha256=self.checksum(), size=len(self.data))
        return out

    # ------------------------------------------------------------------ values --------------
    def unlock(self, password: str) -> None:
        """Check the password and the integrity code (an edited file fails here)."""
        if self._key is not None:
            return
        try:
            salt = bytes.fromhex(self.protection.get("salt", ""))
            iterations = int(self.protection.get("iterations", "0"))
        except ValueError:
            raise _bad("the protection block of the export is malformed")
        if iterations != ITERATIONS[self.security_level]:
            raise _bad("the protection block does not match security level %d" % self.security_level)
        try:
            enc_key, mac_key = _keys(password, salt, self.security_level)
        except UnicodeEncodeError:
            raise CanonError("invalid_argument", "encryption_password must be ASCII")
        check = hmac.new(mac_key, b"password-check", hashlib.sha256).hexdigest()[:16]
        if not hmac.compare_digest(check, self.protection.get("check", "")):
            raise CanonError("settings_wrong_password", "encryption_password does not open this export file")
        if not hmac.compare_digest(hmac.new(mac_key, self.body, hashlib.sha256).hexdigest().encode(), self.mac):
            raise _bad("the export file was changed after the device wrote it (integrity code mismatch); Canon "
                       "warns never to edit exported files -- export it again from the device")
        self._key = enc_key

    def values(self, password: str) -> Dict[str, Any]:
        """{item path: value} of every item (secrets decrypted: mask them before showing)."""
        self.unlock(password)
        out: Dict[str, Any] = {}
        for _name, rows in self.raw.values():
            for path, _code, _kind, text, encrypted in rows:
                try:
                    if encrypted:
                        raw = bytes.fromhex(text)
                        nonce, body = raw[:12], raw[12:]
                        stream = _keystream(self._key or b"", nonce, len(body))
                        text = bytes(a ^ b for a, b in zip(body, stream)).decode("utf-8")
                    out[path] = json.loads(text)
                except (ValueError, UnicodeDecodeError):
                    raise _bad("the value of %s in the export cannot be decoded" % path)
        return out


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CanonError("invalid_argument", "cannot read %s: %s" % (path, exc.strerror or exc))


def load(path: str) -> ExportFile:
    return ExportFile(read_bytes(path))


class OpaqueFile:
    """An export whose layout the collection cannot read (Canon's own XML/DCM schemas are not public).

    It still travels unmodified: the manifest -- written at export time from the device's settings
    information -- is what the compatibility checks use before anything is sent. Item values are not
    available, so nothing can be compared item by item.
    """

    readable = False

    def __init__(self, data: bytes, manifest: Dict[str, Any]) -> None:
        self.data = data
        self._manifest = dict(manifest, readable=False, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        self.format = str(self._manifest.get("format") or "")
        self.header = {key: self._manifest.get(key) for key in MANIFEST_KEYS}
        self.security_level = int(self._manifest.get("security_level") or 1)

    @property
    def categories(self) -> List[str]:
        return list(self._manifest.get("categories") or [])

    def codes(self) -> Dict[str, str]:
        return {}

    def category_of(self) -> Dict[str, str]:
        return {}

    def checksum(self) -> str:
        return self._manifest["sha256"]

    def manifest(self) -> Dict[str, Any]:
        return dict(self._manifest)

    def unlock(self, password: str) -> None:
        """Nothing to check: the device checks the password when it imports the file."""

    def values(self, password: str) -> Dict[str, Any]:
        raise CanonError("settings_not_comparable", "the export file's layout cannot be read by the collection "
                         "(Canon's XML/DCM schemas are not public), so its items cannot be compared")


def opaque_manifest(data: bytes, facts: Mapping[str, Any], categories: List[str], level: Optional[int],
                    exported_at: str) -> Dict[str, Any]:
    """The manifest of an unreadable export, from the device's settings information at export time."""
    levels = list(facts.get("security_levels") or [1])
    return {"model": facts.get("model"), "series": facts.get("series"), "serial": facts.get("serial"),
            "platform_version": facts.get("platform_version"), "settings_type": facts.get("settings_type"),
            "display_language": facts.get("display_language"), "exported_at": exported_at,
            "security_level": int(level or max(levels)),
            "categories": [c for c in categories if c in (facts.get("categories") or categories)],
            "format": "xml" if data.lstrip()[:1] == b"<" else "dcm", "items": None, "import_all_codes": {}}


def parse_or_none(data: bytes) -> Optional[ExportFile]:
    """The parsed export, or None when the layout is not the one the collection reads."""
    try:
        return ExportFile(data)
    except CanonError as exc:
        if exc.error_code != "settings_invalid_data":
            raise
        return None


def manifest_path(path: str) -> str:
    return path + MANIFEST_SUFFIX


def read_manifest(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(manifest_path(path), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def write_file_and_manifest(path: str, data: bytes, manifest: Dict[str, Any]) -> None:
    """The file exactly as the device gave it, then its manifest (both atomically)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    for target, payload in ((path, data), (manifest_path(path),
                                           (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())):
        tmp = target + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
