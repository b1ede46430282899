"""The simulated device's own address-book rules (simulator/remote_ui/book.py), without HTTP."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from simulator.remote_ui.book import AddressBook, text_problem


def email(name: str, number: int = None, **extra: Any) -> Dict[str, Any]:
    entry = {"type": "email", "name": name, "address": "%s@example.com" % name.lower()}
    if number is not None:
        entry["number"] = number
    entry.update(extra)
    return entry


def check(book: AddressBook, list_name: str, entries: List[Dict[str, Any]], mode: str = "overwrite"):
    return book.check_entries(list_name, entries, mode)


def test_type_ii_groups_hold_one_destination_type_only():
    book = AddressBook("II", fax=True)
    members = [email("a", 1), {"type": "fax", "name": "f", "fax_number": "123", "number": 2}]
    mixed = check(book, "coded_dial", members + [{"type": "group", "name": "g", "members": ["a", "f"], "number": 3}])
    assert not mixed.ok and "mixes destination types" in mixed.errors[0]
    file_member = [{"type": "file", "name": "s", "protocol": "smb", "host": "h", "number": 4},
                   {"type": "group", "name": "g", "members": ["s"], "number": 5}]
    assert "cannot be group members" in check(book, "coded_dial", file_member).errors[0]
    nested = [email("a", 1), {"type": "group", "name": "g1", "members": ["a"], "number": 2},
              {"type": "group", "name": "g2", "members": ["g1"], "number": 3}]
    assert not check(book, "coded_dial", nested).ok


def test_type_iii_group_member_limit_and_mixing():
    book = AddressBook("III", fax=True)
    entries = [email("m%d" % i, i) for i in range(0, 250)] + [
        {"type": "fax", "name": "fx", "fax_number": "1", "number": 250}]
    ok_group = {"type": "group", "name": "g", "members": [e["name"] for e in entries], "number": 299}
    assert check(book, "address_book", entries + [ok_group]).ok          # mixed types are fine on Type III
    big = [email("b%d" % i, i) for i in range(0, 299)]
    too_many = {"type": "group", "name": "g", "members": [e["name"] for e in big] * 2, "number": 299}
    result = check(book, "address_book", big + [too_many])
    assert not result.ok and "at most 499" in result.errors[0]


def test_type_iii_fax_numbers_and_smb_password():
    entry = {"type": "fax", "name": "x"}
    assert text_problem("III", entry, "fax_number", "R0123 T45") is None
    assert "'T' and 'C' at most once" in text_problem("III", entry, "fax_number", "T1T")
    assert "'R' only first" in text_problem("III", entry, "fax_number", "1R")
    assert "start with a space" in text_problem("III", entry, "fax_number", " 1")
    assert "refuses" in text_problem("II", entry, "fax_number", "R0123")
    smb = {"type": "file", "name": "s", "protocol": "smb"}
    ftp = dict(smb, protocol="ftp")
    assert "allows 14" in text_problem("III", smb, "password", "p" * 15)
    assert text_problem("III", ftp, "password", "p" * 15) is None
    assert "allows 47" in text_problem("III", ftp, "host", "h" * 48)
    assert "bytes" in text_problem("III", email("n"), "name", "\u540d" * 9)   # 9 multi-byte = 18 bytes > 16


def test_type_i_pool_counts_every_address_list():
    book = AddressBook("I", fax=True, content={"address_list_3": [email("x%d" % i) for i in range(1000)]})
    result = check(book, "address_list_7", [email("y%d" % i) for i in range(601)])
    assert not result.ok and "1601" in result.errors[0]
    assert check(book, "address_list_3", [email("y%d" % i) for i in range(1600)]).ok   # overwrite frees the list


def test_type_ii_strips_type_i_fields_and_keeps_its_own():
    book = AddressBook("II", fax=True)
    fax = {"type": "fax", "name": "f", "fax_number": "123", "number": 1, "subaddress": "9", "ecm": False,
           "access_number": 12, "tx_start_speed": 9600}
    result = check(book, "coded_dial", [fax])
    assert result.ok
    stored = result.entries[0]
    assert "subaddress" not in stored and "access_number" not in stored
    assert stored["ecm"] is False and stored["tx_start_speed"] == 9600


@pytest.mark.parametrize("book_type,list_name,number,ok", [
    ("I", "one_touch", 0, False), ("I", "one_touch", 200, True),
    ("II", "favorites", 19, True), ("II", "coded_dial", 0, False),
    ("III", "address_book", 0, True), ("III", "address_book", 300, False),
    ("III", "one_touch_speed_dial", 200, True), ("III", "one_touch_speed_dial", 201, False),
])
def test_device_number_ranges(book_type, list_name, number, ok):
    book = AddressBook(book_type, fax=True)
    assert check(book, list_name, [email("n", number)]).ok is ok


def test_append_keeps_entries_given_without_numbers():
    book = AddressBook("II", fax=True, content={"coded_dial": [email("old")]})
    result = check(book, "coded_dial", [email("new", 3)], mode="append")
    assert result.ok and [e["name"] for e in result.entries] == ["new", "old"]
