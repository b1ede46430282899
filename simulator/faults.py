"""Fault injection per simulated device, driven through the control API.

``POST /devices/<address>/faults`` with any of the keys below sets that device's faults (merged into
what is set); ``DELETE /devices/<address>/faults`` clears them; ``GET`` shows them and how often each
fired. Faults act on the wire, below every subsystem (SNMP agent, Remote UI, SMS, settings, firmware),
so every module meets them the same way:

SNMP (UDP): ``snmp_loss`` percent of answers dropped; ``snmp_delay`` seconds before each answer;
``snmp_duplicate`` every answer sent twice; ``snmp_reorder`` each answer held until the next one has
gone out (answers arrive swapped; a held answer goes out alone after 0.2 s).

HTTP(S): ``http_delay`` seconds before each answer; ``http_reset`` the next N requests have their
connection reset without an answer; ``http_truncate`` the next N answers carry only half their body
(Content-Length still announces all of it) and the connection is closed; ``http_status`` every request
is answered with that status (503 for a busy device) and nothing reaches the device; ``tls_fail``
every TLS connection is cut right after it is accepted (the client sees the handshake or first read
fail); ``restart_on_post`` the N-th POST from now restarts the device (``restart_seconds``) instead of
reaching it, and its connection is reset: a restart in the middle of a multi-request write.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Callable, Dict, Optional, Tuple

KEYS = {"snmp_loss": float, "snmp_delay": float, "snmp_duplicate": bool, "snmp_reorder": bool,
        "http_delay": float, "http_reset": int, "http_truncate": int, "http_status": int, "tls_fail": bool,
        "restart_on_post": int, "restart_seconds": float}

_FAULTS: Dict[str, Dict[str, Any]] = {}          # address -> fault settings
_FIRED: Dict[str, Dict[str, int]] = {}           # address -> fault -> times applied
_HELD: Dict[Tuple[str, Any], Tuple[bytes, Callable[[bytes, Any], None]]] = {}
_DEVICES: Dict[str, Any] = {}
_RANDOM = random.Random(18)


def active(address: str) -> Optional[Dict[str, Any]]:
    """The faults of one device (None: none set; the fast path of every hook)."""
    return _FAULTS.get(address) if _FAULTS else None


def _fired(address: str, name: str) -> None:
    counts = _FIRED.setdefault(address, {})
    counts[name] = counts.get(name, 0) + 1


def configure(address: str, body: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(body) - set(KEYS))
    if unknown:
        raise ValueError("unknown fault(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(KEYS))))
    faults = _FAULTS.setdefault(address, {})
    for key, value in body.items():
        faults[key] = KEYS[key](value)
    return describe(address)


def clear(address: str) -> Dict[str, Any]:
    _FAULTS.pop(address, None)
    for key in [k for k in _HELD if k[0] == address]:
        _HELD.pop(key, None)
    return describe(address)


def describe(address: str) -> Dict[str, Any]:
    return {"faults": dict(_FAULTS.get(address, {})), "fired": dict(_FIRED.get(address, {}))}


# ----------------------------------------------------------------------------- SNMP hook ---

def send_snmp(address: str, reply: bytes, addr: Any, send: Callable[[bytes, Any], None]) -> None:
    """Send one agent answer through the device's SNMP faults."""
    faults = active(address)
    if not faults:
        send(reply, addr)
        return
    if faults.get("snmp_loss") and _RANDOM.random() * 100 < faults["snmp_loss"]:
        _fired(address, "snmp_loss")
        return
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


def _flush(key: Tuple[str, Any], reply: bytes) -> None:
    held = _HELD.get(key)
    if held is not None and held[0] is reply:
        del _HELD[key]
        held[1](reply, key[1])


# ----------------------------------------------------------------------------- HTTP hooks ---

def http_connection(address: str, tls: bool) -> bool:
    """False: cut this new connection now (tls_fail)."""
    faults = active(address)
    if faults and tls and faults.get("tls_fail"):
        _fired(address, "tls_fail")
        return False
    return True


async def http_request(address: str, method: str) -> Optional[str]:
    """Before a request reaches the device: None to go on, "reset" to cut the connection, or
    "status:<n>" to answer with that status."""
    faults = active(address)
    if not faults:
        return None
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
