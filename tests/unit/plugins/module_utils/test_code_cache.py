# -*- coding: utf-8 -*-
"""core/code_cache.py: module_utils loaded from an AnsiballZ-like zip keep their compiled code between runs.

Each run is a fresh interpreter (as a module run is) importing from a zip laid out as AnsiballZ lays out a
collection: the real core/__init__.py and core/code_cache.py, plus a demo package of module_utils. The child
counts calls to compile() for files of the zip, so "nothing compiled on the second run" is observed, not
assumed.
"""

from __future__ import annotations

import json
import os
import pathlib
import stat
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core import code_cache

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
BASE = "ansible_collections/printfleet/canon/plugins/module_utils/"
INSTALL = open(os.path.join(ROOT, "plugins", "module_utils", "device", "__init__.py"), encoding="utf-8").read()

THING = '''
VALUE = %r


def boom():
    raise RuntimeError("boom")
'''

CHILD = r'''
import builtins, json, sys, traceback
zip_path = sys.argv[1]
sys.path.insert(0, zip_path)
compiled = []
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    if isinstance(filename, str) and ".zip" in filename:
        compiled.append(filename.split(".zip/", 1)[1])
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
from ansible_collections.printfleet.canon.plugins.module_utils.demo import thing
from ansible_collections.printfleet.canon.plugins.module_utils.demo.inner import leaf
try:
    thing.boom()
except RuntimeError:
    frame_file = traceback.extract_tb(sys.exc_info()[2])[-1].filename
print(json.dumps({
    "value": thing.VALUE, "leaf": leaf.LEAF, "file": thing.__file__, "frame_file": frame_file,
    "compiled": compiled,
    "finder": [type(f).__name__ for f in sys.meta_path].count("CachedZipFinder"),
    "package_path": list(sys.modules["ansible_collections.printfleet.canon.plugins.module_utils.demo"].__path__),
}))
'''


def build_zip(path, value="one"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in ("ansible_collections/", "ansible_collections/printfleet/", "ansible_collections/printfleet/canon/",
                        "ansible_collections/printfleet/canon/plugins/", BASE):
            archive.writestr(package + "__init__.py", "")
        for name in ("__init__.py", "code_cache.py"):
            with open(os.path.join(ROOT, "plugins", "module_utils", "core", name), encoding="utf-8") as handle:
                archive.writestr(BASE + "core/" + name, handle.read())
        archive.writestr(BASE + "demo/__init__.py", INSTALL)
        archive.writestr(BASE + "demo/thing.py", THING % value)
        archive.writestr(BASE + "demo/inner/__init__.py", "")
        archive.writestr(BASE + "demo/inner/leaf.py", "LEAF = 'leaf'\n")
    return str(path)


#: the demo package's files after demo/__init__.py, each compiled exactly once
ONCE_EACH = sorted(BASE + "demo/" + name for name in ("thing.py", "inner/__init__.py", "inner/leaf.py"))


def through_finder(compiled):
    """Files of the demo package compiled after the finder was installed (demo/__init__.py installs it, so
    zipimport loads that one)."""
    return sorted(f for f in compiled if f.startswith(BASE + "demo/") and f != BASE + "demo/__init__.py")


def run(zip_path, cache_home, **env):
    child_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", code_cache.ENV_SWITCH)}
    child_env.update(XDG_CACHE_HOME=str(cache_home), **env)
    proc = subprocess.run([sys.executable, "-c", CHILD, zip_path], capture_output=True, text=True, env=child_env,
                          timeout=60, cwd=os.path.dirname(zip_path))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cached_files(cache_home):
    found = []
    for folder, _dirs, files in os.walk(str(cache_home)):
        found.extend(os.path.join(folder, name) for name in files)
    return sorted(found)


def test_first_run_compiles_each_file_once_and_keeps_the_code_privately(tmp_path):
    out = run(build_zip(tmp_path / "payload.zip"), tmp_path / "cache")
    assert out["value"] == "one" and out["leaf"] == "leaf" and out["finder"] == 1
    assert out["file"].endswith("payload.zip/" + BASE + "demo/thing.py")
    assert out["package_path"] == [str(tmp_path / "payload.zip") + "/" + BASE.rstrip("/") + "/demo"]
    # zipimport alone compiles a module twice on 3.11/3.12 (once to find it); through the finder, once
    assert through_finder(out["compiled"]) == ONCE_EACH
    files = cached_files(tmp_path / "cache")
    assert len(files) == 3 and all(f.endswith(".bin") for f in files)
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(os.stat(os.path.dirname(files[0])).st_mode) == 0o700


def test_second_run_compiles_nothing_and_tracebacks_name_this_runs_file(tmp_path):
    first = build_zip(tmp_path / "first.zip")
    run(first, tmp_path / "cache")
    second = build_zip(tmp_path / "second.zip")          # same sources, another temporary path (as each run)
    out = run(second, tmp_path / "cache")
    assert through_finder(out["compiled"]) == [], out["compiled"]
    assert out["value"] == "one" and out["leaf"] == "leaf"
    assert out["frame_file"] == str(tmp_path / "second.zip") + "/" + BASE + "demo/thing.py"


def test_a_changed_source_never_meets_stale_code(tmp_path):
    run(build_zip(tmp_path / "a.zip", value="one"), tmp_path / "cache")
    out = run(build_zip(tmp_path / "b.zip", value="two"), tmp_path / "cache")
    assert out["value"] == "two"
    assert through_finder(out["compiled"]) == [BASE + "demo/thing.py"]


def test_a_damaged_cache_file_is_compiled_again(tmp_path):
    run(build_zip(tmp_path / "a.zip"), tmp_path / "cache")
    for path in cached_files(tmp_path / "cache"):
        with open(path, "wb") as handle:
            handle.write(b"\x00garbage")
    out = run(build_zip(tmp_path / "b.zip"), tmp_path / "cache")
    assert out["value"] == "one" and len(through_finder(out["compiled"])) == 3


def test_a_directory_others_can_write_to_is_not_used(tmp_path):
    cache = tmp_path / "cache"
    directory = cache / "printfleet.canon" / "code" / sys.implementation.cache_tag
    directory.mkdir(parents=True)
    directory.chmod(0o777)
    out = run(build_zip(tmp_path / "a.zip"), cache)
    assert out["value"] == "one" and out["finder"] == 1
    assert through_finder(out["compiled"]) == ONCE_EACH        # compiled once each, nothing kept
    assert cached_files(cache) == []


def test_nothing_is_created_in_a_folder_of_another_user(tmp_path):
    """As under become: HOME (here the cache base) belongs to someone else; no folder is made there."""
    if os.getuid() == 0:                 # root: give a folder away
        foreign = tmp_path / "foreign"
        foreign.mkdir()
        os.chown(str(foreign), 54321, 54321)
    else:                                # anyone else: "/" is root's
        foreign = pathlib.Path("/printfleet-canon-not-yours")
    out = run(build_zip(tmp_path / "a.zip"), foreign / "cache")
    assert out["value"] == "one" and out["finder"] == 1 and through_finder(out["compiled"]) == ONCE_EACH
    assert not os.path.exists(str(foreign / "cache"))


def test_switched_off_by_the_environment(tmp_path):
    out = run(build_zip(tmp_path / "a.zip"), tmp_path / "cache", **{code_cache.ENV_SWITCH: "off"})
    assert out["value"] == "one" and out["finder"] == 0
    assert cached_files(tmp_path / "cache") == []


def test_nothing_is_installed_when_module_utils_come_from_disk(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    code_cache.install()
    assert not any(isinstance(f, code_cache.CachedZipFinder) for f in sys.meta_path)


PACKAGES = sorted(name for name in os.listdir(os.path.join(ROOT, "plugins", "module_utils"))
                  if os.path.isfile(os.path.join(ROOT, "plugins", "module_utils", name, "__init__.py")))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_of_module_utils_installs_it(name):
    """A module's first import of module_utils goes through one of these packages (the module_utils
    package itself is synthesized empty by AnsiballZ, so it cannot hold the call)."""
    with open(os.path.join(ROOT, "plugins", "module_utils", name, "__init__.py"), encoding="utf-8") as handle:
        assert handle.read() == INSTALL
