# -*- coding: utf-8 -*-
"""Address-book domain logic: types, normalisation, every limit, states, diffs, passwords, conversions."""

from __future__ import annotations

import json

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import EncryptedSecret

OLD_SECRET = "Old-Secret-4821"
NEW_SECRET = "New-Secret-7390"


# --- helpers ------------------------------------------------------------------------------------
def email(name, number=None, /, **fields):
    entry = {"type": "email", "name": name, "address": "%s@example.com" % name.lower().replace(" ", ".")}
    if number is not None:
        entry["number"] = number
    entry.update(fields)
    return entry


def fax(name, number=None, /, **fields):
    entry = {"type": "fax", "name": name, "fax_number": "0123 4567"}
    if number is not None:
        entry["number"] = number
    entry.update(fields)
    return entry


def ifax(name, number=None, /, **fields):
    entry = {"type": "ifax", "name": name, "address": "ifax.%s@example.com" % name.lower()}
    if number is not None:
        entry["number"] = number
    entry.update(fields)
    return entry


def share(name, number=None, /, **fields):
    entry = {"type": "file", "name": name, "protocol": "smb", "host": "\\\\fs01\\scans", "username": "scan"}
    if number is not None:
        entry["number"] = number
    entry.update(fields)
    return entry


def group(name, members, number=None, /, **fields):
    entry = {"type": "group", "name": name, "members": list(members)}
    if number is not None:
        entry["number"] = number
    entry.update(fields)
    return entry


FIRST_LIST = {"I": "address_list_1", "II": "coded_dial", "III": "address_book"}
ONE_TOUCH = {"I": "one_touch", "II": "favorites", "III": "one_touch_speed_dial"}


def numbered(book_type, list_name):
    return ab.book_type_spec(book_type).list_spec(list_name).numbered


def validate_one(book_type, list_name, entry, **caps):
    """Validate a one-entry list; numbered lists get number 1 unless the entry sets one."""
    if numbered(book_type, list_name) and "number" not in entry:
        entry = dict(entry, number=1)
    return ab.validate_book({list_name: [entry]}, dict({"book_type": book_type}, **caps))


def expect_error(code, func, *args, **kwargs):
    with pytest.raises(CanonError) as info:
        func(*args, **kwargs)
    assert info.value.error_code == code, info.value.msg
    return info.value


# --- book types and numbering -------------------------------------------------------------------
def test_book_types_as_data():
    type1, type2, type3 = (ab.book_type_spec(name) for name in ("I", "II", "III"))
    assert type1.list_names == tuple("address_list_%d" % n for n in range(1, 11)) + ("one_touch",)
    assert type2.list_names == ("coded_dial", "favorites")
    assert type3.list_names == ("address_book", "one_touch_speed_dial")
    assert type1.pools == {"address_lists": 1600} and type1.list_spec("address_list_7").capacity == 1600
    assert (
        type1.list_spec("one_touch").number_range == (1, 200) and type1.list_spec("one_touch").capacity == 200
    )
    assert not type1.list_spec("address_list_1").numbered
    assert (type2.list_spec("coded_dial").number_range, type2.list_spec("coded_dial").capacity) == (
        (1, 281),
        300,
    )
    assert type2.list_spec("favorites").number_range == (1, 19)
    assert (type3.list_spec("address_book").number_range, type3.list_spec("address_book").capacity) == (
        (1, 300),
        500,
    )
    assert type3.list_spec("one_touch_speed_dial").capacity == 200
    assert (type1.group_max_members, type3.group_max_members) == (256, 499)
    assert dict(type2.group_max_members_by_type) == {"email": 100, "ifax": 100, "fax": 299}
    assert (type1.group_mixed_types, type2.group_mixed_types, type3.group_mixed_types) == (True, False, True)
    assert (type1.deletes_workflows, type2.deletes_workflows, type3.deletes_workflows) == (False, True, True)
    assert "ifax" not in type3.destination_types and type2.file_protocols == frozenset({"ftp", "smb"})


@pytest.mark.parametrize(
    "value, expected",
    [("I", "I"), (1, "I"), ("type2", "II"), ("Type III", "III"), ("iii", "III"), ("2", "II")],
)
def test_book_type_spellings(value, expected):
    assert ab.normalize_book_type(value) == expected


def test_unknown_book_type():
    expect_error("invalid_argument", ab.normalize_book_type, "IV")


def test_type3_number_offset_follows_the_guides_table():
    assert ab.to_device_number("III", "address_book", 1) == 0
    assert ab.to_device_number("III", "address_book", 300) == 299
    assert ab.from_device_number("III", "address_book", 0) == 1
    assert ab.format_device_number("III", "address_book", 1) == "000"
    assert ab.format_device_number("III", "one_touch_speed_dial", 1) == "001"
    assert ab.format_device_number("III", "one_touch_speed_dial", 200) == "200"
    assert (
        ab.to_device_number("II", "coded_dial", 5) == 5
        and ab.format_device_number("I", "one_touch", 7) == "7"
    )


# --- normalisation --------------------------------------------------------------------------------
def test_declared_email_equals_device_read():
    declared = {"type": "email", "name": " Sales Team ", "address": "Sales@Example.COM"}
    device_read = {
        "type": "email",
        "name": "Sales Team",
        "reading": "",
        "number": None,
        "short_name": "",
        "access_number": 0,
        "address": "Sales@example.com",
        "divide_data": False,
    }
    assert ab.normalize_entry(declared) == ab.normalize_entry(device_read)
    assert ab.normalize_entry(declared)["address"] == "Sales@example.com"


def test_declared_fax_ifax_file_equal_device_read():
    assert ab.normalize_entry(fax("F")) == ab.normalize_entry(
        {
            "type": "fax",
            "name": "F",
            "fax_number": "0123 4567",
            "ecm": True,
            "tx_start_speed": "33600",
            "long_distance": "DOMESTIC",
            "line": "auto",
            "subaddress": "",
        }
    )
    assert ab.normalize_entry(
        ifax("I", paper_sizes="a3, a4", color_resolutions=["600x600"])
    ) == ab.normalize_entry(
        {
            "type": "ifax",
            "name": "I",
            "address": "ifax.i@example.com",
            "paper_sizes": ["a4", "a3", "a3"],
            "mode": "simple",
            "send_via_server": True,
            "color": False,
            "color_paper_sizes": ["a4"],
        }
    )
    declared_ftp = ab.normalize_entry({"type": "file", "name": "F", "host": "h", "username": "u"})
    assert (
        declared_ftp["protocol"] == "ftp" and declared_ftp["port"] == 21 and declared_ftp["password"] is None
    )
    assert ab.normalize_entry(share("S"))["port"] is None
    assert ab.normalize_entry({"type": "file", "name": "W", "host": "h", "protocol": "webdav"})["port"] == 80


def test_groups_are_sets_and_argspec_nones_are_accepted():
    argspec_style = {key: None for key in ab.ALL_FIELD_KEYS}
    argspec_style.update(type="group", name="G", members=["b", "a"])
    assert ab.normalize_entry(argspec_style)["members"] == ["a", "b"]
    assert ab.normalize_entry(group("G", ["a", "b"])) == ab.normalize_entry(group("G", ["b", "a"]))


def test_comparable_ignores_passwords():
    assert ab.comparable(ab.normalize_entry(share("S", password="x1"))) == ab.comparable(
        ab.normalize_entry(share("S", password=EncryptedSecret("zz")))
    )


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ({"name": "no type"}, "type must be one of"),
        (email("E", bogus="x"), "'bogus' is not a known field"),
        (email("E", fax_number="0123"), "'fax_number' does not apply to email entries"),
        (fax("F", fax_number=1234567), "fax_number must be text"),
        (email("E", divide_data="yes"), "divide_data must be true or false"),
        (fax("F", tx_start_speed=28800), "tx_start_speed must be one of"),
        (fax("F", long_distance="moon"), "long_distance must be one of"),
        (ifax("I", resolutions=["1x1"]), "unknown value(s) 1x1"),
        (ifax("I", resolutions=42), "must be a list"),
        (group("G", ["a", "a"]), "lists 'a' more than once"),
        ({"type": "group", "name": "G", "members": "a"}, "must be a list of entry names"),
        (email("E", number=True), "number must be a whole number"),
        (email("E", number="x"), "number must be a whole number"),
        (share("S", password=123), "password must be text"),
    ],
)
def test_normalisation_refuses_bad_shapes(entry, fragment):
    error = expect_error("addressbook_invalid_entry", ab.normalize_entry, entry, "address_list_1")
    assert fragment in error.msg and error.msg.startswith("address_list_1 entry")


def test_non_mapping_entry():
    expect_error("addressbook_invalid_entry", ab.normalize_entry, ["not", "a", "dict"], "coded_dial")


# --- validation: every limit --------------------------------------------------------------------------
MB = "名"  # a multi-byte character
LATIN_MB = "ü"  # multi-byte in the guide's sense too (not ASCII)

# (book type, list, entry, capability extras, error code or None for "accepted", message fragment)
LIMIT_CASES = [
    # Name (L4527)
    ("I", "address_list_1", email("x", name="N" * 24), {}, None, None),
    (
        "I",
        "address_list_1",
        email("x", name="N" * 25),
        {},
        "addressbook_invalid_entry",
        "name is 25 characters",
    ),
    ("I", "address_list_1", email("x", name=MB * 12), {}, None, None),
    ("I", "address_list_1", email("x", name=MB * 13), {}, "addressbook_invalid_entry", "12 multi-byte"),
    (
        "I",
        "address_list_1",
        email("x", name=MB * 12 + "a"),
        {},
        "addressbook_invalid_entry",
        "name is too long",
    ),
    ("II", "coded_dial", email("x", name=MB * 16), {}, None, None),
    ("II", "coded_dial", email("x", name="N" * 17), {}, "addressbook_invalid_entry", "Type II allows 16"),
    ("III", "address_book", email("x", name=MB * 8), {}, None, None),
    ("III", "address_book", email("x", name=MB * 9), {}, "addressbook_invalid_entry", "8 multi-byte"),
    ("III", "address_book", email("x", name="N" * 17), {}, "addressbook_invalid_entry", "allows 16"),
    # Reading / Furigana (L4528)
    ("I", "address_list_1", email("x", reading="r" * 25), {}, "addressbook_invalid_entry", "reading is 25"),
    ("II", "coded_dial", email("x", reading="r" * 17), {}, "addressbook_invalid_entry", "reading is 17"),
    ("III", "address_book", email("x", reading="r" * 17), {}, "addressbook_invalid_entry", "reading is 17"),
    # One-touch button name (our choice: the name's limit; one-touch lists only)
    ("I", "one_touch", email("x", short_name="Btn"), {}, None, None),
    ("I", "one_touch", email("x", short_name="B" * 25), {}, "addressbook_invalid_entry", "short_name is 25"),
    (
        "I",
        "address_list_1",
        email("x", short_name="Btn"),
        {},
        "addressbook_invalid_entry",
        "only to one-touch",
    ),
    # E-mail address (L4534)
    ("II", "coded_dial", email("x", address="a" * 108 + "@example.com"), {}, None, None),
    (
        "II",
        "coded_dial",
        email("x", address="a" * 109 + "@example.com"),
        {},
        "addressbook_invalid_entry",
        "address is 121",
    ),
    (
        "I",
        "address_list_1",
        email("x", address="jürgen@example.com"),
        {},
        "addressbook_invalid_entry",
        "ASCII 0x20-0x7E",
    ),
    # Fax number (L4541)
    ("I", "address_list_1", fax("x", fax_number="ABC-123"), {}, None, None),
    (
        "I",
        "address_list_1",
        fax("x", fax_number="1" * 121),
        {},
        "addressbook_invalid_entry",
        "fax_number is 121",
    ),
    ("I", "address_list_1", fax("x", fax_number="１２３"), {}, "addressbook_invalid_entry", "ASCII"),
    ("II", "coded_dial", fax("x", fax_number="12 *#"), {}, None, None),
    (
        "II",
        "coded_dial",
        fax("x", fax_number="123-456"),
        {},
        "addressbook_invalid_entry",
        "digits, space, * and #",
    ),
    ("III", "address_book", fax("x", fax_number="R0P12pT3C4"), {}, None, None),
    (
        "III",
        "address_book",
        fax("x", fax_number="1T2T"),
        {},
        "addressbook_invalid_entry",
        "'T' and 'C' at most",
    ),
    (
        "III",
        "address_book",
        fax("x", fax_number="1C2C"),
        {},
        "addressbook_invalid_entry",
        "'T' and 'C' at most",
    ),
    (
        "III",
        "address_book",
        fax("x", fax_number="1R"),
        {},
        "addressbook_invalid_entry",
        "'R' only as the first",
    ),
    ("III", "address_book", fax("x", fax_number="12A"), {}, "addressbook_invalid_entry", "P, p, T, C and R"),
    # Subaddress and its password: Type I only (L4542, L4543)
    ("I", "address_list_1", fax("x", subaddress="1" * 20, subaddress_password="2" * 20), {}, None, None),
    (
        "I",
        "address_list_1",
        fax("x", subaddress="1" * 21),
        {},
        "addressbook_invalid_entry",
        "subaddress is 21",
    ),
    ("I", "address_list_1", fax("x", subaddress="12a"), {}, "addressbook_invalid_entry", "digits, space"),
    (
        "I",
        "address_list_1",
        fax("x", subaddress_password="pw"),
        {},
        "addressbook_invalid_entry",
        "subaddress_password may contain only",
    ),
    (
        "I",
        "address_list_1",
        fax("x", subaddress_password="1" * 21),
        {},
        "addressbook_invalid_entry",
        "subaddress_password is 21",
    ),
    ("II", "coded_dial", fax("x", subaddress="12"), {}, "addressbook_invalid_entry", "stored only by Type I"),
    (
        "III",
        "address_book",
        fax("x", subaddress_password="12"),
        {},
        "addressbook_invalid_entry",
        "only by Type I",
    ),
    ("II", "coded_dial", fax("x", subaddress_password=""), {}, None, None),
    # Host name (L4556)
    ("I", "address_list_1", share("x", host="h" * 128), {}, None, None),
    ("I", "address_list_1", share("x", host="h" * 129), {}, "addressbook_invalid_entry", "host is 129"),
    ("I", "address_list_1", share("x", host=LATIN_MB * 65), {}, "addressbook_invalid_entry", "64 multi-byte"),
    ("II", "coded_dial", share("x", host=MB * 120), {}, None, None),
    ("II", "coded_dial", share("x", host="h" * 121), {}, "addressbook_invalid_entry", "host is 121"),
    (
        "III",
        "address_book",
        share("x", protocol="ftp", host="h" * 48),
        {},
        "addressbook_invalid_entry",
        "host is 48",
    ),
    ("III", "address_book", share("x", protocol="ftp", host="hö"), {}, "addressbook_invalid_entry", "ASCII"),
    ("III", "address_book", share("x", host=MB * 61), {}, "addressbook_invalid_entry", "60 multi-byte"),
    ("III", "address_book", share("x", host=MB * 60), {}, None, None),
    # Folder path (L4557)
    ("I", "address_list_1", share("x", path="p" * 255), {}, None, None),
    ("I", "address_list_1", share("x", path="p" * 256), {}, "addressbook_invalid_entry", "path is 256"),
    ("I", "address_list_1", share("x", path=MB * 128), {}, "addressbook_invalid_entry", "127 multi-byte"),
    ("II", "coded_dial", share("x", path="p" * 121), {}, "addressbook_invalid_entry", "path is 121"),
    (
        "III",
        "address_book",
        share("x", protocol="ftp", path="p" * 121),
        {},
        "addressbook_invalid_entry",
        "path is 121",
    ),
    ("III", "address_book", share("x", path=MB * 61), {}, "addressbook_invalid_entry", "60 multi-byte"),
    # User name (L4558)
    (
        "I",
        "address_list_1",
        share("x", protocol="ftp", username="u" * 25),
        {},
        "addressbook_invalid_entry",
        "username is 25",
    ),
    (
        "I",
        "address_list_1",
        share("x", protocol="ftp", username=MB * 13),
        {},
        "addressbook_invalid_entry",
        "12 multi-byte",
    ),
    ("I", "address_list_1", share("x", username="u" * 128), {}, None, None),
    (
        "I",
        "address_list_1",
        share("x", username="u" * 129),
        {},
        "addressbook_invalid_entry",
        "username is 129",
    ),
    (
        "I",
        "address_list_1",
        share("x", protocol="webdav", username="u" * 129),
        {},
        "addressbook_invalid_entry",
        "username is 129",
    ),
    (
        "II",
        "coded_dial",
        share("x", protocol="ftp", username="u" * 33),
        {},
        "addressbook_invalid_entry",
        "username is 33",
    ),
    ("II", "coded_dial", share("x", username=MB * 10 + "ab"), {}, None, None),
    ("II", "coded_dial", share("x", username=MB * 11), {}, "addressbook_invalid_entry", "each counts 3"),
    (
        "II",
        "coded_dial",
        share("x", username=MB * 10 + "abc"),
        {},
        "addressbook_invalid_entry",
        "each counts 3",
    ),
    (
        "III",
        "address_book",
        share("x", protocol="ftp", username="u" * 25),
        {},
        "addressbook_invalid_entry",
        "username is 25",
    ),
    ("III", "address_book", share("x", username=MB * 13), {}, "addressbook_invalid_entry", "12 multi-byte"),
    # Password (L4562)
    ("I", "address_list_1", share("x", password="p" * 24), {}, None, None),
    ("I", "address_list_1", share("x", password="p" * 25), {}, "addressbook_invalid_entry", "password is 25"),
    ("I", "address_list_1", share("x", password="p" * 32), {"field_max": {"file.password": 32}}, None, None),
    (
        "I",
        "address_list_1",
        share("x", password="p" * 33),
        {"field_max": {"file.password": 32}},
        "addressbook_invalid_entry",
        "allows 32",
    ),
    ("II", "coded_dial", share("x", password="p" * 32), {}, None, None),
    ("II", "coded_dial", share("x", password="p" * 33), {}, "addressbook_invalid_entry", "password is 33"),
    ("II", "coded_dial", share("x", password="pässword"), {}, "addressbook_invalid_entry", "ASCII"),
    (
        "III",
        "address_book",
        share("x", protocol="ftp", password="p" * 25),
        {},
        "addressbook_invalid_entry",
        "password is 25",
    ),
    ("III", "address_book", share("x", password="p" * 14), {}, None, None),
    ("III", "address_book", share("x", password="p" * 15), {}, "addressbook_invalid_entry", "password is 15"),
    # I-fax (L4569-L4571)
    ("I", "address_list_1", ifax("x", address="a" * 116 + "@example.com"), {}, None, None),
    (
        "I",
        "address_list_1",
        ifax("x", address="a" * 117 + "@example.com"),
        {},
        "addressbook_invalid_entry",
        "address is 129",
    ),
    (
        "II",
        "coded_dial",
        ifax("x", address="a" * 109 + "@example.com"),
        {},
        "addressbook_invalid_entry",
        "address is 121",
    ),
    ("III", "address_book", ifax("x"), {}, "addressbook_unsupported_type", "does not support ifax"),
    (
        "I",
        "address_list_1",
        ifax("x", standard_field_1="s" * 41),
        {},
        "addressbook_invalid_entry",
        "standard_field_1 is 41",
    ),
    (
        "I",
        "address_list_1",
        ifax("x", standard_field_2="s" * 17),
        {},
        "addressbook_invalid_entry",
        "standard_field_2 is 17",
    ),
    ("II", "coded_dial", ifax("x", standard_field_1="s"), {}, "addressbook_invalid_entry", "only by Type I"),
    ("II", "coded_dial", ifax("x", mode="full"), {}, "addressbook_invalid_entry", "mode is stored only"),
    ("II", "coded_dial", ifax("x", color=True), {}, "addressbook_invalid_entry", "color is stored only"),
    (
        "II",
        "coded_dial",
        ifax("x", paper_sizes=["a3"]),
        {},
        "addressbook_invalid_entry",
        "paper_sizes is stored",
    ),
    # Access number (L4529), Type I only
    ("I", "address_list_1", email("x", access_number=9_999_999), {}, None, None),
    (
        "I",
        "address_list_1",
        email("x", access_number=10_000_000),
        {},
        "addressbook_invalid_entry",
        "access_number must be 1-9999999",
    ),
    ("I", "address_list_1", email("x", access_number=0), {}, None, None),
    (
        "II",
        "coded_dial",
        email("x", access_number=5),
        {},
        "addressbook_invalid_entry",
        "access_number is stored",
    ),
    # Other Type-I-only fields
    (
        "II",
        "coded_dial",
        email("x", divide_data=True),
        {},
        "addressbook_invalid_entry",
        "divide_data is stored",
    ),
    ("III", "address_book", fax("x", line="line1"), {}, "addressbook_invalid_entry", "line is stored"),
    (
        "II",
        "coded_dial",
        share("x", confirm_before_sending=True),
        {},
        "addressbook_invalid_entry",
        "confirm_before_sending is stored",
    ),
    (
        "II",
        "coded_dial",
        share("x", protocol="ftp", port=2121),
        {},
        "addressbook_invalid_entry",
        "port is stored",
    ),
    ("II", "coded_dial", share("x", protocol="ftp", port=21), {}, None, None),
    (
        "III",
        "address_book",
        fax("x", ecm=False, tx_start_speed=9600, long_distance="international3"),
        {},
        None,
        None,
    ),
    # Ports and required fields
    (
        "I",
        "address_list_1",
        share("x", protocol="ftp", port=0),
        {},
        "addressbook_invalid_entry",
        "port must be",
    ),
    (
        "I",
        "address_list_1",
        share("x", protocol="webdav", port=70000),
        {},
        "addressbook_invalid_entry",
        "port must be",
    ),
    (
        "I",
        "address_list_1",
        share("x", port=445),
        {},
        "addressbook_invalid_entry",
        "SMB destinations have no port",
    ),
    (
        "I",
        "address_list_1",
        share("x", protocol="ftp", username=""),
        {},
        "addressbook_invalid_entry",
        "username is required for FTP",
    ),
    ("I", "address_list_1", email("x", name=""), {}, "addressbook_invalid_entry", "name is required"),
    ("I", "address_list_1", email("x", address=""), {}, "addressbook_invalid_entry", "address is required"),
    (
        "I",
        "address_list_1",
        fax("x", fax_number=" "),
        {},
        "addressbook_invalid_entry",
        "fax_number is required",
    ),
    ("I", "address_list_1", ifax("x", address=""), {}, "addressbook_invalid_entry", "address is required"),
    ("I", "address_list_1", share("x", host=""), {}, "addressbook_invalid_entry", "host is required"),
    # Control characters (L9874) and multi-byte support
    ("I", "address_list_1", email("x", name="Line\nBreak"), {}, "addressbook_invalid_entry", "U+000A"),
    ("II", "coded_dial", fax("x", fax_number="12\t34"), {}, "addressbook_invalid_entry", "U+0009"),
    ("III", "address_book", share("x", password="pa\x00ss"), {}, "addressbook_invalid_entry", "U+0000"),
    ("I", "address_list_1", email("x", reading="r\x85"), {}, "addressbook_invalid_entry", "U+0085"),
    (
        "I",
        "address_list_1",
        email("x", name="Zoë"),
        {"multibyte": False},
        "addressbook_invalid_entry",
        "multi-byte characters",
    ),
    ("I", "address_list_1", email("x", name="Zoe ｶﾅ"), {"multibyte": False}, None, None),
    # Types and protocols the model or type lacks
    (
        "I",
        "address_list_1",
        fax("x"),
        {"destination_types": ["email", "file", "group"]},
        "addressbook_unsupported_type",
        "does not support fax",
    ),
    ("II", "coded_dial", share("x", protocol="webdav"), {}, "addressbook_unsupported_type", "webdav is not"),
    (
        "III",
        "address_book",
        share("x", protocol="webdav"),
        {},
        "addressbook_unsupported_type",
        "webdav is not",
    ),
    (
        "I",
        "address_list_1",
        share("x", protocol="ftp"),
        {"file_protocols": ["smb"]},
        "addressbook_unsupported_type",
        "ftp is not supported",
    ),
]


@pytest.mark.parametrize(
    "book_type, list_name, entry, caps, code, fragment",
    LIMIT_CASES,
    ids=["%s-%s-%d" % (case[0], case[1], index) for index, case in enumerate(LIMIT_CASES)],
)
def test_field_limits(book_type, list_name, entry, caps, code, fragment):
    if code is None:
        validate_one(book_type, list_name, entry, **caps)
        return
    error = expect_error(code, validate_one, book_type, list_name, entry, **caps)
    assert fragment in error.msg
    assert error.msg.startswith("%s entry " % list_name) and repr(entry["name"]) in error.msg
    assert error.details["list"] == list_name and error.details["entry"] == entry["name"]


def test_leading_spaces_are_removed_not_refused():
    book = validate_one("III", "address_book", fax("x", fax_number="  0123"))
    assert book["address_book"][0]["fax_number"] == "0123"


def test_control_character_in_a_group_member_name_is_named():
    error = expect_error(
        "addressbook_invalid_entry",
        ab.validate_book,
        {"coded_dial": [email("Bad\x07", 1)]},
        {"book_type": "II"},
    )
    assert "coded_dial entry No. 1 'Bad\\x07'" in error.msg and error.details["number"] == 1


@pytest.mark.parametrize(
    "book_type, list_name, count",
    [
        ("I", "address_list_1", 1601),
        ("I", "one_touch", 201),
        ("II", "coded_dial", 282),
        ("II", "favorites", 20),
        ("III", "address_book", 301),
        ("III", "one_touch_speed_dial", 201),
    ],
)
def test_list_capacity(book_type, list_name, count):
    is_numbered = numbered(book_type, list_name)
    entries = [email("E%d" % n, n if is_numbered else None) for n in range(1, count)]
    ab.validate_book({list_name: entries}, {"book_type": book_type})
    entries.append(email("E%d" % count, count if is_numbered else None))
    error = expect_error(
        "addressbook_over_limit", ab.validate_book, {list_name: entries}, {"book_type": book_type}
    )
    assert "%s would hold %d entries; this device allows %d" % (list_name, count, count - 1) in error.msg


def test_device_reported_capacity_overrides_but_never_exceeds_numbers():
    caps = {"book_type": "II", "capacities": {"coded_dial": 10, "favorites": 500}}
    entries = [email("E%d" % n, n) for n in range(1, 12)]
    error = expect_error("addressbook_over_limit", ab.validate_book, {"coded_dial": entries}, caps)
    assert "allows 10" in error.msg
    assert ab.normalize_capabilities(caps).capacity("favorites") == 19


def test_type1_total_across_address_lists():
    book = {
        "address_list_1": [email("A%d" % n) for n in range(800)],
        "address_list_2": [email("B%d" % n) for n in range(800)],
    }
    ab.validate_book(book, {"book_type": "I"})
    book["address_list_3"] = [email("C")]
    error = expect_error("addressbook_over_limit", ab.validate_book, book, {"book_type": "I"})
    assert "1601 entries in total" in error.msg and "address_list_3 1" in error.msg
    error = expect_error(
        "addressbook_over_limit",
        ab.validate_book,
        {"address_list_1": [email("A")] * 1},
        {"book_type": "I", "total_capacity": 0},
    )
    assert "allows 0 across all address lists" in error.msg


@pytest.mark.parametrize(
    "book_type, list_name, number, code",
    [
        ("I", "one_touch", 0, "addressbook_number_out_of_range"),
        ("I", "one_touch", 200, None),
        ("I", "one_touch", 201, "addressbook_number_out_of_range"),
        ("II", "favorites", 19, None),
        ("II", "favorites", 20, "addressbook_number_out_of_range"),
        ("II", "coded_dial", 281, None),
        ("II", "coded_dial", 282, "addressbook_number_out_of_range"),
        ("III", "address_book", 300, None),
        ("III", "address_book", 301, "addressbook_number_out_of_range"),
        ("III", "address_book", 0, "addressbook_number_out_of_range"),
        ("III", "one_touch_speed_dial", 201, "addressbook_number_out_of_range"),
        ("I", "one_touch", None, "addressbook_number_out_of_range"),
        ("I", "address_list_4", 3, "addressbook_invalid_entry"),
    ],
)
def test_numbering(book_type, list_name, number, code):
    entry = email("Numbered", number)
    if code is None:
        ab.validate_book({list_name: [entry]}, {"book_type": book_type})
        return
    error = expect_error(code, ab.validate_book, {list_name: [entry]}, {"book_type": book_type})
    assert "%s entry" % list_name in error.msg and "'Numbered'" in error.msg


def test_unique_numbers_and_names():
    error = expect_error(
        "addressbook_invalid_entry",
        ab.validate_book,
        {"favorites": [email("A", 3), fax("B", 3)]},
        {"book_type": "II"},
    )
    assert "favorites entry No. 3 'B': number 3 is used twice" in error.msg
    error = expect_error(
        "addressbook_invalid_entry",
        ab.validate_book,
        {"address_list_2": [email("Same"), fax("Same")]},
        {"book_type": "I"},
    )
    assert "name 'Same' is used twice in address_list_2" in error.msg
    ab.validate_book({"coded_dial": [email("Same", 1), fax("Same", 2)]}, {"book_type": "II"})


def test_unknown_list_for_the_type():
    error = expect_error(
        "addressbook_unsupported_type", ab.validate_book, {"address_list_2": []}, {"book_type": "II"}
    )
    assert "coded_dial, favorites" in error.msg


def test_group_limits_type1():
    members = [email("M%d" % n) for n in range(257)]
    ok = members[:256] + [group("Everyone", [m["name"] for m in members[:256]])]
    ab.validate_book({"address_list_1": ok}, {"book_type": "I"})
    too_many = members + [group("Everyone", [m["name"] for m in members])]
    error = expect_error(
        "addressbook_over_limit", ab.validate_book, {"address_list_1": too_many}, {"book_type": "I"}
    )
    assert "address_list_1 entry 'Everyone': has 257 members" in error.msg
    mixed = [email("E"), fax("F"), share("S"), group("Mixed", ["E", "F", "S"])]
    ab.validate_book({"address_list_1": mixed}, {"book_type": "I"})


@pytest.mark.parametrize("member_type, limit", [("email", 100), ("ifax", 100)])
def test_group_limits_type2_per_member_type(member_type, limit):
    make = {"email": email, "ifax": ifax}[member_type]
    entries = [make("M%d" % n, n) for n in range(1, limit + 2)]
    names = [entry["name"] for entry in entries]
    ab.validate_book({"coded_dial": entries + [group("G", names[:limit], 250)]}, {"book_type": "II"})
    error = expect_error(
        "addressbook_over_limit",
        ab.validate_book,
        {"coded_dial": entries + [group("G", names, 250)]},
        {"book_type": "II"},
    )
    assert "coded_dial entry No. 250 'G': has %d %s members" % (limit + 1, member_type) in error.msg


def test_group_limits_beyond_the_number_range():
    """Type II fax (299) and Type III (499) group limits exceed what numbers 1-281 / 1-300 can hold."""
    type2 = ab.normalize_capabilities({"book_type": "II"})
    faxes = [ab.normalize_entry(fax("F%d" % n, n)) for n in range(1, 301)]
    big = ab.normalize_entry(group("G", [entry["name"] for entry in faxes], 301))
    ab._validate_groups(
        type2,
        type2.spec.list_spec("coded_dial"),
        faxes[:299] + [dict(big, members=[entry["name"] for entry in faxes[:299]])],
    )
    error = expect_error(
        "addressbook_over_limit",
        ab._validate_groups,
        type2,
        type2.spec.list_spec("coded_dial"),
        faxes + [big],
    )
    assert "has 300 fax members" in error.msg
    type3 = ab.normalize_capabilities({"book_type": "III"})
    mails = [ab.normalize_entry(email("E%d" % n, n)) for n in range(1, 501)]
    big3 = ab.normalize_entry(group("G", [entry["name"] for entry in mails], 501))
    ab._validate_groups(
        type3,
        type3.spec.list_spec("address_book"),
        mails[:499] + [dict(big3, members=[entry["name"] for entry in mails[:499]])],
    )
    error = expect_error(
        "addressbook_over_limit",
        ab._validate_groups,
        type3,
        type3.spec.list_spec("address_book"),
        mails + [big3],
    )
    assert "has 500 members; Type III groups hold at most 499" in error.msg


@pytest.mark.parametrize(
    "entries, fragment",
    [
        ([email("E", 1), fax("F", 2), group("G", ["E", "F"], 3)], "mixes email and fax members"),
        ([share("S", 1), group("G", ["S"], 2)], "is a file destination; Type II groups hold only"),
    ],
)
def test_group_rules_type2(entries, fragment):
    error = expect_error(
        "addressbook_invalid_entry", ab.validate_book, {"coded_dial": entries}, {"book_type": "II"}
    )
    assert fragment in error.msg and "coded_dial entry No." in error.msg and "'G'" in error.msg


@pytest.mark.parametrize(
    "entries, fragment",
    [
        ([email("E", 1), group("G", ["Ghost"], 2)], "member 'Ghost' is not an entry of one_touch_speed_dial"),
        ([email("E", 1), group("H", ["E"], 2), group("G", ["H"], 3)], "member 'H' is a group"),
        ([email("E", 1), fax("E", 2), group("G", ["E"], 3)], "member 'E' is ambiguous"),
        ([group("G", ["G"], 1)], "member 'G' is a group"),
    ],
)
def test_group_member_resolution(entries, fragment):
    error = expect_error(
        "addressbook_invalid_entry", ab.validate_book, {"one_touch_speed_dial": entries}, {"book_type": "III"}
    )
    assert fragment in error.msg


def test_members_must_be_in_the_groups_own_list():
    book = {"address_list_1": [email("E")], "address_list_2": [group("G", ["E"])]}
    error = expect_error("addressbook_invalid_entry", ab.validate_book, book, {"book_type": "I"})
    assert "address_list_2 entry 'G': member 'E' is not an entry of address_list_2" in error.msg


@pytest.mark.parametrize(
    "caps, code",
    [
        ({}, "invalid_argument"),
        ({"book_type": "III", "destination_types": ["ifax"]}, "invalid_argument"),
        ({"book_type": "II", "file_protocols": ["webdav"]}, "invalid_argument"),
        ({"book_type": "II", "total_capacity": 10}, "invalid_argument"),
        ({"book_type": "I", "colour": True}, "invalid_argument"),
        ({"book_type": "I", "field_max": {"file.pasword": 32}}, "invalid_argument"),
        ({"book_type": "I", "field_max": {"name": 0}}, "invalid_argument"),
        ({"book_type": "I", "capacities": {"coded_dial": 5}}, "addressbook_unsupported_type"),
        ({"book_type": "I", "capacities": {"one_touch": -1}}, "invalid_argument"),
    ],
)
def test_capability_description_checked(caps, code):
    expect_error(code, ab.normalize_capabilities, caps)


def test_capabilities_defaults():
    caps = ab.normalize_capabilities({"book_type": 3})
    assert caps.book_type == "III" and caps.multibyte is True
    assert caps.destination_types == frozenset({"email", "fax", "file", "group"})
    assert caps.capacity("address_book") == 300 and ab.normalize_capabilities(caps) is caps


# --- states -----------------------------------------------------------------------------------------
def type_have(book_type):
    """A device book with a targeted list, an untouched one-touch list and (Type I) a second list."""
    first, touch = FIRST_LIST[book_type], ONE_TOUCH[book_type]
    n = (lambda value: value) if numbered(book_type, first) else (lambda value: None)
    have = {
        first: [
            email("Alice", n(1)),
            fax("Bob", n(2)),
            share("Share", n(3), password=OLD_SECRET),
            group("Team", ["Alice", "Bob"] if book_type != "II" else ["Alice"], n(4)),
        ],
        touch: [email("Button", 1, short_name="Btn")],
    }
    if book_type == "I":
        have["address_list_2"] = [fax("Carol")]
    return have


def declared(entry, book_type):
    """The have entry as a user would declare it (no defaults, password re-stated)."""
    return {key: value for key, value in entry.items() if value is not None}


BOOK_TYPES = ("I", "II", "III")


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_same_book_is_no_change_in_every_state(book_type):
    have = type_have(book_type)
    for state in ("merged", "replaced", "overridden"):
        plan = ab.plan_changes(have, have, state, {"book_type": book_type})
        assert not plan.changed and plan.lists_to_write == ()
        diff = ab.build_diff(plan, 3)
        assert all(
            not item["added"] and not item["removed"] and not item["modified"]
            for item in diff["lists"].values()
        )
    plan = ab.plan_changes(
        have, {FIRST_LIST[book_type]: [{"name": "Nobody"}]}, "deleted", {"book_type": book_type}
    )
    assert not plan.changed


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_merged_adds_and_updates_field_by_field(book_type):
    have = type_have(book_type)
    first = FIRST_LIST[book_type]
    n = numbered(book_type, first)
    want = {
        first: [
            {"type": "email", "name": "Alice", "number": 1 if n else None, "address": "alice@new.example"},
            email("Dave", 9 if n else None),
        ]
    }
    plan = ab.plan_changes(have, want, "merged", {"book_type": book_type})
    assert plan.lists_to_write == (first,)
    after = plan.after[first]
    assert [entry["name"] for entry in after] == ["Alice", "Bob", "Share", "Team", "Dave"]
    assert after[0]["address"] == "alice@new.example"
    change = plan.changes[first]
    assert [entry["name"] for entry in change.added] == ["Dave"] and change.removed == []
    assert change.modified == [
        dict(
            {
                "name": "Alice",
                "type": "email",
                "changes": {"address": {"before": "alice@example.com", "after": "alice@new.example"}},
            },
            **({"number": 1} if n else {}),
        )
    ]
    for other in set(plan.before) - {first}:
        assert plan.after[other] == plan.before[other] and other not in plan.changes


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_replaced_makes_named_lists_exact(book_type):
    have = type_have(book_type)
    first = FIRST_LIST[book_type]
    n = numbered(book_type, first)
    want = {first: [declared(ab.normalize_entry(have[first][1]), book_type), email("Eve", 7 if n else None)]}
    plan = ab.plan_changes(have, want, "replaced", {"book_type": book_type})
    assert [entry["name"] for entry in plan.after[first]] == ["Bob", "Eve"]
    change = plan.changes[first]
    assert sorted(entry["name"] for entry in change.removed) == ["Alice", "Share", "Team"]
    assert [entry["name"] for entry in change.added] == ["Eve"] and change.modified == []
    for other in set(plan.before) - {first}:
        assert plan.after[other] == plan.before[other] and other not in plan.target_lists


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_overridden_covers_every_manageable_list(book_type):
    have = type_have(book_type)
    first, touch = FIRST_LIST[book_type], ONE_TOUCH[book_type]
    want = {first: have[first]}
    plan = ab.plan_changes(have, want, "overridden", {"book_type": book_type})
    assert plan.target_lists == ab.manageable_lists(book_type)
    assert plan.after[touch] == [] and plan.after[first] == plan.before[first]
    expected = (touch,) if book_type != "I" else ("address_list_2", touch)
    assert plan.lists_to_write == expected
    diff = ab.build_diff(plan)
    assert set(diff["lists"]) == set(ab.manageable_lists(book_type))
    assert diff["lists"][touch]["count_after"] == 0 and diff["lists"][touch]["removed"][0]["name"] == "Button"


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_deleted_by_name_or_number_prunes_groups(book_type):
    have = type_have(book_type)
    first = FIRST_LIST[book_type]
    n = numbered(book_type, first)
    target = {"number": 1} if n else {"name": "Alice"}
    plan = ab.plan_changes(have, {first: [target]}, "deleted", {"book_type": book_type})
    names = [entry["name"] for entry in plan.after[first]]
    assert "Alice" not in names and "Bob" in names
    team = next(entry for entry in plan.after[first] if entry["name"] == "Team")
    assert "Alice" not in team["members"]
    modified = {item["name"]: item for item in plan.changes[first].modified}
    assert modified["Team"]["changes"]["members"]["before"][0] == "Alice"
    for other in set(plan.before) - {first}:
        assert plan.after[other] == plan.before[other]


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_deleted_empty_list_and_empty_want(book_type):
    have = type_have(book_type)
    touch = ONE_TOUCH[book_type]
    plan = ab.plan_changes(have, {touch: None}, "deleted", {"book_type": book_type})
    assert plan.after[touch] == [] and plan.lists_to_write == (touch,)
    assert plan.after[FIRST_LIST[book_type]] == plan.before[FIRST_LIST[book_type]]
    everything = ab.plan_changes(have, {}, "deleted", {"book_type": book_type})
    assert all(entries == [] for entries in everything.after.values())
    assert set(everything.lists_to_write) == {name for name, entries in have.items() if entries}


def test_deleted_needs_name_or_number():
    expect_error(
        "addressbook_invalid_entry",
        ab.plan_changes,
        type_have("I"),
        {"address_list_1": [{"type": "email"}]},
        "deleted",
        {"book_type": "I"},
    )


def test_replaced_with_type_change_at_same_number():
    have = {"coded_dial": [share("Slot", 5, protocol="ftp", password=OLD_SECRET)]}
    plan = ab.plan_changes(have, {"coded_dial": [email("Slot", 5)]}, "replaced", {"book_type": "II"})
    changes = plan.changes["coded_dial"].modified[0]["changes"]
    assert changes["type"] == {"before": "file", "after": "email"} and "host" in changes
    assert "password" not in changes


def test_merged_protocol_change_drops_the_old_port():
    have = {"address_list_1": [share("S", protocol="ftp", port=2121, host="h", username="u")]}
    plan = ab.plan_changes(
        have,
        {"address_list_1": [{"type": "file", "name": "S", "protocol": "smb"}]},
        "merged",
        {"book_type": "I"},
    )
    assert plan.after["address_list_1"][0]["port"] is None and plan.after["address_list_1"][0]["host"] == "h"


def test_merged_type_change_replaces_the_entry():
    have = {"address_list_1": [email("X", reading="x")]}
    plan = ab.plan_changes(have, {"address_list_1": [fax("X")]}, "merged", {"book_type": "I"})
    assert (
        plan.after["address_list_1"][0]["type"] == "fax" and plan.after["address_list_1"][0]["reading"] == ""
    )


def test_merged_respects_the_type1_total():
    have = {"address_list_1": [email("A%d" % n) for n in range(1600)]}
    error = expect_error(
        "addressbook_over_limit",
        ab.plan_changes,
        have,
        {"address_list_2": [email("New")]},
        "merged",
        {"book_type": "I"},
    )
    assert "1601 entries in total" in error.msg


def test_merged_refuses_unknown_members_and_duplicate_declarations():
    have = type_have("II")
    error = expect_error(
        "addressbook_invalid_entry",
        ab.plan_changes,
        have,
        {"coded_dial": [group("New", ["Nobody"], 9)]},
        "merged",
        {"book_type": "II"},
    )
    assert "coded_dial entry No. 9 'New': member 'Nobody'" in error.msg
    error = expect_error(
        "addressbook_invalid_entry",
        ab.plan_changes,
        have,
        {"coded_dial": [email("A", 9), email("B", 9)]},
        "merged",
        {"book_type": "II"},
    )
    assert "number 9 is used twice" in error.msg


def test_replaced_removing_a_member_of_a_kept_group_is_refused():
    have = type_have("III")
    want = {"address_book": [entry for entry in have["address_book"] if entry["name"] != "Bob"]}
    error = expect_error(
        "addressbook_invalid_entry", ab.plan_changes, have, want, "replaced", {"book_type": "III"}
    )
    assert "'Team': member 'Bob' is not an entry" in error.msg


def test_device_truth_is_not_rechecked_but_changes_are():
    long_name = "A device-side name longer than 24"
    have = {"address_list_1": [email(long_name)]}
    ab.plan_changes(have, {"address_list_1": [email("Short")]}, "merged", {"book_type": "I"})
    ab.plan_changes(
        have, {"address_list_1": [email(long_name), email("Short")]}, "replaced", {"book_type": "I"}
    )
    error = expect_error(
        "addressbook_invalid_entry",
        ab.plan_changes,
        have,
        {"address_list_1": [email(long_name, reading="changed")]},
        "merged",
        {"book_type": "I"},
    )
    assert "name is 33 characters" in error.msg


def test_have_duplicates_by_name_are_resolved():
    have = {"address_list_1": [email("Twin"), fax("Twin")]}
    plan = ab.plan_changes(have, {"address_list_1": [email("Twin")]}, "replaced", {"book_type": "I"})
    assert [entry["type"] for entry in plan.after["address_list_1"]] == ["email"]
    assert [entry["type"] for entry in plan.changes["address_list_1"].removed] == ["fax"]
    merged = ab.plan_changes(
        have, {"address_list_1": [email("Twin", reading="t")]}, "merged", {"book_type": "I"}
    )
    assert [entry["type"] for entry in merged.after["address_list_1"]] == ["email", "fax"]


def test_numbered_results_are_sorted_and_unnumbered_keep_declared_order():
    plan = ab.plan_changes({}, {"favorites": [email("B", 9), email("A", 2)]}, "replaced", {"book_type": "II"})
    assert [entry["number"] for entry in plan.after["favorites"]] == [2, 9]
    plan = ab.plan_changes({}, {"address_list_1": [email("B"), email("A")]}, "replaced", {"book_type": "I"})
    assert [entry["name"] for entry in plan.after["address_list_1"]] == ["B", "A"]


def test_order_of_an_unnumbered_list_is_not_a_change():
    have = {"address_list_1": [email("A"), email("B")]}
    plan = ab.plan_changes(have, {"address_list_1": [email("B"), email("A")]}, "replaced", {"book_type": "I"})
    assert not plan.changed


@pytest.mark.parametrize(
    "state, update_password, code",
    [("present", "on_create", "invalid_argument"), ("merged", "sometimes", "invalid_argument")],
)
def test_state_and_update_password_checked(state, update_password, code):
    expect_error(code, ab.plan_changes, {}, {}, state, {"book_type": "I"}, update_password)


def test_unknown_list_in_want_or_have():
    expect_error(
        "addressbook_unsupported_type", ab.plan_changes, {}, {"coded_dial": []}, "merged", {"book_type": "I"}
    )
    expect_error(
        "addressbook_unsupported_type", ab.plan_changes, {"one_touch": []}, {}, "merged", {"book_type": "III"}
    )


# --- passwords: update_password and masking ----------------------------------------------------------------
def password_plan(have_password, want_password, update_password, book_type="I"):
    have = {"address_list_1": [share("S", password=have_password)]}
    want = {"address_list_1": [share("S", password=want_password)]}
    return ab.plan_changes(have, want, "replaced", {"book_type": book_type}, update_password)


@pytest.mark.parametrize(
    "have_password, want_password, update_password, changed, after",
    [
        (OLD_SECRET, NEW_SECRET, "on_create", False, OLD_SECRET),
        (OLD_SECRET, NEW_SECRET, "always", True, NEW_SECRET),
        (OLD_SECRET, OLD_SECRET, "always", False, OLD_SECRET),
        (EncryptedSecret("cipher"), OLD_SECRET, "always", True, OLD_SECRET),
        (EncryptedSecret("cipher"), OLD_SECRET, "on_create", False, EncryptedSecret("cipher")),
        (None, OLD_SECRET, "always", True, OLD_SECRET),
        (OLD_SECRET, None, "always", False, OLD_SECRET),
        (EncryptedSecret("cipher"), None, "always", False, EncryptedSecret("cipher")),
        (OLD_SECRET, "", "always", True, ""),
    ],
)
def test_update_password(have_password, want_password, update_password, changed, after):
    plan = password_plan(have_password, want_password, update_password)
    assert plan.changed is changed
    assert plan.after["address_list_1"][0]["password"] == after
    if changed:
        change = plan.changes["address_list_1"].modified[0]["changes"]["password"]
        assert change["after"] == ("" if after == "" else ab.MASK)


def test_new_entries_take_the_declared_password_in_both_modes():
    for mode in ab.UPDATE_PASSWORD_CHOICES:
        plan = ab.plan_changes(
            {}, {"address_list_1": [share("S", password=NEW_SECRET)]}, "merged", {"book_type": "I"}, mode
        )
        assert plan.after["address_list_1"][0]["password"] == NEW_SECRET
        assert plan.changes["address_list_1"].added[0]["password"] == ab.MASK


def test_fax_subaddress_password_follows_the_same_rule():
    have = {"one_touch": [fax("F", 1, subaddress="1", subaddress_password="1234")]}
    want = {"one_touch": [fax("F", 1, subaddress="1", subaddress_password="5678")]}
    assert not ab.plan_changes(have, want, "merged", {"book_type": "I"}, "on_create").changed
    plan = ab.plan_changes(have, want, "merged", {"book_type": "I"}, "always")
    assert plan.changes["one_touch"].modified[0]["changes"] == {
        "subaddress_password": {"before": ab.MASK, "after": ab.MASK}
    }


def test_merged_keeps_device_password_when_not_declared():
    have = {"address_list_1": [share("S", password=OLD_SECRET)]}
    plan = ab.plan_changes(
        have,
        {"address_list_1": [{"type": "file", "name": "S", "path": "sub"}]},
        "merged",
        {"book_type": "I"},
        "always",
    )
    assert plan.after["address_list_1"][0]["password"] == OLD_SECRET
    assert list(plan.changes["address_list_1"].modified[0]["changes"]) == ["path"]


def test_secrets_never_appear_in_results_or_diffs():
    have = {"address_list_1": [share("S", password=OLD_SECRET), fax("F", subaddress_password="424242")]}
    want = {
        "address_list_1": [
            share("S", password=NEW_SECRET),
            share("T", password=NEW_SECRET),
            fax("F", subaddress_password="717171"),
        ],
        "address_list_2": [share("U", password=OLD_SECRET)],
    }
    plan = ab.plan_changes(have, want, "replaced", {"book_type": "I"}, "always")
    text = json.dumps([plan.result(), ab.build_diff(plan)], default=repr)
    for secret in (OLD_SECRET, NEW_SECRET, "424242", "717171"):
        assert secret not in text
    assert ab.MASK in text
    assert plan.after["address_list_1"][0]["password"] == NEW_SECRET  # the write still has it
    assert ab.mask_entry({"password": EncryptedSecret("c"), "subaddress_password": ""}) == {
        "password": ab.MASK,
        "subaddress_password": "",
    }


# --- diff: counts, capacity, totals, workflows ---------------------------------------------------------
def test_diff_counts_capacity_and_type1_totals():
    have = {"address_list_1": [email("A")], "address_list_2": [email("B"), email("C")]}
    plan = ab.plan_changes(have, {"address_list_1": [email("A"), email("D")]}, "replaced", {"book_type": "I"})
    diff = ab.build_diff(plan)
    assert diff["lists"]["address_list_1"]["count_before"] == 1
    assert diff["lists"]["address_list_1"]["count_after"] == 2
    assert diff["lists"]["address_list_1"]["capacity"] == 1600
    assert diff["totals"] == {"address_lists": {"count_before": 3, "count_after": 4, "capacity": 1600}}
    assert "workflows_deleted" not in diff and diff["warnings"] == []
    assert "address_list_2" not in diff["lists"]


def test_diff_reports_workflow_deletion_for_types_2_and_3():
    for book_type in ("II", "III"):
        have = type_have(book_type)
        first = FIRST_LIST[book_type]
        plan = ab.plan_changes(have, {first: []}, "replaced", {"book_type": book_type})
        diff = ab.build_diff(plan, workflow_count=7)
        assert diff["workflows_deleted"] == 7 and "7 workflow(s)" in diff["warnings"][0]
        assert diff["lists"][first]["capacity"] == {"II": 281, "III": 300}[book_type]
        assert ab.build_diff(plan)["workflows_deleted"] is None
        unchanged = ab.plan_changes(have, have, "merged", {"book_type": book_type})
        assert ab.build_diff(unchanged, workflow_count=7)["workflows_deleted"] == 0


def test_workflow_acknowledgement():
    have = type_have("II")
    plan = ab.plan_changes(have, {"favorites": []}, "replaced", {"book_type": "II"})
    error = expect_error(
        "addressbook_workflow_ack_required", ab.require_workflow_acknowledgement, plan, False, 3
    )
    assert "favorites" in error.msg and "3 workflow(s)" in error.msg and error.hint
    expect_error("addressbook_workflow_ack_required", ab.require_workflow_acknowledgement, plan, False, None)
    ab.require_workflow_acknowledgement(plan, True, 3)
    ab.require_workflow_acknowledgement(plan, False, 0)
    ab.require_workflow_acknowledgement(ab.plan_changes(have, have, "merged", {"book_type": "II"}), False, 3)
    type1 = ab.plan_changes({}, {"one_touch": [email("A", 1)]}, "merged", {"book_type": "I"})
    ab.require_workflow_acknowledgement(type1, False, 3)


# --- offline conversions (rendered / parsed) ---------------------------------------------------------------
def test_canon_csv_carries_device_numbers_for_type3():
    entries = [email("First", 1), fax("Last", 300)]
    rendered = ab.render_list(entries, "canon_csv", "III", "address_book")
    rows = rendered.data.split("\r\n")
    assert "# SubAddressBookName: Address Book" in rows and "# dn: fixed" not in rows
    assert rows[5].startswith("0,email,First") and rows[6].startswith("299,g3fax,Last")
    parsed = ab.parse_list(rendered.data, "canon_csv", "III", "address_book")
    assert parsed.entries == [ab.normalize_entry(entry) for entry in entries]
    touch = ab.render_list([email("B", 1)], "canon_csv", "III", "one_touch_speed_dial")
    assert "# dn: fixed" in touch.data and "\r\n1,email,B" in touch.data


def test_device_read_equals_declared_through_every_format():
    declared = [email("山田", reading="やまだ"), fax("Zoë", fax_number="+33 1 23")]
    expected = [ab.normalize_entry(entry) for entry in declared]
    for fmt, extra in (("canon_csv", {}), ("ldif", {}), ("emc_xlsx", {})):
        data = ab.render_list(declared, fmt, "I", "address_list_3", **extra).data
        assert ab.parse_list(data, fmt, "I", "address_list_3").entries == expected, fmt
    for entry, normal in zip(declared, expected):
        data = ab.render_list([entry], "emc_csv", "I", "address_list_3", destination_type=entry["type"]).data
        assert ab.parse_list(data, "emc_csv", "I", "address_list_3").entries == [normal]


def test_parse_drops_numbers_for_lists_identified_by_name():
    data = ab.render_list([email("A", 5)], "canon_csv", "II", "coded_dial").data
    assert ab.parse_list(data, "canon_csv", "I", "address_list_1").entries[0]["number"] is None


def test_one_touch_marker_must_match_the_list():
    data = ab.render_list([email("A", 5)], "canon_csv", "II", "favorites").data
    error = expect_error("addressbook_format_error", ab.parse_list, data, "canon_csv", "II", "coded_dial")
    assert "one-touch" in error.msg


def test_encrypted_export_through_the_wrapper():
    entries = [share("S", password=NEW_SECRET)]
    data = ab.render_list(entries, "canon_csv", "I", "address_list_1", export_password="export-pw-123").data
    assert NEW_SECRET not in data
    locked = ab.parse_list(data, "canon_csv", "I", "address_list_1")
    assert isinstance(locked.entries[0]["password"], EncryptedSecret)
    opened = ab.parse_list(data, "canon_csv", "I", "address_list_1", export_password="export-pw-123")
    assert opened.entries[0]["password"] == NEW_SECRET
    error = expect_error(
        "addressbook_format_error",
        ab.parse_list,
        data,
        "canon_csv",
        "I",
        "address_list_1",
        export_password="wrong-pw",
    )
    assert error.msg.startswith("canon_csv: line 8 ('S') column pwd")


def test_conversion_errors_map_to_codes():
    expect_error("addressbook_unsupported_type", ab.render_list, [email("A", 1)], "ldif", "I", "one_touch")
    expect_error(
        "addressbook_unsupported_type", ab.render_list, [group("G", [])], "ldif", "I", "address_list_1"
    )
    dropped = ab.render_list(
        [group("G", []), email("E")], "ldif", "I", "address_list_1", on_unsupported="drop"
    )
    assert [item["name"] for item in dropped.dropped] == ["G"]
    error = expect_error(
        "addressbook_format_error", ab.parse_list, "garbage", "canon_csv", "I", "address_list_1"
    )
    assert error.details == {"line": 1}
    expect_error("invalid_argument", ab.render_list, [], "emc_csv", "I", "address_list_1")
    expect_error("invalid_argument", ab.parse_list, "text", "emc_xlsx", "I", "address_list_1")
    expect_error("invalid_argument", ab.render_list, [], "abk", "I", "address_list_1")
    expect_error("invalid_argument", ab.render_book, {}, "emc_csv", "I")
    expect_error("invalid_argument", ab.parse_list, "", "ldif", "I", "address_list_1", on_unsupported="skip")
    expect_error(
        "addressbook_invalid_entry",
        ab.parse_list,
        "# Canon AddressBook CSV version: 0x0002\r\nobjectclass,cn,member\r\ngroupfids,G,a;a\r\n",
        "canon_csv",
        "I",
        "address_list_1",
    )


def test_render_book_and_emc_address_ids():
    book = {"address_list_1": [email("A")], "address_list_2": [fax("B")]}
    rendered = ab.render_book(book, "canon_csv", "I")
    assert set(rendered) == {"address_list_1", "address_list_2"}
    assert "# SubAddressBookName: Address List 2" in rendered["address_list_2"].data
    emc = (
        "AddressId,AddressType,Name,MailAddress\r\n"
        "17,Email,Old,old@example.com\r\n,Email,New,new@example.com\r\n"
    )
    parsed = ab.parse_list(emc, "emc_csv", "I", "address_list_1")
    assert parsed.address_ids == ["17", None] and [e["name"] for e in parsed.entries] == ["Old", "New"]


def test_copy_book_is_deep():
    book = {"address_list_1": [group("G", ["a"])]}
    copied = ab.copy_book(book)
    copied["address_list_1"][0]["members"].append("b")
    assert book["address_list_1"][0]["members"] == ["a"]
