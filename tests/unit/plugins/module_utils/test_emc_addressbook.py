# -*- coding: utf-8 -*-
"""iW EMC destination files "for applications": XLSX and CSV columns, defaults, sanitising, round trips."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import (
    AddressBookFormatError,
    EncryptedSecret,
)
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.emc_addressbook import (
    COLUMNS_BY_TYPE,
    parse_emc_csv,
    parse_emc_xlsx,
    render_emc_csv,
    render_emc_xlsx,
)

EMAIL = {
    "type": "email",
    "name": "Jürgen Groß",
    "reading": "",
    "access_number": None,
    "address": "=cmd|' /C calc'!A0@example.com",
    "divide_data": True,
}
FAX = {
    "type": "fax",
    "name": "東京本社",
    "access_number": 1234567,
    "fax_number": "+81 3 1234 5678",
    "subaddress": "77",
    "subaddress_password": "4321",
    "ecm": False,
    "tx_start_speed": 9600,
    "long_distance": "international2",
    "line": "line3",
}
FILE = {
    "type": "file",
    "name": "Scans",
    "protocol": "webdav",
    "host": "https://dav.example.com",
    "path": "/scans",
    "username": "svc",
    "password": "n3w-pass",
    "confirm_before_sending": False,
}
IFAX = {
    "type": "ifax",
    "name": "I-Fax",
    "address": "ifax@example.org",
    "mode": "full",
    "standard_field_1": "-minus",
    "standard_field_2": "@at",
    "send_via_server": False,
    "paper_sizes": ["a4", "b4"],
    "compression": ["mr"],
    "resolutions": ["200x200", "400x400"],
    "divide_data": False,
    "color": True,
    "color_paper_sizes": ["a3"],
    "color_resolutions": ["100x100"],
}


def test_csv_column_sets_follow_the_guide():
    assert COLUMNS_BY_TYPE["email"] == (
        "AddressId",
        "AddressType",
        "Name",
        "Furigana",
        "AccessCode",
        "Protocol",
        "MailAddress",
        "EnablePartial",
    )
    assert COLUMNS_BY_TYPE["file"][-5:] == ("HostName", "Path", "UserName", "RememberMe", "Password")
    assert "FaxProtocol" in COLUMNS_BY_TYPE["fax"] and "ClBitsPerPixel" in COLUMNS_BY_TYPE["ifax"]


def test_csv_render_exact_with_bom_defaults_and_tab_guard():
    text = render_emc_csv([FAX], "fax").data
    assert text.startswith("\ufeffAddressId,AddressType,Name,")
    assert text.split("\r\n")[1] == (
        ",Fax,東京本社,,1234567,t30,False,\t+81 3 1234 5678,,77,4321,ip_auto,False,"
        "9600,international2,line3,g3"
    )
    assert not render_emc_csv([FAX], "fax", bom=False).data.startswith("\ufeff")


def test_csv_round_trip_exact_per_type():
    for entry in (EMAIL, FAX, FILE, IFAX):
        text = render_emc_csv([entry], entry["type"]).data
        parsed = parse_emc_csv(text)
        assert parsed.address_ids == [None]
        assert render_emc_csv(parsed.entries, entry["type"]).data == text
        assert parsed.entries[0]["name"] == entry["name"]


def test_csv_parsed_values_and_inverse_remember_me():
    email = parse_emc_csv(render_emc_csv([EMAIL], "email").data).entries[0]
    assert email == {"type": "email", "name": "Jürgen Groß", "address": EMAIL["address"], "divide_data": True}
    file_entry = parse_emc_csv(render_emc_csv([FILE], "file").data).entries[0]
    assert file_entry["protocol"] == "webdav" and file_entry["confirm_before_sending"] is False
    assert file_entry["password"] == "n3w-pass"  # no AddressId: a new destination's plaintext
    ifax = parse_emc_csv(render_emc_csv([IFAX], "ifax").data).entries[0]
    assert ifax["standard_field_1"] == "-minus" and ifax["standard_field_2"] == "@at"
    assert ifax["color"] is True and ifax["color_resolutions"] == ["100x100"]


def test_blank_cells_take_the_guides_defaults():
    text = (
        "AddressId,AddressType,Name,Furigana,AccessCode,Protocol,HostName,Path,UserName,RememberMe,Password\r\n"
        ",File,Share,,0,,fs01,,scan,,\r\n"
    )
    entry = parse_emc_csv(text).entries[0]
    assert entry == {
        "type": "file",
        "name": "Share",
        "host": "fs01",
        "username": "scan",
        "confirm_before_sending": True,
    }


def test_existing_destination_password_is_emc_ciphertext():
    text = render_emc_csv([FILE], "file", address_ids=["1007"]).data
    parsed = parse_emc_csv(text)
    assert parsed.address_ids == ["1007"]
    assert parsed.entries[0]["password"] == EncryptedSecret("n3w-pass")
    assert render_emc_csv(parsed.entries, "file", address_ids=parsed.address_ids).data == text


def test_ifax_monochrome_leaves_colour_columns_blank():
    text = render_emc_csv([dict(IFAX, color=False)], "ifax").data
    row = dict(zip(COLUMNS_BY_TYPE["ifax"], list(csv.reader(io.StringIO(text)))[1]))
    assert row["BW_CL"] == "bw" and row["ClCompressionType"] == "" and row["BwPixelType"] == "bw"
    entry = parse_emc_csv(text).entries[0]
    assert entry["color"] is False and "color_paper_sizes" not in entry


def test_colour_columns_read_under_extraction_spelling():
    header = "AddressId,AddressType,Name,Protocol,MailAddress,BW_CL,ClPaperSize,CIResolution\r\n"
    entry = parse_emc_csv(header + ',IFax,X,t34,x@y.z,mixed,a3,"300x300,600x600"\r\n').entries[0]
    assert entry["color_resolutions"] == ["300x300", "600x600"] and entry["color_paper_sizes"] == ["a3"]


@pytest.mark.parametrize(
    "row, reason",
    [
        (",Fax,IP,0,t30,True,,sip:1@x,,,,,,,,,", "UriFlag True"),
        (",Fax,IP,0,t30,False,0123,,,,ip_lsv,,,,,", "ip_lsv"),
    ],
)
def test_ip_fax_refused_or_dropped(row, reason):
    text = ",".join(COLUMNS_BY_TYPE["fax"][i] for i in range(len(COLUMNS_BY_TYPE["fax"])) if i != 4) + "\r\n"
    text += row + "\r\n" + ",Fax,Plain,0,t30,False,0123,,,,ip_auto,,,,,\r\n"
    with pytest.raises(AddressBookFormatError, match="IP fax") as info:
        parse_emc_csv(text)
    assert info.value.code == "addressbook_unsupported_type" and "'IP'" in info.value.msg
    parsed = parse_emc_csv(text, on_unsupported="drop")
    assert [entry["name"] for entry in parsed.entries] == ["Plain"]
    assert parsed.dropped[0]["name"] == "IP" and reason in parsed.dropped[0]["reason"]


def test_netware_ipx_refused():
    text = "AddressId,AddressType,Name,Protocol,HostName,Path,UserName\r\n,File,Nw,ipx,srv,vol,u\r\n"
    with pytest.raises(AddressBookFormatError, match="'ipx' is not supported") as info:
        parse_emc_csv(text)
    assert info.value.code == "addressbook_unsupported_type"


def test_ecm_protocol_needs_enable_ecm():
    header = "AddressId,AddressType,Name,Protocol,DialData,EnableECM,FaxProtocol\r\n"
    assert parse_emc_csv(header + ",Fax,F,t30,1,,ecm\r\n").entries[0]["ecm"] is True
    with pytest.raises(AddressBookFormatError, match="EnableECM True"):
        parse_emc_csv(header + ",Fax,F,t30,1,False,ecm\r\n")


def test_type_checks_on_csv():
    text = render_emc_csv([EMAIL], "email").data
    with pytest.raises(AddressBookFormatError, match="a email row in a file of fax destinations"):
        parse_emc_csv(text, destination_type="fax")
    with pytest.raises(AddressBookFormatError, match="AddressType must be"):
        parse_emc_csv("AddressId,AddressType,Name\r\n,Telex,T\r\n")
    with pytest.raises(AddressBookFormatError, match="first row must name the columns"):
        parse_emc_csv("Name,Mail\r\nA,b\r\n")
    with pytest.raises(AddressBookFormatError, match="empty"):
        parse_emc_csv("")
    with pytest.raises(AddressBookFormatError, match="not 'group'"):
        render_emc_csv([EMAIL], "group")


def test_render_csv_refuses_or_drops_other_types_and_groups():
    group = {"type": "group", "name": "G", "members": []}
    with pytest.raises(AddressBookFormatError, match="groups cannot be written") as info:
        render_emc_csv([EMAIL, group], "email")
    assert info.value.code == "addressbook_unsupported_type"
    rendered = render_emc_csv([EMAIL, group, FAX], "email", on_unsupported="drop")
    assert [item["name"] for item in rendered.dropped] == ["G", "東京本社"]
    with pytest.raises(ValueError):
        render_emc_csv([EMAIL], "email", address_ids=[])


def test_bad_cells_are_format_errors():
    with pytest.raises(AddressBookFormatError, match="AccessCode"):
        parse_emc_csv("AddressId,AddressType,Name,AccessCode,MailAddress\r\n,Email,E,abc,e@x\r\n")
    with pytest.raises(AddressBookFormatError, match="BW_CL must be"):
        parse_emc_csv("AddressId,AddressType,Name,MailAddress,BW_CL\r\n,IFax,I,i@x,grey\r\n")


def test_xlsx_round_trip_sheets_and_guard():
    entries = [EMAIL, FAX, FILE, IFAX, {"type": "group", "name": "G", "members": ["Scans"]}]
    rendered = render_emc_xlsx(entries, address_ids=["1", None, "3", None, None], on_unsupported="drop")
    assert rendered.dropped[0]["name"] == "G"
    workbook = openpyxl.load_workbook(io.BytesIO(rendered.data))
    assert workbook.sheetnames == ["Email", "Fax", "File", "IFax"]
    email_sheet = workbook["Email"]
    assert [cell.value for cell in email_sheet[1]] == list(COLUMNS_BY_TYPE["email"])
    assert email_sheet["G2"].value == "'" + EMAIL["address"] and email_sheet["G2"].data_type == "s"
    assert workbook["Fax"]["H2"].value == "'+81 3 1234 5678"
    parsed = parse_emc_xlsx(rendered.data)
    assert parsed.address_ids == ["1", None, "3", None]
    assert parsed.entries[0]["address"] == EMAIL["address"]
    assert parsed.entries[1]["fax_number"] == "+81 3 1234 5678" and parsed.entries[1]["ecm"] is False
    assert parsed.entries[2]["password"] == EncryptedSecret("n3w-pass")
    again = render_emc_xlsx(parsed.entries, address_ids=parsed.address_ids)
    assert parse_emc_xlsx(again.data).entries == parsed.entries


def test_xlsx_written_by_hand_numbers_and_sheet_type():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Fax"
    sheet.append(["AddressId", "AddressType", "Name", "AccessCode", "DialData", "TxStartSpeed", "EnableECM"])
    sheet.append([None, None, "Typed", 0, "0123", 14400.0, True])
    sheet.append([None, None, None, None, None, None, None])
    workbook.create_sheet("Notes")
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_emc_xlsx(buffer.getvalue())
    assert parsed.entries == [
        {"type": "fax", "name": "Typed", "fax_number": "0123", "tx_start_speed": 14400, "ecm": True}
    ]


def test_xlsx_damaged_file_and_unsupported_rows():
    with pytest.raises(AddressBookFormatError, match="not a readable .xlsx"):
        parse_emc_xlsx(b"PK\x03\x04 not really a zip")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "File"
    sheet.append(["AddressId", "AddressType", "Name", "Protocol", "HostName"])
    sheet.append([None, "File", "Nw", "ipx", "srv"])
    sheet.append([None, "File", "Ok", "smb", "srv"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(AddressBookFormatError, match=r"sheet File row 2 \('Nw'\)"):
        parse_emc_xlsx(buffer.getvalue())
    parsed = parse_emc_xlsx(buffer.getvalue(), on_unsupported="drop")
    assert [entry["name"] for entry in parsed.entries] == ["Ok"] and parsed.dropped[0]["name"] == "Nw"
