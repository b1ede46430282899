# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security Policy Settings pages over a logged-in RemoteUiSession, driven by the items' visible labels.

Why by label: the pages' field names are the device's own (opaque); the labels are the guide's item
texts, kept in items.py. Paths and fields come from transport/protocol_table.py (simulator-defined
where Canon publishes none). Also reads the security facts an audit needs and the action answers.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Dict, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.policy import items as table
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt

_ANSWER = re.compile(r'<pre id="security">(.*?)</pre>', re.S)
MENU = "Settings/Registration > Security Settings > Security Policy Settings"

#: device refusal reason -> collection error code
REASONS = {"policy_password_mismatch": "policy_password_mismatch", "policy_login_required": "policy_password_mismatch",
           "policy_password_restricted": "policy_password_restricted", "concurrent_task": "policy_concurrent_task",
           "expired_certificate": "certificate_expired", "invalid_pkcs12_password": "certificate_bad_passphrase",
           "invalid_certificate": "certificate_invalid", "usage_conflict": "certificate_usage_conflict",
           "in_use": "certificate_in_use", "default_protected": "certificate_default_protected"}


def answer(page: Any) -> Optional[Dict[str, Any]]:
    """The JSON answer of a security action page, or None when the page is not one."""
    found = _ANSWER.search(page.text)
    return json.loads(html.unescape(found.group(1))) if found else None


def check_answer(page: Any, what: str, default_code: str = "policy_write_failed") -> Dict[str, Any]:
    data = answer(page)
    if data is None:
        raise CanonError("rui_unexpected_response", "The %s page gave no answer." % what)
    if not data.get("ok"):
        code = REASONS.get(str(data.get("error")), default_code)
        raise CanonError(code, "%s: the device says: %s" % (what, data.get("message") or data.get("error")))
    return data


class PolicyClient:
    """Policy login, read, overwrite and password change on one session."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.fields: Dict[str, Tuple[str, str]] = {}     # label -> (field, kind)

    def login(self, password: str) -> bool:
        """True when the device took the policy password (one attempt: authentication is never retried)."""
        page = self.session.post_form("security_policy_login", {pt.SECURITY_POLICY_LOGIN_FIELD: password})
        data = answer(page) or {}
        return bool(data.get("ok"))

    def read(self) -> Optional[Dict[str, Any]]:
        """{change_count, policy_type, password_set, items {name: value}}; None when the login is needed."""
        page = self.session.get_page("security_policy_page")
        data = answer(page)
        if data is not None and not data.get("ok"):
            if data.get("error") == "policy_login_required":
                return None
            check_answer(page, "Security Policy Settings")
        labels = {v: k for k, v in pt.SECURITY_POLICY_FACT_LABELS.items()}
        facts: Dict[str, Any] = {}
        values: Dict[str, Any] = {}
        for attrs, cells in page.rows:
            texts = [text for _tag, text in cells]
            if attrs.get("class") == "policy-fact" and len(texts) == 2 and texts[0] in labels:
                facts[labels[texts[0]]] = texts[1]
            elif attrs.get("class") == "policy-item" and len(texts) >= 2:
                item = table.BY_LABEL.get(texts[0])
                if item is None:
                    continue          # an item this collection does not know (newer firmware): left alone
                self.fields[item.label] = (attrs.get("data-field", ""), item.kind)
                on = texts[1] == "On"
                setting = texts[2] if len(texts) > 2 else ""
                values[item.name] = (int(setting) if item.kind == "int" and on and setting.isdigit()
                                     else bool(on))
        if not self.fields:
            raise CanonError("unsupported_capability", "The device shows no security policy items.",
                             hint="Security policies need iR-ADV 3rd gen or newer MF/LBP (%s)." % MENU)
        return {"change_count": int(facts.get("change_count") or 0), "policy_type": facts.get("policy_type"),
                "password_set": facts.get("password_set") == "true", "items": values}

    def write(self, values: Dict[str, Any]) -> int:
        """Overwrite the whole policy as the page posts it (every item); returns the device's count."""
        fields: Dict[str, str] = {}
        for label, (field, kind) in self.fields.items():
            value = values[table.BY_LABEL[label].name]
            fields[field] = "0" if value is False else "1"
            if kind == "int" and value is not False and value is not True:
                fields[field + pt.SECURITY_POLICY_VALUE_SUFFIX] = str(int(value))
        data = check_answer(self.session.post_form("security_policy_write", fields), "Security Policy overwrite")
        return int(data.get("change_count") or 0)

    def change_password(self, current: str, new: str) -> None:
        names = pt.SECURITY_PASSWORD_FIELDS
        page = self.session.post_form("security_policy_password",
                                      {names["current"]: current, names["new"]: new, names["confirm"]: new})
        check_answer(page, "[Password Settings]")


def security_info(session: Any) -> Dict[str, Any]:
    """The device security facts an audit needs (security_info page rows)."""
    page = session.get_page("security_info")
    facts: Dict[str, Any] = {}
    for _attrs, cells in page.rows:
        if len(cells) == 2 and cells[0][1] in pt.SECURITY_INFO_KEYS:
            raw = cells[1][1]
            facts[cells[0][1]] = {"true": True, "false": False}.get(raw, raw)
    return facts
