"""Device settings of the simulated printers: store, Import/Export All files, settings pages.

* ``store_for(device)``: the device's SettingsStore (see store.py), created on first use;
* ``wrap(handler, state)``: settings pages in front of a Remote UI flavour handler (pages.py);
* ``install_control(control)``: ``GET/POST /devices/<address>/settings`` on the control API;
* ``register_category_provider(category, getter, setter)``: another subsystem (e.g. the security
  simulator) owns a category's values while export/import stay here.

Control API body keys (POST): ``values`` ({item path: value}, written as the panel would, not
counted as item writes), ``busy`` (a BUSY_REASONS key or null), ``inject`` (``invalid_data`` |
``address_books`` | ``restricted``: the next export/import fails with that device sentence),
``display_language``, ``platform_version``, ``lock_seconds`` (how long the device stays locked
after an export/import), ``lock`` (lock now for N seconds, 0 ends it), ``restart_pending``, ``file_layout``
(``vendor``: exports in a wrapping the collection cannot read, as a real device's file).
GET returns the facts, every value, ``counters`` (exports, imports, imports_refused, item_writes,
page_writes, restarts) and ``last_import``.
"""

from __future__ import annotations

from typing import Any, Dict

from ..httpserver import Request, Response
from .pages import wrap
from .store import SettingsStore, StoreError, register_category_provider, store_for

__all__ = ["SettingsStore", "StoreError", "install_control", "register_category_provider", "store_for", "wrap"]


def install_control(control: Any) -> None:
    """Add the settings routes to the control API (idempotent per control object)."""
    if getattr(control, "_settings_routes", False):
        return
    control._settings_routes = True

    def get(_request: Request, device: Any, _body: Dict) -> Response:
        return Response.json(store_for(device).describe())

    def post(_request: Request, device: Any, body: Dict) -> Response:
        store = store_for(device)
        result = store.update(body)
        return Response.json(dict(store.describe(), **result))

    control.route("GET", "/settings", get)
    control.route("POST", "/settings", post)
