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
per responder through SnmpClient (pysnmp), so SNMPv3 users are authenticated there and a wrong
SNMPv3 user falls through to the next credential set.
"""

from __future__ import annotations

import asyncio
import collections
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpClient, SnmpCredentials, SnmpTarget

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
                    on_hit: Optional[Callable[[Hit], None]] = None) -> Tuple[Dict[str, Hit], SweepStats]:
        """Probe every address; ``on_hit`` is called as each answer arrives (identification can
        then run while the sweep still waits for slow or absent devices)."""
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
        # Hits found while probes are still being sent are handed over once sending is done:
        # identification then runs in the final wait for late answers instead of competing
        # with the sender for the CPU.
        early: List[Hit] = []
        sending = True

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
                    if sending:
                        early.append(hit)
                    else:
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
            sending = False
            if on_hit is not None:
                for hit in early:
                    on_hit(hit)
            remaining = last_send + self.timeout - time.monotonic()
            if remaining > 0 and not all_answered.is_set():
                try:
                    await asyncio.wait_for(all_answered.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        finally:
            loop.remove_reader(sock.fileno())
            sock.close()
            if sending and on_hit is not None:
                for hit in early:
                    on_hit(hit)
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


async def identify_one(client: SnmpClient, hit: Hit, cred: CredentialSet, port: int, timeout: float,
                       retries: int, oid_list: Sequence[str]) -> Identified:
    """One multi-object GET (SNMPv1 drops objects the device lacks and asks again)."""
    target = SnmpTarget(hit.address, port, cred.credentials, timeout, retries)
    try:
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


async def discover(addresses_by_credentials: Callable[[str], List[str]], credential_sets: Sequence[CredentialSet],
                   oid_list: Sequence[str], port: int = 161, rate: int = 5000, timeout: float = 1.0,
                   retries: int = 1, concurrency: int = 256,
                   progress: Optional[Callable[[str], None]] = None) -> DiscoveryResult:
    """Try each credential set in order on the addresses not yet identified.

    ``addresses_by_credentials(name)`` returns the addresses a credential set may be tried on
    (regions can restrict their credential sets). Responders are identified while the sweep
    still runs, with at most ``concurrency`` identification requests in flight.
    """
    result = DiscoveryResult()
    sweeper = Sweeper(port, rate, timeout, retries)
    sem = asyncio.Semaphore(max(1, concurrency))
    async with SnmpClient() as client:
        for cred in credential_sets:
            todo = [a for a in addresses_by_credentials(cred.name) if a not in result.devices]
            if not todo:
                result.per_credential[cred.name] = {"tried": 0, "answered": 0, "identified": 0}
                continue
            tasks: List["asyncio.Task[Identified]"] = []

            async def bounded(hit: Hit, cred: CredentialSet = cred) -> Identified:
                async with sem:
                    return await identify_one(client, hit, cred, port, timeout, retries, oid_list)

            hits, stats = await sweeper.sweep(todo, cred, on_hit=lambda h: tasks.append(
                asyncio.ensure_future(bounded(h))))
            result.sweep_stats.append((cred.name, stats))
            ok = 0
            for item in await asyncio.gather(*tasks):
                if item.error is None:
                    result.devices[item.address] = item
                    result.failures.pop(item.address, None)
                    ok += 1
                else:
                    result.failures[item.address] = item.error.error_code
            result.per_credential[cred.name] = {"tried": len(todo), "answered": len(hits), "identified": ok}
            if progress:
                progress("credential set %s: %d addresses swept, %d answered, %d identified in %.2fs"
                         % (cred.name, len(todo), len(hits), ok, stats.elapsed))
    return result
