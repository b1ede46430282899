"""Throughput benchmark of the simulator's SNMP agent (prints figures; asserts nothing).

    python tests/perf/bench_simulator_snmp.py [--endpoints 200] [--objects 300] [--seconds 3]

The agent runs in a child process with N endpoints spread over 127.88.0.0/16 (each with a
MIB of ~300 objects built directly with ``Mib``). This process is the load generator: raw
UDP, pre-encoded requests with distinct request IDs, several sockets, a window of requests
in flight per socket. It measures sustained responses/second and latency for
(a) single-OID v2c GET, (b) eleven-OID v2c GET, (c) v1 GETNEXT, (d) v3 authPriv
SHA-256/AES-128 GET, and shows snmpsim's figures (from the research notes) beside them.
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from simulator.mib import (COUNTER32, GAUGE32, INTEGER, OBJECT_IDENTIFIER, OCTET_STRING,  # noqa: E402
                           TIMETICKS, Mib, Value)
from simulator.snmp import ber, usm  # noqa: E402
from simulator.snmp.endpoint import UsmUser  # noqa: E402

NETWORK_PREFIX = "127.88"
COMMUNITY = b"public"
V3_USER = UsmUser("bench", "sha256", "benchauth123", "aes", "benchpriv123", "ro")
COUNTER_BASE = (1, 3, 6, 1, 4, 1, 1602, 1, 11, 1, 4, 1, 4)
SNMPSIM_REFERENCE = {"v2c GET 1 OID": "~2,300", "v2c GET 11 OIDs": "~700"}


def address(i: int) -> str:
    return "%s.%d.%d" % (NETWORK_PREFIX, 1 + i // 250, 1 + i % 250)


def engine_id(i: int) -> bytes:
    return b"\x80\x00\x06\x42\x04" + b"bench%05d" % i


# ------------------------------------------------------------------------------ agent side -
class BenchEndpoint:
    """A minimal SnmpEndpoint: a static MIB, v1+v2c community 'public', one v3 user."""

    def __init__(self, i: int, objects: int) -> None:
        self.address = address(i)
        self.engine_id = engine_id(i)
        self.engine_boots = 1
        self.v3_users = {V3_USER.name: V3_USER}
        self._t0 = time.monotonic()
        mib = Mib()
        mib.put((1, 3, 6, 1, 2, 1, 1, 1, 0), Value(OCTET_STRING, b"Canon iR-ADV C5535 /P"))
        mib.put((1, 3, 6, 1, 2, 1, 1, 2, 0), Value(OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 1602, 4, 7)))
        mib.put_dynamic((1, 3, 6, 1, 2, 1, 1, 3, 0),
                        lambda: Value(TIMETICKS, int((time.monotonic() - self._t0) * 100)))
        mib.put((1, 3, 6, 1, 2, 1, 1, 5, 0), Value(OCTET_STRING, b"bench-%d" % i))
        mib.put((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), Value(GAUGE32, 1000000000))
        for k in range(objects - 5):
            if k % 3 == 0:
                mib.put(COUNTER_BASE + (100 + k,), Value(COUNTER32, 1000 * k + i))
            elif k % 3 == 1:
                mib.put(COUNTER_BASE[:-1] + (3, 100 + k), Value(OCTET_STRING, b"Counter %d" % k))
            else:
                mib.put(COUNTER_BASE[:-1] + (2, 100 + k), Value(INTEGER, k))
        self.mib = mib

    def engine_time(self) -> int:
        return int(time.monotonic() - self._t0)

    def snmp_reachable(self) -> bool:
        return True

    def community_access(self, version: int, community: bytes) -> Optional[str]:
        return "ro" if community == COMMUNITY else None

    def note_request(self, version: int, pdu_type: int, ok: bool) -> None:
        pass


def serve(n: int, objects: int, port: int) -> None:
    from simulator.snmp.agent import SnmpAgent

    async def main() -> None:
        agent = SnmpAgent([BenchEndpoint(i, objects) for i in range(n)], port=port)
        await agent.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("READY %d" % agent.port, flush=True)
        await stop.wait()
        await agent.stop()
        print("STATS %s" % agent.stats, flush=True)

    asyncio.run(main())


# ------------------------------------------------------------------------------ requests ---
def community_packet(version: int, ptype: int, oids: List[tuple], rid: int) -> bytes:
    vbs = b"".join(ber.varbind(ber.encode_oid(o), b"\x05\x00") for o in oids)
    rid_tlv = b"\x02\x04" + rid.to_bytes(4, "big")
    pdu = ber.encode_pdu(ptype, rid_tlv, 0, 0, vbs)
    return ber.tlv(0x30, ber.encode_int(version) + ber.tlv(0x04, COMMUNITY) + pdu)


def v3_packet(keys: usm.UserKeys, eid: bytes, boots: int, etime: int, oids: List[tuple],
              msg_id: int) -> bytes:
    vbs = b"".join(ber.varbind(ber.encode_oid(o), b"\x05\x00") for o in oids)
    pdu = ber.encode_pdu(ber.GET, b"\x02\x04" + msg_id.to_bytes(4, "big"), 0, 0, vbs)
    scoped = ber.encode_scoped_pdu(eid, b"", pdu)
    ciphertext, salt = keys.encrypt(scoped, boots, etime)
    params, off = ber.encode_usm_params(eid, boots, etime, keys.name.encode(), keys.digest_len, salt)
    msg, aoff = ber.encode_v3_message(msg_id, 65507, usm.AUTH_PRIV | usm.FLAG_REPORTABLE, params, off,
                                      ber.tlv(0x04, ciphertext))
    return keys.sign(msg, aoff)


def community_reply_id(data: bytes) -> int:
    _v, pos, end = ber.decode_version(data)
    _c, _h, pos = ber.decode_community(data, pos, end)
    _t, s, _e = ber.read_tlv(data, pos, end)
    _t, s, e = ber.read_tlv(data, s, end)
    return int.from_bytes(data[s:e], "big", signed=True)


def v3_reply_id(data: bytes) -> int:
    _v, pos, end = ber.decode_version(data)
    s, _e = ber.expect(data, pos, end, 0x30)
    return ber.read_int(data, s, end)[0]


def discover(sock: socket.socket, addr: Tuple[str, int]) -> Tuple[int, int]:
    """USM discovery: (boots, time) from the unknownEngineID report."""
    probe = ber.encode_pdu(ber.GET, b"\x02\x01\x01", 0, 0, b"")
    params, _ = ber.encode_usm_params(b"", 0, 0, b"", 0, b"")
    msg, _ = ber.encode_v3_message(1, 65507, usm.FLAG_REPORTABLE, params, 0,
                                   ber.encode_scoped_pdu(b"", b"", probe))
    sock.settimeout(2)
    sock.sendto(msg, addr)
    data, _ = sock.recvfrom(65535)
    _v, pos, end = ber.decode_version(data)
    m = ber.decode_v3(data, pos, end)
    return m.boots, m.time


# ------------------------------------------------------------------------------ load -------
def drive(packets: List[Tuple[bytes, Tuple[str, int]]], reply_id: Callable[[bytes], int], seconds: float,
          sockets: int, window: int, agent_pid: int) -> Dict[str, float]:
    """Keep ``window`` requests in flight on each of ``sockets`` sockets for ``seconds``."""
    socks = []
    for _ in range(sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    n = len(packets)
    sent_at = [0.0] * n
    owner = [-1] * n
    inflight = [0] * sockets
    latencies: List[float] = []
    nxt = 0
    done = lost = 0
    poller = select.epoll()
    fd_index = {s.fileno(): k for k, s in enumerate(socks)}
    for s in socks:
        poller.register(s.fileno(), select.EPOLLIN)
    warmup_end = time.perf_counter() + 0.5
    end = warmup_end + seconds
    measuring = False
    cpu0 = 0.0
    t_start = 0.0
    last_sweep = time.perf_counter()
    while True:
        now = time.perf_counter()
        if not measuring and now >= warmup_end:
            measuring, t_start, cpu0, done, latencies = True, now, _cpu_seconds(agent_pid), 0, []
        if now >= end:
            break
        for k, s in enumerate(socks):
            while inflight[k] < window:
                idx = nxt
                nxt = (nxt + 1) % n
                if owner[idx] != -1:       # still waiting (pool smaller than what is in flight)
                    break
                pkt, addr = packets[idx]
                sent_at[idx] = time.perf_counter()
                owner[idx] = k
                s.sendto(pkt, addr)
                inflight[k] += 1
        for fd, _ev in poller.poll(0.05):
            k = fd_index[fd]
            s = socks[k]
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                t = time.perf_counter()
                try:
                    idx = reply_id(data)
                except ValueError:
                    continue
                if 0 <= idx < n and owner[idx] == k:
                    owner[idx] = -1
                    inflight[k] -= 1
                    done += 1
                    if measuring:
                        latencies.append(t - sent_at[idx])
        if now - last_sweep > 0.5:                 # expire requests lost for more than 1 s
            last_sweep = now
            for idx in range(n):
                if owner[idx] != -1 and now - sent_at[idx] > 1.0:
                    inflight[owner[idx]] -= 1
                    owner[idx] = -1
                    lost += 1
    elapsed = time.perf_counter() - t_start
    cpu = _cpu_seconds(agent_pid) - cpu0
    for s in socks:
        s.close()
    poller.close()
    latencies.sort()
    count = len(latencies)
    return {"rate": count / elapsed, "p50": latencies[count // 2] * 1e3 if count else 0.0,
            "p99": latencies[int(count * 0.99)] * 1e3 if count else 0.0, "lost": lost,
            "cpu_us": cpu / count * 1e6 if count else 0.0, "cpu_pct": cpu / elapsed * 100}


def _cpu_seconds(pid: int) -> float:
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=200)
    ap.add_argument("--objects", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--sockets", type=int, default=4)
    ap.add_argument("--window", type=int, default=16, help="requests in flight per socket")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.endpoints, args.objects, args.port)
        return 0

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", "--endpoints",
                             str(args.endpoints), "--objects", str(args.objects), "--port", str(args.port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        if not line or line[0] != "READY":
            print("agent failed to start", file=sys.stderr)
            return 1
        port = int(line[1])
        print("agent: %d endpoints x %d objects on %s.0.0/16 port %d, up in %.1f s (pid %d)"
              % (args.endpoints, args.objects, NETWORK_PREFIX, port, time.perf_counter() - t0, proc.pid))
        eps = [(address(i), port) for i in range(args.endpoints)]
        pool = max(4096, args.sockets * args.window * 4)
        per_ep = max(1, pool // len(eps))
        counters = [COUNTER_BASE + (100 + k,) for k in range(0, 33, 3)]

        def cpackets(version: int, ptype: int, oids_for: Callable[[int], List[tuple]]):
            out = []
            for k in range(per_ep):
                for e, ep in enumerate(eps):
                    out.append((community_packet(version, ptype, oids_for(e + k), len(out)), ep))
            return out

        scenarios = [
            ("v2c GET 1 OID", cpackets(1, ber.GET, lambda j: [counters[j % 11]]), community_reply_id),
            ("v2c GET 11 OIDs", cpackets(1, ber.GET, lambda j: counters), community_reply_id),
            ("v1 GETNEXT", cpackets(0, ber.GETNEXT, lambda j: [counters[j % 11]]), community_reply_id),
        ]
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        sync = []
        for e, ep in enumerate(eps):
            boots, etime = discover(probe, ep)
            sync.append((usm.UserKeys(V3_USER, engine_id(e)), boots, etime))
        # interleaved across endpoints like the other scenarios
        v3 = [(e, *sync[e], k) for k in range(per_ep) for e in range(len(eps))]
        probe.close()
        v3_packets = [(v3_packet(keys, engine_id(e), boots, etime, [counters[(e + k) % 11]], idx), eps[e])
                      for idx, (e, keys, boots, etime, k) in enumerate(v3)]
        scenarios.append(("v3 authPriv SHA-256/AES-128 GET 1 OID", v3_packets, v3_reply_id))

        print("load: %d sockets x %d in flight, %.1f s per scenario after 0.5 s warm-up, %d distinct packets"
              % (args.sockets, args.window, args.seconds, len(v3_packets)))
        print()
        head = "%-40s %12s %9s %9s %11s %9s %16s" % ("scenario", "responses/s", "p50 ms", "p99 ms",
                                                      "agent us/rq", "agent CPU", "snmpsim (notes)")
        print(head)
        print("-" * len(head))
        for name, packets, rid in scenarios:
            r = drive(packets, rid, args.seconds, args.sockets, args.window, proc.pid)
            print("%-40s %12.0f %9.2f %9.2f %11.1f %8.0f%% %16s%s" % (
                name, r["rate"], r["p50"], r["p99"], r["cpu_us"], r["cpu_pct"],
                SNMPSIM_REFERENCE.get(name, "-"), ("  (%d lost)" % r["lost"]) if r["lost"] else ""))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    for line in out.splitlines():
        if line.startswith("STATS"):
            print()
            print("agent " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
