"""Inventory plugin logic without the network: groups, names, conditions, trust, fallback order."""

from __future__ import annotations

import asyncio

import re

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.printfleet.canon.plugins.inventory import discovery
from ansible_collections.printfleet.canon.plugins.module_utils.discovery import regions
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp
from ansible_collections.printfleet.canon.plugins.module_utils.transport import sweep
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


def record(address, region="hq", vendor="Canon", model="iR-ADV C5535", sys_name="iR-ADV C5535", serial=None,
           is_canon=True, is_printer=True, location="", credential="v1"):
    return {"address": address, "region": region, "found_by": "network", "fqdn": None, "credential": credential,
            "snmp_version": "1",
            "identity": {"vendor": vendor, "is_canon": is_canon, "is_printer": is_printer, "model": model,
                         "serial": serial or "S" + address.replace(".", ""), "firmware": "16.12", "mac": None,
                         "sys_name": sys_name, "location": location, "contact": "", "sys_object_id": "1.3.6.1.4.1.1602.4.7",
                         "hr_device_id": None, "family": "ir-adv", "remote_ui": "classic", "address_book_type": "I",
                         "settings_type": "I", "app_platform": "meap"},
            "status": {"device_status": "running", "error_state": []}}


@pytest.fixture
def plugin():
    p = discovery.InventoryModule()
    p.inventory = InventoryData()
    p.templar = Templar(loader=DataLoader())
    options = {"include": "canon", "conditions": [], "registration_method": "managed_if_match",
               "hostname_source": ["sys_name", "address"], "strict": False, "compose": {}, "groups": {},
               "keyed_groups": [], "port": 16100, "controller_connection": True, "credentials": None,
               "keep_missing": 30, "new_device_days": 7, "registry_file": None, "hostname_template": None}
    p.get_option = lambda name: options[name]
    p._options_for_test = options
    return p


REGIONS = regions.build_regions([{"name": "hq", "networks": ["127.9.0.0/24"], "timezone": "Europe/Berlin"},
                                 {"name": "lab", "networks": ["127.9.1.0/24"]}], ["v1"], 70000)


def test_groups_and_deterministic_order(plugin):
    recs = [record("127.9.1.2", "lab", model="MF642C/643C/644C", sys_name="mf-lab"),
            record("127.9.0.10", sys_name="c5535-b"), record("127.9.0.9", sys_name="c5535-a"),
            record("127.9.0.11", vendor="HP", model="LaserJet M607", is_canon=False, sys_name="hp1"),
            record("127.9.0.12", vendor="net-snmp", model=None, is_canon=False, is_printer=False, sys_name="nas")]
    plugin._populate(recs, REGIONS)
    inv = plugin.inventory
    assert list(inv.hosts) == ["c5535-a", "c5535-b", "mf-lab"]          # region order, then address
    assert sorted(h.name for h in inv.groups["canon"].get_hosts()) == ["c5535-a", "c5535-b", "mf-lab"]
    assert [h.name for h in inv.groups["region_lab"].get_hosts()] == ["mf-lab"]
    assert [h.name for h in inv.groups["model_mf642c_643c_644c"].get_hosts()] == ["mf-lab"]
    assert "vendor_canon" in inv.groups
    hv = inv.get_host("c5535-a").vars
    assert hv["ansible_host"] == "127.9.0.9" and hv["canon_credential"] == "v1"
    combined = inv.get_host("c5535-a").get_vars()
    region_vars = inv.groups["region_hq"].get_vars()
    assert region_vars["canon_region"] == "hq" and region_vars["canon_region_timezone"] == "Europe/Berlin"
    assert "canon_region_timezone" not in inv.groups["region_lab"].get_vars()
    assert combined["ansible_host"] == "127.9.0.9"
    assert inv.groups["region_hq"].vars["ansible_connection"] == "local"
    assert inv.get_host("c5535-a").get_vars()["ansible_host"] == "127.9.0.9"
    assert not any(k in hv for k in ("name", "tags", "environment"))
    assert all(k.startswith(("canon_", "ansible_", "inventory_")) for k in hv)


def test_include_printers_and_all(plugin):
    recs = [record("127.9.0.11", vendor="HP", is_canon=False, sys_name="hp1"),
            record("127.9.0.12", vendor="net-snmp", is_canon=False, is_printer=False, sys_name="nas")]
    plugin._options_for_test["include"] = "printers"
    plugin._populate(recs, REGIONS)
    assert list(plugin.inventory.hosts) == ["hp1"]
    assert [h.name for h in plugin.inventory.groups["other_printers"].get_hosts()] == ["hp1"]
    plugin.inventory = InventoryData()
    plugin._options_for_test["include"] = "all"
    plugin._populate(recs, REGIONS)
    assert [h.name for h in plugin.inventory.groups["other_devices"].get_hosts()] == ["nas"]


def test_host_names_fall_back_to_address(plugin):
    recs = [record("127.9.0.1", sys_name="iR-ADV C5535"),            # space: not a host name
            record("127.9.0.2", sys_name="dup"), record("127.9.0.3", sys_name="DUP"),   # not unique
            record("127.9.0.4", sys_name="127.9.0.1"),                # would shadow an address
            record("127.9.0.5", sys_name="{{ lookup('pipe', 'id') }}"),
            record("127.9.0.6", sys_name="ok-name"), record("127.9.0.7", sys_name=None)]
    assert plugin._host_names(recs) == ["127.9.0.1", "127.9.0.2", "127.9.0.3", "127.9.0.4", "127.9.0.5",
                                        "ok-name", "127.9.0.7"]
    plugin._options_for_test["hostname_source"] = ["serial", "address"]
    assert plugin._host_names(recs)[0] == "S127901"


@pytest.mark.parametrize("conditions,method,managed", [
    ([{"field": "manufacturer", "operator": "equals", "value": "CANON"}], "managed_if_match", True),
    ([{"field": "model", "operator": "begins_with", "value": "ir-adv"}], "managed_if_match", True),
    ([{"field": "model", "operator": "begins_with", "value": "LBP"}], "managed_if_match", False),
    ([{"field": "location", "operator": "contains", "value": "lab"}], "unmanaged_if_match", False),
    ([{"field": "location", "operator": "not_contains", "value": "lab"}], "unmanaged_if_match", True),
    ([{"field": "region", "operator": "equals", "value": "hq"},
      {"field": "serial", "operator": "ends_with", "value": "909"}], "managed_if_match", True),
])
def test_registration_conditions(plugin, conditions, method, managed):
    plugin._options_for_test.update(conditions=conditions, registration_method=method)
    rec = record("127.9.0.9", location="Main Lab", sys_name="c1")
    assert plugin._managed(rec) is managed
    plugin._populate([rec], REGIONS)
    group = "canon" if managed else "unmanaged"
    assert [h.name for h in plugin.inventory.groups[group].get_hosts()] == ["c1"]


@pytest.mark.parametrize("condition,message", [
    ({"field": "colour", "value": "x"}, "conditions[1].field 'colour'"),
    ({"field": "model", "operator": "like", "value": "x"}, "conditions[1].operator 'like'"),
    ({"field": "model"}, "conditions[1].value is required"),
])
def test_bad_conditions_are_configuration_errors(plugin, condition, message):
    plugin._options_for_test.update(conditions=[condition])
    with pytest.raises(AnsibleParserError, match=re.escape(message)):
        plugin._check_conditions("fleet.canon.yml")


def test_vendor_is_an_alias_of_manufacturer(plugin):
    plugin._options_for_test.update(conditions=[{"field": "vendor", "operator": "equals", "value": "canon"}])
    plugin._check_conditions("fleet.canon.yml")
    assert plugin._managed(record("127.9.0.9")) is True
    assert plugin._managed(record("127.9.0.10", vendor="HP", is_canon=False)) is False


def test_non_printers_get_no_model_group(plugin):
    plugin._options_for_test.update(include="all")
    plugin._populate([record("127.9.0.12", vendor="net-snmp", model="Linux nas 5.10", is_canon=False,
                             is_printer=False, sys_name="nas")], REGIONS)
    assert not [g for g in plugin.inventory.groups if g.startswith("model_")]
    assert [h.name for h in plugin.inventory.groups["vendor_net_snmp"].get_hosts()] == ["nas"]


def test_device_strings_are_never_templated(plugin):
    evil = "{{ lookup('ansible.builtin.pipe', 'touch /tmp/pwned') }}"
    plugin._populate([record("127.9.0.9", sys_name="c1", location=evil)], REGIONS)
    host = plugin.inventory.get_host("c1")
    value = host.vars["canon_location"]
    assert value == evil
    if discovery._UNTRUSTED_BY_DEFAULT:
        from ansible.template import is_trusted_as_template
        assert not is_trusted_as_template(value)
        assert is_trusted_as_template(plugin.inventory.groups["region_hq"].vars["ansible_python_interpreter"])
        assert is_trusted_as_template(host.vars["canon_family"])
    else:  # pragma: no cover - ansible-core < 2.19
        from ansible.utils.unsafe_proxy import AnsibleUnsafe
        assert isinstance(value, AnsibleUnsafe)


def test_credential_sets_validate_and_default(plugin):
    assert [c.name for c in plugin._credential_sets()] == ["public"]
    plugin._options_for_test["credentials"] = [{"name": "v3", "version": "3", "user": "u",
                                                "auth_protocol": "sha224", "auth_password": "x" * 9,
                                                "priv_password": "y" * 9}]
    with pytest.raises(CanonError, match=r"credentials\[v3\].*SHA-224"):
        plugin._credential_sets()
    plugin._options_for_test["credentials"] = [{"name": "a", "community": "x"}, {"name": "a", "community": "y"}]
    with pytest.raises(CanonError, match="defined twice"):
        plugin._credential_sets()


def test_verify_file_needs_the_suffix(tmp_path):
    good = tmp_path / "fleet.canon.yml"
    bad = tmp_path / "fleet.yml"
    good.write_text("plugin: printfleet.canon.discovery\n")
    bad.write_text("plugin: printfleet.canon.discovery\n")
    p = discovery.InventoryModule()
    assert p.verify_file(str(good)) and not p.verify_file(str(bad))


def test_credential_fallback_order(monkeypatch):
    """Each set is swept only on the addresses earlier sets did not identify, in order."""
    calls = []
    answering = {"a": {"127.9.0.1"}, "b": {"127.9.0.1", "127.9.0.2"}, "c": {"127.9.0.3"}}
    rejecting = {("b", "127.9.0.2")}

    async def fake_sweep(self, addresses, cred, on_hit=None):
        calls.append((cred.name, list(addresses)))
        hits = {a: sweep.Hit(a, cred.name, cred.credentials.version) for a in addresses if a in answering[cred.name]}
        for hit in hits.values():
            on_hit(hit)
        return hits, sweep.SweepStats(targets=len(addresses), answered=len(hits))

    async def fake_identify(client, hit, cred, port, timeout, retries, oid_list):
        assert cred.name == hit.credential
        if (hit.credential, hit.address) in rejecting:
            return sweep.Identified(hit.address, hit.credential, hit.version, error=CanonError("snmp_auth_failed"))
        return sweep.Identified(hit.address, hit.credential, hit.version, {"x": 1})

    monkeypatch.setattr(sweep.Sweeper, "sweep", fake_sweep)
    monkeypatch.setattr(sweep, "identify_one", fake_identify)
    sets = [sweep.CredentialSet(n, snmp.SnmpCredentials(community=n)) for n in "abc"]
    everything = ["127.9.0.1", "127.9.0.2", "127.9.0.3"]
    result = asyncio.run(sweep.discover(lambda name: everything if name != "c" else everything[1:], sets, ["1.3"]))
    assert calls == [("a", everything), ("b", ["127.9.0.2", "127.9.0.3"]), ("c", ["127.9.0.2", "127.9.0.3"])]
    assert {a: d.credential for a, d in result.devices.items()} == {"127.9.0.1": "a", "127.9.0.3": "c"}
    assert result.failures == {"127.9.0.2": "snmp_auth_failed"}
    assert result.per_credential["b"] == {"tried": 2, "answered": 1, "identified": 0}


def _snapshot(inv):
    return ([h for h in inv.hosts], {g: [h.name for h in inv.groups[g].get_hosts()] for g in inv.groups},
            [g.name for g in inv.groups["all"].child_groups],
            {h: dict(inv.hosts[h].vars) for h in inv.hosts})


@pytest.mark.parametrize("late", [False, True])
def test_inventory_built_during_the_final_wait_equals_a_fresh_build(plugin, late):
    """The sweep hands over what answered before its final wait; the inventory built from it must be
    exactly the one built from the final result, also when a device answers late (here one in a new
    region, whose sysName makes an early host's name ambiguous, so that host is renamed)."""
    early = [record("127.9.0.10", sys_name="c5535-b"), record("127.9.0.9", sys_name="c5535-a")]
    final = early + ([record("127.9.1.7", "lab", sys_name="c5535-a", model="MF642C/643C/644C")] if late else [])
    calls = []

    def fake_discover(regions_, credential_sets, speculate=None):
        speculate([dict(r) for r in early])
        calls.append(list(plugin.inventory.hosts))
        return [dict(r) for r in final], not late

    plugin._discover = fake_discover
    plugin.inventory.add_host("localhost")            # another source's host stays untouched
    records = plugin._sweep_and_populate("x.canon.yml", REGIONS, [], False)
    assert calls == [["localhost", "c5535-a", "c5535-b"]]
    assert [r["address"] for r in records] == [r["address"] for r in final]

    fresh = discovery.InventoryModule()
    fresh.inventory = InventoryData()
    fresh.templar = plugin.templar
    fresh.get_option = plugin.get_option
    fresh.inventory.add_host("localhost")
    fresh._populate([dict(r) for r in final], REGIONS)
    assert _snapshot(plugin.inventory) == _snapshot(fresh.inventory)
    if late:
        assert "c5535-a" not in plugin.inventory.hosts and "127.9.0.9" in plugin.inventory.hosts
        assert "region_lab" in plugin.inventory.groups


def test_no_early_build_over_another_sources_host(plugin):
    """A host name another source already added cannot be taken back cleanly: no early build then."""
    plugin.inventory.add_host("c5535-a")
    assert plugin._populate([record("127.9.0.9", sys_name="c5535-a")], REGIONS, fresh_only=True) is False
    assert list(plugin.inventory.hosts) == ["c5535-a"] and "canon" not in plugin.inventory.groups
