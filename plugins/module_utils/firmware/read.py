# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading firmware facts: the version over SNMP (public), the Updater's facts over the Remote UI.

The version, model and serial come from SNMP (canPdInfoProductVersion / canPdInfoProductName /
the Canon or Printer-MIB serial), so ``gathered`` works on every Canon device. The components,
the Updater and the pre-flight facts (device clock, queued jobs, running import/export) come from
the simulator-defined updater page; a device without that page reports ``updater_present: false``.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids, snmp

_PRE = re.compile(r'<pre id="updater">(.*?)</pre>', re.S)
SNMP_OIDS = (oids.CANON_PRODUCT_VERSION, oids.CANON_PRODUCT_NAME, oids.CANON_SERIAL, oids.PRT_GENERAL_SERIAL_1,
             oids.HR_DEVICE_DESCR_1)


def _text(value: Any) -> Optional[str]:
    text = snmp.to_text(value)
    return text.strip() if isinstance(text, str) and text.strip() else None


def read_snmp(target: Any) -> Dict[str, Any]:
    """Version, model and serial over SNMP; ``snmp_no_response`` when the device is silent."""
    async def get(client: Any) -> Dict[str, Any]:
        return await client.get(target, list(SNMP_OIDS))

    values = snmp.run(get)
    return {"version": _text(values.get(oids.CANON_PRODUCT_VERSION)),
            "model": _text(values.get(oids.CANON_PRODUCT_NAME)) or _text(values.get(oids.HR_DEVICE_DESCR_1)),
            "serial": _text(values.get(oids.CANON_SERIAL)) or _text(values.get(oids.PRT_GENERAL_SERIAL_1))}


def page_json(page: Any) -> Dict[str, Any]:
    """The JSON an updater page carries in ``<pre id="updater">``."""
    found = _PRE.search(page.text)
    if not found:
        raise CanonError("rui_unexpected_response", "The updater page carries no updater data.", page=page.name)
    try:
        data = json.loads(html.unescape(found.group(1)))
    except ValueError:
        raise CanonError("rui_unexpected_response", "The updater page data is not JSON.", page=page.name) from None
    if not isinstance(data, dict):
        raise CanonError("rui_unexpected_response", "The updater page data is not an object.", page=page.name)
    return data


def clock_skew(device_clock: Optional[str]) -> Optional[float]:
    """Device clock minus controller clock in seconds (None when unknown)."""
    if not device_clock:
        return None
    try:
        when = datetime.strptime(device_clock, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return round((when - datetime.now(timezone.utc)).total_seconds(), 1)


class FirmwareConnection:
    """The SNMP target and, when the device has one, a Remote UI session for the updater pages."""

    def __init__(self, target: Any, rui_options: Any, session_class: Any) -> None:
        self.target = target
        self.rui_options = rui_options
        self.session_class = session_class
        self.session: Any = None
        self.stack: Optional[contextlib.ExitStack] = None

    def open_session(self) -> Any:
        """Log in (once per boot); a new login after a restart replaces the old session."""
        if self.session is not None:
            return self.session
        if self.rui_options is None:
            return None
        session = self.session_class(self.rui_options)
        session.login()
        self.session = session
        return session

    def drop_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            try:
                session.logout()
            finally:
                session.close()

    def updater_facts(self) -> Optional[Dict[str, Any]]:
        """The updater page's facts, or None when the device has no such page."""
        session = self.open_session()
        if session is None:
            return None
        try:
            return page_json(session.get_page("firmware_info"))
        except CanonError as exc:
            if exc.error_code == "unsupported_capability":
                return None
            raise

    def post(self, name: str, fields: Dict[str, str]) -> Dict[str, Any]:
        return page_json(self.open_session().post_form(name, fields))


def read_firmware(conn: FirmwareConnection) -> Dict[str, Any]:
    """``before`` of canon_firmware: version, model, serial, components, updater (and pre-flight facts)."""
    facts = read_snmp(conn.target)
    updater = conn.updater_facts() if conn.rui_options is not None else None
    state: Dict[str, Any] = {"version": facts["version"], "model": facts["model"], "serial": facts["serial"],
                             "components": {"controller": facts["version"]} if facts["version"] else {},
                             "updater_present": False}
    if updater is not None:
        state["components"] = dict(updater.get("components") or state["components"])
        state["updater_present"] = bool(updater.get("updater"))
        state["preflight"] = {
            "local_distribution": bool(updater.get("local_distribution")),
            "clock_skew_seconds": clock_skew(updater.get("clock")),
            "jobs_queued": int(updater.get("jobs_queued") or 0),
            "wait_for_end_of_job": bool(updater.get("wait_for_end_of_job")),
            "import_export_running": bool(updater.get("import_export_running")),
        }
        state["last_update"] = updater.get("update")
    return state
