"""One simulated device's SMS: applications, licenses, limits, the single session, counters.

Created on first use (``store_for(device)``) from the profile (``capabilities.app_platform``:
meap | addon | none) and the fleet spec entry's ``sms:`` key (SPEC_KEYS). Behaviour follows the
public facts (research canon-meap-settings-policy-firmware-facts.md §1, EMC guide part C):

* 20 applications at most, the Send function takes one, login applications do not count,
  19 may run at once; storage is checked at install, memory/threads/sockets at start;
* an update only of a stopped application; the same or an older version installs (SMS itself
  does not protect against downgrades; the collection does);
* a licensed application's uninstall needs its license disabled and deleted first; the disabled
  license downloaded before the delete installs again only on the same device;
* a login application cannot be stopped; starting one stops the others and restarts the device;
* system options cannot be uninstalled; AddOn and no-platform devices refuse MEAP;
* one session at a time, held ``session_hold_seconds`` (300) after its last request unless it
  logs out; a login page older than ``login_page_seconds`` refuses a correct password;
* the factory password is refused remotely unless allowed, and forces a change when allowed.
"""

from __future__ import annotations

import datetime
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .. import faults
from ..device import SimDevice
from ..remote_ui.table import protocol
from .archive import PackageError, license_expiry, parse_license, read_jar, render_license, split_list

SPEC_KEYS = ("password", "allow_default_password", "platform", "meap_spec_versions", "device_specification_ids",
             "storage_kb", "memory_kb", "threads", "sockets", "app_limit", "run_limit", "apps",
             "session_hold_seconds", "login_page_seconds", "restart_seconds")
COUNTER_KEYS = ("logins", "failed_logins", "default_password_refusals", "busy_refusals", "logouts", "installs",
                "updates", "uninstalls", "starts", "stops", "license_installs", "license_disables",
                "license_downloads", "license_deletes", "password_changes", "writes", "refusals", "requests")
TEXTS = protocol.SMS_TEXTS
DEFAULT_SPEC_VERSIONS = ["55", "57", "113"]
DEFAULT_DEVICE_SPEC_IDS = ["iRADV-G3"]


class SmsRefusal(Exception):
    """The device refuses: reason = key of protocol SMS_TEXTS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class License:
    file_id: str
    serial: str
    period: str
    installed: datetime.date
    expires: Optional[datetime.date]
    limit: Optional[int] = None
    counter: int = 0
    state: str = "active"                 # active | disabled
    returned: Optional[bytes] = None       # the disabled license file SMS offers for download


@dataclass
class App:
    app_id: str
    name: str
    version: str
    vendor: str = ""
    kind: str = "Application"              # protocol SMS_APP_KINDS
    status: str = "Installed"
    builtin: bool = False
    license_required: bool = False
    license: Optional[License] = None
    manifest: Dict[str, str] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=lambda: {"install": 0, "update": 0})

    def license_status(self, today: datetime.date) -> str:
        lic = self.license
        if lic is None:
            return "Not Installed" if self.license_required else "Unnecessary"
        if lic.state == "disabled":
            return "Disabled"
        if lic.expires is not None and lic.expires < today:
            return "Expired"
        if lic.limit is not None and lic.counter > lic.limit:
            return "Over Limit"
        return "Installed"

    def usage(self, key: str) -> int:
        try:
            return int(self.manifest.get(key, "0") or 0)
        except ValueError:
            return 0


@dataclass
class SmsSession:
    sid: str
    owner: str = "client"                  # "other": a browser somebody left open (control API)
    last_used: float = field(default_factory=time.monotonic)
    must_change: bool = False
    last_page: Optional[str] = None
    token: Optional[str] = None
    pending: Optional[Dict[str, Any]] = None


def _today() -> datetime.date:
    return datetime.date.today()


class SmsStore:
    def __init__(self, device: SimDevice) -> None:
        spec_all = device.extensions.get("spec") or {}
        spec = dict(spec_all.get("sms") or {})
        unknown = sorted(set(spec).difference(SPEC_KEYS))
        if unknown:
            raise ValueError("%s: unknown sms key(s) %s (known: %s)" % (
                device.address, ", ".join(unknown), ", ".join(SPEC_KEYS)))
        caps = device.profile.get("capabilities") or {}
        self.device = device
        self.platform = str(spec.get("platform") or caps.get("app_platform") or "none")
        self.password = str(spec.get("password", protocol.SMS_DEFAULT_PASSWORD))
        self.allow_default_password = bool(spec.get("allow_default_password", False))
        self.meap_spec_versions = [str(v) for v in spec.get("meap_spec_versions", DEFAULT_SPEC_VERSIONS)]
        self.device_specification_ids = [str(v) for v in spec.get("device_specification_ids",
                                                                  DEFAULT_DEVICE_SPEC_IDS)]
        self.storage_kb = int(spec.get("storage_kb", 1024 * 1024))
        self.memory_kb = int(spec.get("memory_kb", 128 * 1024))
        self.threads = int(spec.get("threads", 256))
        self.sockets = int(spec.get("sockets", 256))
        self.app_limit = int(spec.get("app_limit", 20))
        self.run_limit = int(spec.get("run_limit", 19))
        self.session_hold_seconds = float(spec.get("session_hold_seconds", protocol.SMS_SESSION_HOLD_SECONDS))
        self.login_page_seconds = float(spec.get("login_page_seconds", protocol.SMS_LOGIN_PAGE_SECONDS))
        self.restart_seconds = float(spec.get("restart_seconds", 2.0))
        self.apps: "OrderedDict[str, App]" = OrderedDict()
        self.used_license_ids: set = set()
        self.session: Optional[SmsSession] = None
        self.login_pages: Dict[str, float] = {}
        self.counters: Dict[str, int] = {k: 0 for k in COUNTER_KEYS}
        self.inject: Optional[str] = None
        self.inject_on: Optional[str] = None       # a COUNTER_KEYS write (e.g. "updates"), None: the next write
        self.busy = False
        self.restart_pending = False
        self.last_error: Optional[str] = None
        if self.platform == "meap":
            self._seed_builtin()
        for entry in spec.get("apps") or []:
            self.seed_app(entry)
        device.boot_hooks.append(self._on_boot)

    # ------------------------------------------------------------------ seeding -------------
    def _seed_builtin(self) -> None:
        self.apps["SystemOption-Send"] = App("SystemOption-Send", "Send", "1.0.0", "Canon Inc.", "System Option",
                                             "Started", builtin=True)
        self.apps["LoginService-Default"] = App("LoginService-Default", "Default Authentication", "1.0.0",
                                                "Canon Inc.", "Login Application", "Started", builtin=True)

    def seed_app(self, entry: Dict[str, Any]) -> App:
        """An app from the spec/control API: {id, name, version, vendor, kind, status, license: {...}}."""
        app = App(str(entry["id"]), str(entry.get("name", entry["id"])), str(entry.get("version", "1.0.0")),
                  str(entry.get("vendor", "")), str(entry.get("kind", "Application")),
                  str(entry.get("status", "Installed")), builtin=bool(entry.get("builtin", False)),
                  license_required=bool(entry.get("license_required", False)),
                  manifest={k: str(v) for k, v in (entry.get("manifest") or {}).items()})
        lic = entry.get("license")
        if lic:
            period = str(lic.get("period", "*"))
            installed = _today()
            app.license = License(str(lic.get("file_id", "LF-SEED-" + app.app_id)), self.device.serial, period,
                                  installed, license_expiry(period, installed), state=str(lic.get("state", "active")))
            app.license_required = True
        self.apps[app.app_id] = app
        return app

    def _on_boot(self) -> None:
        self.session = None
        self.restart_pending = False

    # ------------------------------------------------------------------ facts -----------------
    def counted_apps(self) -> List[App]:
        return [a for a in self.apps.values() if a.kind != "Login Application"]

    def storage_free_kb(self) -> int:
        if faults.meap_disk_full(self.device.address):     # the storage is full (fault injection)
            return 0
        return self.storage_kb - sum(a.usage("MaximumFilespaceUsage") for a in self.apps.values())

    def describe(self) -> Dict[str, Any]:
        today = _today()
        return {
            "platform": self.platform, "password_is_default": self.password == protocol.SMS_DEFAULT_PASSWORD,
            "allow_default_password": self.allow_default_password, "serial": self.device.serial,
            "meap_spec_versions": self.meap_spec_versions, "device_specification_ids": self.device_specification_ids,
            "storage_free_kb": self.storage_free_kb(), "app_limit": self.app_limit,
            "counters": dict(self.counters, open_sessions=self.open_sessions()),
            "session": None if not self.session_active() else {"owner": self.session.owner,
                                                               "must_change": self.session.must_change},
            "restart_pending": self.restart_pending, "inject": self.inject, "busy": self.busy,
            "session_hold_seconds": self.session_hold_seconds, "used_license_ids": sorted(self.used_license_ids),
            "apps": [{"id": a.app_id, "name": a.name, "version": a.version, "vendor": a.vendor, "kind": a.kind,
                      "status": a.status, "builtin": a.builtin, "license_status": a.license_status(today),
                      "license_expires": (a.license.expires.isoformat() if a.license and a.license.expires
                                          else None),
                      "license_file_id": a.license.file_id if a.license else None,
                      "counts": dict(a.counts)} for a in self.apps.values()],
        }

    def update(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Control API changes (never counted as SMS writes)."""
        for key in ("password",):
            if key in body:
                self.password = str(body[key])
        if "allow_default_password" in body:
            self.allow_default_password = bool(body["allow_default_password"])
        if "platform" in body:
            self.platform = str(body["platform"])
        if "inject" in body:
            value = body["inject"]
            if value is not None and value not in TEXTS:
                raise ValueError("inject must be one of %s" % ", ".join(sorted(TEXTS)))
            self.inject = value
            self.inject_on = body.get("inject_on")
            if self.inject_on is not None and self.inject_on not in COUNTER_KEYS:
                raise ValueError("inject_on must be one of %s" % ", ".join(COUNTER_KEYS))
        if "busy" in body:
            self.busy = bool(body["busy"])
        for key in ("session_hold_seconds", "login_page_seconds", "restart_seconds"):
            if key in body:
                setattr(self, key, float(body[key]))
        for key in ("storage_kb", "memory_kb", "app_limit", "run_limit"):
            if key in body:
                setattr(self, key, int(body[key]))
        if body.get("hold_session"):
            self.session = SmsSession(secrets.token_hex(16), owner="other")
        if body.get("release_session"):
            self.session = None
        for entry in body.get("apps") or []:
            self.seed_app(entry)
        for app_id, expires in (body.get("license_expires") or {}).items():
            lic = self.apps[app_id].license
            if lic is None:
                raise ValueError("%s has no license" % app_id)
            lic.expires = datetime.date.fromisoformat(expires) if expires else None
        if body.get("reset_counters"):
            self.counters = {k: 0 for k in COUNTER_KEYS}
        return {}

    # ------------------------------------------------------------------ sessions --------------
    def session_active(self) -> bool:
        if self.session is None:
            return False
        if time.monotonic() - self.session.last_used > self.session_hold_seconds:
            self.session = None
            return False
        return True

    def open_sessions(self) -> int:
        return 1 if self.session_active() else 0

    def login_page(self) -> str:
        token = secrets.token_hex(12)
        now = time.monotonic()
        self.login_pages = {k: v for k, v in self.login_pages.items() if now - v < 3600}
        self.login_pages[token] = now
        return token

    def login(self, password: str, page_token: str) -> SmsSession:
        issued = self.login_pages.pop(page_token, None)
        if self.busy:
            raise SmsRefusal("busy")
        if self.session_active():
            self.counters["busy_refusals"] += 1
            raise SmsRefusal("busy_session")
        if issued is None or time.monotonic() - issued > self.login_page_seconds:
            self.counters["refusals"] += 1
            raise SmsRefusal("stale_login")
        if password != self.password:
            self.counters["failed_logins"] += 1
            raise SmsRefusal("login_failed")
        if password == protocol.SMS_DEFAULT_PASSWORD and not self.allow_default_password:
            self.counters["default_password_refusals"] += 1
            raise SmsRefusal("default_refused")
        self.counters["logins"] += 1
        self.session = SmsSession(secrets.token_hex(16),
                                  must_change=password == protocol.SMS_DEFAULT_PASSWORD)
        return self.session

    def session_for(self, sid: Optional[str]) -> Optional[SmsSession]:
        if not sid or not self.session_active() or self.session.sid != sid:
            return None
        self.session.last_used = time.monotonic()
        return self.session

    def logout(self, sid: Optional[str]) -> bool:
        if self.session_active() and self.session.sid == sid:
            self.session = None
            self.counters["logouts"] += 1
            return True
        return False

    # ------------------------------------------------------------------ checks ----------------
    def _write(self, counter: str) -> None:
        """Every state change passes here: the injected error fires instead of the change."""
        if self.inject is not None and self.inject_on in (None, counter):
            reason, self.inject = self.inject, None
            self.counters["refusals"] += 1
            raise SmsRefusal(reason)
        self.counters[counter] += 1
        self.counters["writes"] += 1

    def check_license(self, data: bytes, app_id: Optional[str]) -> Dict[str, str]:
        try:
            fields = parse_license(data)
        except PackageError as exc:
            raise SmsRefusal(exc.reason)
        if app_id is not None and fields["Application-Id"] != app_id:
            raise SmsRefusal("license_invalid")
        serial = fields["Serial-Number"]
        if serial != "*" and serial != self.device.serial:
            raise SmsRefusal("wrong_serial")
        if fields["License-File-Id"] in self.used_license_ids:
            raise SmsRefusal("license_used")
        expires = license_expiry(fields["Validated-Period"], _today())
        if expires is not None and expires < _today():
            raise SmsRefusal("license_expired")
        return fields

    def prepare_install(self, jar: Optional[bytes], lic: Optional[bytes]) -> Dict[str, Any]:
        """Checks of the install page: returns the pending operation the [Yes] page confirms."""
        if self.platform != "meap":
            raise SmsRefusal("addon")
        if not jar:
            raise SmsRefusal("license_only" if lic else "bad_package")
        try:
            manifest, agreement = read_jar(jar)
        except PackageError as exc:
            raise SmsRefusal(exc.reason)
        specs = split_list(manifest.get("MEAPSpecVersion"))
        if not set(specs).intersection(self.meap_spec_versions):
            raise SmsRefusal("not_supported")
        ids = split_list(manifest.get("DeviceSpecification-Ids"))
        if ids and not set(ids).intersection(self.device_specification_ids):
            raise SmsRefusal("not_supported")
        app_id = manifest["Application-Id"]
        current = self.apps.get(app_id)
        login = manifest.get("Application-Type", "").lower() == "login"
        if current is not None:
            if current.builtin:
                raise SmsRefusal("system_option")
            if current.status in ("Started", "Starting"):
                raise SmsRefusal("stop_first")
        elif not login and len(self.counted_apps()) >= self.app_limit:
            raise SmsRefusal("app_limit")
        # the jar itself is stored too, whatever the manifest declares (a full device refuses any install)
        need = max(int(manifest.get("MaximumFilespaceUsage", "0") or 0), -(-len(jar) // 1024))
        full = faults.meap_disk_full(self.device.address)
        have = self.storage_free_kb() + (current.usage("MaximumFilespaceUsage") if current and not full else 0)
        if need > have:
            if full:
                faults.fired(self.device.address, "meap_disk_full")
            raise SmsRefusal("disk_full")
        fields = self.check_license(lic, app_id) if lic else None
        return {"op": "update" if current else "install", "manifest": manifest, "agreement": agreement,
                "license": fields, "license_bytes": lic, "accepted": False}

    def perform_install(self, pending: Dict[str, Any]) -> str:
        manifest = pending["manifest"]
        app_id = manifest["Application-Id"]
        current = self.apps.get(app_id)
        self._write("updates" if current else "installs")
        login = manifest.get("Application-Type", "").lower() == "login"
        app = current or App(app_id, manifest["Bundle-Name"], manifest["Bundle-Version"])
        app.name = manifest["Bundle-Name"]
        app.version = manifest["Bundle-Version"]
        app.vendor = manifest.get("Bundle-Vendor", "")
        app.kind = "Login Application" if login else "Application"
        app.manifest = dict(manifest)
        app.license_required = manifest.get("License-Required", "").lower() == "true" or app.license is not None
        app.counts["update" if current else "install"] += 1
        if current is None:
            app.status = "Installed"
        if pending.get("license"):
            self._install_license(app, pending["license"])
        self.apps[app_id] = app
        if login:
            self.restart_pending = True
        return "updated" if current else "installed"

    def _install_license(self, app: App, fields: Dict[str, str]) -> None:
        today = _today()
        limit = fields.get("Counter-Upper-Limit")
        app.license = License(fields["License-File-Id"], fields["Serial-Number"], fields["Validated-Period"], today,
                              license_expiry(fields["Validated-Period"], today), int(limit) if limit else None)
        app.license_required = True
        self.used_license_ids.add(fields["License-File-Id"])

    def app(self, app_id: str) -> App:
        found = self.apps.get(app_id)
        if found is None:
            raise SmsRefusal("page_flow")
        return found

    def start(self, app_id: str) -> str:
        app = self.app(app_id)
        if app.status == "Started":
            return "started"
        if app.license_required and app.license_status(_today()) != "Installed":
            raise SmsRefusal("license_not_valid")
        running = [a for a in self.apps.values() if a.status == "Started" and a is not app]
        if app.kind != "Login Application":
            if len([a for a in running if a.kind != "Login Application"]) >= self.run_limit:
                raise SmsRefusal("resources")
            for key, total in (("MaximumMemoryUsage", self.memory_kb), ("MaximumThreadUsage", self.threads),
                               ("MaximumSocketUsage", self.sockets)):
                if sum(a.usage(key) for a in running) + app.usage(key) > total:
                    raise SmsRefusal("resources")
        self._write("starts")
        app.status = "Started"
        if app.kind == "Login Application":
            for other in self.apps.values():
                if other is not app and other.kind == "Login Application":
                    other.status = "Stopped"
            self.device.restart(self.restart_seconds)     # switching the login service restarts
        return "started"

    def stop(self, app_id: str) -> str:
        app = self.app(app_id)
        if app.kind == "Login Application":
            raise SmsRefusal("login_stop")
        if app.status != "Started":
            return "stopped"
        self._write("stops")
        app.status = "Stopped"
        return "stopped"

    def check_uninstall(self, app_id: str) -> None:
        app = self.app(app_id)
        if app.builtin or app.kind == "System Option":
            raise SmsRefusal("system_option")
        if app.status == "Started":
            raise SmsRefusal("stop_first")
        if app.license is not None:
            raise SmsRefusal("license_first")

    def uninstall(self, app_id: str) -> str:
        self.check_uninstall(app_id)
        self._write("uninstalls")
        del self.apps[app_id]
        return "uninstalled"

    def check_license_install(self, app_id: str, data: Optional[bytes]) -> Dict[str, Any]:
        app = self.app(app_id)
        if not data:
            raise SmsRefusal("license_invalid")
        if app.license is not None and app.license.state == "disabled":
            raise SmsRefusal("license_first")
        return {"op": "license_install", "app_id": app_id, "license": self.check_license(data, app_id)}

    def license_install(self, pending: Dict[str, Any]) -> str:
        app = self.app(pending["app_id"])
        self._write("license_installs")
        self._install_license(app, pending["license"])
        return "license_installed"

    def check_disable(self, app_id: str) -> None:
        app = self.app(app_id)
        if app.license is None or app.license.state != "active":
            raise SmsRefusal("license_invalid")
        if app.status == "Started":
            raise SmsRefusal("stop_first")

    def disable(self, app_id: str) -> str:
        self.check_disable(app_id)
        app = self.app(app_id)
        self._write("license_disables")
        lic = app.license
        today = _today()
        if lic.expires is None:
            period = "*"
        elif lic.period.endswith("days"):
            period = "%ddays" % max(0, (lic.expires - today).days)
        else:
            period = lic.expires.isoformat()
        lic.state = "disabled"
        lic.returned = render_license({"License-File-Id": "RL-" + secrets.token_hex(6).upper(),
                                       "Application-Id": app.app_id, "Serial-Number": self.device.serial,
                                       "Validated-Period": period, "Counter-Upper-Limit":
                                       str(lic.limit) if lic.limit is not None else "", "State": "disabled"})
        return "license_disabled"

    def download(self, app_id: str) -> bytes:
        app = self.app(app_id)
        if app.license is None or app.license.state != "disabled" or app.license.returned is None:
            raise SmsRefusal("license_invalid")
        self.counters["license_downloads"] += 1
        return app.license.returned

    def check_delete(self, app_id: str) -> None:
        app = self.app(app_id)
        if app.license is None or app.license.state != "disabled":
            raise SmsRefusal("license_invalid")

    def delete_license(self, app_id: str) -> str:
        self.check_delete(app_id)
        self._write("license_deletes")
        self.app(app_id).license = None
        return "license_deleted"

    def change_password(self, old: Optional[str], new: str, confirm: str) -> str:
        if old is not None and old != self.password:
            raise SmsRefusal("old_password")
        if (new != confirm or not new.isascii() or not new.isalnum()
                or not protocol.SMS_PASSWORD_MIN <= len(new) <= protocol.SMS_PASSWORD_MAX
                or new == protocol.SMS_DEFAULT_PASSWORD):
            raise SmsRefusal("password_rule")
        self._write("password_changes")
        self.password = new
        return "password_changed"


def store_for(device: SimDevice) -> SmsStore:
    store = device.extensions.get("sms")
    if store is None:
        store = device.extensions["sms"] = SmsStore(device)
    return store


def expiry_text(app: App) -> str:
    if app.license is None or app.license.expires is None:
        return "" if app.license is None else "Does not Expire"
    return app.license.expires.isoformat()
