"""MEAP SMS (Service Management Service) of the simulated devices.

* ``store_for(device)``: the device's SmsStore (store.py): apps, licenses, limits, session, counters;
* ``wrap(handler, state)``: the /sms/ pages in front of a Remote UI handler (pages.py), so SMS
  shares the device's 8000/8443 listener as on real devices (the Catwalk server);
* ``install_control(control)``: ``GET/POST /devices/<address>/sms`` on the control API.

Control API POST keys: ``password``, ``allow_default_password``, ``platform`` (meap|addon|none),
``inject`` (an SMS_TEXTS key: the next SMS write fails with that sentence, e.g. disk_full,
cancelled, app_limit; ``inject_on`` names the write it waits for, e.g. updates), ``busy``, ``hold_session`` (a browser left open by someone else),
``release_session``, ``session_hold_seconds``, ``login_page_seconds``, ``restart_seconds``,
``storage_kb``, ``memory_kb``, ``app_limit``, ``run_limit``, ``apps`` (seed entries),
``license_expires`` ({app id: date}), ``reset_counters``. GET returns the facts, every app and
``counters`` (logins, failed_logins, open_sessions, installs, updates, uninstalls, starts, stops,
license_*, password_changes, writes, requests ...).
"""

from __future__ import annotations

from typing import Any, Dict

from ..httpserver import Request, Response
from .pages import wrap
from .store import SmsRefusal, SmsStore, store_for

__all__ = ["SmsRefusal", "SmsStore", "install_control", "store_for", "wrap"]


def install_control(control: Any) -> None:
    """Add the SMS routes to the control API (once per control object)."""
    if getattr(control, "_sms_routes", False):
        return
    control._sms_routes = True

    def get(_request: Request, device: Any, _body: Dict) -> Response:
        return Response.json(store_for(device).describe())

    def post(_request: Request, device: Any, body: Dict) -> Response:
        store = store_for(device)
        store.update(body)
        return Response.json(store.describe())

    control.route("GET", "/sms", get)
    control.route("POST", "/sms", post)
