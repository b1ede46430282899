# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a device's MEAP state through SMS, and the connection a run holds.

Why a connection object: starting a login application restarts the device, which ends the SMS
session; the run must wait for the device, log in again and read back. ``MeapConnection`` keeps one
session open at a time and always logs out (registered on the resource base's ExitStack).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.sms import (SmsOptions, SmsSession,
                                                                                     parse_expiry)


DOWN_WAIT = 30.0          # seconds a restarting device may still answer before it goes down


class MeapConnection:
    """The run's SMS session (one at a time; logout on close)."""

    session_class = SmsSession

    def __init__(self, options: SmsOptions, stack: contextlib.ExitStack,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.options = options
        self.sleep = sleep
        self.session: Optional[SmsSession] = None
        self.restarted = False
        stack.callback(self.close)
        self.open()

    def open(self) -> SmsSession:
        session = self.session_class(self.options)
        session.__enter__()                 # logs in; on failure it has logged out and closed itself
        self.session = session
        return session

    def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            session.__exit__(None, None, None)

    def wait_down(self, limit: float) -> bool:
        """Until SMS stops answering (a device takes a moment to go down after it accepted the restart)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            probe = self.session_class(self.options)
            try:
                answer = probe.send("GET", probe.root_url, allow_redirects=True)
                if "starting up" in answer.text.lower():     # already down and coming back
                    return True
            except CanonError:
                return True
            finally:
                probe.close()
            self.sleep(1.0)
        return False

    def after_restart(self, timeout: float) -> None:
        """The device restarted (its session is gone): wait for SMS to answer again, log in again."""
        if self.session is not None:
            self.session.forget_session()           # ended by the restart; nothing to log out
            self.session.close()
            self.session = None
        self.restarted = True
        deadline = time.monotonic() + timeout
        self.wait_down(min(DOWN_WAIT, timeout))
        last: Optional[CanonError] = None
        while time.monotonic() < deadline:
            try:
                self.open()
                return
            except CanonError as exc:
                if exc.error_code not in ("sms_unreachable", "device_starting", "device_busy", "sms_session_busy"):
                    raise
                last = exc
                self.sleep(2.0)
        raise CanonError("sms_unreachable", "SMS did not come back within %gs after the restart%s" % (
            timeout, (": %s" % last.msg) if last else ""), "Check the device; raise restart_timeout.")


def app_record(row: Dict[str, str]) -> Dict[str, Any]:
    """One app of the SMS list as the module reports it."""
    return {"application_id": row["application_id"], "name": row["name"], "version": row["version"],
            "vendor": row["vendor"], "status": row["status"], "kind": row.get("kind") or "Application",
            "running": row["status"] in ("Started", "Starting"),
            "license_status": row["license_status"], "license_expires": parse_expiry(row.get("license_expires", ""))}


def read_device(session: SmsSession) -> Dict[str, Any]:
    """{"system": {...}, "applications": [...]} -- platform facts then the app list (page order of SMS)."""
    system = session.system_information()
    apps = [app_record(row) for row in session.applications()]
    facts: Dict[str, Any] = {
        "serial": system["serial"], "platform": system["platform"].lower(),
        "meap_spec_versions": [v for v in system["meap_spec_versions"].split(",") if v],
        "device_specification_ids": [v for v in system["device_specification_ids"].split(",") if v],
        "storage_free_kb": _int(system.get("storage_free_kb")), "app_count": _int(system.get("app_count")),
        "app_limit": _int(system.get("app_limit")), "restart_required": session.restart_banner,
    }
    return {"system": facts, "applications": apps}


def expiring(apps: List[Dict[str, Any]], days: int, today: Optional[datetime.date] = None) -> List[Dict[str, Any]]:
    """Apps whose license ends within ``days`` (or has ended)."""
    today = today or datetime.date.today()
    out = []
    for app in apps:
        value = app.get("license_expires")
        if not value or value == "never":
            continue
        try:
            left = (datetime.date.fromisoformat(value) - today).days
        except ValueError:
            continue
        if left <= days:
            out.append({"application_id": app["application_id"], "name": app["name"], "license_expires": value,
                        "days_left": left})
    return out


def _int(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
