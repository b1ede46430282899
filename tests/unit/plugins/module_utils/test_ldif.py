# -*- coding: utf-8 -*-
"""LDIF (classic Remote UI /rps/abook.ldif): records, base64, folding, what the format refuses."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import AddressBookFormatError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.ldif import (
    escape_dn_value,
    first_rdn_value,
    parse_ldif,
    render_ldif,
)


def test_render_exact_records_separated_by_crlf_crlf():
    rendered = render_ldif(
        [
            {"type": "email", "name": "Alice", "address": "alice@example.com"},
            {"type": "fax", "name": "Bob", "reading": "bob", "fax_number": "0123 456", "number": 3},
        ],
        list_title="Address List 1",
    )
    assert rendered.dropped == []
    assert rendered.text == (
        "dn: cn=Alice,ou=Address List 1\r\n"
        "objectclass: top\r\nobjectclass: person\r\nobjectclass: email\r\n"
        "cn: Alice\r\nmailaddress: alice@example.com\r\n"
        "\r\n"
        "dn: cn=Bob,ou=Address List 1\r\n"
        "objectclass: top\r\nobjectclass: person\r\nobjectclass: g3fax\r\n"
        "cn: Bob\r\ncnread: bob\r\nfacsimileTelephoneNumber: 0123 456\r\nindxid: 3\r\n"
    )


def test_non_ascii_values_use_base64_and_round_trip():
    entries = [
        {"type": "email", "name": "山田 太郎", "reading": "やまだ", "address": "taro@example.jp"},
        {"type": "email", "name": "José Müller", "address": "jm@example.es"},
    ]
    text = render_ldif(entries).text
    assert "cn:: " + base64.b64encode("山田 太郎".encode()).decode() in text
    assert "dn:: " in text and "José" not in text
    assert parse_ldif(text).entries == entries


@pytest.mark.parametrize("value", [" leading space", ":colon first", "<angle", "trailing space "])
def test_unsafe_ascii_values_use_base64(value):
    text = render_ldif([{"type": "email", "name": value, "address": "a@b.c"}]).text
    assert "\r\ncn:: " in text
    assert parse_ldif(text).entries[0]["name"] == value


def test_long_lines_fold_at_76_and_unfold():
    address = "a" * 150 + "@example.com"
    text = render_ldif([{"type": "email", "name": "Long", "address": address}]).text
    lines = text.split("\r\n")
    assert max(len(line) for line in lines) == 76
    assert any(line.startswith(" ") for line in lines)
    assert parse_ldif(text).entries[0]["address"] == address


def test_round_trip_text_exact():
    entries = [
        {"type": "fax", "name": 'Fax, "HQ"', "fax_number": "+1 555 0100", "number": 7},
        {"type": "email", "name": "# hash", "address": "h@example.com"},
    ]
    text = render_ldif(entries, list_title="Sales").text
    parsed = parse_ldif(text)
    assert parsed.entries == entries
    assert render_ldif(parsed.entries, list_title="Sales").text == text


def test_dn_escaping_and_fallback_name_from_dn():
    assert escape_dn_value('a,b+c"d\\e<f>g;h=i') == 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i'
    assert escape_dn_value("#x ") == "\\#x\\ "
    assert first_rdn_value("cn=Smith\\, John,ou=x") == "Smith, John"
    assert first_rdn_value("cn=caf\\c3\\a9") == "cafÃ©"  # hex pairs are raw octets per RFC 4514
    text = "dn: cn=No\\, Cn,o=canon\r\nmail: nocn@example.com\r\n"
    assert parse_ldif(text).entries == [{"type": "email", "name": "No, Cn", "address": "nocn@example.com"}]


def test_generic_ldap_records_lf_version_and_comments():
    text = (
        "version: 1\n"
        "# exported from a directory\n"
        "dn: cn=Ann,o=corp\n"
        "objectClass: inetOrgPerson\n"
        "cn: Ann\n"
        "mail: ann@corp.example\n"
        "facsimileTelephoneNumber: 0800 1\n"
        "\n"
        "dn: cn=Fax Only,o=corp\n"
        "# a comment that is\n"
        "  folded\n"
        "cn: Fax Only\n"
        "dialdata: 0800 2\n"
        "\n"
        "dn: o=corp\n"
        "objectClass: organization\n"
    )
    book = parse_ldif(text)
    assert book.entries == [
        {"type": "email", "name": "Ann", "address": "ann@corp.example"},
        {"type": "fax", "name": "Fax Only", "fax_number": "0800 2"},
    ]
    assert [item["reason"] for item in book.dropped] == [
        "fax number ignored: one destination per record, e-mail kept",
        "no e-mail address or fax number",
    ]


def test_version_line_directly_before_first_record():
    text = "version: 1\r\ndn: cn=A\r\ncn: A\r\nmail: a@b.c\r\n"
    assert parse_ldif(text).entries == [{"type": "email", "name": "A", "address": "a@b.c"}]


def test_canon_class_wins_over_attribute_guess():
    text = "dn: cn=F\r\nobjectclass: g3fax\r\ncn: F\r\nmailaddress: f@x.y\r\nfacsimileTelephoneNumber: 1\r\n"
    assert parse_ldif(text).entries == [{"type": "fax", "name": "F", "fax_number": "1"}]


DEVICE_EXPORT = (
    "dn: cn=Share\r\nobjectclass: remotefilesystem\r\ncn: Share\r\nurl: \\\\fs\\s\r\n"
    "username: scan\r\npwd: cleartext-from-device\r\n\r\n"
    "dn: cn=Mail\r\nobjectclass: email\r\ncn: Mail\r\nmailaddress: m@example.com\r\n\r\n"
    "dn: cn=Creds\r\ncn: Creds\r\nusername: svc\r\npwd: another-cleartext\r\n\r\n"
    "dn: cn=Team\r\nobjectclass: groupfids\r\ncn: Team\r\n"
)


def test_file_and_group_records_refused_with_clear_message():
    with pytest.raises(AddressBookFormatError, match="only e-mail and fax destinations") as info:
        parse_ldif(DEVICE_EXPORT)
    assert info.value.code == "addressbook_unsupported_type" and "'Share'" in info.value.msg


def test_file_and_group_records_dropped_on_request_and_passwords_never_read():
    book = parse_ldif(DEVICE_EXPORT, on_unsupported="drop")
    assert book.entries == [{"type": "email", "name": "Mail", "address": "m@example.com"}]
    assert [(item["name"], item["line"]) for item in book.dropped] == [
        ("Share", 1),
        ("Creds", 13),
        ("Team", 18),
    ]
    assert "cleartext" not in repr(book)


def test_render_refuses_or_drops_other_types_and_one_touch():
    entries = [
        {"type": "email", "name": "E", "address": "e@x.y"},
        {"type": "file", "name": "F", "host": "h", "password": "never-written"},
        {"type": "group", "name": "G", "members": ["E"]},
        {"type": "ifax", "name": "I", "address": "i@x.y"},
    ]
    with pytest.raises(
        AddressBookFormatError, match=r"entry 2 \('F'\): file entries cannot be written"
    ) as info:
        render_ldif(entries)
    assert info.value.code == "addressbook_unsupported_type"
    rendered = render_ldif(entries, on_unsupported="drop")
    assert [item["name"] for item in rendered.dropped] == ["F", "G", "I"]
    assert "never-written" not in rendered.text and rendered.text.count("dn: ") == 1
    with pytest.raises(AddressBookFormatError, match="no one-touch buttons"):
        render_ldif(entries[:1], one_touch=True)


def test_empty_input_and_output():
    assert render_ldif([]).text == ""
    assert parse_ldif("").entries == []


@pytest.mark.parametrize(
    "text, message",
    [
        (" continued\r\n", "continuation line without"),
        ("dn: cn=A\r\nnot an attribute line\r\n", "expected 'attribute: value'"),
        ("dn: cn=A\r\ncn:: !!notbase64\r\n", "bad base64"),
        ("dn: cn=A\r\ncn:< file:///etc/passwd\r\n", "URL values"),
    ],
)
def test_syntax_errors_name_the_line(text, message):
    with pytest.raises(AddressBookFormatError, match=message) as info:
        parse_ldif(text)
    assert info.value.line is not None


def test_bad_indxid_is_a_format_error():
    with pytest.raises(AddressBookFormatError, match="indxid"):
        parse_ldif("dn: cn=A\r\ncn: A\r\nmail: a@b.c\r\nindxid: seven\r\n")
