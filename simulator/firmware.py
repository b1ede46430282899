"""Firmware, Updater and power of the simulated printers (ALL SIMULATOR-DEFINED, see below).

Canon's firmware distribution (the device's Updater talking to EMC's Local CDS or Canon's CDS/UGW
over SOAP) is not public. The pages, fields and the package format here are the simulator's own,
listed in ``protocol_table.UPDATER_ENDPOINTS`` and docs/device-protocols.md. What IS modelled after
public facts: the version string as devices publish it (canPdInfoProductVersion, opaque: ``16.12``,
``0604``, ``GFC-015-04``), devices without an Updater (version management only), packages tied to
serial numbers and released or not, a pull by the device from a distribution server, the restart
downtime, the lost connection that hides a successful update, queued jobs deleted by devices
without Wait-for-end-of-job, a wrong device clock.

* ``state_for(device)``: the device's FirmwareState (created on first use);
* ``wrap(handler, rui_state)``: the updater pages in front of a Remote UI flavour handler;
* ``install_control(control)``: ``GET/POST /devices/<address>/firmware`` on the control API.

Pages (logged-in Remote UI session; HTML with the JSON in ``<pre id="updater">`` and a fresh form token):
``firmware_info`` (facts), ``firmware_update`` (URL, SHA256, VERSION: download, check, install,
restart), ``power_control`` (ACTION restart | shutdown).

Control API POST keys: ``updater``, ``local_distribution``, ``clock_offset`` (seconds), ``jobs_queued``,
``wait_for_end_of_job``, ``import_export_running``, ``install_seconds``, ``version``, ``components``,
``inject`` (one of INJECTABLE: the next update fails that way; ``drop_connection`` answers nothing
to the update request but updates), ``clear_log``. GET: the facts, ``counters`` and ``log`` (every
updater request and download with its time, so tests can prove nothing was transferred).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import ipaddress
import json
import ssl
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from . import faults
from .httpserver import Request, Response
from .mib import OCTET_STRING, Value
from .remote_ui import pages
from .remote_ui.table import CLASSIC, protocol

CANON_PRODUCT_VERSION = "1.3.6.1.4.1.1602.1.1.1.4.0"
NAMES = ("firmware_info", "firmware_update", "power_control")
TEXTS = protocol.FIRMWARE_TEXTS
INJECTABLE = ("no_updater", "distribution_not_allowed", "serial_not_in_package", "not_released",
              "download_failed", "power_loss", "drop_connection", "model_mismatch", "bad_package")
DOWNLOAD_TIMEOUT = 15.0


class FirmwareState:
    """One device's firmware facts, Updater settings and update progress."""

    def __init__(self, device: Any) -> None:
        profile = device.profile
        caps = profile.get("capabilities") or {}
        spec = dict((device.extensions.get("spec") or {}).get("firmware") or {})
        self.device = device
        self.lock = threading.Lock()
        version = spec.get("version", profile.get("firmware"))      # spec ``firmware.version`` overrides
        self.version: Optional[str] = None if version is None else str(version)
        self.components: Dict[str, str] = {}
        if self.version is not None:
            self.components = {"controller": self.version}
            self.components.update({str(k): str(v) for k, v in (profile.get("firmware_components") or {}).items()})
        self.updater = bool(spec.get("updater", caps.get("firmware_updater", False)))
        self.local_distribution = bool(spec.get("local_distribution", True))
        self.clock_offset = float(spec.get("clock_offset", 0))
        self.jobs_queued = int(spec.get("jobs_queued", 0))
        self.wait_for_end_of_job = bool(spec.get("wait_for_end_of_job", False))
        self.import_export_running = bool(spec.get("import_export_running", False))
        self.install_seconds = float(spec.get("install_seconds", 0.3))
        self.inject: Optional[str] = spec.get("inject")
        self.update: Dict[str, Any] = {"state": "idle", "error": None, "target": None}
        self.counters: Dict[str, int] = {k: 0 for k in (
            "info_reads", "update_requests", "downloads", "installs", "failures", "restarts", "shutdowns",
            "jobs_deleted")}
        self.log: List[Dict[str, Any]] = []
        self._publish()

    # ------------------------------------------------------------------ facts ---------------
    def _publish(self) -> None:
        if self.version is not None and self.device.profile.get("vendor") == "Canon":
            self.device.mib.put(CANON_PRODUCT_VERSION, Value(OCTET_STRING, self.version.encode()))

    def note(self, event: str, **details: Any) -> None:
        with self.lock:
            self.log.append(dict(details, event=event, time=round(time.time(), 3)))

    def clock(self) -> str:
        now = datetime.now(timezone.utc) + timedelta(seconds=self.clock_offset)
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def facts(self) -> Dict[str, Any]:
        return {"model": self.device.profile.get("model"), "serial": self.device.serial, "version": self.version,
                "components": dict(self.components), "updater": self.updater,
                "local_distribution": self.local_distribution, "clock": self.clock(),
                "jobs_queued": self.jobs_queued, "wait_for_end_of_job": self.wait_for_end_of_job,
                "import_export_running": self.import_export_running, "update": dict(self.update)}

    def describe(self) -> Dict[str, Any]:
        return dict(self.facts(), counters=dict(self.counters), log=list(self.log), inject=self.inject,
                    install_seconds=self.install_seconds, clock_offset=self.clock_offset)

    def control(self, body: Dict[str, Any]) -> None:
        known = ("updater", "local_distribution", "clock_offset", "jobs_queued", "wait_for_end_of_job",
                 "import_export_running", "install_seconds", "version", "components", "inject", "clear_log")
        unknown = sorted(set(body).difference(known))
        if unknown:
            raise ValueError("unknown firmware key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(known)))
        if body.get("inject") not in (None,) + INJECTABLE:
            raise ValueError("inject must be one of %s" % ", ".join(INJECTABLE))
        for key in ("updater", "local_distribution", "wait_for_end_of_job", "import_export_running"):
            if key in body:
                setattr(self, key, bool(body[key]))
        for key, kind in (("clock_offset", float), ("jobs_queued", int), ("install_seconds", float)):
            if key in body:
                setattr(self, key, kind(body[key]))
        if "inject" in body:
            self.inject = body["inject"]
        if "version" in body:
            self.version = str(body["version"])
            self.components["controller"] = self.version
            self._publish()
        if "components" in body:
            self.components.update({str(k): str(v) for k, v in body["components"].items()})
        if body.get("clear_log"):
            self.log.clear()
            self.counters = {k: 0 for k in self.counters}

    # ------------------------------------------------------------------ update ---------------
    def start_update(self, url: str, digest: str, version: str) -> Optional[str]:
        """Refusals known at once (error key), else None and the update runs in the background."""
        self.counters["update_requests"] += 1
        self.note("update_request", url=url, version=version)
        inject = self.inject
        if not self.updater or inject == "no_updater":
            return self._fail("no_updater")
        if not self.local_distribution or inject == "distribution_not_allowed":
            return self._fail("distribution_not_allowed")
        if self.import_export_running or self.update["state"] in ("downloading", "installing", "waiting_for_jobs"):
            return self._fail("busy")
        if not _allowed_url(url):
            return self._fail("download_failed")
        self.update = {"state": "downloading", "error": None, "target": version}
        thread = threading.Thread(target=self._run_update, args=(url, digest, inject), daemon=True)
        thread.start()
        return None

    def _fail(self, error: str) -> str:
        self.counters["failures"] += 1
        self.update = dict(self.update, state="failed", error=error)
        self.inject = None
        self.note("update_failed", error=error)
        return error

    def _run_update(self, url: str, digest: str, inject: Optional[str]) -> None:
        self.inject = None
        try:
            if inject == "download_failed":
                raise OSError("injected download failure")
            context = ssl.create_default_context()
            context.check_hostname = False          # the simulated device trusts the collection's own cert
            context.verify_mode = ssl.CERT_NONE
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT, context=context) as response:
                if faults.power_loss(self.device.address, "transfer"):    # power lost mid-download
                    got = len(response.read(4096))
                    self.note("download_interrupted", url=url, bytes=got)
                    self._power_loss()
                    return
                data = response.read()
            self.counters["downloads"] += 1
            self.note("download", url=url, bytes=len(data))
        except (OSError, ValueError) as exc:
            self.note("download_error", url=url, reason=str(exc)[:200])
            self._fail("download_failed")
            return
        if digest and hashlib.sha256(data).hexdigest() != digest.lower():
            self._fail("bad_package")
            return
        try:
            manifest = read_manifest(data)
        except ValueError:
            self._fail("bad_package")
            return
        serials = manifest.get("serials")
        if inject in ("model_mismatch", "bad_package", "not_released", "serial_not_in_package"):
            self._fail(inject)
            return
        if str(manifest.get("model")) != str(self.device.profile.get("model")):
            self._fail("model_mismatch")
            return
        if serials != "any" and self.device.serial not in (serials or []):
            self._fail("serial_not_in_package")
            return
        if not manifest.get("released", False):
            self._fail("not_released")
            return
        while self.jobs_queued and self.wait_for_end_of_job:
            self.update["state"] = "waiting_for_jobs"
            time.sleep(0.1)
        if self.jobs_queued:
            self.counters["jobs_deleted"] += self.jobs_queued
            self.note("jobs_deleted", jobs=self.jobs_queued)
            self.jobs_queued = 0
        self.update["state"] = "installing"
        time.sleep(self.install_seconds)
        if inject == "power_loss" or faults.power_loss(self.device.address, "apply"):
            self._power_loss()
            return
        self.version = str(manifest["version"])
        self.components = dict(self.components, controller=self.version)
        self.components.update({str(k): str(v) for k, v in (manifest.get("components") or {}).items()})
        self._publish()
        self.counters["installs"] += 1
        self.counters["restarts"] += 1
        self.update = {"state": "done", "error": None, "target": self.version}
        self.note("installed", version=self.version)
        self.device.restart()

    def _power_loss(self) -> None:
        """The device drops off and comes back on its old firmware; the Updater reports the failure."""
        self.device.set_power(False)
        time.sleep(self.device.restart_seconds)
        self.device.set_power(True)
        self._fail("power_loss")

    # ------------------------------------------------------------------ power ---------------
    def power(self, action: str) -> None:
        self.note("power", action=action)
        if action == "restart":
            self.counters["restarts"] += 1
            self.device.restart()
        else:
            self.counters["shutdowns"] += 1
            self.device.set_power(False)


def _allowed_url(url: str) -> bool:
    """The simulator downloads only from loopback (it must never reach out of the test machine)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return parts.hostname == "localhost"


def read_manifest(data: bytes) -> Dict[str, Any]:
    """The package manifest (the simulator's own reader; it does not import the collection's)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(protocol.FIRMWARE_MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a firmware package: %s" % exc) from None
    if not isinstance(manifest, dict) or manifest.get("format") != protocol.FIRMWARE_PACKAGE_FORMAT:
        raise ValueError("unknown package format")
    return manifest


def state_for(device: Any) -> FirmwareState:
    state = device.extensions.get("firmware")
    if state is None:
        state = device.extensions["firmware"] = FirmwareState(device)
    return state


# ---------------------------------------------------------------------- pages -----------------
class FirmwarePages:
    """Answers the updater endpoints for one device; delegates everything else."""

    def __init__(self, inner: Any, rui_state: Any) -> None:
        self.inner = inner
        self.rui = rui_state
        table = protocol.CLASSIC_ENDPOINTS if rui_state.flavour == CLASSIC else protocol.PORTAL_ENDPOINTS
        self.routes = {(table[n].method, table[n].path): n for n in NAMES}
        self.token_field = protocol.CLASSIC_TOKEN_FIELD if rui_state.flavour == CLASSIC else protocol.PORTAL_TOKEN_FIELD
        state_for(rui_state.device)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def state(self) -> FirmwareState:
        return state_for(self.rui.device)

    def _answer(self, session: Any, data: Dict[str, Any]) -> Response:
        from .remote_ui.state import new_id, new_numeric_token
        session.token = new_id() if self.rui.flavour == CLASSIC else new_numeric_token()
        state_json = html.escape(json.dumps(data, sort_keys=True))
        body = "%s\n<pre id=\"updater\">%s</pre>" % (pages.hidden(self.token_field, session.token), state_json)
        return pages.page("Updater", body)

    def handle(self, request: Request) -> Any:
        name = self.routes.get((request.method, request.path))
        if name is None:
            return self.inner.handle(request)
        session = self.rui.session_for(request.cookies())
        if session is None or not session.authenticated:
            return self.inner.expired()
        state = self.state
        if name == "firmware_info":
            state.counters["info_reads"] += 1
            state.note("info")
            return self._answer(session, state.facts())
        fields = request.form()
        if session.token and fields.get(self.token_field) != session.token:
            return self.inner.invalid_token()
        if name == "power_control":
            action = fields.get(protocol.POWER_ACTION_FIELD, "")
            if action not in protocol.POWER_ACTIONS:
                return pages.message("ACTION must be restart or shutdown.", "Bad Request", status=400)
            state.power(action)
            return self._answer(session, {"accepted": True, "action": action})
        injected_drop = state.inject == "drop_connection"
        if injected_drop:
            state.inject = None
        error = state.start_update(fields.get(protocol.FIRMWARE_URL_FIELD, ""),
                                   fields.get(protocol.FIRMWARE_SHA256_FIELD, ""),
                                   fields.get(protocol.FIRMWARE_VERSION_FIELD, ""))
        if injected_drop and error is None:
            state.note("connection_dropped")
            return _drop()
        return self._answer(session, {"accepted": error is None, "error": error,
                                      "message": TEXTS.get(error) if error else None})


async def _drop() -> Response:
    """Close the connection without an answer (the update goes on): the lost connection of EMC's guide."""
    raise asyncio.CancelledError()


def wrap(handler: Any, rui_state: Any) -> FirmwarePages:
    """The one hook simulator/remote_ui calls: updater pages in front of the flavour handler."""
    return FirmwarePages(handler, rui_state)


def install_control(control: Any) -> None:
    """``GET/POST /devices/<address>/firmware`` (idempotent per control object)."""
    if getattr(control, "_firmware_routes", False):
        return
    control._firmware_routes = True

    def get(_request: Request, device: Any, _body: Dict) -> Response:
        return Response.json(state_for(device).describe())

    def post(_request: Request, device: Any, body: Dict) -> Response:
        state = state_for(device)
        try:
            state.control(body or {})
        except ValueError as exc:
            return Response.json({"error": str(exc)}, status=400)
        return Response.json(state.describe())

    control.route("GET", "/firmware", get)
    control.route("POST", "/firmware", post)
