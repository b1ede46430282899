"""One simulated device's settings: typed items, Import/Export All, locks, counters.

The store is created on first use (``store_for(device)``) from the profile
(``capabilities.settings_type`` I-IV, ``settings_platform``, ``series``, ``display_language``) and
the fleet spec entry's ``settings:`` key (``values``, ``display_language``, ``platform_version``,
``lock_seconds``). Device name, location and contact are the SNMP sysName/sysLocation/sysContact
of the device; System Manager ID/PIN are the Remote UI login; the address book is the Remote UI's
book -- one truth per fact, whichever way it is changed.

Behaviour from the public sources (EMC guide part D, Canon manuals):
* one file per export with every chosen category; categories the type lacks are left out;
* security level 2 from platform 3.10, 1 below; a level-2 file is refused by a <= 3.09 device;
* Import All codes per item: A same machine, B same series (and options), C any model;
* while an export or import runs the device refuses Remote UI use, sends, report prints and a
  second import/export ("Another user is importing or exporting.");
* a file exported under another display language is refused;
* Department ID import overwrites the System Manager ID/PIN and deletes IDs missing from the file;
* after an import that changed restart-bound items (TCP/IP, Department ID) the device restarts.
"""

from __future__ import annotations

import base64
import copy
import datetime
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..device import SimDevice
from . import catalog, codec

SNMP_LIMIT_KEYS = {"device.name": "sysName", "device.location": "sysLocation", "device.contact": "sysContact"}
DEVICE_ATTRS = {"device.name": "sys_name", "device.location": "sys_location", "device.contact": "sys_contact"}
SPEC_KEYS = ("values", "display_language", "platform_version", "lock_seconds", "file_layout")
# file_layout "vendor": exports in a wrapping the collection cannot read, as a real device's file would be
VENDOR_MAGIC = b"CANON-VENDOR-EXPORT 1\n"
INJECTABLE = ("invalid_data", "address_books", "restricted")
PASSWORD_MAX = 32

# category id -> (getter(device) -> {path: value}, setter(device, {path: value}) -> None)
Provider = Tuple[Callable[[SimDevice], Dict[str, Any]], Callable[[SimDevice, Dict[str, Any]], None]]
_PROVIDERS: Dict[str, Provider] = {}


def register_category_provider(category: str, getter: Callable[[SimDevice], Dict[str, Any]],
                               setter: Callable[[SimDevice, Dict[str, Any]], None]) -> None:
    """Let another simulator subsystem own a category's values (e.g. Security Policy).

    ``getter(device)`` returns ``{item path: value}`` for the category's items (paths under
    ``<category>.``); ``setter(device, values)`` applies what an import brings. Export, import,
    Import All codes and locks stay with this store.
    """
    _PROVIDERS[category] = (getter, setter)


class StoreError(Exception):
    """reason = key of protocol SETTINGS_TEXTS (or 'busy'); the device's sentence goes on the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def platform_tuple(version: Optional[str]) -> Tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(version).split("."))
    except ValueError:
        return (0,)


class SettingsStore:
    def __init__(self, device: SimDevice) -> None:
        profile = device.profile
        caps = profile.get("capabilities") or {}
        spec_all = device.extensions.get("spec") or {}
        spec = dict(spec_all.get("settings") or {})
        unknown = sorted(set(spec).difference(SPEC_KEYS))
        if unknown:
            raise ValueError("%s: unknown settings key(s) %s (known: %s)" % (
                device.address, ", ".join(unknown), ", ".join(SPEC_KEYS)))
        self.device = device
        kind = str(caps.get("settings_type") or "none")
        self.settings_type: Optional[str] = kind if kind in catalog.TYPE_CATEGORIES else None
        self.platform_version: Optional[str] = spec.get("platform_version", caps.get("settings_platform"))
        self.display_language = str(spec.get("display_language", caps.get("display_language", "en")))
        self.series = str(caps.get("series") or profile.get("model") or "")
        fax = bool(spec_all.get("fax", caps.get("fax")))
        self.options: Tuple[str, ...] = ("fax",) if fax else ()
        self.file_format = "xml" if self.settings_type == "I" else "dcm"
        self.lock_seconds = float(spec.get("lock_seconds", 0.0))
        self.file_layout = str(spec.get("file_layout", "simulator"))
        self.locked_until = 0.0
        self.busy: Optional[str] = None
        self.inject: Optional[str] = None
        self.restart_pending = False
        self.counters = {"exports": 0, "imports": 0, "imports_refused": 0, "item_writes": 0, "page_writes": 0,
                         "restarts": 0}
        self.last_import: Optional[Dict[str, Any]] = None
        self.items = catalog.items_for(self.settings_type, self.options) if self.settings_type else []
        self.by_path = {item.path: item for item in self.items}
        self._values: Dict[str, Any] = {}
        for item in self.items:
            if item.path in DEVICE_ATTRS or item.path.startswith("department_id.system_manager") \
                    or item.path == "address_book.lists":
                continue
            self._values[item.path] = copy.deepcopy(item.default)
        if "network.ipv4.address" in self.by_path:
            self._values["network.ipv4.address"] = device.address
        if "network.dns.host_name" in self.by_path:
            self._values["network.dns.host_name"] = "canon" + device.mac.replace(":", "")[-6:].lower()
        if "system.display_language" in self.by_path:
            self._values["system.display_language"] = self.display_language
        if "department_id.departments" in self.by_path:
            self._values["department_id.departments"] = [{"id": "1001", "name": "Sales", "pin": "1234", "counter": 0}]
        self._manager = {"id": "7654321", "pin": "7654321"}   # when the device has no Remote UI state
        for path, value in (spec.get("values") or {}).items():
            self.write(path, value, count=False)

    # ------------------------------------------------------------------ facts ---------------
    @property
    def available(self) -> bool:
        return self.settings_type is not None

    def categories(self) -> List[str]:
        cats = catalog.TYPE_CATEGORIES.get(self.settings_type or "", ())
        present = {catalog.category_of(item, self.settings_type or "") for item in self.items}
        return [c for c in cats if c in present]

    def security_levels(self) -> Tuple[int, ...]:
        if self.settings_type != "I":
            return (1,)
        return (1, 2) if platform_tuple(self.platform_version) >= (3, 10) else (1,)

    def default_level(self) -> int:
        return max(self.security_levels())

    def max_len(self, item: catalog.Item) -> Optional[int]:
        if item.path in SNMP_LIMIT_KEYS:
            return int(self.device.name_max.get(SNMP_LIMIT_KEYS[item.path], 255))
        return None

    # ------------------------------------------------------------------ locks ---------------
    def locked(self) -> bool:
        return time.monotonic() < self.locked_until

    def _lock(self) -> None:
        if self.lock_seconds > 0:
            self.locked_until = time.monotonic() + self.lock_seconds

    def gate(self) -> None:
        """Refuse while busy or while an import/export runs (a second one included)."""
        if self.locked():
            raise StoreError("busy:remote_session")
        if self.busy:
            raise StoreError("busy:" + self.busy)

    # ------------------------------------------------------------------ values --------------
    def _rui(self) -> Any:
        return self.device.extensions.get("remote_ui")

    def get(self, path: str) -> Any:
        if path in DEVICE_ATTRS:
            return getattr(self.device, DEVICE_ATTRS[path])
        if path.startswith("department_id.system_manager"):
            rui = self._rui()
            key = "id" if path.endswith("_id") else "pin"
            if rui is not None:
                return rui.system_manager_id if key == "id" else rui.system_manager_pin
            return self._manager[key]
        if path == "address_book.lists":
            rui = self._rui()
            return rui.book.snapshot() if rui is not None and rui.book is not None else {}
        category = path.split(".", 1)[0]
        if category in _PROVIDERS and path in self.by_path:
            provided = _PROVIDERS[category][0](self.device)
            if path in provided:
                return provided[path]
        return copy.deepcopy(self._values.get(path))

    def values(self) -> Dict[str, Any]:
        return {item.path: self.get(item.path) for item in self.items}

    def write(self, path: str, value: Any, count: bool = True) -> bool:
        """Set one item (control API, settings page, import); True when the value changed."""
        item = self.by_path.get(path)
        if item is None:
            raise ValueError("%s has no setting %s" % (self.device.address, path))
        value = catalog.check_value(item, value, self.max_len(item))
        if self.get(path) == value:
            return False
        self._put(item, value)
        if count:
            self.counters["item_writes"] += 1
        return True

    def _put(self, item: catalog.Item, value: Any) -> None:
        path = item.path
        if path in DEVICE_ATTRS:
            attr = DEVICE_ATTRS[path]
            setattr(self.device, attr, value)
            oid = {"sys_contact": "1.3.6.1.2.1.1.4.0", "sys_name": "1.3.6.1.2.1.1.5.0",
                   "sys_location": "1.3.6.1.2.1.1.6.0"}[attr]
            from ..mib import OCTET_STRING, Value
            self.device.mib.put(oid, Value(OCTET_STRING, str(value).encode("utf-8")))
        elif path.startswith("department_id.system_manager"):
            rui = self._rui()
            key = "system_manager_id" if path.endswith("_id") else "system_manager_pin"
            if rui is not None:
                setattr(rui, key, str(value))
            else:
                self._manager["id" if key.endswith("_id") else "pin"] = str(value)
        elif path == "address_book.lists":
            rui = self._rui()
            if rui is not None and rui.book is not None and isinstance(value, dict):
                rui.update({"address_book": value})
        else:
            category = path.split(".", 1)[0]
            if category in _PROVIDERS:
                _PROVIDERS[category][1](self.device, {path: value})
            self._values[path] = copy.deepcopy(value)

    # ------------------------------------------------------------------ export --------------
    def export(self, categories: List[str], password: str, level: Optional[int] = None) -> bytes:
        self._check_password(password)
        self._check_transfer()
        level = self.default_level() if level is None else int(level)
        if level not in self.security_levels():
            raise StoreError("security_level")
        wanted = [c for c in self.categories() if c in set(categories)]     # others silently left out
        header = {"model": self.device.profile.get("model", ""), "series": self.series,
                  "serial": self.device.serial, "platform_version": self.platform_version or "",
                  "settings_type": self.settings_type, "security_level": level,
                  "display_language": self.display_language,
                  "exported_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        blocks = []
        for cid in wanted:
            rows = []
            for item in self.items:
                if catalog.category_of(item, self.settings_type or "") != cid or item.code == "No":
                    continue
                value = self.get(item.path)
                if item.path == "department_id.departments":      # counters are never exported
                    value = [{k: v for k, v in d.items() if k != "counter"} for d in value or []]
                rows.append((item.path, item.code, item.kind, value))
            blocks.append((cid, catalog.CATEGORIES[cid], rows))
        self.counters["exports"] += 1
        self._lock()
        data = codec.encode(self.file_format, header, blocks, password)
        if self.file_layout == "vendor":
            data = VENDOR_MAGIC + base64.b64encode(data) + b"\n"
        return data

    def _check_password(self, password: Optional[str]) -> None:
        if not password or len(password) > PASSWORD_MAX or any(not 0x20 <= ord(c) < 0x7F for c in password):
            raise StoreError("password_rule")

    def _check_transfer(self) -> None:
        if not self.available:
            raise StoreError("unsupported")
        self.gate()
        if self.get("system.restrict_import_export") is True:
            raise StoreError("restricted")
        if self.inject in ("invalid_data", "address_books", "restricted"):
            reason, self.inject = self.inject, None
            raise StoreError(reason)

    # ------------------------------------------------------------------ import --------------
    def import_file(self, data: bytes, password: str) -> Dict[str, Any]:
        """Apply a file; returns the per-item outcome. Raises StoreError on refusal (nothing applied)."""
        self._check_password(password)
        if data.startswith(VENDOR_MAGIC):
            try:
                data = base64.b64decode(data[len(VENDOR_MAGIC):].strip(), validate=True)
            except ValueError:
                data = b""
        try:
            self._check_transfer()
            try:
                head = codec.decode(data, None)["header"]
            except codec.CodecError as exc:
                raise StoreError(exc.reason)
            if head.get("settings_type") != self.settings_type:
                raise StoreError("type_mismatch")
            level = int(head.get("security_level") or 1)
            if level not in self.security_levels():
                raise StoreError("security_level")
            if head.get("display_language") != self.display_language:
                raise StoreError("language")
            try:
                parsed = codec.decode(data, password)
            except codec.CodecError as exc:
                raise StoreError(exc.reason)
        except StoreError:
            self.counters["imports_refused"] += 1
            raise
        same_machine = head.get("serial") == self.device.serial
        same_series = head.get("series") == self.series
        applied: List[str] = []
        skipped: Dict[str, str] = {}
        restart = False
        # EMC guide: security policy settings in the data apply only when the policy password in the data
        # equals the device's, or the device has none (it then takes the data's; Canon, facts §3); otherwise
        # they are left out (type I) and the rest is applied.
        file_items = {p: e for block in parsed["categories"].values() for p, e in block["items"].items()}
        policy_refused = ("security_policy.password" in file_items and "security_policy.password" in self.by_path
                          and bool(self.get("security_policy.password"))
                          and file_items["security_policy.password"]["value"] != self.get("security_policy.password"))
        for cid, block in parsed["categories"].items():
            for path, entry in block["items"].items():
                item = self.by_path.get(path)
                code = entry.get("code")
                if item is None:
                    skipped[path] = "not_on_device"
                    continue
                if policy_refused and path.startswith("security_policy."):
                    skipped[path] = "policy_password_mismatch"
                    continue
                if code == "A" and not same_machine:
                    skipped[path] = "code_a_other_machine"
                    continue
                if code == "B" and not same_series:
                    skipped[path] = "code_b_other_series"
                    continue
                if path == "department_id.departments":
                    value = self._merge_departments(entry["value"])
                else:
                    value = entry["value"]
                try:
                    value = catalog.check_value(item, value, self.max_len(item))
                except ValueError:
                    skipped[path] = "invalid_value"
                    continue
                if self.get(path) != value:
                    self._put(item, value)
                    applied.append(path)
                    restart = restart or item.restart or (item.risk in ("department_id", "system_manager"))
        self.counters["imports"] += 1
        self._lock()
        self.last_import = {"applied": applied, "skipped": skipped, "restart": restart,
                            "categories": list(parsed["categories"]), "same_machine": same_machine,
                            "same_series": same_series}
        if restart:
            self.counters["restarts"] += 1
            self.device.restart()
        return self.last_import

    def _merge_departments(self, incoming: Any) -> Any:
        """Department IDs: the file's list replaces the device's (IDs missing are deleted); counters of
        IDs that stay are kept, new IDs start at 0 (counters are never exported)."""
        if not isinstance(incoming, list):
            return incoming
        current = {d.get("id"): d for d in (self._values.get("department_id.departments") or [])}
        out = []
        for entry in incoming:
            if not isinstance(entry, dict):
                continue
            merged = dict(entry)
            merged["counter"] = int((current.get(entry.get("id")) or {}).get("counter", 0))
            out.append(merged)
        return out

    # ------------------------------------------------------------------ control -------------
    def describe(self) -> Dict[str, Any]:
        return {"available": self.available, "settings_type": self.settings_type,
                "platform_version": self.platform_version, "display_language": self.display_language,
                "series": self.series, "options": list(self.options), "file_format": self.file_format,
                "categories": self.categories(), "security_levels": list(self.security_levels()),
                "values": self.values(), "counters": dict(self.counters), "last_import": self.last_import,
                "locked": self.locked(), "lock_seconds": self.lock_seconds, "busy": self.busy,
                "inject": self.inject, "restart_pending": self.restart_pending, "file_layout": self.file_layout}

    def update(self, body: Dict[str, Any]) -> Dict[str, Any]:
        known = ("values", "busy", "inject", "display_language", "lock_seconds", "platform_version", "lock",
                 "restart_pending", "file_layout")
        unknown = sorted(set(body).difference(known))
        if unknown:
            raise ValueError("unknown settings key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(known)))
        changed = []
        for path, value in (body.get("values") or {}).items():
            if self.write(path, value, count=False):
                changed.append(path)
        if "busy" in body:
            self.busy = body["busy"] or None
        if "inject" in body:
            if body["inject"] not in (None,) + INJECTABLE:
                raise ValueError("inject must be null or one of %s" % ", ".join(INJECTABLE))
            self.inject = body["inject"]
        if "display_language" in body:
            self.display_language = str(body["display_language"])
            if "system.display_language" in self._values:
                self._values["system.display_language"] = self.display_language
        if "platform_version" in body:
            self.platform_version = body["platform_version"]
        if "lock_seconds" in body:
            self.lock_seconds = float(body["lock_seconds"])
        if "lock" in body:          # lock now for N seconds (0 ends a lock)
            self.locked_until = time.monotonic() + float(body["lock"] or 0)
        if "restart_pending" in body:
            self.restart_pending = bool(body["restart_pending"])
        if "file_layout" in body:
            if body["file_layout"] not in ("simulator", "vendor"):
                raise ValueError("file_layout must be simulator or vendor")
            self.file_layout = str(body["file_layout"])
        return {"changed": changed}


def store_for(device: SimDevice) -> SettingsStore:
    """The device's store, created on first use."""
    store = device.extensions.get("settings")
    if store is None:
        store = SettingsStore(device)
        device.extensions["settings"] = store
        device.boot_hooks.append(lambda: setattr(store, "restart_pending", False))
    return store
