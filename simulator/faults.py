"""Fault injection per simulated device, driven through the control API.

``POST /devices/<address>/faults`` with any of the keys below sets that device's faults (merged into
what is set); ``DELETE /devices/<address>/faults`` clears them; ``GET`` shows them and how often each
fired. Faults act on the wire, below every subsystem (SNMP agent, Remote UI, SMS, settings, firmware),
so every module meets them the same way:

SNMP (UDP): ``snmp_loss`` percent of answers dropped (spread evenly per device, the first answer
dropped: reproducible); ``snmp_delay`` seconds before each answer;
``snmp_duplicate`` every answer sent twice; ``snmp_reorder`` each answer held until the next one has
gone out (answers arrive swapped; a held answer goes out alone after 0.2 s).

HTTP(S): ``http_delay`` seconds before each answer; ``http_reset`` the next N requests have their
connection reset without an answer; ``http_truncate`` the next N answers carry only half their body
(Content-Length still announces all of it) and the connection is closed; ``http_status`` every request
is answered with that status (503 for a busy device) and nothing reaches the device; ``tls_fail``
the TLS handshake of every connection fails for real (simulator/httpserver.py ``_handshake``), the
way ``tls_mode`` says: ``alert`` (default: a fatal handshake_failure alert after the ClientHello),
``close`` (hang up after the ClientHello), ``garbage`` (plain text instead of a ServerHello) or
``untrusted`` (a complete handshake with a self-signed certificate no CA vouches for: fails only when
the client validates certificates); ``restart_on_post`` the N-th POST from now restarts the device
(``restart_seconds``) instead of reaching it, and its connection is reset: a restart in the middle of
a multi-request write.

Device states (set while the fault is, restored when it is cleared): ``busy`` the device is busy (the
Remote UI's "Settings/Registration is in use" state, SMS's busy page, the Updater's import/export
running; fired: requests served meanwhile); ``lockout`` the Remote UI account is locked as after
repeated failed logins (fired: logins refused as locked); ``meap_disk_full`` the MEAP storage is
full: SMS shows no free storage and refuses every install (fired: installs refused);
``power_loss`` (``transfer`` or ``apply``) the next firmware update loses power while the device
downloads the package or while it applies it: the device drops off and comes back on its old
firmware, the Updater reporting the failure (fired once, then cleared, so a re-run completes).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import random
import ssl
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

KEYS = {"snmp_loss": float, "snmp_delay": float, "snmp_duplicate": bool, "snmp_reorder": bool,
        "http_delay": float, "http_reset": int, "http_truncate": int, "http_status": int, "tls_fail": bool,
        "tls_mode": str, "restart_on_post": int, "restart_seconds": float, "busy": bool, "lockout": bool,
        "meap_disk_full": bool, "power_loss": str}
TLS_MODES = ("alert", "close", "garbage", "untrusted")
POWER_LOSS_POINTS = ("transfer", "apply")
LOCKOUT_SECONDS = 3600.0

_FAULTS: Dict[str, Dict[str, Any]] = {}          # address -> fault settings
_FIRED: Dict[str, Dict[str, int]] = {}           # address -> fault -> times applied
_HELD: Dict[Tuple[str, Any], Tuple[bytes, Callable[[bytes, Any], None]]] = {}
_DEVICES: Dict[str, Any] = {}
_SAVED: Dict[str, Dict[str, Any]] = {}           # address -> subsystem state a device-state fault replaced
_LOSS: Dict[str, float] = {}                     # address -> snmp_loss accumulator (see _lose)
_RANDOM = random.Random(18)
_UNTRUSTED: List[ssl.SSLContext] = []


def active(address: str) -> Optional[Dict[str, Any]]:
    """The faults of one device (None: none set; the fast path of every hook)."""
    return _FAULTS.get(address) if _FAULTS else None


def _fired(address: str, name: str) -> None:
    counts = _FIRED.setdefault(address, {})
    counts[name] = counts.get(name, 0) + 1


fired = _fired        # for the subsystems that act on a fault (sms, firmware)


def configure(address: str, body: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(body) - set(KEYS))
    if unknown:
        raise ValueError("unknown fault(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(KEYS))))
    if body.get("tls_mode", "alert") not in TLS_MODES:
        raise ValueError("tls_mode must be one of %s" % ", ".join(TLS_MODES))
    if body.get("power_loss", "apply") not in POWER_LOSS_POINTS:
        raise ValueError("power_loss must be one of %s" % ", ".join(POWER_LOSS_POINTS))
    faults = _FAULTS.setdefault(address, {})
    for key, value in body.items():
        faults[key] = KEYS[key](value)
    _set_states(address, faults)
    return describe(address)


def clear(address: str) -> Dict[str, Any]:
    _FAULTS.pop(address, None)
    _LOSS.pop(address, None)
    for key in [k for k in _HELD if k[0] == address]:
        _HELD.pop(key, None)
    _restore_states(address)
    return describe(address)


def describe(address: str) -> Dict[str, Any]:
    counts = dict(_FIRED.get(address, {}))
    saved = _SAVED.get(address, {})
    rui = _subsystem(address, "remote_ui")
    if "lockout" in saved and rui is not None:
        refused = rui.counters.get("logins_locked_out", 0) - saved["lockout"]["refused_before"]
        if refused:
            counts["lockout"] = counts.get("lockout", 0) + refused
    return {"faults": dict(_FAULTS.get(address, {})), "fired": counts}


# ----------------------------------------------------------------------------- device states ---

def _subsystem(address: str, name: str) -> Any:
    device = _DEVICES.get(address)
    return None if device is None else device.extensions.get(name)


def _set_states(address: str, faults: Dict[str, Any]) -> None:
    """Busy and lockout act on the subsystems' own states (what a real device shows), kept to restore."""
    device = _DEVICES.get(address)
    if device is None:
        return
    saved = _SAVED.setdefault(address, {})
    rui = device.extensions.get("remote_ui")
    if faults.get("busy") and "busy" not in saved:
        from .firmware import state_for as firmware_state
        from .sms import store_for as sms_store
        sms, firmware = sms_store(device), firmware_state(device)
        saved["busy"] = {"rui": getattr(rui, "busy", None), "sms": sms.busy,
                         "firmware": firmware.import_export_running}
        if rui is not None:
            rui.busy = rui.busy or "settings_open"
        sms.busy = True
        firmware.import_export_running = True
    if faults.get("lockout") and "lockout" not in saved and rui is not None:
        saved["lockout"] = {"refused_before": rui.counters.get("logins_locked_out", 0)}
        rui.locked_until = time.monotonic() + LOCKOUT_SECONDS


def _restore_states(address: str) -> None:
    saved = _SAVED.pop(address, {})
    device = _DEVICES.get(address)
    if device is None:
        return
    rui = device.extensions.get("remote_ui")
    if "busy" in saved:
        from .firmware import state_for as firmware_state
        from .sms import store_for as sms_store
        if rui is not None:
            rui.busy = saved["busy"]["rui"]
        sms_store(device).busy = saved["busy"]["sms"]
        firmware_state(device).import_export_running = saved["busy"]["firmware"]
    if "lockout" in saved and rui is not None:
        refused = rui.counters.get("logins_locked_out", 0) - saved["lockout"]["refused_before"]
        if refused:
            counts = _FIRED.setdefault(address, {})
            counts["lockout"] = counts.get("lockout", 0) + refused
        rui.locked_until, rui.failures = 0.0, 0


def meap_disk_full(address: str) -> bool:
    """True: the device's MEAP storage is full (simulator/sms/store.py asks)."""
    faults = active(address)
    return bool(faults and faults.get("meap_disk_full"))


def power_loss(address: str, point: str) -> bool:
    """True (once): the firmware update loses power at this point (``transfer`` or ``apply``)."""
    faults = active(address)
    if faults and faults.get("power_loss") == point:
        del faults["power_loss"]
        _fired(address, "power_loss")
        return True
    return False


# ----------------------------------------------------------------------------- SNMP hook ---

# ``snmp_garbage``: every SNMP answer is replaced by bytes that are no SNMP message (a BER SEQUENCE
# announcing far more than the datagram holds, then random bytes), as from a device whose agent is
# broken or whose SNMP port another service answers.
KEYS["snmp_garbage"] = bool


def garbage(reply: bytes) -> bytes:
    """What a device with ``snmp_garbage`` sends instead of ``reply``: never decodable as SNMP."""
    return b"\x30\x84\x7f\xff\xff\xff" + _RANDOM.randbytes(max(8, len(reply) - 6))


def send_snmp(address: str, reply: bytes, addr: Any, send: Callable[[bytes, Any], None]) -> None:
    """Send one agent answer through the device's SNMP faults."""
    faults = active(address)
    if not faults:
        send(reply, addr)
        return
    if faults.get("snmp_loss") and _lose(address, faults["snmp_loss"]):
        _fired(address, "snmp_loss")
        return
    if faults.get("snmp_garbage"):
        _fired(address, "snmp_garbage")
        reply = garbage(reply)
    loop = asyncio.get_event_loop()
    delay = faults.get("snmp_delay") or 0.0
    copies = 2 if faults.get("snmp_duplicate") else 1
    if copies == 2:
        _fired(address, "snmp_duplicate")

    def out(data: bytes = reply) -> None:
        for _unused in range(copies):
            send(data, addr)
    if faults.get("snmp_reorder"):
        key = (address, addr)
        held = _HELD.pop(key, None)
        if held is None:
            _fired(address, "snmp_reorder")
            _HELD[key] = (reply, send)
            loop.call_later(0.2 + delay, _flush, key, reply)
            return
        out_now = out

        def out(data=reply):   # the newer answer first
            return out_now(data), out_now(held[0])
    if delay:
        _fired(address, "snmp_delay")
        loop.call_later(delay, out)
    else:
        out()


def _lose(address: str, percent: float) -> bool:
    """Loss spread evenly over a device's answers, the first one lost: reproducible whatever else runs
    (a shared random stream made a 30 % loss over a few answers sometimes lose none)."""
    level = _LOSS.get(address, 100.0 - percent) + percent
    if level >= 100.0:
        _LOSS[address] = level - 100.0
        return True
    _LOSS[address] = level
    return False


def _flush(key: Tuple[str, Any], reply: bytes) -> None:
    held = _HELD.get(key)
    if held is not None and held[0] is reply:
        del _HELD[key]
        held[1](reply, key[1])


# ----------------------------------------------------------------------------- HTTP hooks ---

def tls_fault(address: str) -> Optional[str]:
    """How this TLS connection's handshake fails (a TLS_MODES value), None: it does not."""
    faults = active(address)
    if faults and faults.get("tls_fail"):
        _fired(address, "tls_fail")
        return faults.get("tls_mode") or "alert"
    return None


def untrusted_context() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (no CA the clients know signed it)."""
    if _UNTRUSTED:
        return _UNTRUSTED[0]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "untrusted device certificate (fault)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd, path = tempfile.mkstemp(prefix="printfleet-untrusted-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    _UNTRUSTED.append(context)
    return context


async def http_request(address: str, method: str) -> Optional[str]:
    """Before a request reaches the device: None to go on, "reset" to cut the connection, or
    "status:<n>" to answer with that status."""
    faults = active(address)
    if not faults:
        return None
    if faults.get("busy"):
        _fired(address, "busy")
    saved = _SAVED.get(address, {})
    if (faults.get("busy") and "busy" not in saved) or (faults.get("lockout") and "lockout" not in saved):
        _set_states(address, faults)       # set from the fleet spec, before the Remote UI existed
    if faults.get("http_delay"):
        _fired(address, "http_delay")
        await asyncio.sleep(faults["http_delay"])
    if faults.get("http_reset", 0) > 0:
        faults["http_reset"] -= 1
        _fired(address, "http_reset")
        return "reset"
    if method == "POST" and faults.get("restart_on_post", 0) > 0:
        faults["restart_on_post"] -= 1
        if faults["restart_on_post"] == 0:
            _fired(address, "restart_on_post")
            device = _DEVICES.get(address)
            if device is not None:
                device.restart(faults.get("restart_seconds") or 2.0)
            return "reset"
    if faults.get("http_status"):
        _fired(address, "http_status")
        return "status:%d" % faults["http_status"]
    return None


def http_truncate(address: str) -> bool:
    """True: send only half of this answer's body and close."""
    faults = active(address)
    if faults and faults.get("http_truncate", 0) > 0:
        faults["http_truncate"] -= 1
        _fired(address, "http_truncate")
        return True
    return False


# ----------------------------------------------------------------------------- control API ---

def install(control: Any) -> None:
    """Add the /faults routes to the control API and remember the devices (for restarts)."""
    from .httpserver import Response
    _DEVICES.update(control.devices)

    def get(_request: Any, device: Any, _body: Dict[str, Any]) -> Any:
        return Response.json(describe(device.address))

    def post(_request: Any, device: Any, body: Dict[str, Any]) -> Any:
        return Response.json(configure(device.address, body))

    def delete(_request: Any, device: Any, _body: Dict[str, Any]) -> Any:
        return Response.json(clear(device.address))
    control.route("GET", "/faults", get)
    control.route("POST", "/faults", post)
    control.route("DELETE", "/faults", delete)
