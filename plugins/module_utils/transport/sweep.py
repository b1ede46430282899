# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fast SNMP sweep over many addresses, then identification of the devices that answered.

Design (DESIGN.md §8): one UDP socket; probes paced at ``rate`` packets per second; answers
matched by request id and source address; unanswered probes re-sent ``retries`` times, each
``timeout`` seconds after its previous send, interleaved with first sends. A sweep of N
addresses therefore takes about N / rate + timeout x (retries + 1), not N x timeout / concurrency.

Probes: a v1/v2c GET of sysObjectID.0 with the credential set's community (a device with another
community stays silent, like a real one); for SNMPv3 an engine-discovery probe that any agent
with SNMPv3 enabled answers without credentials. Identification then sends one multi-object GET
per responder through SnmpClient, so SNMPv3 users are authenticated there and a wrong SNMPv3 user
falls through to the next credential set. Under SNMPv1 the identification is one GETNEXT instead
(see ``get_v1``): a v1 GET fails whole on the first object a device lacks, so a GET costs one
round trip per missing object, while GETNEXT tells present from absent for every object at once.

Identification starts as soon as a device answers its probe, while the sweep is still sending:
the answers to 5,000 identifications then arrive during the time the sweep spends pacing its
probes and waiting for silent addresses, not after it.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.oids import oid_str, oid_tuple
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, NO_SUCH_NAME, SnmpClient, SnmpCredentials, SnmpTarget)

RECEIVE_BUFFER = 8 * 1024 * 1024
TICK = 0.002   # seconds between pacing rounds
BURST = 0.01   # at most this many seconds' worth of probes in one burst
PARALLEL_BATCH = 100000000   # batches at least this large are sent from two threads


@dataclass(frozen=True)
class CredentialSet:
    """A named set of SNMP credentials; only the name ever leaves the plugin."""

    name: str
    credentials: SnmpCredentials


@dataclass
class SweepStats:
    targets: int = 0
    sent: int = 0
    answered: int = 0
    stray: int = 0
    elapsed: float = 0.0


@dataclass
class Hit:
    address: str
    credential: str
    version: str
    engine_id: Optional[bytes] = None


class Sweeper:
    """One socket, paced probes, answers matched by (request id, source)."""

    def __init__(self, port: int = 161, rate: int = 5000, timeout: float = 1.0, retries: int = 1) -> None:
        self.port = int(port)
        self.rate = max(1, int(rate))
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))

    async def sweep(self, addresses: Sequence[str], cred: CredentialSet,
                    on_hit: Optional[Callable[[Hit], None]] = None,
                    on_sent: Optional[Callable[[], None]] = None) -> Tuple[Dict[str, Hit], SweepStats]:
        """Probe every address; ``on_hit`` is called as each answer arrives (identification can
        then run while the sweep still waits for slow or absent devices); ``on_sent`` once every
        probe and re-send has gone out, when only the wait for late answers is left."""
        stats = SweepStats(targets=len(addresses))
        if not addresses:
            return {}, stats
        creds = cred.credentials
        base = random.randint(0x01000000, 0x3FFFFFFF)
        community = (creds.community or "").encode("utf-8")
        if creds.version == "3":
            template, offset = ber.v3_discovery_probe(base)
        else:
            template, offset = ber.get_request(0 if creds.version == "1" else 1, community, base,
                                               [oids.SYS_OBJECT_ID])
        head, tail = template[:offset], template[offset + 4:]
        found: Dict[str, Hit] = {}
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError:
            pass
        sock.bind(("0.0.0.0", 0))
        all_answered = asyncio.Event()

        def on_readable() -> None:
            while True:
                try:
                    data, (src, sport) = sock.recvfrom(65535)
                except OSError:              # includes BlockingIOError: nothing left to read
                    return
                try:
                    msg = ber.decode_message(data)
                except ber.BerError:
                    stats.stray += 1
                    continue
                ident = msg.msg_id if creds.version == "3" else msg.request_id
                i = (ident - base) if isinstance(ident, int) else -1
                if not (0 <= i < len(addresses)) or addresses[i] != src or sport != self.port:
                    stats.stray += 1
                    continue
                if src in found:
                    continue
                if creds.version == "3":
                    if msg.pdu_type != ber.REPORT or not msg.engine_id:
                        continue
                elif msg.pdu_type != ber.GET_RESPONSE or msg.community != community:
                    continue
                hit = Hit(src, cred.name, creds.version, msg.engine_id)
                found[src] = hit
                stats.answered += 1
                if on_hit is not None:
                    on_hit(hit)
                if len(found) == len(addresses):
                    all_answered.set()

        loop.add_reader(sock.fileno(), on_readable)
        started = time.monotonic()
        port = self.port
        try:
            first = collections.deque(range(len(addresses)))
            again: collections.deque = collections.deque()     # (due time, index, attempt), in due order
            last_send = started
            tokens, refilled = 0.0, started
            burst = max(1.0, self.rate * BURST)
            while (first or again) and not all_answered.is_set():
                now = time.monotonic()
                tokens = min(burst, tokens + (now - refilled) * self.rate)
                refilled = now
                batch: List[int] = []
                while tokens >= 1 and (first or (again and again[0][0] <= now)):
                    if again and again[0][0] <= now:
                        _unused, i, attempt = again.popleft()
                        if addresses[i] in found:
                            continue
                    else:
                        i, attempt = first.popleft(), 0
                    batch.append(i)
                    tokens -= 1
                    if attempt < self.retries:
                        again.append((now + self.timeout, i, attempt + 1))
                if batch:
                    sent, unsent = self._send_batch(sock, head, tail, base, addresses, batch)
                    stats.sent += sent
                    first.extendleft(reversed(unsent))
                    last_send = now
                if first or tokens < 1:
                    await asyncio.sleep(TICK)          # out of tokens: pace (and read answers)
                elif again:
                    # nothing new to send: sleep until the next retry is due (or everyone answered)
                    try:
                        await asyncio.wait_for(all_answered.wait(), max(TICK, again[0][0] - time.monotonic()))
                    except asyncio.TimeoutError:
                        pass
            if on_sent is not None:
                on_sent()
            remaining = last_send + self.timeout - time.monotonic()
            if remaining > 0 and not all_answered.is_set():
                try:
                    await asyncio.wait_for(all_answered.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        finally:
            loop.remove_reader(sock.fileno())
            sock.close()
        stats.elapsed = time.monotonic() - started
        return found, stats

    def _send_batch(self, sock: socket.socket, head: bytes, tail: bytes, base: int,
                    addresses: Sequence[str], batch: List[int]) -> Tuple[int, List[int]]:
        """Send one paced batch; returns (sent, indices the kernel had no room for)."""
        port = self.port
        sent = 0
        for n, i in enumerate(batch):
            try:
                sock.sendto(head + (base + i).to_bytes(4, "big") + tail, (addresses[i], port))
            except (BlockingIOError, InterruptedError):
                return sent, batch[n:]          # send buffer full: the caller retries them next round
            except OSError:
                pass                            # unroutable address: it will simply never answer
            sent += 1
        return sent, []


# ----------------------------------------------------------------------------- identify ---


@dataclass
class Identified:
    address: str
    credential: str
    version: str
    values: Dict[str, Any] = field(default_factory=dict)
    error: Optional[CanonError] = None


def _before(arcs: Tuple[int, ...]) -> Tuple[int, ...]:
    """An OID below ``arcs`` whose GETNEXT answer is ``arcs`` itself when the device has it:
    the parent for an instance ending in .0 (nothing lies between X and X.0), else the same OID
    with its last arc one lower (only that OID's own sub-tree lies between, and an answer from
    there is detected and asked again by GET)."""
    if arcs[-1] == 0:
        return arcs[:-1]
    return arcs[:-1] + (arcs[-1] - 1,)


@functools.lru_cache(maxsize=64)
def _next_plan(oid_list: Tuple[str, ...]) -> Tuple[List[str], List[Tuple[int, ...]], List[str]]:
    """(dotted OIDs, their arcs, the OIDs to ask GETNEXT of): the same for every device of a sweep."""
    wanted = [oid_str(o) for o in oid_list]
    arcs = [oid_tuple(o) for o in wanted]
    return wanted, arcs, [oid_str(_before(a)) for a in arcs]


async def get_v1(client: SnmpClient, target: SnmpTarget, oid_list: Sequence[str]) -> Dict[str, Any]:
    """What ``client.get`` returns, for an SNMPv1 target, in one round trip instead of one per
    missing object.

    A v1 GET that names an object the device lacks fails whole with noSuchName and must be sent
    again without it. GETNEXT of the OID just before each object instead answers the object itself
    when the device has it, and a later OID when it does not, all in one PDU. An answer that is
    neither (an agent whose GETNEXT goes backwards, or an OID inside the asked OID's sub-tree), a PDU
    that does not line up with the request, or any error status makes those objects go through
    the plain GET, so a device with a broken GETNEXT costs a round trip, never a wrong value.
    """
    wanted, arcs, asks = _next_plan(tuple(oid_list))
    result: Dict[str, Any] = dict.fromkeys(wanted, NO_SUCH)
    pending = list(range(len(wanted)))
    unsure: List[str] = []
    while pending:
        status, index, var_binds = await client.next_pdu(target, [asks[i] for i in pending])
        if status == NO_SUCH_NAME and 1 <= index <= len(pending):
            # nothing after the asked OID in the device's MIB: that object is absent (v1 fails the
            # whole PDU for it, so the others are asked again without it)
            del pending[index - 1]
            continue
        if status or len(var_binds) != len(pending):
            unsure.extend(wanted[i] for i in pending)
            break
        for i, (name, value) in zip(pending, var_binds):
            if name == wanted[i]:
                result[name] = value
                continue
            try:
                got = oid_tuple(name)
            except (AttributeError, TypeError, ValueError):
                got = ()
            if got == arcs[i]:
                result[wanted[i]] = value
            elif got < arcs[i]:
                unsure.append(wanted[i])     # not past the object: GETNEXT proved nothing
            # else: the device's next OID after the asked one lies past the object: it has none
        break
    if unsure:
        result.update(await client.get(target, unsure))
    return result


async def identify_one(client: SnmpClient, hit: Hit, cred: CredentialSet, port: int, timeout: float,
                       retries: int, oid_list: Sequence[str]) -> Identified:
    """One multi-object GET (SNMPv1: one multi-object GETNEXT, see ``get_v1``)."""
    target = SnmpTarget(hit.address, port, cred.credentials, timeout, retries)
    try:
        if cred.credentials.version == "1":
            values = await get_v1(client, target, oid_list)
        else:
            values = await client.get(target, oid_list)
        return Identified(hit.address, hit.credential, hit.version, values)
    except CanonError as exc:
        return Identified(hit.address, hit.credential, hit.version, error=exc)
    except Exception as exc:  # pylint: disable=broad-except
        # one hostile device must never cost the sweep its other devices: anything unexpected
        # from its answers is that device's failure, not the inventory's
        return Identified(hit.address, hit.credential, hit.version,
                          error=CanonError("snmp_error", "%s: unexpected answer (%s: %s)"
                                           % (hit.address, exc.__class__.__name__, exc)))


@dataclass
class DiscoveryResult:
    devices: Dict[str, Identified] = field(default_factory=dict)
    per_credential: Dict[str, Dict[str, int]] = field(default_factory=dict)
    sweep_stats: List[Tuple[str, SweepStats]] = field(default_factory=list)
    failures: Dict[str, str] = field(default_factory=dict)   # address -> error_code (last seen)
    # True when ``settled`` was called and nothing answered after it: the result it was given
    # holds the same devices and failures as this one
    settled_unchanged: bool = False

    def add(self, items: Sequence[Identified]) -> int:
        """Record identification outcomes; returns how many succeeded."""
        ok = 0
        for item in items:
            if item.error is None:
                self.devices[item.address] = item
                self.failures.pop(item.address, None)
                ok += 1
            else:
                self.failures[item.address] = item.error.error_code
        return ok

    def copy(self) -> "DiscoveryResult":
        return DiscoveryResult(dict(self.devices), {k: dict(v) for k, v in self.per_credential.items()},
                               list(self.sweep_stats), dict(self.failures))


async def discover(addresses_by_credentials: Callable[[str], List[str]], credential_sets: Sequence[CredentialSet],
                   oid_list: Sequence[str], port: int = 161, rate: int = 5000, timeout: float = 1.0,
                   retries: int = 1, concurrency: int = 256,
                   progress: Optional[Callable[[str], None]] = None,
                   settled: Optional[Callable[[DiscoveryResult], None]] = None) -> DiscoveryResult:
    """Try each credential set in order on the addresses not yet identified.

    ``addresses_by_credentials(name)`` returns the addresses a credential set may be tried on
    (regions can restrict their credential sets). Responders are identified while the sweep
    still runs, with at most ``concurrency`` identification requests in flight.

    ``settled(result)``, when given, is called once during the last credential set's wait for late
    answers, after every probe was sent and every device that answered so far is identified, with
    the result as it stands. The caller may build its output from it meanwhile (the wait is idle
    time): the returned result says in ``settled_unchanged`` whether anything answered later. The
    call may take longer than the wait; answers arriving meanwhile queue in the socket and count.
    """
    result = DiscoveryResult()
    sweeper = Sweeper(port, rate, timeout, retries)
    sem = asyncio.Semaphore(max(1, concurrency))
    async with SnmpClient() as client:
        for n, cred in enumerate(credential_sets):
            todo = [a for a in addresses_by_credentials(cred.name) if a not in result.devices]
            if not todo:
                result.per_credential[cred.name] = {"tried": 0, "answered": 0, "identified": 0}
                continue
            tasks: List["asyncio.Task[Identified]"] = []

            async def bounded(hit: Hit, cred: CredentialSet = cred) -> Identified:
                async with sem:
                    return await identify_one(client, hit, cred, port, timeout, retries, oid_list)

            sent = asyncio.Event()
            settling = settled is not None and n == len(credential_sets) - 1
            sweeping = asyncio.ensure_future(sweeper.sweep(todo, cred, on_hit=lambda h: tasks.append(
                asyncio.ensure_future(bounded(h))), **({"on_sent": sent.set} if settling else {})))
            settled_with = -1
            try:
                if settling:
                    settled_with = await _settle(sweeping, sent, tasks, result, cred.name, len(todo), settled)
                hits, stats = await sweeping
            finally:
                if not sweeping.done():
                    sweeping.cancel()
                    for task in tasks:
                        task.cancel()
            result.sweep_stats.append((cred.name, stats))
            ok = result.add(await asyncio.gather(*tasks))
            result.settled_unchanged = settled_with == len(tasks)
            result.per_credential[cred.name] = {"tried": len(todo), "answered": len(hits), "identified": ok}
            if progress:
                progress("credential set %s: %d addresses swept, %d answered, %d identified in %.2fs"
                         % (cred.name, len(todo), len(hits), ok, stats.elapsed))
    return result


async def _settle(sweeping: "asyncio.Future[Any]", sent: asyncio.Event, tasks: List["asyncio.Task[Identified]"],
                  result: DiscoveryResult, cred_name: str, tried: int,
                  settled: Callable[[DiscoveryResult], None]) -> int:
    """Wait until the sweep only waits for late answers and every identification started so far is
    done, then hand ``settled`` the result as it stands. Returns how many identifications it held
    (-1: the sweep ended first, nothing was handed over)."""
    waiter = asyncio.ensure_future(sent.wait())
    try:
        await asyncio.wait([sweeping, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    while not sweeping.done():
        count = len(tasks)
        await asyncio.wait([sweeping, asyncio.ensure_future(asyncio.gather(*tasks[:count]))],
                           return_when=asyncio.FIRST_COMPLETED)
        if all(t.done() for t in tasks):
            break
    if sweeping.done():
        return -1
    provisional = result.copy()
    ok = provisional.add([t.result() for t in tasks])
    provisional.per_credential[cred_name] = {"tried": tried, "answered": len(tasks), "identified": ok}
    provisional.settled_unchanged = True
    settled(provisional)
    return len(tasks)
