# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compiled code of this collection's module_utils, kept between module runs.

A module runs from an AnsiballZ zip that holds sources only, so Python compiles every module_utils file
the module imports, on every run, for every host: about 12 ms of CPU for canon_device_info and 19 ms for
canon_meap_app, more than the device exchange itself. Here the compiled code is kept in a private
per-user directory, each file named by the module name, the interpreter's version and the size and two
checksums of its source, so a changed source or another Python never meets stale code (what __pycache__
does for files on disk, which a zip cannot have). The names are not a security boundary: only the user
can write to the directory. Nothing imported here costs more than it saves (no hashlib, no importlib.abc:
loading OpenSSL alone takes longer than compiling a file).

Only this collection's module_utils loaded from an AnsiballZ zip go through it. On the controller
(action, inventory and callback plugins import module_utils from disk) install() does nothing and
Python's own __pycache__ applies. The directory is used only when it belongs to the user and nobody else
can write to it; a file not owned by the user is ignored; anything unusable (read-only home, full disk,
a damaged file) means compiling each file once per run, as without the cache but without zipimport's
second compile (see CachedZipFinder). PRINTFLEET_CANON_CODE_CACHE=off turns all of it off;
PYTHONDONTWRITEBYTECODE does not, since it is about __pycache__ beside source files, which this is not.
"""

from __future__ import annotations

import importlib.machinery
import marshal
import os
import sys
import time
import types
import zipimport
import zlib
from typing import Optional

#: ansible_collections.printfleet.canon.plugins.module_utils
PACKAGE = __name__.rsplit(".", 2)[0]
ENV_SWITCH = "PRINTFLEET_CANON_CODE_CACHE"
#: Cached code not rewritten for this long is removed when new code is stored (after an upgrade).
MAX_AGE_SECONDS = 30 * 24 * 3600


def cache_directory() -> Optional[str]:
    """The user's private cache directory for this interpreter, created if needed; None if unusable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "printfleet.canon", "code", sys.implementation.cache_tag or "python")
    try:
        # never create folders in a place that is not the user's (a module run with become keeps the
        # invoking user's HOME): the nearest folder that exists on the way must belong to the user
        existing = path
        while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
            existing = os.path.dirname(existing)
        if os.stat(existing).st_uid != os.getuid():
            return None
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.stat(path)
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return path


def _load(path: str) -> Optional[types.CodeType]:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_uid != os.getuid():
                return None
            code = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def _prune(directory: str) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.endswith(".bin") and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
    except OSError:
        pass


def _store(directory: str, path: str, code: types.CodeType) -> None:
    """Write atomically: a reader sees the whole file or none (forks of one run compile at once)."""
    partial = "%s.%d.tmp" % (path, os.getpid())
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(marshal.dumps(code))
        os.replace(partial, path)
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass
        return
    _prune(directory)


class CachedZipSourceLoader:
    """Loads one module_utils file of the zip: its code compiled once per source and kept."""

    def __init__(self, importer: zipimport.zipimporter, origin: str, source: bytes, package: bool,
                 directory: Optional[str]) -> None:
        self.importer = importer
        self.origin = origin
        self.source = source
        self.package = package
        self.directory = directory

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None     # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        # what importlib's own source loaders do with the code they load
        exec(self.get_code(module.__name__), module.__dict__)  # pylint: disable=exec-used

    def is_package(self, fullname: str) -> bool:  # pylint: disable=unused-argument
        return self.package

    def get_filename(self, fullname: str) -> str:  # pylint: disable=unused-argument
        return self.origin

    def get_source(self, fullname: str) -> str:  # pylint: disable=unused-argument
        return self.source.decode("utf-8")

    def get_data(self, path: str) -> bytes:
        return self.importer.get_data(path)

    def get_code(self, fullname: str) -> types.CodeType:
        if self.directory is None:      # no usable cache directory: compile once, keep nothing
            return compile(self.source, self.origin, "exec", dont_inherit=True)
        name = "%s-%x-%d-%08x-%08x.bin" % (fullname, sys.hexversion, len(self.source), zlib.crc32(self.source),
                                           zlib.adler32(self.source))
        path = os.path.join(self.directory, name)
        code = _load(path)
        if code is None:
            code = compile(self.source, self.origin, "exec", dont_inherit=True)
            _store(self.directory, path, code)
        else:
            # tracebacks name this run's file, as a __pycache__ file is fixed up when its source moved
            fix_filename = getattr(sys.modules.get("_imp"), "_fix_co_filename", None)
            if fix_filename is not None:
                fix_filename(code, self.origin)
        return code


class CachedZipFinder:
    """Finds this collection's module_utils in the zip and loads them through the cache.

    The spec is built here rather than by zipimport: on Python 3.11 and 3.12 zipimport compiles a module
    once to find it (its get_filename) and again to load it, which doubles the cost this file removes.
    """

    def __init__(self, directory: Optional[str]) -> None:
        self.directory = directory
        self.importers = {}     # package directory in the zip -> zipimporter

    def _importer(self, entry: str) -> Optional[zipimport.zipimporter]:
        if entry not in self.importers:
            try:
                self.importers[entry] = zipimport.zipimporter(entry)
            except (zipimport.ZipImportError, OSError):
                self.importers[entry] = None
        return self.importers[entry]

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if not fullname.startswith(PACKAGE + ".") or not path:
            return None
        tail = fullname.rpartition(".")[2]
        for entry in path:
            importer = self._importer(entry)
            if importer is None:
                continue
            for relative, package in ((tail + "/__init__.py", True), (tail + ".py", False)):
                origin = entry + "/" + relative
                try:
                    source = importer.get_data(origin)
                except OSError:
                    continue
                loader = CachedZipSourceLoader(importer, origin, source, package, self.directory)
                spec = importlib.machinery.ModuleSpec(fullname, loader, origin=origin, is_package=package)
                spec.has_location = True
                if package:
                    spec.submodule_search_locations = [entry + "/" + tail]
                return spec
        return None


def install() -> None:
    """Put the finder first on sys.meta_path, once, when module_utils come from a zip."""
    if any(isinstance(finder, CachedZipFinder) for finder in sys.meta_path):
        return
    package = sys.modules.get(PACKAGE)
    if not isinstance(getattr(getattr(package, "__spec__", None), "loader", None), zipimport.zipimporter):
        return
    if os.environ.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "false", "no"):
        return
    # without a usable directory the finder still spares zipimport's second compile of each file
    sys.meta_path.insert(0, CachedZipFinder(cache_directory()))
