"""The Remote UI state of one simulated device: sessions, lockout, busy, restriction, workflows.

Everything a test may want to set or see goes through here: the spec entry's ``remote_ui:``,
``address_book:`` and ``workflows:`` keys at start, the control API later, SNMP for the
address-book receive restriction, and the device's boot hook (restart, power on).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from ..device import SimDevice
from ..mib import INTEGER, NO_ERROR, WRONG_TYPE, WRONG_VALUE, Value
from .book import BOOK_TYPES, AddressBook
from .table import CLASSIC, protocol
from .tls import TLS_MODES

MAX_SESSIONS = 32            # a device keeps few sessions; the oldest is dropped
DEFAULT_LOCKOUT_THRESHOLD = 5
DEFAULT_LOCKOUT_SECONDS = 60.0
DEFAULT_WORKFLOWS = 3
SPEC_KEYS = ("system_manager_id", "system_manager_pin", "tls", "lockout_threshold", "lockout_seconds",
             "starting_seconds", "receive_restricted", "busy", "ports", "min_interval", "login_form",
             "ldif_export", "info_page")
RESTRICTED, NOT_RESTRICTED = 1, 2     # values of RESTRICT_ADDRESS_BOOK_RECEIVE_OID


@dataclass
class Session:
    sid: str
    created: float = field(default_factory=time.monotonic)
    authenticated: bool = False
    context: Optional[str] = None      # classic: value of the iR cookie set by nativetop.cgi
    last_page: Optional[str] = None    # classic: path of the last HTML page loaded
    token: Optional[str] = None        # classic Token / portal iToken, the current one
    list_page: Optional[str] = None    # portal: the list page loaded last (favourites / coded dial)
    slot: Optional[int] = None         # portal per-entry flow: the selected device number
    entry_type: Optional[str] = None   # portal per-entry flow: the chosen destination type
    nag: bool = False                  # classic: the default-password nag is not answered yet


def new_id() -> str:
    return secrets.token_hex(16)


def new_numeric_token() -> str:
    return str(100000000 + secrets.randbelow(900000000))


def book_type_of(profile: Mapping[str, Any]) -> Optional[str]:
    value = str((profile.get("capabilities") or {}).get("address_book_type") or "none")
    return value if value in BOOK_TYPES else None


class RuiState:
    """One device's Remote UI. ``reachable`` and ``starting`` answer for the listeners."""

    def __init__(self, device: SimDevice, flavour: str, ports: Dict[str, int]) -> None:
        spec = device.extensions.get("spec") or {}
        settings = dict(spec.get("remote_ui") or {})
        unknown = sorted(set(settings).difference(SPEC_KEYS))
        if unknown:
            raise ValueError("%s: unknown remote_ui key(s) %s (known: %s)" % (
                device.address, ", ".join(unknown), ", ".join(SPEC_KEYS)))
        profile = device.profile
        caps = profile.get("capabilities") or {}
        self.device = device
        self.flavour = flavour
        self.ports = ports
        self.system_manager_id = str(settings.get("system_manager_id", protocol.DEFAULT_SYSTEM_MANAGER_ID))
        self.system_manager_pin = str(settings.get("system_manager_pin", protocol.DEFAULT_SYSTEM_MANAGER_PIN))
        self.tls_mode = check_tls(settings.get("tls", spec.get("tls", "modern")))
        self.lockout_threshold = int(settings.get("lockout_threshold", DEFAULT_LOCKOUT_THRESHOLD))
        self.lockout_seconds = float(settings.get("lockout_seconds", DEFAULT_LOCKOUT_SECONDS))
        self.starting_seconds = float(settings.get("starting_seconds", 0))
        self.busy = check_busy(settings.get("busy"))
        self.restricted = bool(settings.get("receive_restricted", False))      # in effect
        self.restricted_pending = self.restricted                                # set, waits for a restart
        book_type = book_type_of(profile)
        self.book: Optional[AddressBook] = None
        if book_type:
            fax = bool(spec.get("fax", caps.get("fax")))    # spec ``fax: false``: no optional fax board
            try:
                self.book = AddressBook(book_type, fax, spec.get("address_book") or {})
            except ValueError as exc:
                raise ValueError("%s: %s" % (device.address, exc)) from None
        self.workflows = int(spec.get("workflows", caps.get("workflows", DEFAULT_WORKFLOWS)))
        self.password_export_allowed = False
        # portal pacing: requests closer than this (seconds) are refused (HAC: >= 2 s); 0 = off
        self.min_interval = float(settings.get("min_interval", 0.0))
        self.last_request_at: Optional[float] = None
        # which public login form the device serves (docs/simulator-remote-ui.md §1)
        self.login_form = str(settings.get("login_form", "default"))
        # classic: whether /rps/abook.ldif exists (firmware without it: the client reads the list pages)
        self.ldif_export = bool(settings.get("ldif_export", True))
        # whether the simulator-defined book_info page exists (off: like a real device)
        self.info_page = bool(settings.get("info_page", True))
        self.failures = 0
        self.locked_until = 0.0
        self.starting_until = 0.0
        self.sessions: "OrderedDict[str, Session]" = OrderedDict()
        self.counters: Dict[str, int] = {
            "logins_ok": 0, "logins_failed": 0, "logins_locked_out": 0, "imports_ok": 0, "imports_failed": 0,
            "exports": 0, "ldif_exports": 0, "entries_registered": 0, "entries_deleted": 0,
            "token_rejected": 0, "session_expired": 0, "workflows_deleted": 0,
            "entries_created": 0, "entries_modified": 0, "forms_refused": 0, "list_reads": 0,
            "slot_reads": 0, "paced_refusals": 0, "password_nag": 0}
        self.last_import: Optional[Dict[str, Any]] = None
        device.boot_hooks.append(self.on_boot)
        if self.book is not None:
            self._publish_restriction()
            device.mib.writable(protocol.RESTRICT_ADDRESS_BOOK_RECEIVE_OID, self._write_restriction)

    # --- device state -------------------------------------------------------------------
    def reachable(self) -> bool:
        """Power off or restarting: the Remote UI does not answer at all."""
        return self.device.powered and not self.device.restarting

    def starting(self) -> bool:
        return time.monotonic() < self.starting_until

    def on_boot(self) -> None:
        """A restart ends every session and lockout and applies the pending restriction."""
        self.sessions.clear()
        self.failures = 0
        self.locked_until = 0.0
        self.restricted = self.restricted_pending
        self.starting_until = time.monotonic() + self.starting_seconds if self.starting_seconds > 0 else 0.0

    # --- SNMP: Restrict Receiving for Each Function > Address Book -----------------------
    def _publish_restriction(self) -> None:
        value = RESTRICTED if self.restricted_pending else NOT_RESTRICTED
        self.device.mib.put(protocol.RESTRICT_ADDRESS_BOOK_RECEIVE_OID, Value(INTEGER, value))

    def _write_restriction(self, value: Value, commit: bool) -> int:
        if value.tag != INTEGER:
            return WRONG_TYPE
        if value.value not in (RESTRICTED, NOT_RESTRICTED):
            return WRONG_VALUE
        if commit:
            self.set_restricted_pending(value.value == RESTRICTED)
        return NO_ERROR

    def set_restricted_pending(self, restricted: bool) -> None:
        self.restricted_pending = bool(restricted)
        if self.book is not None:
            self._publish_restriction()

    # --- sessions -----------------------------------------------------------------------
    @property
    def session_cookie(self) -> str:
        return protocol.CLASSIC_SESSION_COOKIE if self.flavour == CLASSIC else protocol.PORTAL_SESSION_COOKIE

    def new_session(self, authenticated: bool = False) -> Session:
        session = Session(new_id(), authenticated=authenticated)
        self.sessions[session.sid] = session
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
        return session

    def session_for(self, cookies: Mapping[str, str]) -> Optional[Session]:
        sid = cookies.get(self.session_cookie)
        return self.sessions.get(sid) if sid else None

    def end_session(self, session: Optional[Session]) -> None:
        if session is not None:
            self.sessions.pop(session.sid, None)

    # --- login and lockout ----------------------------------------------------------------
    def login(self, ident: Optional[str], pin: Optional[str]) -> str:
        """'ok', 'failed' or 'locked'. During a lockout even the right PIN is refused."""
        now = time.monotonic()
        if self.locked_until:
            if now < self.locked_until:
                self.counters["logins_locked_out"] += 1
                return "locked"
            self.locked_until = 0.0
            self.failures = 0
        if ident is not None and pin is not None and secrets.compare_digest(
                ident.encode(), self.system_manager_id.encode()) and secrets.compare_digest(
                pin.encode(), self.system_manager_pin.encode()):
            self.failures = 0
            self.counters["logins_ok"] += 1
            return "ok"
        self.failures += 1
        self.counters["logins_failed"] += 1
        if self.lockout_threshold > 0 and self.failures >= self.lockout_threshold:
            self.locked_until = now + self.lockout_seconds
        return "failed"

    def lockout_remaining(self) -> float:
        return max(0.0, self.locked_until - time.monotonic()) if self.locked_until else 0.0

    # --- workflows --------------------------------------------------------------------------
    def book_written(self) -> None:
        """Type II/III: writing the address book deletes every workflow (guide L4439, L4450)."""
        if self.book is not None and self.book.kind.deletes_workflows and self.workflows:
            self.counters["workflows_deleted"] += self.workflows
            self.workflows = 0

    # --- control API ------------------------------------------------------------------------
    def describe(self) -> Dict[str, Any]:
        now = time.monotonic()
        return {
            "flavour": self.flavour,
            "ports": dict(self.ports),
            "tls": self.tls_mode,
            "system_manager_id": self.system_manager_id,
            "system_manager_pin": self.system_manager_pin,
            "sessions": [{"authenticated": s.authenticated, "age": round(now - s.created, 3),
                          "last_page": s.last_page} for s in self.sessions.values()],
            "lockout": {"threshold": self.lockout_threshold, "seconds": self.lockout_seconds,
                        "failures": self.failures, "locked": self.lockout_remaining() > 0,
                        "remaining": round(self.lockout_remaining(), 3)},
            "busy": self.busy,
            "restricted": self.restricted,
            "receive_restricted": self.restricted_pending,
            "starting_seconds": self.starting_seconds,
            "starting": self.starting(),
            "starting_remaining": round(max(0.0, self.starting_until - now), 3),
            "workflows": self.workflows,
            "password_export_allowed": self.password_export_allowed,
            "book_type": self.book.kind.name if self.book else None,
            "address_book": self.book.snapshot() if self.book else None,
            "counters": dict(self.counters),
            "last_import": self.last_import,
        }

    def update(self, body: Mapping[str, Any]) -> None:
        """Apply the control API's POST body (see CONTROL_KEYS)."""
        unknown = sorted(set(body).difference(CONTROL_KEYS))
        if unknown:
            raise ValueError("unknown remote_ui key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(CONTROL_KEYS)))
        if "address_book" in body:
            if self.book is None:
                raise ValueError("%s has no address book" % self.device.address)
            content = body["address_book"] or {}
            if not isinstance(content, Mapping):
                raise ValueError("address_book must map list names to entry lists")
            staged = AddressBook(self.book.kind.name, "fax" in self.book.destination_types, content)
            for name in content:
                self.book.replace(name, staged.lists[name])
        if "busy" in body:
            self.busy = check_busy(body["busy"])
        for key in ("lockout_threshold", "workflows"):
            if key in body:
                value = int(body[key])
                if value < 0:
                    raise ValueError("%s must be >= 0" % key)
                setattr(self, key, value)
        for key in ("lockout_seconds", "starting_seconds", "min_interval"):
            if key in body:
                value = float(body[key])
                if value < 0:
                    raise ValueError("%s must be >= 0" % key)
                setattr(self, key, value)
        if "receive_restricted" in body:
            self.set_restricted_pending(bool(body["receive_restricted"]))
        if "tls" in body:
            self.tls_mode = check_tls(body["tls"])
        if body.get("clear_lockout"):
            self.failures, self.locked_until = 0, 0.0
        for key in ("system_manager_id", "system_manager_pin"):
            if key in body:
                setattr(self, key, str(body[key]))


CONTROL_KEYS = ("busy", "lockout_threshold", "lockout_seconds", "receive_restricted", "starting_seconds",
                "min_interval",
                "workflows", "tls", "address_book", "clear_lockout", "system_manager_id", "system_manager_pin")


def check_busy(value: Any) -> Optional[str]:
    if value in (None, "", False):
        return None
    if value not in protocol.BUSY_REASONS:
        raise ValueError("busy must be null or one of %s" % ", ".join(protocol.BUSY_REASONS))
    return str(value)


def check_tls(value: Any) -> str:
    if value not in TLS_MODES:
        raise ValueError("tls must be one of %s, not %r" % (", ".join(TLS_MODES), value))
    return str(value)
