"""The scenario control API: HTTP + JSON on a loopback port.

Tests and users drive the fleet with it: print/copy/scan pages, set supply levels, raise and
clear alerts, sleep, power off/on, restart. Subsystems (Remote UI, ...) add their own routes
with ``ControlApi.route``. Routes:

  GET    /health                               {"ready": true, "devices": n}
  GET    /devices                              brief state of every device
  GET    /devices/<address>                    full state (counters, supplies, alerts, SNMP stats)
  POST   /devices/<address>/print              {"pages", "size", "color", "sides"}  -> counter deltas
  POST   /devices/<address>/copy               same as print, counted as copies
  POST   /devices/<address>/scan               {"pages", "size", "color"}
  POST   /devices/<address>/supply             {"colorant" | "index", "level"}
  POST   /devices/<address>/alerts             {"kind": toner_low|toner_empty|paper_jam|paper_empty|service_call, ...}
  DELETE /devices/<address>/alerts[/<kind>]    clear alerts (all or one kind)
  POST   /devices/<address>/sleep              {"on": bool, "reject_snmp": bool (optional)}
  POST   /devices/<address>/power              {"on": bool}
  POST   /devices/<address>/restart            {"seconds": float (optional)}
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Pattern, Tuple

from .device import SimDevice
from .httpserver import HttpServer, Request, Response

RouteHandler = Callable[[Request, SimDevice, Dict], Response]


class ControlApi:
    def __init__(self, devices: List[SimDevice]) -> None:
        self.devices: Dict[str, SimDevice] = {d.address: d for d in devices}
        self._routes: List[Tuple[str, Pattern[str], RouteHandler]] = []
        self.server = HttpServer(self.handle, server_header="printfleet-simulator-control")
        self.url: Optional[str] = None
        self._install_defaults()

    def route(self, method: str, suffix: str, handler: RouteHandler) -> None:
        """Add a per-device route: ``suffix`` is a regex matched after /devices/<address>."""
        self._routes.append((method.upper(), re.compile("^" + suffix + "$"), handler))

    async def listen(self, address: str = "127.0.0.1", port: int = 0) -> str:
        port = await self.server.listen(address, port)
        self.url = "http://%s:%d" % (address, port)
        return self.url

    async def close(self) -> None:
        await self.server.close()

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == "/health":
            return Response.json({"ready": True, "devices": len(self.devices)})
        if path == "/devices" and request.method == "GET":
            keys = ("address", "profile", "model", "serial", "powered", "asleep", "restarting")
            return Response.json([{k: d.state()[k] for k in keys} for d in self.devices.values()])
        m = re.match(r"^/devices/([0-9.]+)(/.*)?$", path)
        if not m:
            return Response.json({"error": "not found"}, 404)
        device = self.devices.get(m.group(1))
        if device is None:
            return Response.json({"error": "no device at %s" % m.group(1)}, 404)
        suffix = m.group(2) or ""
        if suffix == "" and request.method == "GET":
            return Response.json(device.state())
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return Response.json({"error": "body is not JSON"}, 400)
        for method, pattern, handler in self._routes:
            hit = pattern.match(suffix)
            if hit and method == request.method:
                try:
                    return handler(request, device, dict(body or {}, **hit.groupdict()))
                except (ValueError, TypeError, KeyError) as exc:
                    return Response.json({"error": str(exc)}, 400)
        return Response.json({"error": "no route %s %s" % (request.method, suffix)}, 404)

    def _install_defaults(self) -> None:
        def job(function: str) -> RouteHandler:
            def run(_req: Request, dev: SimDevice, body: Dict) -> Response:
                deltas = dev.print_pages(int(body.get("pages", 1)), size=body.get("size", "A4"),
                                         color=bool(body.get("color", False)), sides=int(body.get("sides", 1)),
                                         function=function)
                return Response.json({"changed": {str(k): v for k, v in deltas.items()},
                                      "counters": dev.state()["counters"]})
            return run

        def scan(_req: Request, dev: SimDevice, body: Dict) -> Response:
            deltas = dev.scan_pages(int(body.get("pages", 1)), size=body.get("size", "A4"),
                                    color=bool(body.get("color", False)))
            return Response.json({"changed": {str(k): v for k, v in deltas.items()},
                                  "counters": dev.state()["counters"]})

        def supply(_req: Request, dev: SimDevice, body: Dict) -> Response:
            row = dev.set_supply_level(int(body["level"]), colorant=body.get("colorant"), index=body.get("index"))
            return Response.json({"index": row, "supplies": dev.state()["supplies"]})

        def alert(_req: Request, dev: SimDevice, body: Dict) -> Response:
            row = dev.raise_alert(body["kind"], colorant=body.get("colorant"), code=body.get("code"),
                                  description=body.get("description"), tray=body.get("tray"))
            return Response.json(row, 201)

        def clear(_req: Request, dev: SimDevice, body: Dict) -> Response:
            return Response.json({"cleared": dev.clear_alert(body.get("kind"))})

        def sleep(_req: Request, dev: SimDevice, body: Dict) -> Response:
            dev.set_sleep(bool(body.get("on", True)), body.get("reject_snmp"))
            return Response.json({"asleep": dev.asleep, "reject_snmp_in_sleep": dev.reject_snmp_in_sleep})

        def power(_req: Request, dev: SimDevice, body: Dict) -> Response:
            dev.set_power(bool(body.get("on", True)))
            return Response.json({"powered": dev.powered})

        def restart(_req: Request, dev: SimDevice, body: Dict) -> Response:
            dev.restart(body.get("seconds"))
            return Response.json({"restarting": True, "seconds": body.get("seconds", dev.restart_seconds)})

        self.route("POST", "/print", job("print"))
        self.route("POST", "/copy", job("copy"))
        self.route("POST", "/scan", scan)
        self.route("POST", "/supply", supply)
        self.route("POST", "/alerts", alert)
        self.route("DELETE", "/alerts(?:/(?P<kind>[a-z_]+))?", clear)
        self.route("POST", "/sleep", sleep)
        self.route("POST", "/power", power)
        self.route("POST", "/restart", restart)
