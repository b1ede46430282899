"""Region parsing, overlap detection, precedence and EMC device-list import."""

from __future__ import annotations

import openpyxl
import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.discovery import regions
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


def addresses(ipset):
    return [str(ip) for ip in ipset]


@pytest.mark.parametrize("spec,expected", [
    ("127.0.0.9", ["127.0.0.9"]),
    ("127.0.0.8/30", ["127.0.0.9", "127.0.0.10"]),           # host addresses only
    ("127.0.0.8/31", ["127.0.0.8", "127.0.0.9"]),
    ("127.0.0.250-127.0.1.2", ["127.0.0.250", "127.0.0.251", "127.0.0.252", "127.0.0.253", "127.0.0.254",
                               "127.0.0.255", "127.0.1.0", "127.0.1.1", "127.0.1.2"]),
    (" 127.0.0.1 - 127.0.0.2 ", ["127.0.0.1", "127.0.0.2"]),
])
def test_address_specs(spec, expected):
    assert addresses(regions.parse_address_spec(spec, "x")) == expected


@pytest.mark.parametrize("spec", ["127.0.0.300", "127.0.0.9-127.0.0.1", "fe80::1", "2001:db8::/64", "printer",
                                  "127.0.0.0/33", ""])
def test_bad_address_specs_name_the_option(spec):
    with pytest.raises(CanonError) as err:
        regions.parse_address_spec(spec, "regions[hq].networks")
    assert err.value.error_code == "invalid_argument"
    assert "regions[hq].networks" in err.value.msg


def test_overlap_names_both_regions():
    with pytest.raises(CanonError) as err:
        regions.build_regions([{"name": "hq", "networks": ["127.1.0.0/24"]},
                               {"name": "lab", "networks": ["127.1.0.100-127.1.1.5"]}], [], 1000)
    assert "'hq'" in err.value.msg and "'lab'" in err.value.msg and "127.1.0.100" in err.value.msg


def test_exclude_removes_addresses_and_resolves_overlap():
    built = regions.build_regions([
        {"name": "hq", "networks": ["127.1.0.0/24"], "exclude": ["127.1.0.100-127.1.0.254"]},
        {"name": "lab", "networks": ["127.1.0.100-127.1.0.110"]}], [], 1000)
    assert built[0].ipset.size == 99
    assert built[0].contains("127.1.0.99") and not built[0].contains("127.1.0.100")


@pytest.mark.parametrize("raw,text", [
    ([{"networks": ["127.0.0.1"]}], "needs a name"),
    ([{"name": "a b"}], "letters, digits"),
    ([{"name": "a"}, {"name": "a"}], "defined twice"),
    ([{"name": "a", "credentials": ["nope"]}], "unknown credential set(s) nope"),
    ([{"name": "a", "timezone": "Mars/Olympus"}], "unknown time zone"),
    ([{"name": "a", "networks": ["127.0.0.0/16"]}], "more than max_hosts=1000"),
])
def test_configuration_errors(raw, text):
    with pytest.raises(CanonError) as err:
        regions.build_regions(raw, ["v1"], 1000)
    assert text in err.value.msg


def test_ipv4_wins_over_fqdn_suffix_which_wins_over_listing():
    built = regions.build_regions([
        {"name": "hq", "networks": ["127.1.0.0/24"]},
        {"name": "branch", "fqdn_suffixes": ["Branch.Example.COM."], "hostnames": ["mfp1.branch.example.com"]},
        {"name": "other", "hostnames": ["x.example.org"]}], [], 1000)
    assert regions.region_for("127.1.0.5", "mfp9.branch.example.com", built, "branch").name == "hq"
    assert regions.region_for("127.9.0.5", "MFP9.branch.example.com", built, "other").name == "branch"
    assert regions.region_for("127.9.0.5", "branch.example.com", built, None).name == "branch"
    assert regions.region_for("127.9.0.5", "evilbranch.example.com", built, "other").name == "other"
    assert regions.region_for("127.9.0.5", None, built, None) is None


EMC_HEADER = ["DeviceType", "ProductName", "Manufacturer", "PhysicalAddress", "State", "SerialNumber", "IPv4 Address"]


def test_emc_csv_import(tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text("\ufeff" + ",".join(EMC_HEADER) + "\n"
                    "Printer,iR-ADV C5535,Canon,88:87:17:00:00:01,Managed,2XA00001,127.0.9.1\n"
                    "Printer,MF642C,Canon,88:87:17:00:00:02,Unmanaged,XNF00002,127.0.9.2\n"
                    "Printer,LBP6670,Canon,88:87:17:00:00:03,Managed,MKRA00003,\n", encoding="utf-8")
    rows, warnings = regions.read_device_list(str(path))
    assert rows == [{"address": "127.0.9.1", "hostname": "", "serial": "2XA00001", "product_name": "iR-ADV C5535",
                     "mac": "88:87:17:00:00:01"}]
    assert any("1 row(s) skipped" in w for w in warnings)
    assert any("no IPv4 address or host name" in w for w in warnings)


def test_emc_utf16_tab_and_xlsx_import(tmp_path):
    tsv = tmp_path / "v3export.txt"
    tsv.write_bytes(("\t".join(EMC_HEADER + ["Host Name"]) + "\r\n" +
                     "Printer\tiR-ADV\tCanon\tAA\tManaged\tS1\t\tmfp1.example.org\r\n").encode("utf-16"))
    rows, _ = regions.read_device_list(str(tsv))
    assert rows[0]["hostname"] == "mfp1.example.org" and rows[0]["address"] == ""
    wb = openpyxl.Workbook()
    wb.active.append(EMC_HEADER)
    wb.active.append(["Printer", "iR-ADV", "Canon", "AA", "Managed", "S2", "127.0.9.7"])
    xlsx = tmp_path / "devices.xlsx"
    wb.save(xlsx)
    rows, _ = regions.read_device_list(str(xlsx))
    assert rows[0]["address"] == "127.0.9.7" and rows[0]["serial"] == "S2"


def test_emc_import_requires_english_columns(tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text("Gerätetyp,Produktname\nPrinter,iR\n", encoding="utf-8")
    with pytest.raises(CanonError) as err:
        regions.read_device_list(str(path))
    assert "devicetype" in err.value.msg and "English" in err.value.msg
