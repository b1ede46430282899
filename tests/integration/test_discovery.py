"""The discovery inventory plugin against the simulator, through real `ansible-inventory` runs."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, ansible_playbook, bin_path, worker_octet

GOLDEN = os.path.join(os.path.dirname(__file__), "files", "discovery_golden.json")
V3 = {"name": "fleetadmin", "auth_protocol": "sha256", "auth_password": "fleet-auth-pass",
      "priv_protocol": "aes", "priv_password": "fleet-priv-pass", "access": "rw"}


@pytest.fixture(scope="module")
def dnet():
    return "127.%d" % worker_octet(160)


@pytest.fixture(scope="module")
def dfleet(dnet):
    spec = {"seed": 21, "devices": [
        # region hq: 127.x.1.0/24
        {"address": dnet + ".1.10", "profile": "ir-adv-c5535-iii", "sys_name": "hq-c5535", "sys_location": "HQ 2F"},
        {"address": dnet + ".1.11", "profile": "ir-adv-dx-c5840"},                       # default name has spaces
        {"address": dnet + ".1.12", "profile": "ir-adv-c5535-iii", "state": {"asleep": True}},
        {"address": dnet + ".1.13", "profile": "generic-laser", "sys_name": "legacy-hp"},
        {"address": dnet + ".1.14", "profile": "linux-host", "sys_name": "nas01"},
        {"address": dnet + ".1.15", "profile": "ir-adv-c5535-iii", "sys_name": "hq-storage",
         "sys_location": "Storage room"},
        # region branch: 127.x.2.10-127.x.2.40
        {"address": dnet + ".2.10", "profile": "mf642c", "sys_name": "branch-mf-1"},
        {"address": dnet + ".2.11", "profile": "mf642c", "sys_name": "branch-mf-2"},
        {"address": dnet + ".2.20", "profile": "lbp6670", "sys_name": "branch-lbp"},
        {"address": dnet + ".2.30", "profile": "ir-adv-c5535-iii", "sys_name": "branch-v3only",
         "snmp_versions": ["3"], "v3_users": [V3]},
        {"address": dnet + ".2.50", "profile": "mf642c", "sys_name": "outside-range"},   # not swept
        # region lab: one address plus an EMC device-list import
        {"address": dnet + ".3.5", "profile": "ir-adv-dx-c5840", "sys_name": "lab-dx"},
        {"address": dnet + ".3.6", "profile": "mf642c", "sys_name": "lab-imported"},
    ]}
    sim = SimulatedFleet(spec)
    yield sim
    sim.stop()


def write_config(tmp_path, dnet, **over):
    (tmp_path / "devices.csv").write_text(
        "DeviceType,ProductName,Manufacturer,PhysicalAddress,State,SerialNumber,IPv4 Address\n"
        "Printer,MF642C/643C/644C,Canon,F4:81:39:00:00:01,Managed,X,%s.3.6\n"
        "Printer,MF642C/643C/644C,Canon,F4:81:39:00:00:02,Unmanaged,Y,%s.3.7\n" % (dnet, dnet))
    config = {
        "plugin": "printfleet.canon.discovery",
        "regions": [
            {"name": "hq", "networks": [dnet + ".1.0/24"], "timezone": "Europe/Berlin"},
            {"name": "branch", "networks": [dnet + ".2.10-" + dnet + ".2.40"], "exclude": [dnet + ".2.39"],
             "timezone": "America/New_York"},
            {"name": "lab", "networks": [dnet + ".3.5"], "hostnames": ["localhost", "no-such-printer.invalid"]},
        ],
        "sources": [{"path": "devices.csv", "region": "lab"}],
        "credentials": [
            {"name": "v1-public", "version": "1", "community": "public"},
            {"name": "v3-admin", "version": "3", "user": "fleetadmin", "auth_protocol": "sha256",
             "auth_password": "{{ lookup('ansible.builtin.env', 'TEST_V3_AUTH') }}", "priv_protocol": "aes",
             "priv_password": "{{ lookup('ansible.builtin.env', 'TEST_V3_PRIV') }}"},
        ],
        "port": 16100, "timeout": 0.5, "retries": 1, "rate": 20000,
        "keyed_groups": [{"key": "canon_family", "prefix": "family"}],
        "compose": {"canon_is_colour": "canon_model is search('C[0-9]')"},
    }
    config.update(over)
    path = tmp_path / "fleet.canon.yml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def inventory(path, *extra, env=None):
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", path, "--list", "-v"] + list(extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=ansible_env(TEST_V3_AUTH="fleet-auth-pass", TEST_V3_PRIV="fleet-priv-pass",
                                          ANSIBLE_INVENTORY_UNPARSED_FAILED="1", **(env or {})))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    start = proc.stdout.index("{")
    return plain(json.loads(proc.stdout[start:])), proc.stdout[:start] + proc.stderr


def plain(value):
    """Drop ansible-core 2.19's {'__ansible_unsafe': ...} wrappers so outputs compare across versions."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def snmp_requests(fleet):
    return {d["address"]: fleet.state(d["address"])["snmp"]["requests"] for d in fleet.devices}


def test_discovery_groups_hostvars_and_golden(dfleet, dnet, tmp_path):
    inv, log = inventory(write_config(tmp_path, dnet))
    hostvars = inv["_meta"]["hostvars"]
    expected = {"hq-c5535": dnet + ".1.10", dnet + ".1.11": dnet + ".1.11", "hq-storage": dnet + ".1.15",
                "branch-mf-1": dnet + ".2.10", "branch-mf-2": dnet + ".2.11", "branch-lbp": dnet + ".2.20",
                "branch-v3only": dnet + ".2.30", "lab-dx": dnet + ".3.5", "lab-imported": dnet + ".3.6"}
    assert {h: v["ansible_host"] for h, v in hostvars.items()} == expected
    for host, address in expected.items():
        dev = dfleet.device(address)
        assert hostvars[host]["canon_model"] == dev["model"], host
        assert hostvars[host]["canon_serial"] == dev["serial"], host
        assert hostvars[host]["canon_mac"] == dev["mac"], host
    regions = {h: v["canon_region"] for h, v in hostvars.items()}
    assert regions == {"hq-c5535": "hq", dnet + ".1.11": "hq", "hq-storage": "hq", "branch-mf-1": "branch",
                       "branch-mf-2": "branch", "branch-lbp": "branch", "branch-v3only": "branch", "lab-dx": "lab",
                       "lab-imported": "lab"}
    # deterministic order: by region (as configured), then address
    assert inv["canon"]["hosts"] == list(expected)
    assert inv["region_branch"]["hosts"] == ["branch-mf-1", "branch-mf-2", "branch-lbp", "branch-v3only"]
    assert sorted(inv["model_mf642c_643c_644c"]["hosts"]) == ["branch-mf-1", "branch-mf-2", "lab-imported"]
    assert "family_lbp" in inv and inv["family_lbp"]["hosts"] == ["branch-lbp"]
    # credential fallback: the v3-only device answered only the second set; no secret anywhere
    assert hostvars["branch-v3only"]["canon_credential"] == "v3-admin"
    assert hostvars["branch-v3only"]["canon_snmp_version"] == "3"
    assert hostvars["branch-mf-1"]["canon_credential"] == "v1-public"
    dump = json.dumps(inv)
    assert "fleet-auth-pass" not in dump and "fleet-priv-pass" not in dump
    assert hostvars["hq-c5535"]["canon_region_timezone"] == "Europe/Berlin"
    assert hostvars["hq-c5535"]["canon_location"] == "HQ 2F"
    assert hostvars["hq-c5535"]["canon_is_colour"] is True and hostvars["branch-lbp"]["canon_is_colour"] is False
    # visible, non-fatal problems
    assert "no-such-printer.invalid" in log and "does not resolve" in log
    assert "1 row(s) skipped because State is not Managed" in log
    assert "sweeping" in log and "devices identified" in log        # progress at -v
    # golden comparison: the whole structure, with this worker's network replaced; ansible-inventory
    # adds an empty ansible_local to every host when inject_facts_as_vars is off (ansible.cfg): that is
    # ansible-core's fact policy, not the plugin's output
    for values in hostvars.values():
        assert values.pop("ansible_local", {}) == {}
    text = json.dumps(inv, indent=1, sort_keys=True).replace(dnet + ".", "127.NET.")
    if os.environ.get("PRINTFLEET_REGENERATE_GOLDEN"):
        with open(GOLDEN, "w") as fh:
            fh.write(text + "\n")
    with open(GOLDEN) as fh:
        assert json.loads(text) == json.load(fh)


def test_include_all_conditions_and_unmanaged(dfleet, dnet, tmp_path):
    path = write_config(tmp_path, dnet, include="all", hostname_source=["serial", "address"],
                        conditions=[{"field": "location", "operator": "contains", "value": "storage"}],
                        registration_method="unmanaged_if_match")
    inv, _ = inventory(path)
    hostvars = inv["_meta"]["hostvars"]
    by_address = {v["ansible_host"]: h for h, v in hostvars.items()}
    assert by_address[dnet + ".1.10"] == dfleet.device(dnet + ".1.10")["serial"]     # named by serial
    assert inv["unmanaged"]["hosts"] == [by_address[dnet + ".1.15"]]
    assert hostvars[by_address[dnet + ".1.15"]]["canon_managed"] is False
    assert by_address[dnet + ".1.15"] not in inv["canon"]["hosts"]
    assert inv["other_printers"]["hosts"] == [by_address[dnet + ".1.13"]]
    assert inv["other_devices"]["hosts"] == [by_address[dnet + ".1.14"]]
    assert hostvars[by_address[dnet + ".1.13"]]["canon_vendor"] == "HP"
    assert dnet + ".1.12" not in by_address            # asleep: never answers
    assert dnet + ".2.50" not in by_address            # outside every region


def test_discover_playbook_writes_the_device_table(dfleet, dnet, tmp_path):
    path = write_config(tmp_path, dnet, include="all",
                        conditions=[{"field": "vendor", "operator": "equals", "value": "canon"}])
    proc = ansible_playbook("playbooks/discover.yml", inventory=path,
                            extra_vars={"discover_report_dir": str(tmp_path)},
                            env={"TEST_V3_AUTH": "fleet-auth-pass", "TEST_V3_PRIV": "fleet-priv-pass"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    raw = (tmp_path / "discovered-devices.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                      # BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_address = {r["address"]: r for r in rows}
    assert by_address[dnet + ".2.30"]["credential"] == "v3-admin"   # v3-only device, second credential set
    assert by_address[dnet + ".2.30"]["snmp_version"] == "3"
    assert by_address[dnet + ".1.13"]["managed"] == "False"         # the HP printer fails the condition
    assert by_address[dnet + ".2.10"]["address_book_type"] == "II"
    assert [r["region"] for r in rows] == sorted((r["region"] for r in rows), key=["hq", "branch", "lab"].index)
    assert "hq: " in proc.stdout and "managed Canon printers" in proc.stdout


def test_cache_hit_sends_no_snmp(dfleet, dnet, tmp_path):
    path = write_config(tmp_path, dnet, cache=True, cache_plugin="ansible.builtin.jsonfile",
                        cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    first, _ = inventory(path)
    before = snmp_requests(dfleet)
    second, log = inventory(path)
    assert snmp_requests(dfleet) == before
    assert "from cache, no SNMP traffic" in log
    assert second == first
    # a changed configuration is a cache miss
    changed = write_config(tmp_path, dnet, cache=True, cache_plugin="ansible.builtin.jsonfile",
                           cache_connection=str(tmp_path / "cache"), cache_timeout=600, port=16100,
                           regions=[{"name": "hq", "networks": [dnet + ".1.10"]}], sources=[])
    third, _ = inventory(changed)
    assert list(third["_meta"]["hostvars"]) == ["hq-c5535"]
    assert snmp_requests(dfleet)[dnet + ".1.10"] > before[dnet + ".1.10"]


def test_device_strings_are_not_templated(dfleet, dnet, tmp_path):
    evil = "{{ 7 * 7 }}"
    dfleet_addr = dnet + ".3.5"
    from pysnmp.hlapi.v1arch.asyncio import CommunityData, SnmpDispatcher, UdpTransportTarget, set_cmd
    from pysnmp.proto.rfc1902 import OctetString
    from pysnmp.smi.rfc1902 import ObjectIdentity, ObjectType
    import asyncio

    async def write():
        disp = SnmpDispatcher()
        target = await UdpTransportTarget.create((dfleet_addr, 16100), timeout=1, retries=0)
        res = await set_cmd(disp, CommunityData("canon_admin", mpModel=0), target,
                            ObjectType(ObjectIdentity("1.3.6.1.2.1.1.6.0"), OctetString(evil)))
        disp.transport_dispatcher.close_dispatcher()
        return res

    assert not asyncio.run(write())[0]
    path = write_config(tmp_path, dnet, regions=[{"name": "lab", "networks": [dfleet_addr]}], sources=[])
    playbook = tmp_path / "show.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n"
                        "    - ansible.builtin.copy:\n        dest: %s/loc.txt\n"
                        "        content: \"{{ canon_location }}\"\n      delegate_to: localhost\n" % tmp_path)
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", path, str(playbook)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=ansible_env(TEST_V3_AUTH="fleet-auth-pass",
                                                                  TEST_V3_PRIV="fleet-priv-pass"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "loc.txt").read_text() == evil            # not "49"


@pytest.mark.parametrize("over,text", [
    ({"regions": [{"name": "a", "networks": ["127.250.0.0/24"]}, {"name": "b", "networks": ["127.250.0.7"]}]},
     "regions 'a' and 'b' share addresses"),
    ({"regions": [{"name": "a", "networks": ["127.250.0.300"]}]}, "regions[a].networks"),
    ({"regions": [{"name": "a", "networks": ["127.250.0.1"], "credentials": ["nope"]}]},
     "unknown credential set(s) nope"),
    ({"credentials": [{"name": "v3", "version": "3", "user": "u", "auth_password": "", "priv_password": "x" * 9}]},
     "credentials[v3]: v3_auth_password is required"),
])
def test_configuration_errors_name_the_option(tmp_path, dnet, over, text):
    path = write_config(tmp_path, dnet, **over)
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", path, "--list"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
                                                                 TEST_V3_AUTH="fleet-auth-pass",
                                                                 TEST_V3_PRIV="fleet-priv-pass"))
    assert proc.returncode != 0
    assert text in proc.stderr.replace("\n", " ")
