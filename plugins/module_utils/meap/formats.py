# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MEAP files on the controller: the jar manifest and license files (.lic, or a .zip of them).

Why here: identity and version must come from the jar itself (``Application-Id``, ``Bundle-Version``)
so the module can compare with the device before uploading anything, and refuse a jar the device's
MEAP platform cannot take (``MEAPSpecVersion``, ``DeviceSpecification-Ids``) before any SMS write.

Manifest headers are public (a real MEAP app's manifest, research §1.6). Two are simulator-defined
and optional: ``Application-Type: login`` (a login application) and ``License-Required: true``.
The license layout is not public; ``parse_license`` reads the ``Name: value`` lines of Canon's
documented content (license file ID, application ID, serial number, validity, counter limit).
"""

from __future__ import annotations

import datetime
import os
import zipfile
import zlib
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

MANIFEST = "META-INF/MANIFEST.MF"
REQUIRED_HEADERS = ("Application-Id", "Bundle-Name", "Bundle-Version", "MEAPSpecVersion")
USAGE_HEADERS = ("MaximumMemoryUsage", "MaximumThreadUsage", "MaximumFilespaceUsage", "MaximumFiledescriptorUsage",
                 "MaximumSocketUsage")
MAX_LICENSE_BYTES = 64 * 1024


def parse_manifest(text: str) -> Dict[str, str]:
    """Main section of a JAR manifest (``Name: value``, continuation lines start with one space)."""
    headers: Dict[str, str] = {}
    last: Optional[str] = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            if headers:
                break
            continue
        if raw.startswith(" ") and last:
            headers[last] += raw[1:]
            continue
        name, sep, value = raw.partition(":")
        if sep:
            last = name.strip()
            headers[last] = value.strip()
    return headers


def split_list(value: Optional[str]) -> List[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def version_key(version: str) -> Tuple:
    """OSGi-style ordering (numeric parts as numbers, qualifiers as text): 1.10.0 > 1.9.2."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(version).strip().split("."))


def compare_versions(a: str, b: str) -> int:
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


# What a damaged or hostile zip raises besides BadZipFile (unsupported compression or zip version,
# a cut or corrupted deflate stream, a lying size): a refused package, never a crash.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, zlib.error, ValueError, RuntimeError)
MAX_MANIFEST_BYTES = 1024 * 1024     # a manifest larger than this is a zip bomb, not a MEAP manifest


def read_jar(path: str) -> Dict[str, Any]:
    """The facts of a MEAP jar: id, name, version, vendor, spec versions, device specs, kind, usage."""
    try:
        with zipfile.ZipFile(path) as jar:
            try:
                info = jar.getinfo(MANIFEST)
            except KeyError:
                raise CanonError("meap_bad_package", "%s has no %s" % (os.path.basename(path), MANIFEST))
            if info.file_size > MAX_MANIFEST_BYTES:
                raise CanonError("meap_bad_package", "%s: the manifest is %d bytes (a MEAP manifest is a few KB)"
                                 % (os.path.basename(path), info.file_size))
            text = jar.read(info).decode("utf-8", "replace")
    except ZIP_ERRORS as exc:
        raise CanonError("meap_bad_package", "%s is not a readable jar: %s" % (os.path.basename(path), exc))
    headers = parse_manifest(text)
    missing = [h for h in REQUIRED_HEADERS if not headers.get(h)]
    if missing:
        raise CanonError("meap_bad_package", "%s: the manifest lacks %s" % (os.path.basename(path), ", ".join(missing)))
    return {
        "application_id": headers["Application-Id"], "name": headers["Bundle-Name"],
        "version": headers["Bundle-Version"], "vendor": headers.get("Bundle-Vendor", ""),
        "meap_spec_versions": split_list(headers.get("MEAPSpecVersion")),
        "device_specification_ids": split_list(headers.get("DeviceSpecification-Ids")),
        "login_application": headers.get("Application-Type", "").lower() == "login",
        "license_required": headers.get("License-Required", "").lower() == "true",
        "usage": {h: headers[h] for h in USAGE_HEADERS if h in headers},
        "file": os.path.basename(path),
    }


def supports(jar: Dict[str, Any], spec_versions: List[str], device_spec_ids: List[str]) -> Optional[str]:
    """Why the device cannot take the jar (None when it can): the device's own install check."""
    if spec_versions and not set(jar["meap_spec_versions"]).intersection(spec_versions):
        return "MEAPSpecVersion %s is not among the device's %s" % (
            ",".join(jar["meap_spec_versions"]), ",".join(spec_versions))
    if jar["device_specification_ids"] and device_spec_ids and not set(
            jar["device_specification_ids"]).intersection(device_spec_ids):
        return "DeviceSpecification-Ids %s do not include the device's %s" % (
            ",".join(jar["device_specification_ids"]), ",".join(device_spec_ids))
    return None


def parse_license(data: bytes, name: str = "license") -> Dict[str, Any]:
    """Fields of one .lic: file_id, application_id, serial, validity, expires (date|'never'|None), limit."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CanonError("meap_license_invalid", "%s is not a text license file" % name)
    fields: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    for key in ("License-File-Id", "Application-Id", "Serial-Number", "Validated-Period"):
        if not fields.get(key):
            raise CanonError("meap_license_invalid", "%s has no %s line" % (name, key))
    period = fields["Validated-Period"]
    expires: Optional[str]
    if period == "*":
        expires = "never"
    elif period.endswith("days"):
        expires = None          # counted from installation on the device
    else:
        try:
            expires = datetime.date.fromisoformat(period).isoformat()
        except ValueError:
            raise CanonError("meap_license_invalid", "%s: Validated-Period %r is not a date, <n>days or *"
                             % (name, period))
    return {"file_id": fields["License-File-Id"], "application_id": fields["Application-Id"],
            "serial": fields["Serial-Number"], "validity": period, "expires": expires,
            "limit": fields.get("Counter-Upper-Limit"), "state": fields.get("State", "active"),
            "name": name, "data": data}


def load_licenses(path: str) -> List[Dict[str, Any]]:
    """Every license in a .lic file, a .zip of .lic files, or a directory of them."""
    out: List[Dict[str, Any]] = []
    if os.path.isdir(path):
        for entry in sorted(os.listdir(path)):
            if entry.lower().endswith((".lic", ".zip")):
                out.extend(load_licenses(os.path.join(path, entry)))
        return out
    if path.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as bundle:
                for info in bundle.infolist():
                    if info.filename.lower().endswith(".lic") and info.file_size <= MAX_LICENSE_BYTES:
                        out.append(parse_license(bundle.read(info), info.filename))
        except ZIP_ERRORS as exc:
            raise CanonError("meap_license_invalid", "%s is not a readable zip: %s" % (os.path.basename(path), exc))
        return out
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_LICENSE_BYTES + 1)
    except OSError as exc:
        raise CanonError("invalid_argument", "cannot read license %s: %s" % (path, exc))
    return [parse_license(data, os.path.basename(path))]


def pick_license(licenses: List[Dict[str, Any]], application_id: str, serial: str) -> Optional[Dict[str, Any]]:
    """The license for this app and device serial (a '*' license when no serial-bound one exists)."""
    for_app = [lic for lic in licenses if lic["application_id"] == application_id]
    exact = [lic for lic in for_app if lic["serial"] == serial]
    if exact:
        return exact[0]
    wildcard = [lic for lic in for_app if lic["serial"] == "*"]
    return wildcard[0] if wildcard else (for_app[0] if for_app else None)


def jar_bytes(path: str) -> Tuple[str, bytes]:
    with open(path, "rb") as fh:
        return os.path.basename(path), fh.read()


__all__ = ["compare_versions", "jar_bytes", "load_licenses", "parse_license", "pick_license", "read_jar",
           "supports", "version_key"]
