# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMPv1/v2c on asyncio, for many devices at once (discovery sweeps, fleet captures).

Kept apart from ``snmp.py`` so that a module reading one device never imports asyncio: that run
uses ``community_loop.py`` instead. Both engines share one contract: ``exchange`` re-sends
``retries`` times ``timeout`` apart and answers are matched by request id and source address.
"""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any, Dict, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.community_loop import (
    count_malformed, literal_address, next_request_id, preferred_address, unresolvable)

# Answers of thousands of devices may arrive while the event loop is busy parsing.
RECEIVE_BUFFER = 8 * 1024 * 1024


class Endpoint(asyncio.DatagramProtocol):
    """One UDP socket's receiver: completes the waiting request with the same id and source."""

    def __init__(self, pending: Dict[int, Tuple[Tuple[str, int], "asyncio.Future[ber.Message]"]]) -> None:
        self.pending = pending
        self.transport: Optional[asyncio.DatagramTransport] = None
        self.stray = 0
        # undecodable datagrams per source address: a device answering garbage is told apart from
        # a silent one (snmp_malformed_response, not snmp_no_response); bounded against floods
        self.malformed: Dict[Tuple[str, int], int] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            msg = ber.decode_message(data)
        except (ber.BerError, ValueError, IndexError):
            self.stray += 1
            count_malformed(self.malformed, addr)
            return
        waiting = self.pending.get(msg.request_id) if msg.version in (0, 1) else None
        if waiting is None or waiting[0] != (addr[0], addr[1]) or msg.pdu_type != ber.GET_RESPONSE:
            self.stray += 1
            return
        del self.pending[msg.request_id]
        if not waiting[1].done():
            waiting[1].set_result(msg)

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable etc.: the request times out
        pass


class CommunityEngine:
    """SNMPv1/v2c for any number of targets at once: one UDP socket per address family, answers
    matched by request id and source address, re-sends and timeouts as loop timers (no task per
    request: thousands of requests may be in flight), messages built and parsed by ber.py."""

    def __init__(self) -> None:
        self.pending: Dict[int, Tuple[Tuple[str, int], "asyncio.Future[ber.Message]"]] = {}
        self.endpoints: Dict[int, Endpoint] = {}
        self._opening: Dict[int, "asyncio.Future[Endpoint]"] = {}
        self._addresses: Dict[Tuple[str, int], Tuple[int, Tuple[Any, ...]]] = {}
        self._next_id = random.randint(0x00100000, 0x3FFFFFFF)
        self.sent = 0

    def stats(self) -> Dict[str, int]:
        return {"sent": self.sent, "stray": sum(e.stray for e in self.endpoints.values()),
                "sockets": len(self.endpoints)}

    def close(self) -> None:
        for endpoint in self.endpoints.values():
            if endpoint.transport is not None:
                try:
                    endpoint.transport.close()
                except RuntimeError:        # the loop is already closed: the socket goes with it
                    pass
        self.endpoints.clear()
        for opening in self._opening.values():
            if not opening.done():
                opening.cancel()
        self._opening.clear()
        for _unused, future in self.pending.values():
            if not future.done():
                future.cancel()
        self.pending.clear()

    async def resolve(self, target: Any) -> Tuple[int, Tuple[Any, ...]]:
        """(address family, socket address); IP literals skip the resolver, names prefer IPv4."""
        key = (target.host, target.port)
        found = self._addresses.get(key) or literal_address(target.host, target.port)
        if found is None:
            try:
                found = preferred_address(await asyncio.get_running_loop().getaddrinfo(
                    target.host, target.port, type=socket.SOCK_DGRAM))
            except (OSError, UnicodeError) as exc:
                raise unresolvable(target, exc)
        self._addresses[key] = found
        return found

    async def _endpoint(self, family: int) -> Endpoint:
        endpoint = self.endpoints.get(family)
        if endpoint is None:
            # One socket per family however many requests start at once: the first request opens
            # it and the others wait for that. (Checking the dict alone let every request that
            # started before the first socket was ready open its own: a fleet capture at
            # concurrency 1,000 opened about 2,000 sockets, and close() closed only the last.)
            opening = self._opening.get(family)
            if opening is None:
                opening = self._opening[family] = asyncio.ensure_future(self._open(family))
            try:
                endpoint = await asyncio.shield(opening)
            finally:
                if opening.done() and (opening.cancelled() or opening.exception() is not None):
                    self._opening.pop(family, None)     # a failed open is tried again next time
        return endpoint

    async def _open(self, family: int) -> Endpoint:
        endpoint = self.endpoints.get(family)
        if endpoint is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            except OSError:
                pass
            sock.setblocking(False)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            _unused, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: Endpoint(self.pending), sock=sock)
            endpoint = self.endpoints[family] = protocol  # type: ignore[assignment]
        return endpoint

    def _request_id(self) -> int:
        self._next_id = next_request_id(self._next_id, self.pending)
        return self._next_id

    async def exchange(self, target: Any, pdu_type: int, var_binds: Sequence[Tuple[str, bytes]],
                       non_repeaters: int = 0, max_repetitions: int = 0) -> "ber.Message":
        """One request, re-sent ``retries`` times ``timeout`` seconds apart; the answer, or
        CanonError('snmp_no_response'), or CanonError('snmp_malformed_response') when all that came
        back from the device's address meanwhile was not SNMP. A late answer to an earlier send
        counts (same id)."""
        creds = target.credentials
        family, address = await self.resolve(target)
        endpoint = await self._endpoint(family)
        request_id = self._request_id()
        template, offset = ber.request_template(0 if creds.version == "1" else 1,
                                                (creds.community or "").encode("utf-8"), pdu_type,
                                                tuple(var_binds), non_repeaters, max_repetitions)
        data = ber.patch_id(template, offset, request_id)
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[ber.Message]" = loop.create_future()
        transport = endpoint.transport
        sends_left = max(0, target.retries) + 1
        timer: Optional[asyncio.TimerHandle] = None
        source = (address[0], address[1])
        garbled_before = endpoint.malformed.get(source, 0)

        def send() -> None:
            nonlocal sends_left, timer
            sends_left -= 1
            self.sent += 1
            try:
                transport.sendto(data, address)  # type: ignore[union-attr]
            except OSError:
                pass                              # unroutable: counts as no answer
            timer = loop.call_later(target.timeout, expire)

        def expire() -> None:
            if future.done():
                return
            if sends_left > 0:
                send()
                return
            garbled = endpoint.malformed.get(source, 0) - garbled_before
            if garbled > 0:
                future.set_exception(CanonError(
                    "snmp_malformed_response", "%s answered, but with %d datagram(s) that are not SNMP "
                    "messages, and no valid answer (timeout %ss, %d retries)"
                    % (target.label, garbled, target.timeout, target.retries)))
            else:
                future.set_exception(CanonError(
                    "snmp_no_response", "%s did not answer (timeout %ss, %d retries)"
                    % (target.label, target.timeout, target.retries)))

        self.pending[request_id] = ((address[0], address[1]), future)
        send()
        try:
            return await future
        finally:
            if timer is not None:
                timer.cancel()
            self.pending.pop(request_id, None)
