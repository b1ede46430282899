"""Security Policy Settings and key/certificate pages of the simulated Remote UI (simulator-defined paths
and fields; the item labels are the EMC guide's texts, the menu and login flow Canon's public ones).

``wrap(handler, rui_state)`` answers the security endpoints of protocol_table and hands every other
request to the inner handler. Reading or writing the policy needs the policy login when a password
is set (per session). Actions answer JSON in ``<pre id="security">``.
"""

from __future__ import annotations

import html
import json
from typing import Any, Dict

from ..httpserver import Request, Response
from ..remote_ui import pages
from ..remote_ui.common import FlavourUi
from ..remote_ui.table import CLASSIC, protocol
from . import items as table
from .store import SecurityError, SecurityStore, decode, encode, store_for

NAMES = tuple(protocol.SECURITY_ENDPOINTS_CLASSIC)
FIELDS = protocol.SECURITY_CERT_FIELDS
SUFFIX = protocol.SECURITY_POLICY_VALUE_SUFFIX


class SecurityPages:
    def __init__(self, inner: Any, rui_state: Any) -> None:
        self.inner = inner
        self.rui = rui_state
        t = protocol.CLASSIC_ENDPOINTS if rui_state.flavour == CLASSIC else protocol.PORTAL_ENDPOINTS
        self.routes = {(t[n].method, t[n].path): n for n in NAMES}
        self.token_field = protocol.CLASSIC_TOKEN_FIELD if rui_state.flavour == CLASSIC else protocol.PORTAL_TOKEN_FIELD

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def store(self) -> SecurityStore:
        return store_for(self.rui.device)

    def _token(self, session: Any) -> str:
        from ..remote_ui.state import new_id, new_numeric_token
        session.token = new_id() if self.rui.flavour == CLASSIC else new_numeric_token()
        return pages.hidden(self.token_field, session.token)

    def _answer(self, session: Any, data: Dict[str, Any], title: str = "Security") -> Response:
        body = "%s\n<pre id=\"security\">%s</pre>" % (self._token(session), html.escape(json.dumps(data, sort_keys=True)))
        return pages.page(title, body)

    def handle(self, request: Request) -> Any:
        name = self.routes.get((request.method, request.path))
        if name is None:
            return self.inner.handle(request)
        session = self.rui.session_for(request.cookies())
        if session is None or not session.authenticated:
            return self.inner.expired()
        fields: Dict[str, str] = {}
        if request.method == "POST":
            fields = FlavourUi.multipart(request) if name == "certificate_add" else request.form()
            if session.token and fields.get(self.token_field) != session.token:
                return self.inner.invalid_token()
        try:
            return getattr(self, name)(session, fields)
        except SecurityError as exc:
            return self._answer(session, {"ok": False, "error": exc.reason, "message": exc.message})

    # ------------------------------------------------------------------ policy ------------------
    def security_policy_login(self, session: Any, fields: Dict[str, str]) -> Response:
        self.store.policy_login(session.sid, fields.get(protocol.SECURITY_POLICY_LOGIN_FIELD, ""))
        return self._answer(session, {"ok": True})

    def security_policy_page(self, session: Any, _fields: Dict[str, str]) -> Response:
        store = self.store
        if not store.policy_open(session.sid):
            raise SecurityError("policy_login_required", "Enter the security policy password and log in.")
        store.counters["policy_reads"] += 1
        store.note("policy_read")
        labels = protocol.SECURITY_POLICY_FACT_LABELS
        rows = ["<tr class=\"policy-fact\"><th>%s</th><td>%s</td></tr>" % (pages.esc(labels[k]), pages.esc(v))
                for k, v in (("change_count", store.change_count), ("policy_type", store.policy_type),
                             ("password_set", "true" if store.password else "false"))]
        for label, kind in table.ITEMS:
            value = store.policy.get(label)
            ticked = value not in (False, None)
            setting = str(int(value)) if (kind == "int" and ticked and value is not True) else ""
            rows.append("<tr class=\"policy-item\" data-field=\"%s\" data-kind=\"%s\"><th>%s</th><td>%s</td>"
                        "<td>%s</td></tr>" % (table.field(label), kind, pages.esc(label), "On" if ticked else "Off",
                                              pages.esc(setting)))
        body = "%s\n<table class=\"security-policy\">\n%s\n</table>" % (self._token(session), "\n".join(rows))
        return pages.page("Security Policy Settings", body)

    def security_policy_write(self, session: Any, fields: Dict[str, str]) -> Response:
        store = self.store
        if not store.policy_open(session.sid):
            raise SecurityError("policy_login_required", "Enter the security policy password and log in.")
        values: Dict[str, Any] = {}
        for label, kind in table.ITEMS:
            code = table.field(label)
            if code not in fields:
                raise SecurityError("policy_form_incomplete", "The form lacks the item %s." % label)
            on = fields[code] == "1"
            if not on:
                values[label] = False
            elif kind == "int":
                values[label] = decode(fields.get(code + SUFFIX, ""))
                if values[label] is False:
                    raise SecurityError("policy_value_required", "%s needs a setting." % label)
            else:
                values[label] = True
        store.overwrite(values)
        return self._answer(session, {"ok": True, "change_count": store.change_count})

    def security_policy_password(self, session: Any, fields: Dict[str, str]) -> Response:
        names = protocol.SECURITY_PASSWORD_FIELDS
        self.store.change_password(fields.get(names["current"], ""), fields.get(names["new"], ""),
                                   fields.get(names["confirm"], ""))
        return self._answer(session, {"ok": True})

    # ------------------------------------------------------------------ keys/certificates -------
    def certificate_list(self, session: Any, _fields: Dict[str, str]) -> Response:
        store = self.store
        store.counters["cert_reads"] += 1
        store.note("cert_read")
        return self._answer(session, dict(store.entries(), ok=True), "Key and Certificate Settings")

    def certificate_add(self, session: Any, fields: Dict[str, Any]) -> Response:
        store = self.store
        kind = fields.get(FIELDS["kind"], "")
        upload = fields.get(FIELDS["file"])
        data = upload[1] if isinstance(upload, tuple) else (upload.encode("latin-1") if isinstance(upload, str) else
                                                            bytes(upload or b""))
        try:
            if kind == "ca":
                entry = store.add_ca(data)
            elif kind == "key":
                usage = [u for u in str(fields.get(FIELDS["usage"], "")).split(",") if u]
                entry = store.add_key(data, fields.get(FIELDS["password"], ""), fields.get(FIELDS["name"], ""),
                                      usage, fields.get(FIELDS["take_usage"]) == "1")
            else:
                raise SecurityError("invalid_kind", "KIND must be ca or key.")
        except SecurityError:
            store.counters["cert_refusals"] += 1
            raise
        return self._answer(session, {"ok": True, "entry": entry})

    def certificate_delete(self, session: Any, fields: Dict[str, str]) -> Response:
        store = self.store
        try:
            store.delete(fields.get(FIELDS["kind"], ""), fields.get(FIELDS["id"], ""))
        except SecurityError:
            store.counters["cert_refusals"] += 1
            raise
        return self._answer(session, {"ok": True})

    def security_info(self, session: Any, _fields: Dict[str, str]) -> Response:
        store = self.store
        store.counters["info_reads"] += 1
        store.note("info_read")
        facts = store.audit_facts()
        rows = "\n".join("<tr><th>%s</th><td>%s</td></tr>" % (k, pages.esc(encode_fact(facts[k])))
                         for k in protocol.SECURITY_INFO_KEYS)
        return pages.page("Security Information", "%s\n<table class=\"security-info\">\n%s\n</table>"
                          % (self._token(session), rows))


def encode_fact(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wrap(handler: Any, rui_state: Any) -> SecurityPages:
    """The one hook simulator/remote_ui calls: security pages in front of the flavour handler."""
    return SecurityPages(handler, rui_state)


__all__ = ["wrap", "encode"]
