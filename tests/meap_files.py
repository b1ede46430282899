"""Make MEAP test files in tests: a .jar (zip with the public manifest headers) and .lic texts.

The license layout is the simulator's (simulator/sms/archive.py documents it); the check line is
computed the way the simulator verifies it, so an edited file is refused as on real devices.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from typing import Dict, Optional

LICENSE_SALT = "printfleet-simulator-license-v1"
LICENSE_FIELDS = ("License-File-Id", "Application-Id", "Serial-Number", "Validated-Period", "Counter-Upper-Limit",
                  "State")
APP_ID = "2b1f4a52-1c6e-4f7e-9a55-5f0c7d1e0a01"
LOGIN_APP_ID = "7c3e9d10-8a44-4c1a-b1f2-0e9d2c4b6a02"


def make_jar(path: str, app_id: str = APP_ID, name: str = "Scan Hub", version: str = "1.0.0",
             vendor: str = "Example Vendor", spec: str = "55,57,113", device_ids: Optional[str] = "iRADV-G3",
             login: bool = False, license_required: bool = True, filespace_kb: int = 2048,
             agreement: bool = False, extra: Optional[Dict[str, str]] = None) -> str:
    headers = {"Manifest-Version": "1.0", "Application-Id": app_id, "Bundle-Name": name, "Bundle-Version": version,
               "Bundle-Vendor": vendor, "Bundle-Activator": "com.example.Activator", "MEAPSpecVersion": spec,
               "MaximumMemoryUsage": "4096", "MaximumThreadUsage": "8", "MaximumSocketUsage": "4",
               "MaximumFilespaceUsage": str(filespace_kb), "MaximumFiledescriptorUsage": "16"}
    if device_ids:
        headers["DeviceSpecification-Ids"] = device_ids
    if login:
        headers["Application-Type"] = "login"
    if license_required:
        headers["License-Required"] = "true"
    headers.update(extra or {})
    manifest = "".join("%s: %s\r\n" % item for item in headers.items()) + "\r\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        jar.writestr("com/example/Activator.class", b"\xca\xfe\xba\xbe" + version.encode())
        if agreement:
            jar.writestr("META-INF/AGREEMENT.txt", "You accept.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())
    return path


def license_text(app_id: str, serial: str, period: str = "2099-12-31", file_id: Optional[str] = None,
                 limit: Optional[int] = None) -> bytes:
    fields = {"License-File-Id": file_id or "LF-%s-%s" % (serial, hashlib.sha1(app_id.encode()).hexdigest()[:6]),
              "Application-Id": app_id, "Serial-Number": serial, "Validated-Period": period}
    if limit is not None:
        fields["Counter-Upper-Limit"] = str(limit)
    lines = ["%s: %s" % (k, fields[k]) for k in LICENSE_FIELDS if k in fields]
    check = hashlib.sha256(("\n".join(lines) + "\n" + LICENSE_SALT).encode()).hexdigest()
    return ("\n".join(lines) + "\nCheck: %s\n" % check).encode()


def make_license(path: str, app_id: str, serial: str, **kwargs) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(license_text(app_id, serial, **kwargs))
    return path
