"""docs/device-protocols.md must list every Remote UI endpoint of the protocol table with its origin."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "device-protocols.md")
ORIGIN_WORDS = {protocol_table.PUBLIC: "public", protocol_table.SIMULATOR: "simulator-defined"}


def _doc_rows(section_title: str) -> dict:
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("### " + section_title, 1)[1].split("\n### ", 1)[0]
    rows = {}
    for method, path, origin in re.findall(r"^\| `(GET|POST) ([^`]+)` \| ([a-z-]+) \|", section, re.M):
        rows[(method, path)] = origin
    return rows


@pytest.mark.parametrize("title,endpoints", [
    ("Classic iR-ADV Remote UI", protocol_table.CLASSIC_ENDPOINTS),
    ("Portal Remote UI (MF / LBP)", protocol_table.PORTAL_ENDPOINTS),
])
def test_every_endpoint_is_documented_with_its_origin(title, endpoints):
    rows = _doc_rows(title)
    table = {(e.method, e.path): ORIGIN_WORDS[e.source] for e in endpoints.values()}
    assert rows == table


def test_simulator_defined_oid_is_documented_and_outside_canon_arc():
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    oid = protocol_table.RESTRICT_ADDRESS_BOOK_RECEIVE_OID
    assert oid in text
    assert not oid.startswith(oids.CANON_ENTERPRISE + ".")


def test_every_sms_endpoint_is_documented_with_its_origin():
    rows = _doc_rows("MEAP SMS (Service Management Service)")
    table = {(e.method, e.path): ORIGIN_WORDS[e.source] for e in protocol_table.SMS_ENDPOINTS.values()}
    table[(protocol_table.SMS_ROOT.method, protocol_table.SMS_ROOT.path)] = "public"
    assert rows == table
