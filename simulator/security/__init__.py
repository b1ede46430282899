"""Security of the simulated printers: policy, keys/certificates, audit facts (see store.py, pages.py).

* ``wrap(handler, rui_state)``: the Security Policy Settings and key/certificate pages;
* ``install_control(control)``: ``GET/POST /devices/<address>/security`` (state, counters, request
  log; POST ``inject`` (``concurrent_task``), fact overrides, ``panel_policy`` {label: value} (type I
  only), ``reset_counters``);
* the settings simulator's Security Policy category is served from this store (export/import).
"""

from __future__ import annotations

from typing import Any, Dict

from ..httpserver import Request, Response
from .pages import wrap
from .store import SecurityStore, store_for

__all__ = ["SecurityStore", "install_control", "store_for", "wrap"]


def _register_settings_category() -> None:
    try:
        from ..settings import register_category_provider
    except ImportError:       # settings simulator absent: the policy pages still work
        return
    register_category_provider("security_policy", lambda device: store_for(device).category_values(),
                               lambda device, values: store_for(device).import_values(values))


_register_settings_category()


def install_control(control: Any) -> None:
    """Add the security routes to the control API (idempotent per control object)."""
    if getattr(control, "_security_routes", False):
        return
    control._security_routes = True

    def get(_request: Request, device: Any, _body: Dict) -> Response:
        return Response.json(store_for(device).describe())

    def post(_request: Request, device: Any, body: Dict) -> Response:
        store = store_for(device)
        try:
            store.control(body or {})
        except ValueError as exc:
            return Response.json({"error": str(exc)}, status=400)
        return Response.json(store.describe())

    control.route("GET", "/security", get)
    control.route("POST", "/security", post)
