# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firmware package (SIMULATOR-DEFINED format) and version strings as devices publish them.

Package: a zip whose top-level ``printfleet-firmware.json`` says ``format``, ``model``, ``version``,
``serials`` (a list, or ``"any"``), ``released`` and ``components``. Canon's real package format is
not public; this one is the collection's and its simulator's, so against a real device the update
path is a rehearsal until someone confirms the real one (docs/device-protocols.md).

Versions: canPdInfoProductVersion is an opaque string (``16.12``, ``0604``, ``GFC-015-04``,
``R7.21``). Two strings are ordered only when they have the same shape -- the same sequence of
digit runs and other characters -- and then digit runs compare as integers (``10.10`` > ``10.9``),
never as floats. Anything else is "incomparable", which the plan refuses to order.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt

_TOKEN = re.compile(r"\d+|[^\d]+")
MAX_MANIFEST_BYTES = 1 << 20


def _tokens(version: str) -> List[str]:
    return _TOKEN.findall(version.strip())


def compare_versions(a: Optional[str], b: Optional[str]) -> Optional[int]:
    """-1, 0 or 1 as ``a`` is older, equal or newer than ``b``; None when they cannot be ordered.

    Equal means the same string (after trimming blanks). Different strings of one shape compare
    run by run: digits as integers, other runs only when equal (a differing letter run is not an
    order); ``04`` and ``4`` are the same number yet different strings, so they are incomparable.
    """
    if a is None or b is None:
        return None
    a, b = str(a).strip(), str(b).strip()
    if a == b:
        return 0
    ta, tb = _tokens(a), _tokens(b)
    if len(ta) != len(tb):
        return None
    for x, y in zip(ta, tb):
        if x.isdigit() != y.isdigit():
            return None
        if x.isdigit():
            if int(x) != int(y):
                return -1 if int(x) < int(y) else 1
        elif x != y:
            return None
    return None      # same numbers, different spelling (leading zeros)


def newest(versions: List[str]) -> Optional[str]:
    """The newest of comparable versions (the first of an incomparable pair wins): for reports."""
    best: Optional[str] = None
    for version in versions:
        if version in (None, ""):
            continue
        if best is None or compare_versions(version, best) == 1:
            best = version
    return best


def read_package(path: str) -> Dict[str, Any]:
    """The manifest of a package file plus its sha256 and size; ``firmware_bad_package`` otherwise."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise CanonError("firmware_bad_package", "cannot read %s: %s" % (path, exc.strerror)) from None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(pt.FIRMWARE_MANIFEST)
            if info.file_size > MAX_MANIFEST_BYTES:
                raise ValueError("manifest too large")
            manifest = json.loads(archive.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, NotImplementedError, EOFError,
            zlib.error, RuntimeError, RecursionError) as exc:
        # unsupported compression or zip version, a cut deflate stream, JSON nested too deep: refused
        raise CanonError("firmware_bad_package", "%s is not a firmware package (%s)" % (path, exc)) from None
    problems = check_manifest(manifest)
    if problems:
        raise CanonError("firmware_bad_package", "%s: %s" % (path, "; ".join(problems)))
    return {"manifest": manifest, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def check_manifest(manifest: Any) -> List[str]:
    if not isinstance(manifest, dict):
        return ["the manifest is not an object"]
    problems = []
    if manifest.get("format") != pt.FIRMWARE_PACKAGE_FORMAT:
        problems.append("format must be %s" % pt.FIRMWARE_PACKAGE_FORMAT)
    for key in ("model", "version"):
        if not isinstance(manifest.get(key), str) or not manifest.get(key):
            problems.append("%s must be a non-empty string" % key)
    serials = manifest.get("serials")
    if serials != "any" and not (isinstance(serials, list) and all(isinstance(s, str) for s in serials)):
        problems.append("serials must be a list of serial numbers or \"any\"")
    if not isinstance(manifest.get("released", False), bool):
        problems.append("released must be true or false")
    if not isinstance(manifest.get("components", {}), dict):
        problems.append("components must be a mapping")
    return problems


def build_package(path: str, model: str, version: str, serials: Any = "any", released: bool = True,
                  components: Optional[Dict[str, str]] = None, payload: bytes = b"firmware image") -> str:
    """Write a package (tests, the demo and the benchmark build theirs with this)."""
    manifest = {"format": pt.FIRMWARE_PACKAGE_FORMAT, "model": model, "version": version, "serials": serials,
                "released": released, "components": dict(components or {})}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(pt.FIRMWARE_MANIFEST, json.dumps(manifest, indent=1))
        archive.writestr("firmware.bin", payload)
    return path


def serial_allowed(manifest: Dict[str, Any], serial: Optional[str]) -> bool:
    serials = manifest.get("serials")
    return serials == "any" or (serial is not None and serial in (serials or []))


def package_summary(package: Dict[str, Any]) -> Dict[str, Any]:
    manifest = package["manifest"]
    serials = manifest.get("serials")
    return {"model": manifest["model"], "version": manifest["version"], "released": manifest.get("released", False),
            "serials": serials if serials == "any" else len(serials), "components": manifest.get("components", {}),
            "sha256": package["sha256"], "size": package["size"]}


def version_tuple_hint(version: str) -> Tuple[str, ...]:
    """The shape of a version (for messages): digit runs as '#'."""
    return tuple("#" if t.isdigit() else t for t in _tokens(version))
