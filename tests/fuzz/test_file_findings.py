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


# --- address books ------------------------------------------------------------------------------

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import (  # noqa: E402
    abook_csv, emc_addressbook)
from ansible_collections.printfleet.canon.plugins.modules import canon_addressbook  # noqa: E402

CANON_HEAD = "# Canon AddressBook CSV version: 0x0002\r\n# CharSet: UTF-8\r\nobjectclass,cn,mailaddress,\r\n"
EMAIL = {"type": "email", "name": "Plus", "address": "plus@example.com"}


def emc_csv_text():
    return emc_addressbook.render_emc_csv([EMAIL, dict(EMAIL, name="Two", address="two@example.com")],
                                          "email").data


def test_canon_csv_unclosed_quote_names_the_line_and_swallows_nothing():
    text = CANON_HEAD + 'email,"A,a@example.com,\r\nemail,B,b@example.com,\r\n'
    with pytest.raises(abook_csv.AddressBookFormatError, match="row starting at line 4.*never closed") as err:
        abook_csv.parse_canon_csv(text)
    assert err.value.line == 4


def test_canon_csv_row_cut_short_is_refused():
    with pytest.raises(abook_csv.AddressBookFormatError, match="line 4 has 2 cells.*cut short"):
        abook_csv.parse_canon_csv(CANON_HEAD + "email,A\r\n")


@pytest.mark.parametrize("data, line", [
    ((CANON_HEAD + "email,A\x00B,a@example.com,\r\n").encode(), 4),
    ((CANON_HEAD + "email,A,a@example.com,\r\n").encode() + b"email,\xff\xfe,x@example.com,\r\n", 5),
])
def test_nul_bytes_and_bad_encoding_name_the_line(data, line):
    with pytest.raises(abook_csv.AddressBookFormatError, match="line %d" % line) as err:
        abook_csv.parse_canon_csv(data)
    assert err.value.line == line


def test_emc_csv_cut_mid_row_is_refused_not_read_as_plus_at_e():
    text = emc_csv_text()
    cut = text[:text.index("plus@example.com") + len("plus@e")]
    with pytest.raises(abook_csv.AddressBookFormatError, match="line 2 has .* cut short"):
        emc_addressbook.parse_emc_csv(cut)
    assert len(emc_addressbook.parse_emc_csv(text).entries) == 2


def xlsx_with(edit):
    import io

    import openpyxl
    data = emc_addressbook.render_emc_xlsx([EMAIL]).data
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_emc_xlsx_formula_cell_is_refused_not_an_empty_name():
    def formula(book):
        sheet = book["Email"]
        for cell in sheet[1]:
            if cell.value == "Name":
                sheet.cell(row=2, column=cell.column).value = '=CONCAT("Pl","us")'
    with pytest.raises(abook_csv.AddressBookFormatError, match="sheet Email row 2 column .* formula"):
        emc_addressbook.parse_emc_xlsx(xlsx_with(formula))


def broken_sheet_xlsx():
    import io
    import zipfile
    data = xlsx_with(lambda book: None)
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                body = body[: len(body) // 2]              # a sheet cut in the middle of its XML
            dst.writestr(item, body)
    return out.getvalue()


def test_addressbook_parsed_on_a_broken_xlsx_names_the_file(run_module, tmp_path):
    src = tmp_path / "destinations.xlsx"
    src.write_bytes(broken_sheet_xlsx())
    result = run_module(canon_addressbook, {"state": "parsed", "src": str(src), "format": "emc_xlsx",
                                            "book_type": "I"})
    assert result["failed"] and result["error_code"] == "addressbook_format_error", result
    assert str(src) in result["msg"] and "sheet" in result["msg"], result["msg"]
