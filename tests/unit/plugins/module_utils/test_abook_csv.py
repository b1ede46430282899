# -*- coding: utf-8 -*-
"""Canon AddressBook CSV: header lines, columns, round trips, character sets, encrypted passwords."""

from __future__ import annotations

import base64
import itertools

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import (
    encode_canon_csv,
    COLUMN_NAMES,
    SECRET_TOKEN_PREFIX,
    AddressBookFormatError,
    EncryptedSecret,
    decrypt_secret,
    encrypt_secret,
    join_members,
    parse_canon_csv,
    render_canon_csv,
    split_members,
)

EXPORT_PASSWORD = "Exp0rt-Pa55phrase"


def counter_bytes():
    """Deterministic 'random' bytes so encrypted output is reproducible in tests."""
    counter = itertools.count(1)
    return lambda size: bytes((next(counter) % 256,)) * size


ENTRIES = [
    {
        "type": "email",
        "name": "山田 太郎",
        "reading": "やまだ たろう",
        "address": "taro@example.jp",
        "divide_data": False,
    },
    {
        "type": "fax",
        "name": 'Zoë "Sales", Köln',
        "fax_number": "+49 221 1234",
        "subaddress": "12",
        "subaddress_password": "9999",
        "ecm": True,
        "tx_start_speed": 14400,
        "long_distance": "international1",
        "line": "line2",
        "number": 4,
    },
    {
        "type": "file",
        "name": "Scans",
        "protocol": "smb",
        "host": "\\\\fs01\\scans",
        "path": "in\\team",
        "username": "corp\\scanner",
        "password": 'p;w,"x',
        "confirm_before_sending": False,
    },
    {
        "type": "file",
        "name": "FTP drop",
        "protocol": "ftp",
        "host": "ftp.example.com",
        "port": 2121,
        "username": "anon",
        "path": "/drop",
    },
    {
        "type": "ifax",
        "name": "I-Fax HQ",
        "address": "ifax@example.org",
        "mode": "full",
        "standard_field_1": "x",
        "send_via_server": False,
        "paper_sizes": ["a4", "a3"],
        "compression": ["mh", "mmr"],
        "resolutions": ["200x100"],
        "color": True,
        "color_paper_sizes": ["a4"],
        "color_resolutions": ["300x300"],
    },
    {"type": "group", "name": "Team; A\\B", "members": ["FTP drop", "Scans", "a;b"], "access_number": 42},
]


def test_header_lines_and_columns_exact():
    text = render_canon_csv([ENTRIES[0]], list_title="Sales")
    lines = text.split("\r\n")
    assert lines[:5] == [
        "# Canon AddressBook CSV version: 0x0002",
        "# CharSet: UTF-8",
        "# SubAddressBookName: Sales",
        "# DB Version: 0x010a",
        ",".join(COLUMN_NAMES),
    ]
    assert COLUMN_NAMES[:5] == ("dn", "objectclass", "cn", "cnread", "cnshort")
    assert lines[5].startswith(",email,山田 太郎,やまだ たろう,")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert not text.startswith("\ufeff")


def test_one_touch_header_and_blank_title():
    text = render_canon_csv([dict(ENTRIES[0], number=7)], one_touch=True)
    assert text.split("\r\n")[:4] == [
        "# Canon AddressBook CSV version: 0x0002",
        "# CharSet: UTF-8",
        "# dn: fixed",
        "# SubAddressBookName:",
    ]
    book = parse_canon_csv(text)
    assert book.one_touch is True and book.list_title == "" and book.entries[0]["number"] == 7
    assert parse_canon_csv(render_canon_csv([])).one_touch is False


def test_round_trip_text_and_entries_exact():
    text = render_canon_csv(ENTRIES, list_title="Liste Zürich")
    book = parse_canon_csv(text)
    assert book.list_title == "Liste Zürich" and not book.encrypted and book.dropped == []
    assert [entry["type"] for entry in book.entries] == ["email", "fax", "file", "file", "ifax", "group"]
    assert book.entries[0] == {
        "type": "email",
        "name": "山田 太郎",
        "reading": "やまだ たろう",
        "address": "taro@example.jp",
        "divide_data": False,
    }
    assert book.entries[1]["name"] == 'Zoë "Sales", Köln'
    assert book.entries[1]["subaddress_password"] == "9999" and book.entries[1]["number"] == 4
    assert book.entries[2]["password"] == 'p;w,"x' and book.entries[2]["host"] == "\\\\fs01\\scans"
    assert book.entries[3]["port"] == 2121
    assert book.entries[4]["paper_sizes"] == ["a4", "a3"] and book.entries[4]["color"] is True
    assert (
        book.entries[5]["members"] == ["FTP drop", "Scans", "a;b"] and book.entries[5]["access_number"] == 42
    )
    assert render_canon_csv(book.entries, list_title=book.list_title) == text
    for original, parsed in zip(ENTRIES, book.entries):
        assert {k: v for k, v in original.items() if v not in ("", None)} == parsed


def test_lf_line_ends_bom_and_bytes_are_accepted():
    text = render_canon_csv(ENTRIES[:2], list_title="L")
    lf_bom = ("\ufeff" + text.replace("\r\n", "\n")).encode("utf-8")
    assert parse_canon_csv(lf_bom).entries == parse_canon_csv(text).entries


def test_sjis_charset_is_decoded():
    text = render_canon_csv([ENTRIES[0]], list_title="営業").replace("# CharSet: UTF-8", "# Charset: SJIS")
    book = parse_canon_csv(text.encode("cp932"))
    assert book.list_title == "営業" and book.entries[0]["name"] == "山田 太郎"


def test_invalid_utf8_bytes_rejected():
    data = render_canon_csv([ENTRIES[0]]).encode("utf-8") + b"\xff\xfe"
    with pytest.raises(AddressBookFormatError, match="not valid utf-8"):
        parse_canon_csv(data)


def test_encrypted_passwords_headers_markers_and_decryption():
    text = render_canon_csv(ENTRIES, export_password=EXPORT_PASSWORD, random_bytes=counter_bytes())
    header = text.split("\r\n")[:6]
    assert header[4:] == ["# Crypto Version: 2", "# Crypto Attribute: pwd"]
    assert 'p;w,"x' not in text and "9999" not in text
    assert text.count(SECRET_TOKEN_PREFIX) == 2
    locked = parse_canon_csv(text)
    assert locked.encrypted
    assert isinstance(locked.entries[2]["password"], EncryptedSecret)
    assert isinstance(locked.entries[1]["subaddress_password"], EncryptedSecret)
    assert "pfsim1" not in repr(locked.entries[2]["password"])
    # ciphertext passes through unchanged: exact round trip without knowing the plaintext
    assert render_canon_csv(locked.entries) == text
    assert render_canon_csv(locked.entries, export_password=EXPORT_PASSWORD) == text
    opened = parse_canon_csv(text, export_password=EXPORT_PASSWORD)
    assert opened.entries[2]["password"] == 'p;w,"x' and opened.entries[1]["subaddress_password"] == "9999"


def test_encrypted_render_is_reproducible_with_fixed_randomness():
    first = render_canon_csv(ENTRIES, export_password=EXPORT_PASSWORD, random_bytes=counter_bytes())
    second = render_canon_csv(ENTRIES, export_password=EXPORT_PASSWORD, random_bytes=counter_bytes())
    assert first == second


def test_wrong_export_password_is_refused():
    text = render_canon_csv([ENTRIES[2]], export_password=EXPORT_PASSWORD)
    with pytest.raises(AddressBookFormatError, match="wrong export password") as info:
        parse_canon_csv(text, export_password="other-password")
    assert info.value.code == "addressbook_format_error" and "'Scans'" in info.value.msg


def test_ciphertext_of_another_password_is_not_written():
    locked = parse_canon_csv(render_canon_csv([ENTRIES[2]], export_password=EXPORT_PASSWORD))
    with pytest.raises(AddressBookFormatError, match="wrong export password"):
        render_canon_csv(locked.entries, export_password="a-different-one")


def test_ciphertext_cannot_go_to_a_plain_file_nor_mix_with_plaintext():
    locked = parse_canon_csv(render_canon_csv([ENTRIES[2]], export_password=EXPORT_PASSWORD))
    with pytest.raises(AddressBookFormatError, match="encrypted file") as info:
        render_canon_csv(locked.entries, encrypted=False)
    assert info.value.code == "addressbook_unsupported_type"
    with pytest.raises(AddressBookFormatError, match="without an export password"):
        render_canon_csv(locked.entries + [ENTRIES[3] | {"password": "plain-text-pw"}])


def test_plain_file_keeps_plaintext_and_no_crypto_headers():
    text = render_canon_csv([ENTRIES[2]])
    assert "# Crypto" not in text and 'p;w,""x' in text


def test_encrypted_file_without_passwords_round_trips():
    text = render_canon_csv([ENTRIES[0]], export_password=EXPORT_PASSWORD)
    book = parse_canon_csv(text)
    assert book.encrypted and render_canon_csv(book.entries, encrypted=book.encrypted) == text


def test_secret_helpers_detect_damage_and_foreign_ciphertext():
    token = encrypt_secret("s3cret-value", EXPORT_PASSWORD)
    assert token.startswith(SECRET_TOKEN_PREFIX) and decrypt_secret(token, EXPORT_PASSWORD) == "s3cret-value"
    assert (
        encrypt_secret("", EXPORT_PASSWORD) != token
        and decrypt_secret(encrypt_secret("", EXPORT_PASSWORD), EXPORT_PASSWORD) == ""
    )
    tampered = token[:-6] + ("AAAA" if not token.endswith("AAAA==") else "BBBB") + token[-2:]
    with pytest.raises(AddressBookFormatError):
        decrypt_secret(tampered, EXPORT_PASSWORD)
    with pytest.raises(AddressBookFormatError, match="real device"):
        decrypt_secret("c29tZSBjYW5vbiBjaXBoZXI=", EXPORT_PASSWORD)
    with pytest.raises(AddressBookFormatError, match="bad base64"):
        decrypt_secret(SECRET_TOKEN_PREFIX + "***", EXPORT_PASSWORD)
    with pytest.raises(AddressBookFormatError, match="too short"):
        decrypt_secret(SECRET_TOKEN_PREFIX + "AAAA", EXPORT_PASSWORD)


def test_real_device_ciphertext_is_kept_as_unknown():
    text = render_canon_csv([ENTRIES[2] | {"password": EncryptedSecret("QkFTRTY0Q0lQSEVS")}])
    book = parse_canon_csv(text)
    assert book.entries[0]["password"] == EncryptedSecret("QkFTRTY0Q0lQSEVS")
    with pytest.raises(AddressBookFormatError, match="real device"):
        parse_canon_csv(text, export_password=EXPORT_PASSWORD)


@pytest.mark.parametrize("names", [["a"], ["x;y", "back\\slash", "plain"], ["trailing\\"], []])
def test_member_encoding_round_trips(names):
    assert split_members(join_members(names)) == names


def test_missing_version_line_is_refused():
    with pytest.raises(AddressBookFormatError, match="not a Canon AddressBook CSV") as info:
        parse_canon_csv("dn,objectclass,cn\r\n,email,A\r\n")
    assert info.value.line == 1


def test_other_version_is_refused():
    text = render_canon_csv([ENTRIES[0]]).replace("0x0002", "0x0004", 1)
    with pytest.raises(AddressBookFormatError, match="unsupported Canon AddressBook CSV version"):
        parse_canon_csv(text)


# --- the devices' own layout (49/50 public column names, trailing comma, on/off, indxid) -----------
REAL_0002 = (
    "# Canon AddressBook CSV version: 0x0002\r\n# CharSet: UTF-8\r\n# SubAddressBookName: Address List 1\r\n"
    "# DB Version: 0x010a\r\n"
    "objectclass,cn,cnread,cnshort,subdbid,mailaddress,dialdata,uri,url,path,protocol,username,pwd,member,indxid,"
    "enablepartial,sub,faxprotocol,ecm,txstartspeed,commode,lineselect,uricommode,uriflag,pwdinputflag,ifaxmode,"
    "transsvcstr1,transsvcstr2,ifaxdirectmode,documenttype,bwpapersize,bwcompressiontype,bwpixeltype,"
    "bwbitsperpixel,bwresolution,clpapersize,clcompressiontype,clpixeltype,clbitsperpixel,clresolution,accesscode,"
    "uuid,cnreadlang,enablesfp,memberobjectuuid,loginusername,logindomainname,usergroupname,personalid,\r\n"
    "email,Sales,sales,,1,sales@example.com,,,,,,,,,201,off,,,,,,,,,,,,,,,,,,,,,,,,,0,,en,,,,,,,\r\n"
    "remotefilesystem,Scans,,,1,,,,fs01,in,smb,svc,plain-pw,,202,,,,,,,,,,on,,,,,,,,,,,,,,,,0,,en,,,,,,,\r\n")


def test_reads_a_real_0002_export_with_trailing_commas_on_off_and_plain_passwords():
    book = parse_canon_csv(REAL_0002.encode("utf-8"))
    sales, scans = book.entries
    assert sales == {"type": "email", "name": "Sales", "reading": "sales", "address": "sales@example.com",
                     "number": 201, "divide_data": False, "access_number": 0}
    assert scans["password"] == "plain-pw" and scans["confirm_before_sending"] is True and scans["host"] == "fs01"
    assert not book.encrypted


def test_writes_the_real_layout_and_reads_it_back_in_0002_0003_and_sjis():
    entries = [{"type": "email", "name": "営業", "number": 3, "address": "a@example.com", "divide_data": True},
               {"type": "fax", "name": "Fax", "number": 4, "fax_number": "0221", "ecm": False}]
    for version, count in (("0x0002", 49), ("0x0003", 50)):
        text = render_canon_csv(entries, list_title="One-Touch", one_touch=True, layout="canon", version=version,
                                charset="SJIS")
        lines = text.split("\r\n")
        assert lines[0] == "# Canon AddressBook CSV version: %s" % version and lines[1] == "# CharSet: SJIS"
        assert "# dn: fixed" in lines and ("# DB Version: 0x010b" in lines) == (version == "0x0003")
        columns = lines[5].split(",")
        assert len(columns) == count + 1 and columns[-1] == "" and "dn" not in columns
        row = dict(zip(columns, lines[6].split(",")))
        assert row["enablepartial"] == "on" and row["indxid"] == "3" and row["subdbid"] == "11"
        data = encode_canon_csv(text)
        assert "営業".encode("cp932") in data
        back = parse_canon_csv(data)
        assert [(e["name"], e["number"]) for e in back.entries] == [("営業", 3), ("Fax", 4)]
        assert back.entries[1]["ecm"] is False and back.one_touch


def test_other_charset_is_refused():
    text = render_canon_csv([ENTRIES[0]]).replace("UTF-8", "ISO-8859-1", 1)
    with pytest.raises(AddressBookFormatError, match="character set"):
        parse_canon_csv(text)


def test_column_header_needs_objectclass_and_must_exist():
    with pytest.raises(AddressBookFormatError, match="objectclass"):
        parse_canon_csv("# Canon AddressBook CSV version: 0x0002\r\ndn,cn\r\n1,A\r\n")
    with pytest.raises(AddressBookFormatError, match="column header line is missing"):
        parse_canon_csv("# Canon AddressBook CSV version: 0x0002\r\n")


def test_unknown_columns_ignored_and_blank_rows_skipped_short_rows_refused():
    text = (
        "# Canon AddressBook CSV version: 0x0002\r\n# CharSet: UTF-8\r\n"
        "objectclass,cn,uuid,mailaddress,enablepartial,\r\nemail,A,123-456,a@example.com,\r\n\r\n"
        "email,B,9,b@example.com,1\r\n"
    )
    book = parse_canon_csv(text)
    assert book.entries == [
        {"type": "email", "name": "A", "address": "a@example.com"},
        {"type": "email", "name": "B", "address": "b@example.com", "divide_data": True},
    ]
    # a row cut short is a damaged file (issue 18), not a row padded with empty values
    with pytest.raises(AddressBookFormatError, match="line 4 has 4 cells .*cut short") as info:
        parse_canon_csv(text.replace("a@example.com,", "a@example.com"))
    assert info.value.line == 4


def test_too_many_cells_names_the_line():
    text = "# Canon AddressBook CSV version: 0x0002\r\nobjectclass,cn\r\nemail,A,extra\r\n"
    with pytest.raises(AddressBookFormatError, match="line 3 has 3 cells") as info:
        parse_canon_csv(text)
    assert info.value.line == 3


def test_bad_boolean_and_number_name_the_record():
    base = "# Canon AddressBook CSV version: 0x0002\r\nobjectclass,cn,enablepartial,dn\r\n"
    with pytest.raises(AddressBookFormatError, match=r"line 3 \('A'\) column enablepartial"):
        parse_canon_csv(base + "email,A,maybe,\r\n")
    with pytest.raises(AddressBookFormatError, match="not a whole number"):
        parse_canon_csv(base + "email,A,1,x7\r\n")


def test_values_not_applying_to_the_type_are_ignored():
    text = (
        "# Canon AddressBook CSV version: 0x0002\r\n"
        "objectclass,cn,mailaddress,dialdata\r\ng3fax,F,x@y,0123\r\n"
    )
    assert parse_canon_csv(text).entries == [{"type": "fax", "name": "F", "fax_number": "0123"}]


def test_ipfax_is_refused_or_dropped():
    text = (
        "# Canon AddressBook CSV version: 0x0002\r\nobjectclass,cn,dialdata\r\n"
        "ipfax,IP one,sip:1@x\r\ng3fax,F,0123\r\n"
    )
    with pytest.raises(AddressBookFormatError, match="ipfax") as info:
        parse_canon_csv(text)
    assert info.value.code == "addressbook_unsupported_type"
    book = parse_canon_csv(text, on_unsupported="drop")
    assert book.entries == [{"type": "fax", "name": "F", "fax_number": "0123"}]
    assert book.dropped == [
        {"line": 3, "name": "IP one", "reason": "objectclass 'ipfax' is not supported by this collection"}
    ]


def test_unknown_objectclass_is_a_format_error_even_when_dropping():
    text = "# Canon AddressBook CSV version: 0x0002\r\nobjectclass,cn\r\nprinter,P\r\n"
    with pytest.raises(AddressBookFormatError, match="unknown objectclass") as info:
        parse_canon_csv(text, on_unsupported="drop")
    assert info.value.code == "addressbook_format_error"


def test_render_refuses_unknown_type_and_multiline_title():
    with pytest.raises(AddressBookFormatError, match="unknown destination type") as info:
        render_canon_csv([{"type": "telex", "name": "T"}])
    assert info.value.code == "addressbook_unsupported_type"
    with pytest.raises(AddressBookFormatError, match="one line"):
        render_canon_csv([], list_title="two\nlines")


def test_on_unsupported_value_checked():
    with pytest.raises(ValueError):
        parse_canon_csv(render_canon_csv([]), on_unsupported="ignore")


def test_newline_inside_a_value_survives_quoting():
    text = render_canon_csv([{"type": "email", "name": "A\nB", "address": "a@b"}])
    assert parse_canon_csv(text).entries[0]["name"] == "A\nB"


def test_a_given_salt_is_shared_by_files_and_bad_salts_are_refused():
    entries = [{"type": "file", "name": "Share", "protocol": "smb", "host": "fs1", "path": "scan",
                "user": "svc", "password": "s3cret"}]
    salt = b"\x01" * 16
    tokens = []
    for _ in range(2):
        text = abook_csv.render_canon_csv(entries, export_password="pw", salt=salt)
        token = next(cell for cell in text.split(",") if cell.startswith(abook_csv.SECRET_TOKEN_PREFIX))
        tokens.append(token)
        assert abook_csv.decrypt_secret(token, "pw") == "s3cret"
    raw = [base64.b64decode(t[len(abook_csv.SECRET_TOKEN_PREFIX):]) for t in tokens]
    assert raw[0][:16] == raw[1][:16] == salt          # same salt: one key derivation for both files
    assert raw[0][16:32] != raw[1][16:32]               # but every password has its own nonce
    with pytest.raises(abook_csv.AddressBookFormatError, match="salt must be 16 bytes"):
        abook_csv.render_canon_csv(entries, export_password="pw", salt=b"short")


def test_reads_the_abk_sample_layout():
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import parse_abk
    text = ("# Canon AddressBook version: 1\r\n# CharSet: WCP1252\r\n# DB Version: 0x0108\r\n\r\n"
            "subdbid: 1\r\ndn: 7\r\ncn: M\xfcller\r\ncnread: mueller\r\nmailaddress: m@example.com\r\n"
            "enablepartial: false\r\naccesscode: 0\r\nobjectclass: top\r\nobjectclass: extensibleobject\r\n"
            "objectclass: email\r\n\r\n")
    book = parse_abk(text.encode("cp1252"))
    assert book.entries == [{"type": "email", "number": 7, "name": "M\xfcller", "reading": "mueller",
                             "address": "m@example.com", "divide_data": False, "access_number": 0}]
    with pytest.raises(AddressBookFormatError):
        parse_abk(b"objectclass: email\r\n")
