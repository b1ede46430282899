"""Listeners of the simulated Remote UIs and their control API routes.

Per device with a Remote UI (profile ``capabilities.remote_ui``): one HTTP and one HTTPS
listener on the device's own loopback address. Classic: 8000/8443; portal: 80/443 mapped through
``SIMULATOR_PORT_MAP`` to 18080/18443, so no root is needed. The listener accepts plain TCP and
starts TLS itself, after looking at the device: a device that is off or restarting closes the
connection at once (before any TLS handshake), and the TLS version a device speaks
(``modern``/``legacy``) can change while it runs.
"""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional

from ..control import ControlApi
from ..device import SimDevice
from ..fleet import FleetError
from ..httpserver import HttpServer, Request, Response, tls_handshake
from ..snmp.agent import raise_nofile_limit
from . import pages
from .. import settings as settings_pages
from .. import sms as sms_pages
from .. import firmware as firmware_pages
from .. import security as security_pages
from .classic import ClassicUi
from .common import FlavourUi
from .portal import PortalUi
from .state import RuiState
from .table import CLASSIC, protocol
from .tls import TlsMaterial

SERVER_HEADER = "printfleet-simulator-rui"
HANDSHAKE_TIMEOUT = 10.0


def device_ports(device: SimDevice, flavour: str) -> Dict[str, int]:
    """(http, https) the device listens on: spec ``remote_ui.ports``, else the profile's, mapped."""
    settings = (device.extensions.get("spec") or {}).get("remote_ui") or {}
    caps = device.profile.get("capabilities") or {}
    pair = settings.get("ports") or caps.get("http_ports") or protocol.PORTS[flavour][0]
    if len(pair) != 2:
        raise ValueError("%s: Remote UI ports must be [http, https], not %r" % (device.address, pair))
    http, https = (protocol.SIMULATOR_PORT_MAP.get(int(p), int(p)) for p in pair)
    return {"http": http, "https": https}


class _Connection(HttpServer):
    """The HTTP/1.1 loop of one accepted connection (HttpServer's request parsing and writing)."""

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool) -> None:
        await self._serve(reader, writer, tls)


class DeviceUi:
    """One device: its state, its flavour's handler and its two listeners."""

    def __init__(self, device: SimDevice, flavour: str, tls: TlsMaterial) -> None:
        self.device = device
        self.state = RuiState(device, flavour, device_ports(device, flavour))
        self.handler: FlavourUi = ClassicUi(self.state) if flavour == CLASSIC else PortalUi(self.state)
        self.handler = settings_pages.wrap(self.handler, self.state)   # type: ignore[assignment]  # H14 settings
        self.handler = sms_pages.wrap(self.handler, self.state)   # type: ignore[assignment]  # H13 MEAP SMS at /sms/
        self.handler = firmware_pages.wrap(self.handler, self.state)   # type: ignore[assignment]  # H16 updater
        self.handler = security_pages.wrap(self.handler, self.state)   # type: ignore[assignment]  # H15 security
        self.tls = tls
        self.servers: List[asyncio.AbstractServer] = []
        device.extensions["remote_ui"] = self.state
        device.extensions["http_ports"] = [self.state.ports["http"], self.state.ports["https"]]
        device.extensions["remote_ui_manifest"] = {
            "flavour": flavour, "http_port": self.state.ports["http"], "https_port": self.state.ports["https"],
            "tls": self.state.tls_mode, "system_manager_id": self.state.system_manager_id,
            "system_manager_pin": self.state.system_manager_pin,
            "address_book_type": self.state.book.kind.name if self.state.book else None}

    async def listen(self) -> None:
        for port, tls in ((self.state.ports["http"], False), (self.state.ports["https"], True)):
            server = await asyncio.start_server(
                lambda r, w, tls=tls: self._connection(r, w, tls), self.device.address, port,
                reuse_address=True, backlog=128)
            self.servers.append(server)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool) -> None:
        if not self.state.reachable():
            writer.transport.abort()
            return
        if tls and not await tls_handshake(reader, writer, self.tls.context(self.state.tls_mode),
                                           self.device.address, HANDSHAKE_TIMEOUT):   # faults act here
            return
        connection = _Connection(lambda request: self._request(request, writer), server_header=SERVER_HEADER)
        await connection.run(reader, writer, tls)

    def _request(self, request: Request, writer: asyncio.StreamWriter) -> Response:
        if not self.state.reachable():
            writer.transport.abort()       # went down while the connection was open
            return Response(503)
        if self.state.starting():
            return pages.message(protocol.STARTING_TEXT, "Starting")
        return self.handler.handle(request)

    def close(self) -> None:
        for server in self.servers:
            server.close()


class RemoteUi:
    """Every device's Remote UI; ``start_remote_ui`` returns one (``close()``, ``ca_cert``)."""

    def __init__(self, devices: List[SimDevice], control: Optional[ControlApi] = None) -> None:
        self.devices = [d for d in devices
                        if (d.profile.get("capabilities") or {}).get("remote_ui") in protocol.FLAVOURS]
        self.tls = TlsMaterial([d.address for d in self.devices])
        self.uis: Dict[str, DeviceUi] = {}
        try:
            for device in self.devices:
                flavour = device.profile["capabilities"]["remote_ui"]
                self.uis[device.address] = DeviceUi(device, flavour, self.tls)
        except BaseException:
            self.tls.cleanup()
            raise
        if control is not None:
            control.route("GET", "/remote_ui", self._control_get)
            control.route("POST", "/remote_ui", self._control_post)
            settings_pages.install_control(control)
            sms_pages.install_control(control)
            firmware_pages.install_control(control)
            security_pages.install_control(control)

    @property
    def ca_cert(self) -> str:
        return self.tls.ca_cert_path

    async def start(self) -> None:
        raise_nofile_limit(2 * len(self.uis) + 1024)
        try:
            await asyncio.gather(*(ui.listen() for ui in self.uis.values()))
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for ui in self.uis.values():
            ui.close()
        await asyncio.sleep(0)
        self.tls.cleanup()

    # --- control API --------------------------------------------------------------------
    def _state(self, device: SimDevice) -> Optional[RuiState]:
        ui = self.uis.get(device.address)
        return ui.state if ui else None

    def _control_get(self, _request: Request, device: SimDevice, _body: Dict) -> Response:
        state = self._state(device)
        if state is None:
            return Response.json({"error": "%s has no Remote UI" % device.address}, 404)
        return Response.json(state.describe())

    def _control_post(self, _request: Request, device: SimDevice, body: Dict) -> Response:
        state = self._state(device)
        if state is None:
            return Response.json({"error": "%s has no Remote UI" % device.address}, 404)
        state.update(body)
        return Response.json(state.describe())


async def start_remote_ui(devices: List[SimDevice], control: Optional[ControlApi] = None) -> RemoteUi:
    """Create the TLS material, every device's Remote UI state and listeners, and the control routes."""
    try:
        remote_ui = RemoteUi(devices, control)
    except ValueError as exc:       # a bad remote_ui / address_book spec entry
        raise FleetError(str(exc)) from None
    await remote_ui.start()
    return remote_ui
