# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMPv1/v2c for one module run, without asyncio.

A module that reads one device (``canon_device_info``, ``canon_device``, a settings or firmware
read) is a fresh Python process per host. Importing asyncio (which imports ssl) costs such a
process about 30 ms, more than the whole SNMP exchange with a printer; over a fleet of hosts it
was most of what a device module cost beyond ``ansible.builtin.ping``. This engine runs the same
``async def`` readers as the asyncio engine (``community_engine.py``), driven by a small loop of
its own: a coroutine awaiting an SNMP exchange hands it to the loop, which sends it, waits on the
socket with ``select`` and resumes the coroutine with the answer. ``gather`` runs its coroutines
side by side, so concurrent probes cost one round trip, not several.

Only SNMP exchanges and ``gather`` can be awaited here; anything else (SNMPv3 through pysnmp) needs
asyncio, which ``snmp.run`` then uses instead.
"""

from __future__ import annotations

import collections
import ipaddress
import random
import select
import socket
import time
from typing import Any, Coroutine, Deque, Dict, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


# How many source addresses of undecodable answers are remembered (per socket or engine): a device
# answering garbage is told apart from a silent one; bounded against floods.
MALFORMED_SOURCES = 65536

Address = Tuple[int, Tuple[Any, ...]]


def literal_address(host: str, port: int) -> Optional[Address]:
    """(address family, socket address) of an IP literal, without the resolver; None for a name."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET, (str(ip), port))


def preferred_address(infos: List[Any]) -> Address:
    """The resolver's answer to use: IPv4 first."""
    infos = sorted(infos, key=lambda info: info[0] != socket.AF_INET)
    return (infos[0][0], tuple(infos[0][4]))


def unresolvable(target: Any, exc: BaseException) -> CanonError:
    return CanonError("snmp_no_response", "%s: cannot resolve %s: %s" % (target.label, target.host, exc))


def count_malformed(malformed: Dict[Tuple[str, int], int], source: Any) -> None:
    """One more undecodable datagram from ``source`` (bounded by MALFORMED_SOURCES)."""
    key = (source[0], source[1])
    if key in malformed or len(malformed) < MALFORMED_SOURCES:
        malformed[key] = malformed.get(key, 0) + 1


def next_request_id(current: int, in_use: Any) -> int:
    """The request id after ``current`` (31 bits, never 0) that no request in flight uses."""
    while True:
        current = (current + 1) & 0x7FFFFFFF or 1
        if current not in in_use:
            return current


class NeedsEventLoop(BaseException):
    """Raised inside a blocking run when a request needs asyncio (SNMPv3): the run starts over there.

    A BaseException so that no ``except Exception`` of a reader swallows it."""


class _Exchange:
    """One request in flight: awaiting it hands it to the loop, which resumes with the answer."""

    __slots__ = ("data", "family", "address", "request_id", "timeout", "sends_left", "deadline", "failure",
                 "task", "garbled_before")

    def __init__(self, data: bytes, family: int, address: Tuple[Any, ...], request_id: int, timeout: float,
                 sends: int, failure: str) -> None:
        self.data = data
        self.family = family
        self.address = address
        self.request_id = request_id
        self.timeout = timeout
        self.sends_left = sends
        self.deadline = 0.0
        self.failure = failure
        self.task: Optional[_Task] = None
        self.garbled_before = 0

    def __await__(self):
        return (yield self)


class _Gather:
    """``gather(*coroutines)``: the loop runs them side by side and resumes with their results."""

    __slots__ = ("coroutines", "return_exceptions")

    def __init__(self, coroutines: Sequence[Coroutine[Any, Any, Any]], return_exceptions: bool) -> None:
        self.coroutines = list(coroutines)
        self.return_exceptions = return_exceptions

    def __await__(self):
        return (yield self)


class _Task:
    __slots__ = ("coro", "send", "throw", "parent", "slot", "children", "results", "left", "return_exceptions",
                 "done", "exchange")

    def __init__(self, coro: Coroutine[Any, Any, Any], parent: Optional["_Task"] = None, slot: int = 0) -> None:
        self.coro = coro
        self.send: Any = None
        self.throw: Optional[BaseException] = None
        self.parent = parent
        self.slot = slot
        self.children: List[_Task] = []
        self.results: List[Any] = []
        self.left = 0
        self.return_exceptions = False
        self.done = False
        self.exchange: Optional[_Exchange] = None


class BlockingCommunityEngine:
    """The v1/v2c engine of ``SnmpClient(blocking=True)``: same ``exchange`` contract as the asyncio
    engine (re-sends ``retries`` times ``timeout`` apart, answers matched by request id and source,
    a late answer to an earlier send counts), one UDP socket per address family."""

    def __init__(self) -> None:
        self.sockets: Dict[int, socket.socket] = {}
        self.waiting: Dict[int, _Exchange] = {}
        self._addresses: Dict[Tuple[str, int], Tuple[int, Tuple[Any, ...]]] = {}
        self._next_id = random.randint(0x00100000, 0x3FFFFFFF)
        self.sent = 0
        self.stray = 0
        self.writes = 0
        # undecodable datagrams per source address (see community_engine.Endpoint.malformed)
        self.malformed: Dict[Tuple[str, int], int] = {}

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()
        self.waiting.clear()

    def stats(self) -> Dict[str, int]:
        return {"sent": self.sent, "stray": self.stray, "sockets": len(self.sockets)}

    # ------------------------------------------------------------------ requests ---
    def resolve(self, target: Any) -> Tuple[int, Tuple[Any, ...]]:
        """(address family, socket address); IP literals skip the resolver, names prefer IPv4."""
        key = (target.host, target.port)
        found = self._addresses.get(key) or literal_address(target.host, target.port)
        if found is None:
            try:
                found = preferred_address(socket.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM))
            except (OSError, UnicodeError) as exc:
                raise unresolvable(target, exc)
        self._addresses[key] = found
        return found

    def _socket(self, family: int) -> socket.socket:
        sock = self.sockets.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            self.sockets[family] = sock
        return sock

    def _request_id(self) -> int:
        self._next_id = next_request_id(self._next_id, self.waiting)
        return self._next_id

    async def exchange(self, target: Any, pdu_type: int, var_binds: Sequence[Tuple[str, bytes]],
                       non_repeaters: int = 0, max_repetitions: int = 0) -> "ber.Message":
        creds = target.credentials
        family, address = self.resolve(target)
        request_id = self._request_id()
        template, offset = ber.request_template(0 if creds.version == "1" else 1,
                                                (creds.community or "").encode("utf-8"), pdu_type,
                                                tuple(var_binds), non_repeaters, max_repetitions)
        if pdu_type == ber.SET_REQUEST:
            self.writes += 1
        failure = "%s did not answer (timeout %ss, %d retries)" % (target.label, target.timeout, target.retries)
        exchange = _Exchange(ber.patch_id(template, offset, request_id), family, address, request_id,
                             float(target.timeout), max(0, target.retries) + 1, failure)
        exchange.garbled_before = self.malformed.get((address[0], address[1]), 0)
        return await exchange

    def _send(self, exchange: _Exchange) -> None:
        exchange.sends_left -= 1
        self.sent += 1
        try:
            self._socket(exchange.family).sendto(exchange.data, exchange.address)
        except OSError:
            pass                                   # unroutable: counts as no answer
        exchange.deadline = time.monotonic() + exchange.timeout

    def _receive(self, sock: socket.socket, ready: Deque[_Task]) -> None:
        while True:
            try:
                data, source = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:                        # ICMP unreachable reported on the socket: time out
                return
            try:
                msg = ber.decode_message(data)
            except (ber.BerError, ValueError, IndexError):
                self.stray += 1
                count_malformed(self.malformed, source)
                continue
            exchange = self.waiting.get(msg.request_id) if msg.version in (0, 1) else None
            if (exchange is None or (exchange.address[0], exchange.address[1]) != (source[0], source[1])
                    or msg.pdu_type != ber.GET_RESPONSE):
                self.stray += 1
                continue
            del self.waiting[msg.request_id]
            task = exchange.task
            if task is not None and not task.done:
                task.exchange = None
                task.send = msg
                ready.append(task)

    # ------------------------------------------------------------------ the loop ---
    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Drive ``coro`` to its end; its result, or its exception."""
        root = _Task(coro)
        ready: Deque[_Task] = collections.deque([root])
        try:
            while not root.done:
                while ready:
                    self._step(ready.popleft(), ready)
                if root.done:
                    break
                if not self.waiting:
                    raise RuntimeError("SNMP loop: nothing to wait for but the run is not finished")
                self._wait(ready)
        finally:
            if not root.done:
                self._cancel(root)
        if root.throw is not None:
            raise root.throw
        return root.send

    def _step(self, task: _Task, ready: Deque[_Task]) -> None:
        if task.done:
            return
        try:
            if task.throw is not None:
                exc, task.throw = task.throw, None
                awaited = task.coro.throw(exc)
            else:
                value, task.send = task.send, None
                awaited = task.coro.send(value)
        except StopIteration as stop:
            self._finish(task, stop.value, None, ready)
            return
        except NeedsEventLoop:
            raise
        except BaseException as exc:  # pylint: disable=broad-except  # handed to the awaiting task
            self._finish(task, None, exc, ready)
            return
        if isinstance(awaited, _Exchange):
            awaited.task = task
            task.exchange = awaited
            self.waiting[awaited.request_id] = awaited
            self._send(awaited)
        elif isinstance(awaited, _Gather):
            task.children = [_Task(c, task, i) for i, c in enumerate(awaited.coroutines)]
            task.results = [None] * len(task.children)
            task.left = len(task.children)
            task.return_exceptions = awaited.return_exceptions
            if not task.children:
                task.send = []
                ready.append(task)
            ready.extend(task.children)
        else:
            task.coro.close()
            raise NeedsEventLoop()

    def _finish(self, task: _Task, value: Any, exc: Optional[BaseException], ready: Deque[_Task]) -> None:
        task.done = True
        parent = task.parent
        if parent is None:
            task.send, task.throw = value, exc
            return
        if parent.done or parent.left <= 0:
            return
        if exc is not None and not parent.return_exceptions:
            parent.left = 0                        # the first failure ends the gather, as asyncio's does
            for sibling in parent.children:
                if not sibling.done:
                    self._cancel(sibling)
            parent.throw = exc
            ready.append(parent)
            return
        parent.results[task.slot] = exc if exc is not None else value
        parent.left -= 1
        if parent.left == 0:
            parent.send = list(parent.results)
            ready.append(parent)

    def _cancel(self, task: _Task) -> None:
        for child in task.children:
            if not child.done:
                self._cancel(child)
        task.done = True
        if task.exchange is not None:
            self.waiting.pop(task.exchange.request_id, None)
            task.exchange = None
        task.coro.close()

    def _wait(self, ready: Deque[_Task]) -> None:
        now = time.monotonic()
        deadline = min(exchange.deadline for exchange in self.waiting.values())
        if deadline > now:
            readable, _unused, _unused2 = select.select(list(self.sockets.values()), [], [], deadline - now)
            for sock in readable:
                self._receive(sock, ready)
            if ready:
                return
        now = time.monotonic()
        for exchange in [e for e in self.waiting.values() if e.deadline <= now]:
            if exchange.sends_left > 0:
                self._send(exchange)
                continue
            del self.waiting[exchange.request_id]
            task = exchange.task
            if task is not None and not task.done:
                task.exchange = None
                source = (exchange.address[0], exchange.address[1])
                garbled = self.malformed.get(source, 0) - exchange.garbled_before
                if garbled > 0:        # the address answered, but never with SNMP: not a silent device
                    text = exchange.failure.replace("did not answer", "gave no valid answer")
                    task.throw = CanonError("snmp_malformed_response", "%s; %d datagram(s) from it were not "
                                            "SNMP messages" % (text, garbled))
                else:
                    task.throw = CanonError("snmp_no_response", exchange.failure)
                ready.append(task)


def gather(*coroutines: Coroutine[Any, Any, Any], return_exceptions: bool = False) -> _Gather:
    """``asyncio.gather`` for the blocking loop."""
    return _Gather(coroutines, return_exceptions)
