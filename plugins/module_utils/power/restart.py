# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart a device and wait until it serves again: one place for every module that restarts.

Restart is the standard Printer-MIB way: SET prtGeneralReset.1 = powerCycleReset(4) (RFC 3805).
Printers in general honour it; Canon documents no restart object of its own (EMC uses its own UDP
protocol), so on Canon devices this is **not confirmed by Canon** and needs a writable community or
SNMPv3 user. That the device really restarted is proven by reading sysUpTime back: after the reset
it must be smaller than the time elapsed since the SET.

"Back" has three levels, checked in order (``wait_for``):

* ``snmp``: SNMP answers and sysUpTime says the device booted after the reset;
* ``remote_ui``: the Remote UI answers HTTP at all (its "starting" page counts);
* ``login_app``: the Remote UI serves its login page, not the "starting" page -- the login
  application starts some time after the device itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids, snmp

POWER_CYCLE_RESET = 4           # prtGeneralReset powerCycleReset (RFC 3805)
WAIT_LEVELS = ("snmp", "remote_ui", "login_app")
POLL_SECONDS = 0.5
# What a Remote UI answers while a device comes back from a restart (waited out, never a failure, until the
# task's timeout), and how often a resource that logs in again after a restart tries.
BOOT_TRANSIENT_CODES = ("rui_unreachable", "rui_port_mismatch", "device_starting", "device_busy",
                        "rui_session_expired")
BOOT_RETRY_SECONDS = 1.0
POLL_TIMEOUT = 1.0              # per SNMP poll, so one lost datagram does not eat the wait


@dataclass
class BootWait:
    """What waiting for the device found: seconds until each level answered, the uptime read back."""

    reached: Dict[str, float] = field(default_factory=dict)
    uptime_seconds: Optional[float] = None
    went_down: bool = False


def _poll_target(target: Any) -> Any:
    return snmp.SnmpTarget(host=target.host, port=target.port, credentials=target.credentials,
                           timeout=min(POLL_TIMEOUT, target.timeout), retries=0)


def read_uptime(target: Any) -> Optional[float]:
    """sysUpTime in seconds, or None when the device does not answer (one short try)."""
    poll = _poll_target(target)

    async def uptime(client: Any) -> Any:
        return (await client.get(poll, [oids.SYS_UPTIME]))[oids.SYS_UPTIME]

    try:
        ticks = snmp.run(uptime)
    except CanonError:
        return None
    return ticks / 100.0 if isinstance(ticks, int) else None


def send_reset(target: Any, extra_sets: Sequence[Any] = ()) -> float:
    """SET prtGeneralReset.1 = 4 (after ``extra_sets``, e.g. a setting that waits for a restart).

    Returns the controller's monotonic time of the reset. A device that refuses the write raises
    the SNMP layer's error (``snmp_not_writable`` for a read-only community).
    """
    async def reset(client: Any) -> None:
        for varbinds in extra_sets:
            await client.set(target, list(varbinds))
        await client.set(target, [(oids.PRT_GENERAL_RESET_1, snmp.integer(POWER_CYCLE_RESET))])

    snmp.run(reset)
    return time.monotonic()


def _rui_level(rui_options: Any, session_class: Any) -> Optional[str]:
    """'login_app' when the login page is served, 'remote_ui' when only the starting page, None if silent."""
    import dataclasses
    probe_options = dataclasses.replace(rui_options, start_wait=0.0, busy_retries=0,
                                        timeout=min(float(rui_options.timeout), 3.0))
    session = session_class(probe_options)
    try:
        session.connect()
        return "login_app"
    except CanonError as exc:
        if exc.error_code in ("device_starting", "device_busy"):
            return "remote_ui"
        return None
    finally:
        session.close()


def wait_until_back(target: Any, since: float, deadline: float, wait_for: Sequence[str] = ("snmp",),
                    rui_options: Any = None, session_class: Any = None,
                    sleep: Callable[[float], None] = time.sleep, what: str = "restart") -> BootWait:
    """Poll until every level of ``wait_for`` answers after the reset at ``since``; else ``device_timeout``.

    SNMP first (an uptime larger than the time since the reset means the reset has not happened yet),
    then the Remote UI, then the login application.
    """
    levels = [level for level in WAIT_LEVELS if level in wait_for]
    if any(level != "snmp" for level in levels) and rui_options is None:
        raise CanonError("invalid_argument", "waiting for the Remote UI or the login application needs the "
                                             "Remote UI options (host, rui_* or system_manager_*)")
    if session_class is None:
        from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import RemoteUiSession
        session_class = RemoteUiSession
    found = BootWait()
    pending: List[str] = list(levels)
    while True:
        now = time.monotonic()
        if pending and pending[0] == "snmp":
            uptime = read_uptime(target)
            if uptime is None:
                found.went_down = True
            elif uptime < now - since:
                found.uptime_seconds = uptime
                found.reached["snmp"] = round(now - since, 2)
                pending.pop(0)
                continue
        elif pending:
            level = _rui_level(rui_options, session_class)
            if level is None:
                found.went_down = True
            if level == "login_app" or (level == "remote_ui" and pending[0] == "remote_ui"):
                for name in list(pending):
                    if name == "remote_ui" or (name == "login_app" and level == "login_app"):
                        found.reached[name] = round(now - since, 2)
                        pending.remove(name)
                continue
        if not pending:
            return found
        if now >= deadline:
            raise CanonError(
                "device_timeout",
                "The device did not come back within the wait (%s not answering %.0f s after the %s)."
                % (", ".join(pending), now - since, what),
                hint="Raise wait_timeout; Canon devices can take several minutes to start, longer after a "
                     "firmware update or when the login application starts.",
                waited_for=list(levels), reached=dict(found.reached))
        sleep(POLL_SECONDS)


def wait_until_down(target: Any, deadline: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """True once SNMP stops answering (a shutdown took effect) before ``deadline``."""
    while time.monotonic() < deadline:
        if read_uptime(target) is None:
            return True
        sleep(POLL_SECONDS)
    return False


def restart(target: Any, wait_for: Sequence[str] = ("snmp",), wait_timeout: float = 300,
            rui_options: Any = None, session_class: Any = None, extra_sets: Sequence[Any] = ()) -> BootWait:
    """Restart over SNMP and wait: the one call modules use (address book, firmware, canon_power)."""
    since = send_reset(target, extra_sets)
    return wait_until_back(target, since, since + max(1.0, float(wait_timeout)), wait_for,
                           rui_options=rui_options, session_class=session_class)
