"""The simulator's own reading of MEAP packages (.jar) and license files (.lic).

A .jar is a zip whose ``META-INF/MANIFEST.MF`` carries the public MEAP headers
(``Application-Id``, ``Bundle-Name``, ``Bundle-Version``, ``Bundle-Vendor``, ``MEAPSpecVersion``,
``DeviceSpecification-Ids``, ``Maximum*Usage``). Two headers are simulator-defined:
``License-Required`` (true: the app needs a license to start) and ``Application-Type``
(``login`` for a login application). ``META-INF/AGREEMENT.txt`` in a jar makes SMS show a
[License Agreement] page.

A .lic is text (Canon's content: license file ID, application ID, serial number, validity,
counter limit; the layout is simulator-defined)::

    License-File-Id: LF-...
    Application-Id: <uuid>
    Serial-Number: <device serial> | *
    Validated-Period: YYYY-MM-DD | <n>days | *
    Counter-Upper-Limit: <n>            (optional)
    State: active | disabled
    Check: sha256 of the lines above and LICENSE_SALT

Any edit breaks ``Check``, so the device refuses an edited file, as Canon documents.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from typing import Dict, List, Optional, Tuple

LICENSE_SALT = "printfleet-simulator-license-v1"
LICENSE_FIELDS = ("License-File-Id", "Application-Id", "Serial-Number", "Validated-Period",
                  "Counter-Upper-Limit", "State")
AGREEMENT_ENTRY = "META-INF/AGREEMENT.txt"


class PackageError(ValueError):
    """reason: key of protocol SMS_TEXTS (bad_package, license_invalid ...)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


def parse_manifest(text: str) -> Dict[str, str]:
    """JAR manifest main section: ``Name: value`` with 72-byte continuation lines (leading space)."""
    headers: Dict[str, str] = {}
    last: Optional[str] = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            if headers:
                break           # end of the main section
            continue
        if raw.startswith(" ") and last:
            headers[last] += raw[1:]
            continue
        name, sep, value = raw.partition(":")
        if not sep:
            continue
        last = name.strip()
        headers[last] = value.strip()
    return headers


def read_jar(data: bytes) -> Tuple[Dict[str, str], bool]:
    """(manifest headers, has a license agreement); PackageError('bad_package') if unusable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as jar:
            names = set(jar.namelist())
            if "META-INF/MANIFEST.MF" not in names:
                raise PackageError("bad_package", "no META-INF/MANIFEST.MF")
            manifest = parse_manifest(jar.read("META-INF/MANIFEST.MF").decode("utf-8", "replace"))
            agreement = AGREEMENT_ENTRY in names
    except (zipfile.BadZipFile, OSError, EOFError):
        raise PackageError("bad_package", "not a zip archive")
    for key in ("Application-Id", "Bundle-Name", "Bundle-Version", "MEAPSpecVersion"):
        if not manifest.get(key):
            raise PackageError("bad_package", "manifest without %s" % key)
    return manifest, agreement


def split_list(value: Optional[str]) -> List[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def version_key(version: str) -> Tuple:
    """OSGi-like ordering: numeric parts numerically, a qualifier as text."""
    parts = []
    for piece in str(version).split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return tuple(parts)


def license_check(fields: Dict[str, str]) -> str:
    body = "\n".join("%s: %s" % (k, fields[k]) for k in LICENSE_FIELDS if k in fields)
    return hashlib.sha256((body + "\n" + LICENSE_SALT).encode("utf-8")).hexdigest()


def parse_license(data: bytes) -> Dict[str, str]:
    """The fields of a .lic; PackageError('license_invalid') when damaged or edited."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PackageError("license_invalid", "not text")
    fields: Dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    for key in ("License-File-Id", "Application-Id", "Serial-Number", "Validated-Period", "Check"):
        if not fields.get(key):
            raise PackageError("license_invalid", "no %s" % key)
    if fields["Check"] != license_check(fields):
        raise PackageError("license_invalid", "the file was edited")
    return fields


def render_license(fields: Dict[str, str]) -> bytes:
    lines = ["%s: %s" % (k, fields[k]) for k in LICENSE_FIELDS if fields.get(k) not in (None, "")]
    clean = {k: fields[k] for k in LICENSE_FIELDS if fields.get(k) not in (None, "")}
    lines.append("Check: %s" % license_check(clean))
    return ("\n".join(lines) + "\n").encode("utf-8")


def license_expiry(period: str, installed: datetime.date) -> Optional[datetime.date]:
    """Expiry date of a validity: a date, ``<n>days`` from installation, or ``*`` (never)."""
    period = period.strip()
    if period == "*":
        return None
    if period.endswith("days"):
        return installed + datetime.timedelta(days=int(period[:-4]))
    return datetime.date.fromisoformat(period)
