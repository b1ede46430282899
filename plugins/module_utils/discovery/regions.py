# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions as EMC defines them: IPv4 addresses (single, start-end range, CIDR) and FQDN suffixes.

Rules carried over from the EMC 4.1.4 guide (research/emc-guide-part-a §14, part-b §3.1):
an IPv4 address may belong to one region only (overlap is a configuration error), and a device
matched by IPv4 in one region and by FQDN in another belongs to the IPv4 one.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

NETADDR_IMPORT_ERROR: Optional[str] = None
try:
    import netaddr
except ImportError as exc:  # pragma: no cover
    NETADDR_IMPORT_ERROR = str(exc)

REGION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Region:
    name: str
    networks: List[str] = field(default_factory=list)
    hostnames: List[str] = field(default_factory=list)
    fqdn_suffixes: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    timezone: Optional[str] = None
    credentials: List[str] = field(default_factory=list)
    ipset: Any = None   # netaddr.IPSet of the addresses to sweep (networks minus exclude)

    def contains(self, address: str) -> bool:
        return self.ipset is not None and address in self.ipset

    def matches_fqdn(self, fqdn: Optional[str]) -> bool:
        if not fqdn:
            return False
        name = fqdn.lower().rstrip(".")
        return any(name == s or name.endswith("." + s) for s in self.fqdn_suffixes)


def parse_address_spec(spec: str, option: str) -> "netaddr.IPSet":
    """'a.b.c.d', 'a.b.c.d/len' (host addresses only) or 'a.b.c.d-e.f.g.h' -> IPSet."""
    if NETADDR_IMPORT_ERROR:
        raise CanonError("missing_dependency", "the netaddr Python package is required")
    text = str(spec).strip()
    try:
        if "-" in text:
            first, last = (p.strip() for p in text.split("-", 1))
            rng = netaddr.IPRange(first, last)
            if rng.version != 4:
                raise ValueError("IPv4 only")
            return netaddr.IPSet(rng)
        if "/" in text:
            net = netaddr.IPNetwork(text)
            if net.version != 4:
                raise ValueError("IPv4 only")
            if net.prefixlen >= 31:
                return netaddr.IPSet(net)
            # sweep host addresses only: no network or broadcast address
            return netaddr.IPSet(netaddr.IPRange(net.first + 1, net.last - 1))
        ip = netaddr.IPAddress(text)
        if ip.version != 4:
            raise ValueError("IPv4 only (IPv6 devices are reached by host name)")
        return netaddr.IPSet([ip])
    except (netaddr.AddrFormatError, ValueError, TypeError) as exc:
        raise CanonError("invalid_argument", "%s: %r is not an IPv4 address, start-end range or CIDR (%s)"
                         % (option, spec, exc))


def addresses(ipset: "netaddr.IPSet") -> Iterable[str]:
    """Dotted addresses of an IPSet in order (much faster than iterating IPAddress objects)."""
    for cidr in ipset.iter_cidrs():
        for n in range(cidr.first, cidr.last + 1):
            yield "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def build_regions(raw: Sequence[Dict[str, Any]], credential_names: Iterable[str],
                  max_hosts: int) -> List[Region]:
    """Validate the ``regions`` option: names, address syntax, no overlap, known credentials."""
    known = list(credential_names)
    regions: List[Region] = []
    seen = set()
    for i, item in enumerate(raw or []):
        if not isinstance(item, dict) or not item.get("name"):
            raise CanonError("invalid_argument", "regions[%d]: every region needs a name" % i)
        name = str(item["name"])
        if not REGION_NAME.match(name):
            raise CanonError("invalid_argument", "regions[%d]: region name %r may use letters, digits, '.', '_' "
                                                 "and '-' only" % (i, name))
        if name in seen:
            raise CanonError("invalid_argument", "regions: region %r is defined twice" % name)
        seen.add(name)
        unknown = [c for c in item.get("credentials") or [] if c not in known]
        if unknown:
            raise CanonError("invalid_argument", "regions[%s].credentials: unknown credential set(s) %s (defined: %s)"
                             % (name, ", ".join(unknown), ", ".join(known) or "none"))
        region = Region(name=name, networks=list(item.get("networks") or []),
                        hostnames=[str(h) for h in item.get("hostnames") or []],
                        fqdn_suffixes=[str(s).lower().strip(".") for s in item.get("fqdn_suffixes") or []],
                        exclude=list(item.get("exclude") or []), timezone=item.get("timezone"),
                        credentials=list(item.get("credentials") or []))
        ipset = netaddr.IPSet()
        for spec in region.networks:
            ipset |= parse_address_spec(spec, "regions[%s].networks" % name)
        for spec in region.exclude:
            ipset -= parse_address_spec(spec, "regions[%s].exclude" % name)
        region.ipset = ipset
        if region.timezone:
            _check_timezone(region.timezone, name)
        regions.append(region)
    for a in range(len(regions)):
        for b in range(a + 1, len(regions)):
            shared = regions[a].ipset & regions[b].ipset
            if shared:
                first = next(iter(shared.iter_cidrs()))
                raise CanonError("invalid_argument", "regions %r and %r share addresses (%d, starting with %s); an "
                                 "address may belong to one region only" % (
                                     regions[a].name, regions[b].name, shared.size, first))
    total = sum(r.ipset.size for r in regions)
    if total > max_hosts:
        raise CanonError("invalid_argument", "regions cover %d addresses, more than max_hosts=%d; raise max_hosts "
                         "if this is intended" % (total, max_hosts))
    return regions


def _check_timezone(tz: str, region: str) -> None:
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(tz)
    except Exception:
        raise CanonError("invalid_argument", "regions[%s].timezone: unknown time zone %r" % (region, tz))


def region_for(address: str, fqdn: Optional[str], regions: Sequence[Region],
               listed_in: Optional[str] = None) -> Optional[Region]:
    """IPv4 membership wins over an FQDN suffix, which wins over the region that listed a host name."""
    for r in regions:
        if r.contains(address):
            return r
    for r in regions:
        if r.matches_fqdn(fqdn):
            return r
    for r in regions:
        if r.name == listed_in:
            return r
    return None


# ------------------------------------------------------------------- EMC device lists -------

# Column names accepted for an address in EMC device-list exports/templates (English header).
ADDRESS_COLUMNS = ("ipv4address", "ipv4 address", "ipaddress", "ip address", "address")
HOSTNAME_COLUMNS = ("hostname", "host name", "fqdn")
REQUIRED_EMC_COLUMNS = ("devicetype", "productname", "manufacturer", "physicaladdress", "state")


def _norm(header: str) -> str:
    return re.sub(r"[\s_\[\]]+", "", str(header or "")).lower().replace("\ufeff", "")


def read_device_list(path: str, fmt: str = "auto") -> Tuple[List[Dict[str, str]], List[str]]:
    """Rows of an EMC device list (CSV, tab-separated or XLSX) as dicts, and warnings.

    Rows whose State is not 'Managed' are skipped (EMC imports only managed rows); rows without an
    address or host name are skipped with a warning.
    """
    if fmt == "auto":
        ext = os.path.splitext(path)[1].lower()
        fmt = {".xlsx": "xlsx", ".txt": "tsv", ".tsv": "tsv"}.get(ext, "csv")
    try:
        if fmt == "xlsx":
            rows = _read_xlsx(path)
        else:
            rows = _read_text(path, "\t" if fmt == "tsv" else ",")
    except OSError as exc:
        raise CanonError("invalid_argument", "sources: cannot read %s: %s" % (path, exc))
    if not rows:
        return [], ["%s: empty device list" % path]
    header = [_norm(h) for h in rows[0]]
    missing = [c for c in REQUIRED_EMC_COLUMNS if c not in header]
    if missing:
        raise CanonError("invalid_argument", "sources: %s lacks the EMC columns %s (the header must be in English)"
                         % (path, ", ".join(missing)))
    out, warnings, skipped = [], [], 0
    for n, raw in enumerate(rows[1:], 2):
        row = {header[i]: (str(v).strip() if v is not None else "") for i, v in enumerate(raw) if i < len(header)}
        if not any(row.values()):
            continue
        if row.get("state", "").lower() != "managed":
            skipped += 1
            continue
        address = next((row[c.replace(" ", "")] for c in ADDRESS_COLUMNS if row.get(c.replace(" ", ""))), "")
        hostname = next((row[c.replace(" ", "")] for c in HOSTNAME_COLUMNS if row.get(c.replace(" ", ""))), "")
        if not address and not hostname:
            warnings.append("%s line %d: no IPv4 address or host name" % (path, n))
            continue
        out.append({"address": address, "hostname": hostname, "serial": row.get("serialnumber", ""),
                    "product_name": row.get("productname", ""), "mac": row.get("physicaladdress", "")})
    if skipped:
        warnings.append("%s: %d row(s) skipped because State is not Managed" % (path, skipped))
    return out, warnings


def _read_text(path: str, delimiter: str) -> List[List[str]]:
    with open(path, "rb") as fh:
        data = fh.read()
    for enc in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CanonError("device_list_invalid", "sources: %s is neither UTF-8 nor UTF-16" % path)
    lines = text.splitlines()
    if not lines:
        return []
    if delimiter == "," and "\t" in lines[0] and "," not in lines[0]:
        delimiter = "\t"
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise CanonError("device_list_invalid", "sources: %s line %d holds a NUL byte (not a text device list)"
                         % (path, line))
    # strict: an unclosed quote is an error naming the line, not a field swallowing the rest of the file
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise CanonError("device_list_invalid", "sources: %s line %d: %s" % (path, reader.line_num or 1, exc))


def _read_xlsx(path: str) -> List[List[Any]]:
    try:
        import openpyxl
    except ImportError:
        raise CanonError("missing_dependency", "reading XLSX device lists needs openpyxl")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as exc:  # pylint: disable=broad-except  # BadZipFile, InvalidFileException, XML errors
        raise CanonError("device_list_invalid", "sources: %s is not a readable XLSX workbook (%s: %s)"
                         % (path, type(exc).__name__, exc))
    try:
        if not wb.worksheets:
            return []
        ws = wb.worksheets[0]
        rows = []
        try:
            for row in ws.iter_rows(values_only=True):
                rows.append(list(row))
        except Exception as exc:  # pylint: disable=broad-except  # a broken sheet XML
            raise CanonError("device_list_invalid", "sources: %s sheet %r row %d cannot be read (%s: %s)"
                             % (path, ws.title, len(rows) + 1, type(exc).__name__, exc))
        return rows
    finally:
        wb.close()
