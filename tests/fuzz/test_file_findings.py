"""Regression tests for issue 18's file findings: broken device lists and address books end in a
CanonError whose message names the file (and the line or sheet row where one exists)."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.discovery import regions

HEADER = "DeviceType,ProductName,Manufacturer,PhysicalAddress,State,SerialNumber,IPv4 Address\n"
ROW = "Printer,MF642C,Canon,F4:81:39:00:00:01,Managed,X,127.175.3.1\n"


def test_an_empty_device_list_is_a_warning_not_a_crash(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    rows, warnings = regions.read_device_list(str(path))
    assert rows == [] and "empty device list" in warnings[0]


@pytest.mark.parametrize("name, content, where", [
    ("long.csv", (HEADER + "Printer,%s,Canon,x,Managed,X,127.175.3.1\n" % ('"' + "A" * 200000 + '"')).encode(),
     "line 2"),
    ("quote.csv", (HEADER + 'Printer,"MF642C,Canon,x,Managed,X,127.175.3.1\n' + ROW).encode(), "line"),
    ("nul.csv", (HEADER + ROW.replace("MF642C", "MF6\x0042C")).encode(), "line 2"),
    ("bytes.xlsx", b"this is not a zip archive", "not a readable XLSX"),
])
def test_broken_device_lists_name_file_and_line(tmp_path, name, content, where):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CanonError) as err:
        regions.read_device_list(str(path))
    assert err.value.error_code == "device_list_invalid"
    assert str(path) in err.value.msg and where in err.value.msg, err.value.msg
