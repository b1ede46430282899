"""What the SNMP agent needs from a simulated device (implemented by simulator.device.SimDevice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

try:  # Python 3.8+: typing.Protocol
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object  # type: ignore

from ..mib import Mib

# Authentication and privacy protocol names used across the simulator (spec files, manifest).
AUTH_PROTOCOLS = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_PROTOCOLS = ("none", "des", "aes", "aes192", "aes256", "aes192c", "aes256c")


@dataclass
class UsmUser:
    """One SNMPv3 USM user of a device.

    Keys are the *passwords*; the agent localizes them with the device's engine ID
    (RFC 3414 A.2 / RFC 7860) and caches the result. ``access`` is 'ro' or 'rw'.
    """

    name: str
    auth_protocol: str = "none"
    auth_password: Optional[str] = None
    priv_protocol: str = "none"
    priv_password: Optional[str] = None
    access: str = "ro"


class SnmpEndpoint(Protocol):
    """A device as the agent sees it. All methods are called on the agent's event loop."""

    address: str          # loopback address the device answers on, e.g. '127.0.1.5'
    mib: Mib              # the device's MIB (read by GET/GETNEXT/GETBULK, written by SET)
    engine_id: bytes      # snmpEngineID (RFC 3411 format)
    engine_boots: int     # snmpEngineBoots; the device bumps it on every restart
    v3_users: Dict[str, UsmUser]   # SNMPv3 users by name; empty dict = SNMPv3 disabled

    def engine_time(self) -> int:
        """snmpEngineTime: seconds since the last (simulated) boot."""

    def snmp_reachable(self) -> bool:
        """False while powered off, restarting, or asleep with 'reject SNMP in sleep mode':
        the agent then drops the request silently (no response, like a real device)."""

    def community_access(self, version: int, community: bytes) -> Optional[str]:
        """Access for a v1 (version=0) or v2c (version=1) request: 'ro', 'rw' or None.
        None means drop silently: wrong community, or that SNMP version is disabled
        (v1-only models ignore v2c)."""

    def note_request(self, version: int, pdu_type: int, ok: bool) -> None:
        """Called once per handled (or dropped for auth reasons) request, for statistics."""
