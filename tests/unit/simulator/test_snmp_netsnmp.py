"""Interoperability of the simulator's SNMP agent with net-snmp's command-line tools.

These tests FAIL (never skip) when the tools are missing: the project's setup installs
the Debian package ``snmp`` (snmpget, snmpwalk, snmpbulkwalk, snmpset).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from simulator.snmp.endpoint import UsmUser
from tests.unit.simulator.snmp_fakes import (COUNTERS, IF_HC_IN_OCTETS, SYS_CONTACT, SYS_DESCR, AgentThread,
                                             FakeEndpoint)

pytestmark = pytest.mark.netsnmp

ADDRESS = "127.77.1.1"
V1_ONLY = "127.77.1.2"
USERS = [
    UsmUser("canon256", "sha256", "authpass123", "aes", "privpass123", "rw"),
    UsmUser("canon512", "sha512", "authpass512", "aes256", "privpass512", "ro"),
    UsmUser("legacy", "md5", "authpass123", "des", "privpass123", "ro"),
    UsmUser("cisco", "sha", "authpass123", "aes256c", "privpass123", "ro"),
    UsmUser("blumenthal", "sha", "authpass123", "aes256", "privpass123", "ro"),
    UsmUser("blumenthal192", "md5", "authpass123", "aes192", "privpass123", "ro"),
]


def dotted(oid):
    return "." + ".".join(map(str, oid))


@pytest.fixture(scope="module")
def agent():
    missing = [t for t in ("snmpget", "snmpwalk", "snmpbulkwalk", "snmpset") if shutil.which(t) is None]
    if missing:
        pytest.fail("net-snmp tools missing (%s): install them with 'apt-get install -y snmp'"
                    % ", ".join(missing))
    eps = [FakeEndpoint(ADDRESS, users=USERS), FakeEndpoint(V1_ONLY, versions=(0,))]
    with AgentThread(eps) as running:
        running.eps = {ep.address: ep for ep in eps}
        yield running


def run(tool, agent, address, options, oids=(), check=True):
    cmd = [tool, "-On", "-Oe", "-t", "1", "-r", "0", "-M", "/dev/null", "-m", "", *options,
           "%s:%d" % (address, agent.port), *oids]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=15)
    if check:
        assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    return proc


def lines(proc):
    return [line for line in proc.stdout.splitlines() if line.strip()]


def walked(proc):
    """OIDs of a walk; net-snmp also prints the end of the MIB ('End of MIB' for v1, the
    endOfMibView varbind for v2c/v3), which a walk of the whole tree reaches."""
    return [line.split(" = ")[0] for line in lines(proc)
            if " = " in line and "No more variables left" not in line]


def test_v1_get_and_walk(agent):
    proc = run("snmpget", agent, ADDRESS, ["-v1", "-c", "public"], [dotted(SYS_DESCR), dotted(COUNTERS[0])])
    assert lines(proc) == [dotted(SYS_DESCR) + ' = STRING: "Canon iR-ADV C5535 /P"',
                           dotted(COUNTERS[0]) + " = Counter32: 100000"]
    proc = run("snmpwalk", agent, ADDRESS, ["-v1", "-c", "public"], [".1.3.6"])
    mib = agent.eps[ADDRESS].mib
    assert lines(proc)[-1] == "End of MIB"
    assert walked(proc) == [dotted(k) for k, _v in mib.items() if k != IF_HC_IN_OCTETS]


def test_v1_missing_object_is_no_such_name(agent):
    proc = run("snmpget", agent, ADDRESS, ["-v1", "-c", "public"], [dotted(SYS_DESCR), ".1.3.6.1.2.1.1.99.0"],
               check=False)
    assert "noSuchName" in proc.stderr and "Failed object: .1.3.6.1.2.1.1.99.0" in proc.stderr


def test_v1_only_device_does_not_answer_v2c(agent):
    assert run("snmpget", agent, V1_ONLY, ["-v1", "-c", "public"], [dotted(SYS_DESCR)]).returncode == 0
    proc = run("snmpget", agent, V1_ONLY, ["-v2c", "-c", "public"], [dotted(SYS_DESCR)], check=False)
    assert proc.returncode != 0 and "Timeout" in proc.stderr


def test_v2c_bulkwalk_get_and_set(agent):
    proc = run("snmpbulkwalk", agent, ADDRESS, ["-v2c", "-c", "public", "-Cr5"], [".1.3.6"])
    mib = agent.eps[ADDRESS].mib
    assert walked(proc) == [dotted(k) for k, _v in mib.items()]
    assert dotted(IF_HC_IN_OCTETS) + " = Counter64: %d" % (2 ** 40 + 5) in lines(proc)
    proc = run("snmpget", agent, ADDRESS, ["-v2c", "-c", "public"], [".1.3.6.1.2.1.1.99.0"])
    assert "No Such Object" in proc.stdout
    run("snmpset", agent, ADDRESS, ["-v2c", "-c", "private"],
        [dotted(SYS_CONTACT), "s", "netsnmp@example.com"])
    assert mib.get(SYS_CONTACT).value == b"netsnmp@example.com"
    proc = run("snmpset", agent, ADDRESS, ["-v2c", "-c", "public"], [dotted(SYS_CONTACT), "s", "x"],
               check=False)
    assert "noAccess" in proc.stderr


@pytest.mark.parametrize("user,auth,auth_pass,priv,priv_pass", [
    ("canon256", "SHA-256", "authpass123", "AES", "privpass123"),
    ("canon512", "SHA-512", "authpass512", "AES-256", "privpass512"),
    ("legacy", "MD5", "authpass123", "DES", "privpass123"),
    ("cisco", "SHA", "authpass123", "AES256C", "privpass123"),   # Reeder key extension (aes256c)
    ("blumenthal", "SHA", "authpass123", "AES256", "privpass123"),   # Blumenthal key extension (aes256)
    ("blumenthal192", "MD5", "authpass123", "AES192", "privpass123"),
])
def test_v3_auth_priv(agent, user, auth, auth_pass, priv, priv_pass):
    options = ["-v3", "-l", "authPriv", "-u", user, "-a", auth, "-A", auth_pass, "-x", priv, "-X", priv_pass]
    proc = run("snmpget", agent, ADDRESS, options, [dotted(SYS_DESCR), ".1.3.6.1.2.1.1.99.0"])
    assert lines(proc) == [dotted(SYS_DESCR) + ' = STRING: "Canon iR-ADV C5535 /P"',
                           ".1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID"]
    proc = run("snmpbulkwalk", agent, ADDRESS, options, [".1.3.6.1.4.1.1602.1.11"])
    assert walked(proc) == [dotted(c) for c in COUNTERS]


def test_v3_wrong_passwords_are_rejected(agent):
    def options(user, auth_pass):
        return ["-v3", "-l", "authPriv", "-u", user, "-a", "SHA-256", "-A", auth_pass, "-x", "AES",
                "-X", "privpass123"]
    oids = [dotted(SYS_DESCR)]
    proc = run("snmpget", agent, ADDRESS, options("canon256", "wrongpass123"), oids, check=False)
    assert proc.returncode != 0 and "Authentication failure" in proc.stderr
    proc = run("snmpget", agent, ADDRESS, options("nobody", "authpass123"), oids, check=False)
    assert proc.returncode != 0 and "Unknown user name" in proc.stderr
