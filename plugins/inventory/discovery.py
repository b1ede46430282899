# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: discovery
short_description: Discover Canon printers by SNMP sweeps over regions
version_added: 0.1.0
description:
  - Sweeps every region's IPv4 addresses (single addresses, C(start-end) ranges, CIDRs) and host
    names by SNMP, identifies what answers (model, serial, firmware, MAC, name, location, status)
    and builds a grouped, deterministic inventory - EMC's discovery task, registration
    conditions, regions and device groups in one inventory source.
  - Credential sets are tried in order per address; the set that worked is recorded by name.
  - The sweep paces requests at O(rate) packets per second over one socket and matches answers
    by request id and source, so it takes about addresses / O(rate) + O(timeout) x (O(retries) + 1).
  - Only inventory files whose name ends in C(.canon.yml), C(.canon.yaml), C(canon_discovery.yml) or
    C(canon_discovery.yaml) are read by this plugin.
requirements:
  - netaddr >= 1.0
  - openpyxl >= 3.1 (only to read device lists from XLSX files)
  - pysnmp >= 7.1.26 (only for SNMPv3 credential sets)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [printfleet.canon.discovery]
  regions:
    description:
      - Sites to sweep, as EMC regions. An IPv4 address may belong to one region only; a host found
        by IPv4 in one region and by FQDN suffix in another belongs to the IPv4 one.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Region name; hosts join group C(region_<name>).
        type: str
        required: true
      networks:
        description: IPv4 addresses to sweep - V(192.0.2.10), V(192.0.2.0/24) (host addresses only) or V(192.0.2.10-192.0.2.99).
        type: list
        elements: str
      hostnames:
        description: Host names of devices to probe; resolved at run time (an unresolvable name is a warning).
        type: list
        elements: str
      fqdn_suffixes:
        description:
          - DNS suffixes (without the device name, as in EMC) of this region's devices. A device
            outside every region's networks whose reverse DNS name ends with a suffix joins this region.
        type: list
        elements: str
      exclude:
        description: Addresses, ranges or CIDRs not to sweep.
        type: list
        elements: str
      timezone:
        description: IANA time zone of the region (counter reports use it for period boundaries).
        type: str
      credentials:
        description: Names of the O(credentials) sets to try in this region (default every set, in order).
        type: list
        elements: str
  credentials:
    description:
      - Named SNMP credential sets, tried in order for every address until one answers.
      - Secrets may be vaulted, or templated (for example
        C("{{ lookup('ansible.builtin.env', 'SNMP_COMMUNITY') }}")); only the set's name is ever
        stored in host variables.
      - Defaults to one SNMPv1 set named C(public) with community C(public).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name recorded in C(canon_credential) of the hosts it worked for.
        type: str
        required: true
      version:
        description: SNMP version.
        type: str
        choices: ['1', '2c', '3']
        default: '1'
      community:
        description: SNMPv1/v2c community.
        type: str
      user:
        description: SNMPv3 user.
        type: str
      auth_protocol:
        description: SNMPv3 authentication protocol (Canon devices refuse SHA-224).
        type: str
        choices: [none, md5, sha, sha256, sha384, sha512]
        default: sha256
      auth_password:
        description: SNMPv3 authentication password.
        type: str
      priv_protocol:
        description: SNMPv3 privacy protocol.
        type: str
        choices: [none, des, aes, aes192, aes256, aes192c, aes256c]
        default: aes
      priv_password:
        description: SNMPv3 privacy password.
        type: str
      context:
        description: SNMPv3 context name.
        type: str
      vars:
        description:
          - Host variables given to every host this set worked for, so modules run with no connection
            arguments (see the C(printfleet.canon.canon_device) connection variables, for example
            C(canon_snmp_community), C(canon_snmp_v3_auth_password), C(canon_rui_password)).
          - Values are kept as written and templated when a task runs, so give secrets as references
            (C("{{ vault_snmp_community }}")); C(ansible-inventory --list) then shows the reference,
            never the secret.
          - The plugin itself sets the non-secret C(canon_snmp_version), C(canon_snmp_port) and, for
            SNMPv3 sets, C(canon_snmp_v3_user), C(canon_snmp_v3_auth_protocol) and
            C(canon_snmp_v3_priv_protocol).
        type: dict
        default: {}
  timeout:
    description: Seconds to wait for an answer to each probe.
    type: float
    default: 1.0
    env:
      - name: PRINTFLEET_DISCOVERY_TIMEOUT
  retries:
    description: How many times an unanswered probe is sent again.
    type: int
    default: 1
    env:
      - name: PRINTFLEET_DISCOVERY_RETRIES
  rate:
    description:
      - Probes per second. Raise it on fast networks with large regions; lower it on WAN links.
    type: int
    default: 5000
    env:
      - name: PRINTFLEET_DISCOVERY_RATE
  port:
    description: SNMP UDP port of the devices.
    type: int
    default: 161
    env:
      - name: PRINTFLEET_DISCOVERY_PORT
  concurrency:
    description: Identification requests in flight at once.
    type: int
    default: 256
  max_hosts:
    description: Refuse configurations whose regions cover more addresses than this (a guard against sweeping a /8 by mistake).
    type: int
    default: 65536
  include:
    description:
      - Which devices become hosts. V(canon) - Canon printers; V(printers) - any device with the
        Printer MIB (non-Canon ones in group C(other_printers)); V(all) - every SNMP device
        (non-printers in group C(other_devices)).
    type: str
    choices: [canon, printers, all]
    default: canon
  conditions:
    description:
      - Registration conditions as in EMC - which discovered devices are managed. Case-insensitive.
        Different fields are AND'ed; the values of one field are OR'ed (O(conditions[].value) may be a
        list, as EMC's filter takes several lines), so each field appears at most once - a field listed
        twice is refused with a parser error, as EMC refuses it. Hosts ruled out join group
        C(unmanaged) instead of C(canon).
    type: list
    elements: dict
    suboptions:
      field:
        description:
          - Device field to test.
          - V(vendor) is another name for V(manufacturer) (the C(canon_vendor) host variable).
        type: str
        required: true
        choices: [manufacturer, vendor, model, serial, sys_name, location, address, mac, firmware, region]
      operator:
        description: Comparison.
        type: str
        choices: [equals, not_equals, begins_with, ends_with, contains, not_contains]
        default: equals
      value:
        description:
          - Text to compare with, or a list of texts (any of them matches; for V(not_equals) and
            V(not_contains), none of them may match).
        type: raw
        required: true
  registration_method:
    description:
      - V(managed_if_match) - devices matching O(conditions) are managed and the rest unmanaged;
        V(unmanaged_if_match) - the opposite (EMC's "Register as an unmanaged device").
    type: str
    choices: [managed_if_match, unmanaged_if_match]
    default: managed_if_match
  hostname_source:
    description:
      - Inventory host name, first usable source wins. V(sys_name), V(serial) and V(template) are used
        only when unique in the inventory and a valid host name (letters, digits, C(.), C(_), C(-)).
      - V(serial) keeps host names stable across device renames and address changes.
      - V(template) renders O(hostname_template) over the host variables (C(canon_serial),
        C(canon_model), C(canon_region) ...).
    type: list
    elements: str
    choices: [sys_name, serial, template, address]
    default: [sys_name, address]
  hostname_template:
    description:
      - Jinja2 template of the host name for O(hostname_source=template), e.g.
        C({{ canon_region }}-{{ canon_serial | lower }}).
    type: str
  keep_missing:
    description:
      - Days a device found before stays a host after it stops answering, with C(canon_status=no_response),
        its last identity and C(canon_last_seen), in group C(no_response) (EMC keeps such devices in its
        device list as "No Response"). V(0) forgets silent devices at once.
      - Needs a memory between runs - the inventory cache (O(cache)) or O(registry_file).
    type: float
    default: 30
  new_device_days:
    description:
      - Days a device seen for the first time stays in group C(new_devices) (host variable
        C(canon_first_seen)), so a schedule can onboard it.
    type: float
    default: 7
  registry_file:
    description:
      - JSON file that remembers the devices seen (first/last seen) between runs, for controllers whose
        inventory cache does not persist (AWX/Automation Controller). Without it the inventory cache is
        used when O(cache) is on; with neither, nothing is remembered. A relative path is relative to
        the inventory file.
    type: str
  sources:
    description:
      - EMC device-list exports or templates (CSV, tab-separated TXT, XLSX with the EMC column
        names in English) whose managed rows become extra targets.
    type: list
    elements: dict
    suboptions:
      path:
        description: File to read (relative to the inventory file).
        type: path
        required: true
      format:
        description: File format.
        type: str
        choices: [auto, csv, tsv, xlsx]
        default: auto
      region:
        description: Region for rows outside every region's networks.
        type: str
        default: imported
  controller_connection:
    description:
      - Set C(ansible_connection=local) and C(ansible_python_interpreter={{ ansible_playbook_python }})
        on the C(region_<name>) groups (so on every discovered host), since printers run no Python
        and this collection's modules run on the controller.
    type: bool
    default: true
notes:
  - AWX and Automation Controller refresh inventory sources in full and do not use the plugin
    cache; the sweep is built to be fast without it.
  - Strings the devices report (name, location, model ...) are untrusted and never templated.
seealso:
  - module: printfleet.canon.canon_device_info
"""

EXAMPLES = r"""
# fleet.canon.yml - three regions, two credential sets, groups by model
plugin: printfleet.canon.discovery
regions:
  - name: hq
    networks: [192.0.2.0/24]
    timezone: Europe/Berlin
  - name: branch_a
    networks: ["198.51.100.10-198.51.100.60"]
    exclude: [198.51.100.13]
    timezone: Europe/Paris
  - name: branch_b
    hostnames: [mfp1.branch-b.example.com]
    fqdn_suffixes: [branch-b.example.com]
    timezone: America/New_York
credentials:
  - name: v1-public
    version: "1"
    community: public
  - name: v3-admin
    version: "3"
    user: fleetadmin
    auth_protocol: sha256
    auth_password: "{{ lookup('ansible.builtin.env', 'CANON_V3_AUTH') }}"
    priv_protocol: aes
    priv_password: "{{ lookup('ansible.builtin.env', 'CANON_V3_PRIV') }}"
keyed_groups:
  - key: canon_family
    prefix: family
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/printfleet-discovery
cache_timeout: 3600
---
# Only imageRUNNER ADVANCE devices are managed; everything else lands in 'unmanaged'.
plugin: printfleet.canon.discovery
regions:
  - name: campus
    networks: [10.20.0.0/16]
rate: 20000
conditions:
  - field: model
    operator: begins_with
    value: iR-ADV
"""

import asyncio
import hashlib
import json
import os
import re
import socket
import time
from datetime import datetime, timezone

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.printfleet.canon.plugins.module_utils.device import identity as device
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.discovery import regions as regions_mod
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp as snmp_mod
from ansible_collections.printfleet.canon.plugins.module_utils.transport import sweep
from ansible_collections.printfleet.canon.plugins.module_utils.discovery import registry
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

try:  # ansible-core 2.19+: strings from plugins are untrusted unless marked; trust only our own templates
    from ansible.template import trust_as_template as _trust
    _UNTRUSTED_BY_DEFAULT = True
except ImportError:  # 2.17 / 2.18: plain strings are templated, so wrap device strings
    def _trust(value):
        return value
    _UNTRUSTED_BY_DEFAULT = False
from ansible.utils.unsafe_proxy import wrap_var

display = Display()

SUFFIXES = (".canon.yml", ".canon.yaml", "canon_discovery.yml", "canon_discovery.yaml")
# Identification: identity objects plus the two status objects, in one GET.
IDENTIFY_OIDS = device.IDENTITY_OIDS + [oids.HR_DEVICE_STATUS_1, oids.HR_PRINTER_ERROR_STATE_1]
SANE_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
TEMPLATED_CREDENTIAL_KEYS = ("community", "user", "auth_password", "priv_password", "context")
CACHE_FORMAT = 1
DEVICE_STRINGS = frozenset(("canon_model", "canon_serial", "canon_firmware", "canon_sys_name", "canon_location",
                            "canon_fqdn"))


def _group_part(value):
    """'iR-ADV C5535' -> 'ir_adv_c5535' for group names."""
    return re.sub(r"[^a-z0-9]+", "_", str(value or "unknown").lower()).strip("_") or "unknown"


def _untrusted(value):
    if isinstance(value, str) and not _UNTRUSTED_BY_DEFAULT:
        return wrap_var(value)
    return value


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "printfleet.canon.discovery"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(SUFFIXES)

    # ------------------------------------------------------------------ parse ----------
    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        self._base_dir = os.path.dirname(os.path.abspath(path))
        if snmp_mod.PYSNMP_IMPORT_ERROR:
            raise AnsibleParserError("printfleet.canon.discovery needs pysnmp 7.1+ on the controller: "
                                     + snmp_mod.PYSNMP_IMPORT_ERROR.splitlines()[-1])
        try:
            credential_sets = self._credential_sets()
            regions = regions_mod.build_regions(self.get_option("regions"), [c.name for c in credential_sets],
                                                self.get_option("max_hosts"))
        except CanonError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.msg))
        groups = {}
        for r in regions:
            other = groups.setdefault(_group_part(r.name), r.name)
            if other != r.name:
                raise AnsibleParserError("%s: regions %r and %r would share the group region_%s"
                                         % (path, other, r.name, _group_part(r.name)))
        self._check_conditions(path)
        cache_key = self._cache_key(path, regions, credential_sets)
        use_cache = self.get_option("cache")
        records = None
        if use_cache and cache:
            try:
                cached = self._cache[cache_key]
                if cached.get("format") == CACHE_FORMAT:
                    records = cached["records"]
                    display.v("printfleet.canon.discovery: %d devices from cache, no SNMP traffic" % len(records))
            except KeyError:
                records = None
        if records is None:
            records = self._sweep_and_populate(path, regions, credential_sets, use_cache)
            if use_cache:
                self._cache[cache_key] = {"format": CACHE_FORMAT, "records": records}
        else:
            self._populate(records, regions)

    def _sweep_and_populate(self, path, regions, credential_sets, use_cache):
        """Sweep, remember and populate; returns the records. The sweep's last wait for late answers
        is idle time, so the inventory is built during it from what has answered by then; should
        anything answer later, that build is taken back and the inventory built again."""
        early = {}

        def speculate(found):
            before = (set(self.inventory.hosts), set(self.inventory.groups))
            recs, commit = self._recall(path, found, use_cache, regions)
            if self._populate(recs, regions, fresh_only=True):
                early.update(before=before, records=recs, commit=commit)

        found, unchanged = self._discover(regions, credential_sets, speculate)
        if early and unchanged:
            early["commit"]()
            return early["records"]
        if early:
            display.v("printfleet.canon.discovery: a device answered late; building the inventory again")
            self._withdraw(*early["before"])
        records = self._remember(path, found, use_cache, regions)
        self._populate(records, regions)
        return records

    def _vendor_identity(self, result, credential_sets):
        """One more GET, only for devices of makers that keep their serial in their own objects (Brother,
        Kyocera, Ricoh; device/identity.py), so serial host names and the registry work for them too."""
        by_name = {c.name: c for c in credential_sets}
        items = [(snmp_mod.SnmpTarget(address, self.get_option("port"), by_name[item.credential].credentials,
                                      self.get_option("timeout"), self.get_option("retries")), item.values)
                 for address, item in result.devices.items()
                 if item.credential in by_name and device.vendor_identity_oids(item.values)]
        if not items:
            return

        async def run():
            async with snmp_mod.SnmpClient() as client:
                await device.add_vendor_identity(client, items)

        asyncio.run(run())

    def _remember(self, path, found, use_cache, regions):
        """Merge this sweep with the devices seen before (module_utils/discovery/registry.py): first/last
        seen, and silent devices kept for keep_missing days as no_response. Without a memory (no cache,
        no registry_file) nothing is remembered and the records are returned as found."""
        records, commit = self._recall(path, found, use_cache, regions)
        commit()
        return records

    def _recall(self, path, found, use_cache, regions):
        """(records, commit): the merge of ``_remember``, and a function that stores it (nothing is
        written before commit, so a merge built early and then dropped leaves no trace)."""
        store = self.get_option("registry_file")
        if not store and not use_cache:
            return found, lambda: None
        key = "%s_registry" % self.get_cache_key(path)
        by_name = {r.name: r for r in regions}

        def in_scope(rec):
            # a device of a region no longer configured, or outside its networks now, is out of scope,
            # not silent: it is not kept
            region = by_name.get(rec.get("region"))
            return region is not None and (rec.get("found_by") != "network" or rec.get("address") in region.ipset)

        previous = {}
        try:
            if store:
                store = os.path.join(self._base_dir, store)
                previous = registry.load_file(store)
            elif use_cache:
                try:
                    previous = self._cache[key]
                except KeyError:
                    previous = {}
            previous = dict(previous or {})
            previous["devices"] = {k: v for k, v in (previous.get("devices") or {}).items()
                                   if isinstance(v, dict) and in_scope(v)}
            records, remembered = registry.merge(previous, found, self._now(), self.get_option("keep_missing"))
        except CanonError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.msg))

        def commit():
            try:
                if store:
                    registry.save_file(store, remembered)
                elif use_cache:
                    self._cache[key] = remembered
            except CanonError as exc:
                raise AnsibleParserError("%s: %s" % (path, exc.msg))
            silent = [r["address"] for r in records if not r.get("responding", True)]
            if silent:
                display.v("printfleet.canon.discovery: %d device(s) found before did not answer and are kept as "
                          "no_response: %s" % (len(silent), ", ".join(silent)))
        return records, commit

    @staticmethod
    def _now():
        return datetime.now(timezone.utc)

    def _cache_key(self, path, regions, credential_sets):
        """The path plus a digest of what decides the sweep, so a changed file is a cache miss."""
        material = json.dumps({
            "regions": [[r.name, sorted(str(c) for c in r.ipset.iter_cidrs()), r.hostnames, r.fqdn_suffixes,
                         r.credentials] for r in regions],
            "credentials": [[c.name, c.credentials.version] for c in credential_sets],
            "port": self.get_option("port"), "sources": self.get_option("sources"),
        }, sort_keys=True)
        return "%s_%s" % (self.get_cache_key(path), hashlib.sha1(material.encode()).hexdigest()[:10])

    # ------------------------------------------------------------------ options --------
    def _credential_sets(self):
        raw = self.get_option("credentials") or [{"name": "public", "version": "1", "community": "public"}]
        sets, names = [], set()
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not item.get("name"):
                raise CanonError("invalid_argument", "credentials[%d]: every credential set needs a name" % i)
            name = str(item["name"])
            if name in names:
                raise CanonError("invalid_argument", "credentials: set %r is defined twice" % name)
            names.add(name)
            values = {}
            for key in TEMPLATED_CREDENTIAL_KEYS:
                value = item.get(key)
                if isinstance(value, str) and self.templar.is_template(value):
                    value = self.templar.template(value)
                values[key] = value
            version = str(item.get("version") or "1")
            creds = snmp_mod.SnmpCredentials(
                version=version, community=values["community"] if version != "3" else None,
                user=values["user"], auth_protocol=item.get("auth_protocol") or "sha256",
                auth_password=values["auth_password"], priv_protocol=item.get("priv_protocol") or "aes",
                priv_password=values["priv_password"], context=values["context"] or "")
            try:
                creds.validate()
            except CanonError as exc:
                raise CanonError("invalid_argument", "credentials[%s]: %s" % (name, exc.msg))
            sets.append(sweep.CredentialSet(name, creds))
        return sets

    # ------------------------------------------------------------------ discovery ------
    def _targets(self, regions):
        """address -> (region name or None, how it was found, host name if any), in sweep order."""
        targets = {}
        warnings = []
        for r in regions:
            entry = (r.name, "network", None)
            for address in regions_mod.addresses(r.ipset):
                targets.setdefault(address, entry)
        names = [(h, r.name) for r in regions for h in r.hostnames]
        for spec in self.get_option("sources") or []:
            path = spec["path"] if os.path.isabs(spec["path"]) else os.path.join(self._base_dir, spec["path"])
            try:
                rows, notes = regions_mod.read_device_list(path, spec.get("format") or "auto")
            except CanonError as exc:
                raise AnsibleParserError("sources: %s" % exc.msg)
            warnings.extend(notes)
            for row in rows:
                if row["address"]:
                    targets.setdefault(row["address"], (spec.get("region") or "imported", "source", row["hostname"]))
                else:
                    names.append((row["hostname"], spec.get("region") or "imported"))
        for hostname, listed_in in names:
            try:
                address = socket.gethostbyname(hostname)
            except (socket.gaierror, UnicodeError) as exc:
                warnings.append("host name %s (region %s) does not resolve: %s" % (hostname, listed_in, exc))
                continue
            targets.setdefault(address, (listed_in, "hostname", hostname))
        for w in warnings:
            display.warning("printfleet.canon.discovery: " + w)
        return targets

    def _discover(self, regions, credential_sets, speculate=None):
        """(records, unchanged): the identified devices as records; ``unchanged`` is true when
        ``speculate(records)`` was called during the sweep's final wait with these same records."""
        started = time.monotonic()
        targets = self._targets(regions)
        by_region = {r.name: r for r in regions}

        def addresses_for(cred_name):
            if not any(r.credentials for r in regions):
                return list(targets)
            out = []
            for address, (region, _how, _name) in targets.items():
                allowed = by_region[region].credentials if region in by_region else []
                if not allowed or cred_name in allowed:
                    out.append(address)
            return out

        display.v("printfleet.canon.discovery: sweeping %d addresses in %d regions (rate %d/s, timeout %ss, "
                  "retries %d)" % (len(targets), len(regions), self.get_option("rate"), self.get_option("timeout"),
                                   self.get_option("retries")))
        early = []

        def settled(provisional):
            # devices of makers that need one more GET (vendor identity) are not built early
            if speculate is None or any(device.vendor_identity_oids(item.values)
                                        for item in provisional.devices.values()):
                return
            early.append(self._records(provisional, targets, regions))
            speculate(early[0])

        try:
            result = asyncio.run(sweep.discover(
                addresses_for, credential_sets, IDENTIFY_OIDS, port=self.get_option("port"),
                rate=self.get_option("rate"), timeout=self.get_option("timeout"), retries=self.get_option("retries"),
                concurrency=self.get_option("concurrency"), progress=lambda m: display.v("printfleet.canon.discovery: " + m),
                settled=settled if speculate is not None else None))
        except CanonError as exc:
            raise AnsibleParserError("printfleet.canon.discovery: %s" % exc)
        unchanged = bool(early) and result.settled_unchanged
        if unchanged:
            records = early[0]
        else:
            self._vendor_identity(result, credential_sets)
            records = self._records(result, targets, regions)
        for name, counts in result.per_credential.items():
            if counts["tried"] and not counts["identified"]:
                display.warning("printfleet.canon.discovery: credential set %s identified no device (%d addresses "
                                "tried, %d answered)" % (name, counts["tried"], counts["answered"]))
        per_region = {}
        for rec in records:
            per_region[rec["region"]] = per_region.get(rec["region"], 0) + 1
        for r in regions:
            swept = r.ipset.size + len(r.hostnames)
            found = per_region.get(r.name, 0)
            display.v("printfleet.canon.discovery: region %s: %d addresses, %d devices identified"
                      % (r.name, swept, found))
            if swept and not found:
                display.warning("printfleet.canon.discovery: region %s: no device answered (%d addresses swept)"
                                % (r.name, swept))
        failed = len(result.failures)
        if failed:
            display.warning("printfleet.canon.discovery: %d device(s) answered the sweep but could not be identified "
                            "(%s)" % (failed, ", ".join(sorted(set(result.failures.values())))))
        display.v("printfleet.canon.discovery: %d devices identified in %.2fs" % (len(records), time.monotonic() - started))
        return records, unchanged

    def _records(self, result, targets, regions):
        """One record per identified device of a sweep result."""
        records = []
        by_name = {r.name: r for r in regions}
        for address, item in result.devices.items():
            region, how, hostname = targets[address]
            ident = device.classify(item.values)
            fqdn = hostname
            if how == "network":
                # _targets gave it the first region whose networks hold it: what region_for answers
                region_obj = by_name[region]
            else:
                region_obj = regions_mod.region_for(address, fqdn, regions, listed_in=region)
            if region_obj is None and any(r.fqdn_suffixes for r in regions):
                fqdn = _reverse_name(address)
                region_obj = regions_mod.region_for(address, fqdn, regions, listed_in=region)
            status = item.values.get(oids.HR_DEVICE_STATUS_1)
            records.append({
                "address": address, "region": region_obj.name if region_obj else region, "found_by": how,
                "fqdn": fqdn, "credential": item.credential, "snmp_version": item.version,
                "identity": dict(ident),
                "status": {"device_status": device.HR_DEVICE_STATUS.get(status, "unknown"),
                           "error_state": device.decode_error_state(item.values.get(oids.HR_PRINTER_ERROR_STATE_1))},
            })
        return records

    # ------------------------------------------------------------------ populate -------
    def _check_conditions(self, path):
        """Inventory options are not validated below the top level, so a typo would silently match nothing."""
        try:
            registry.parse_conditions(self.get_option("conditions"))
        except CanonError as exc:
            raise AnsibleParserError("%s: %s" % (path, exc.msg))
        for n, cond in enumerate(self.get_option("conditions") or [], 1):
            if not isinstance(cond, dict):
                raise AnsibleParserError("%s: conditions[%d] must be a mapping" % (path, n))
            if cond.get("field") not in CONDITION_FIELDS:
                raise AnsibleParserError("%s: conditions[%d].field %r is not one of %s"
                                         % (path, n, cond.get("field"), ", ".join(CONDITION_FIELDS)))
            if (cond.get("operator") or "equals") not in CONDITION_OPERATORS:
                raise AnsibleParserError("%s: conditions[%d].operator %r is not one of %s"
                                         % (path, n, cond.get("operator"), ", ".join(CONDITION_OPERATORS)))
            if cond.get("value") is None:
                raise AnsibleParserError("%s: conditions[%d].value is required" % (path, n))

    def _managed(self, rec):
        conditions = self.get_option("conditions") or []
        if not conditions:
            return True
        ident = rec["identity"]
        fields = {"manufacturer": ident.get("vendor"), "vendor": ident.get("vendor"), "model": ident.get("model"), "serial": ident.get("serial"),
                  "sys_name": ident.get("sys_name"), "location": ident.get("location"), "address": rec["address"],
                  "mac": ident.get("mac"), "firmware": ident.get("firmware"), "region": rec["region"]}
        match = registry.matches(registry.parse_conditions(conditions), fields)
        return match if self.get_option("registration_method") == "managed_if_match" else not match

    def _withdraw(self, hosts_before, groups_before):
        """Take back a _populate made early (a device answered after it): drop the groups and hosts
        that did not exist before it. Its groups go first, so each host leaves only the older groups
        it joined (removing thousands of hosts one by one from a group of thousands is quadratic)."""
        inventory = self.inventory
        added = [g for name, g in list(inventory.groups.items()) if name not in groups_before]
        for group in added:
            for parent in list(group.parent_groups):
                if group in parent.child_groups:
                    parent.child_groups.remove(group)
                parent.clear_hosts_cache()
            for child in list(group.child_groups):
                if group in child.parent_groups:
                    child.parent_groups.remove(group)
            inventory.remove_group(group)
        for name in [h for h in list(inventory.hosts) if h not in hosts_before]:
            inventory.remove_host(inventory.hosts[name])

    def _populate(self, records, regions, fresh_only=False):
        """Add the records' hosts, groups and variables. With ``fresh_only`` nothing is added, and
        False returned, when a host name already exists (another source's host: an early build
        could not be taken back cleanly)."""
        include = self.get_option("include")
        order = {r.name: i for i, r in enumerate(regions)}
        kept = []
        for rec in records:
            ident = rec["identity"]
            if include == "canon" and not (ident["is_canon"] and ident["is_printer"]):
                continue
            if include == "printers" and not ident["is_printer"]:
                continue
            kept.append(rec)
        kept.sort(key=lambda r: (order.get(r["region"], len(order)), _ip_key(r["address"])))
        names = self._host_names(kept)
        if fresh_only and any(name in self.inventory.hosts for name in names):
            return False
        strict = self.get_option("strict")
        constructed = any(self.get_option(o) for o in ("compose", "groups", "keyed_groups"))
        region_groups_done = set()
        # A play walks the groups under 'all' in creation order, so the region groups come first (in
        # configuration order): plays and AWX job slices then see hosts by region, then address.
        for rec in kept:
            self.inventory.add_group("region_" + _group_part(rec["region"]))
        for group in ("canon", "unmanaged"):
            self.inventory.add_group(group)
        for rec, host in zip(kept, names):
            ident = rec["identity"]
            managed = self._managed(rec)
            self.inventory.add_host(host)
            hostvars = self._hostvars(rec, managed)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            groups = ["region_" + _group_part(rec["region"]), "vendor_" + _group_part(ident.get("vendor"))]
            if ident.get("model") and ident["is_printer"]:   # a non-printer's "model" is its sysDescr
                groups.append("model_" + _group_part(ident["model"]))
            if self._is_new(rec):
                groups.append("new_devices")
            if not rec.get("responding", True):
                groups.append("no_response")
            if not managed:
                groups.append("unmanaged")
            elif ident["is_canon"] and ident["is_printer"]:
                groups.append("canon")
            elif ident["is_printer"]:
                groups.append("other_printers")
            else:
                groups.append("other_devices")
            for group in groups:
                group = self.inventory.add_group(group)
                self.inventory.add_child(group, host)
                if group.startswith("region_") and group not in region_groups_done:
                    # region facts and controller settings live on the region group: every host has
                    # exactly one, and per-group variables cost a fleet of thousands much less
                    region_groups_done.add(group)
                    self._set_region_vars(group, rec["region"], regions)
            if constructed:
                variables = self.inventory.get_host(host).get_vars()
                self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
                self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
                self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
        return True

    def _is_new(self, rec):
        return registry.is_new(rec, self._now(), self.get_option("new_device_days"))

    def _host_template(self, rec):
        template = self.get_option("hostname_template")
        if not template:
            raise AnsibleParserError("printfleet.canon.discovery: hostname_source 'template' needs hostname_template")
        variables = dict(self._hostvars(rec, True), canon_region=rec.get("region"))
        try:
            if hasattr(self.templar, "copy_with_new_env"):
                templar = self.templar.copy_with_new_env(available_variables=variables)
            else:   # ansible-core < 2.19
                templar = self.templar
                templar.available_variables = variables
            value = templar.template(_trust(template))
        except Exception as exc:  # pylint: disable=broad-except
            raise AnsibleParserError("printfleet.canon.discovery: hostname_template: %s" % exc)
        return str(value).strip() if value is not None else None

    def _host_names(self, records):
        sources = self.get_option("hostname_source") or ["sys_name", "address"]
        counts = {}
        templated = [self._host_template(rec) if "template" in sources else None for rec in records]
        for rec, rendered in zip(records, templated):
            for key in ("sys_name", "serial", "template"):
                value = rendered if key == "template" else rec["identity"].get(key)
                if value:
                    counts[(key, value.lower())] = counts.get((key, value.lower()), 0) + 1
        addresses = {rec["address"] for rec in records}
        names, taken = [], set()
        for rec, rendered in zip(records, templated):
            chosen = None
            for source in sources:
                if source == "address":
                    chosen = rec["address"]
                else:
                    value = rendered if source == "template" else rec["identity"].get(source)
                    if (value and SANE_HOSTNAME.match(value) and counts.get((source, value.lower())) == 1
                            and value not in addresses and value.lower() not in taken):
                        chosen = value
                if chosen:
                    break
            names.append(chosen or rec["address"])
            taken.add(names[-1].lower())
        return names

    def _set_region_vars(self, group, region_name, regions):
        region = next((r for r in regions if r.name == region_name), None)
        values = {"canon_region": _trust(region_name), "canon_snmp_port": self.get_option("port")}
        if region is not None and region.timezone:
            values["canon_region_timezone"] = _trust(region.timezone)
        if self.get_option("controller_connection"):
            values["ansible_connection"] = _trust("local")
            values["ansible_python_interpreter"] = _trust("{{ ansible_playbook_python }}")
        for key, value in values.items():
            self.inventory.set_variable(group, key, value)

    def _credential_vars(self, name):
        """Connection variables of the credential set a host answered to: the set's non-secret SNMPv3
        parameters and its ``vars`` (kept as written, so secret references are templated only when a
        task runs and never show in ``ansible-inventory --list``)."""
        raw = next((c for c in (self.get_option("credentials") or [])
                    if isinstance(c, dict) and str(c.get("name")) == str(name)), None)
        if raw is None:
            return {}
        out = {}
        if str(raw.get("version") or "1") == "3":
            user = raw.get("user")
            if isinstance(user, str) and not self.templar.is_template(user):
                out["canon_snmp_v3_user"] = _trust(user)
            out["canon_snmp_v3_auth_protocol"] = _trust(raw.get("auth_protocol") or "sha256")
            out["canon_snmp_v3_priv_protocol"] = _trust(raw.get("priv_protocol") or "aes")
        for key, value in (raw.get("vars") or {}).items():
            out[str(key)] = _trust(value) if isinstance(value, str) else value
        return out

    def _hostvars(self, rec, managed):
        ident = rec["identity"]
        hv = {
            "ansible_host": rec["address"],
            "canon_address": rec["address"],
            "canon_managed": managed,
            "canon_snmp_version": rec["snmp_version"],
            "canon_credential": rec["credential"],
            "canon_vendor": ident.get("vendor"),
            "canon_is_canon": ident.get("is_canon"),
            "canon_model": ident.get("model"),
            "canon_serial": ident.get("serial"),
            "canon_firmware": ident.get("firmware"),
            "canon_mac": ident.get("mac"),
            "canon_sys_name": ident.get("sys_name"),
            "canon_location": ident.get("location"),
            "canon_family": ident.get("family"),
            "canon_remote_ui": ident.get("remote_ui"),
            "canon_address_book_type": ident.get("address_book_type"),
            "canon_settings_type": ident.get("settings_type"),
            "canon_app_platform": ident.get("app_platform"),
            "canon_status": rec["status"]["device_status"],
            "canon_error_state": list(rec["status"]["error_state"]),
        }
        if rec.get("fqdn"):
            hv["canon_fqdn"] = rec["fqdn"]
        for key in ("first_seen", "last_seen"):
            if rec.get(key):
                hv["canon_" + key] = rec[key]
        hv.update(self._credential_vars(rec.get("credential")))
        # Device-supplied strings stay untrusted (anyone with a write community can set sysName or
        # sysLocation); strings this plugin computed or validated itself are marked trusted. A fleet
        # repeats the same few (family, platform, status...): each is marked once and shared.
        trusted = self.__dict__.setdefault("_trusted_strings", {})
        for key, value in hv.items():
            if isinstance(value, str):
                if key in DEVICE_STRINGS:
                    hv[key] = _untrusted(value)
                else:
                    marked = trusted.get(value)
                    if marked is None:
                        marked = trusted[value] = _trust(value)
                    hv[key] = marked
        return hv


def _condition(actual, operator, expected):
    a = (actual or "").lower()
    e = (expected or "").lower()
    if operator == "equals":
        return a == e
    if operator == "not_equals":
        return a != e
    if operator == "begins_with":
        return a.startswith(e)
    if operator == "ends_with":
        return a.endswith(e)
    if operator == "contains":
        return e in a
    if operator == "not_contains":
        return e not in a
    raise AnsibleParserError("conditions: unknown operator %r" % operator)


CONDITION_FIELDS = ("manufacturer", "vendor", "model", "serial", "sys_name", "location", "address", "mac",
                    "firmware", "region")
CONDITION_OPERATORS = ("equals", "not_equals", "begins_with", "ends_with", "contains", "not_contains")


def _ip_key(address):
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return (999,)


def _reverse_name(address):
    try:
        return socket.gethostbyaddr(address)[0]
    except (socket.herror, socket.gaierror, OSError):
        return None
