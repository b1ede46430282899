"""The portal Remote UI of MF/LBP-class devices (80/443, served on 18080/18443).

``GET /`` sets the ``language`` and session cookies; ``POST /checkLogin.cgi`` logs the System
Manager in (302 to ``/portal_top.html``); a failed login answers the login page again (it holds
``name="i2101"``) with the "login failed" sentence. Every HTML page with a form carries a fresh
numeric ``iToken``; every POST after the login must carry the session's current one.

Address pages: the favourites page shows the book's one-touch list (Type II Favorites, Type III
One-touch Speed Dial), the coded-dial page the other list (Coded Dial, Address Book). Slots are
device numbers. The per-entry e-mail flow keeps its state (slot, type) in the session.
"""

from __future__ import annotations

import re
from typing import List, Mapping, Optional, Tuple, Union

from ..httpserver import Request, Response
from . import pages
from .book import SimList, text_problem
from .common import BadRequest, FlavourUi
from .state import Session, new_numeric_token
from .table import protocol

E = protocol.PORTAL_ENDPOINTS
LOGIN = protocol.PORTAL_LOGIN_FIELDS
ENTRY = protocol.PORTAL_ENTRY_FIELDS
LANGUAGE = "en"
# Row icons of the address list pages (public captures); the fax icon is the simulator's choice.
ICONS = {"email": "/media/ad_1.png", "ifax": "/media/ad_2.png", "fax": "/media/ad_3.png",
         "file": "/media/ad_6.png", "group": "/media/ad_grp.png", None: "/media/ad_dot.png"}
_SLOT = re.compile(r"^\d{1,4}$")


class PortalUi(FlavourUi):
    endpoints = E

    # --- dispatch -----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        name = self.routes.get((request.method, request.path))
        if name is None:
            if request.path in self.paths:
                return pages.message("Method not allowed.", "Error", status=405)
            return pages.not_found()
        session = self.state.session_for(request.cookies())
        if name == "top":
            return self.top(session)
        if name == "login":
            return self.login(request, session)
        if name == "logout":
            self.state.end_session(session)
            return pages.message("You have logged out.", "Logout")
        if session is None or not session.authenticated:
            return self.expired()
        try:
            if request.method == "POST":
                fields = self.multipart(request) if name == "csv_import" else request.form()
                if not self.token_ok(session, fields, protocol.PORTAL_TOKEN_FIELD):
                    return self.invalid_token()
                return getattr(self, "post_" + name)(fields, session)
            return getattr(self, "get_" + name)(session)
        except BadRequest as exc:
            return pages.message(str(exc), "Bad Request", status=400)

    def _token_input(self, session: Session) -> str:
        session.token = new_numeric_token()
        return pages.hidden(protocol.PORTAL_TOKEN_FIELD, session.token)

    # --- login --------------------------------------------------------------------------
    def _login_page(self, session: Session, sentence: Optional[str] = None,
                    headers: Optional[List[Tuple[str, str]]] = None) -> Response:
        mode_field, mode_value = LOGIN["mode_manager"]
        user_field, user_value = LOGIN["mode_user"]
        inner = "\n".join([
            self._token_input(session),
            "<p><label><input type=\"radio\" name=\"%s\" value=\"%s\" checked> System Manager Mode</label></p>"
            % (pages.esc(mode_field), pages.esc(mode_value)),
            "<p>System Manager ID " + pages.text_input(LOGIN["id"], kind="password") + "</p>",
            "<p>System Manager PIN " + pages.text_input(LOGIN["pin"], kind="password") + "</p>",
            "<p><label><input type=\"radio\" name=\"%s\" value=\"%s\"> General User Mode</label></p>"
            % (pages.esc(user_field), pages.esc(user_value)),
            "<p>Password " + pages.text_input(LOGIN["password"], kind="password") + "</p>",
            "<p><input type=\"submit\" value=\"Log In\"></p>",
        ])
        body = "<h1>Login</h1>\n"
        if sentence:
            body += "<p class=\"message\" id=\"message\">%s</p>\n" % pages.esc(sentence)
        return pages.page("Remote UI: Login", body + pages.form(E["login"].path, inner), headers=headers)

    def top(self, session: Optional[Session]) -> Response:
        headers = [pages.cookie(protocol.PORTAL_LANGUAGE_COOKIE, LANGUAGE, http_only=False)]
        if session is None:
            session = self.state.new_session()
            headers.append(pages.cookie(self.state.session_cookie, session.sid))
        if session.authenticated:
            return pages.redirect(protocol.PORTAL_LOGIN_SUCCESS_PATH, headers)
        return self._login_page(session, headers=headers)

    def login(self, request: Request, session: Optional[Session]) -> Response:
        fields = request.form()
        mode_field, mode_value = LOGIN["mode_manager"]
        if fields.get(mode_field) == mode_value:
            outcome = self.state.login(fields.get(LOGIN["id"]), fields.get(LOGIN["pin"]))
        else:
            outcome = self.state.login(None, None)     # general-user mode is not set up on the simulator
        if outcome != "ok":
            if session is None:
                session = self.state.new_session()
            sentence = protocol.LOCKED_OUT_TEXT if outcome == "locked" else protocol.LOGIN_FAILED_TEXT
            return self._login_page(session, sentence, [pages.cookie(self.state.session_cookie, session.sid)])
        self.state.end_session(session)
        fresh = self.state.new_session(authenticated=True)
        return pages.redirect(protocol.PORTAL_LOGIN_SUCCESS_PATH,
                              [pages.cookie(self.state.session_cookie, fresh.sid)])

    # --- pages --------------------------------------------------------------------------
    def get_portal_top(self, session: Session) -> Response:
        device = self.state.device
        status = "Sleep mode." if device.asleep else "Ready."
        body = ("<h1>Device Status</h1>\n<table class=\"status\">"
                "<tr><th>Device Name</th><td>%s</td></tr><tr><th>Product Name</th><td>%s</td></tr>"
                "<tr><th>Printer</th><td>%s</td></tr><tr><th>Scanner</th><td>Ready.</td></tr></table>\n"
                "<h2>Error Information</h2>\n<p>No errors.</p>\n<p><a href=\"%s\">Log Out</a></p>"
                % (pages.esc(device.sys_name), pages.esc(device.profile.get("model", "")), status,
                   pages.esc(E["logout"].path)))
        return pages.page("Remote UI: Portal", body)

    def _list_for(self, page_name: str) -> SimList:
        """favourites page -> the one-touch list; coded dial page -> the other list."""
        lists = self.book.kind.lists
        one_touch = [spec for spec in lists if spec.one_touch]
        others = [spec for spec in lists if not spec.one_touch]
        return (one_touch if page_name == "favorites" else others)[0]

    def _list_page(self, session: Session, page_name: str) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        spec = self._list_for(page_name)
        session.list_page = page_name
        by_number = self.book.by_device_number(spec.name) if spec.numbered else {}
        rows = []
        numbers = range(spec.first, spec.last + 1) if spec.numbered else range(1, 1 + len(self.book.lists[spec.name]))
        entries = None if spec.numbered else self.book.lists[spec.name]
        for number in numbers:
            entry = by_number.get(number) if entries is None else entries[number - 1]
            kind = entry["type"] if entry else None
            label = ""
            if entry:
                label = entry.get("address") or entry.get("fax_number") or entry.get("host") or ""
            rows.append(
                "<tr class=\"entry\"><td><a href=\"javascript:addressListLink(%d)\"><img src=\"%s\" alt=\"\"></a></td>"
                "<td class=\"no\">%s</td><td class=\"name\">%s</td><td class=\"address\">%s</td></tr>"
                % (number, ICONS.get(kind, ICONS[None]), str(number).zfill(3),
                   pages.esc(entry.get("name", "")) if entry else "", pages.esc(label)))
        token = self._token_input(session)
        select = pages.form(E["select_slot"].path, "%s\n%s" % (token, pages.hidden(ENTRY["slot"], "")))
        delete_path = E["delete_entry" if page_name == "favorites" else "delete_coded"].path
        delete = pages.form(delete_path, "%s\n%s" % (pages.hidden(protocol.PORTAL_TOKEN_FIELD, session.token),
                                                     pages.hidden(ENTRY["delete_slot"], "")))
        body = "<h1>%s</h1>\n<table class=\"address-list\" data-list=\"%s\">\n%s\n</table>\n%s\n%s" % (
            pages.esc(spec.title), pages.esc(spec.name), "\n".join(rows), select, delete)
        return pages.page(spec.title, body)

    def get_favorites(self, session: Session) -> Response:
        return self._list_page(session, "favorites")

    def get_coded_dial(self, session: Session) -> Response:
        return self._list_page(session, "coded_dial")

    def get_book_info(self, session: Session) -> Response:
        return self.book_gate() or self.book_info_page()

    def get_io_page(self, session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        token = self._token_input(session)
        options = "".join("<option value=\"%s\">%s</option>" % (pages.esc(spec.name), pages.esc(spec.title))
                          for spec in self.book.kind.lists)
        export = pages.form(E["csv_export"].path, "\n".join([
            token, "<select name=\"%s\">%s</select>" % (protocol.ABOOK_LIST_FIELD, options),
            "<label><input type=\"checkbox\" name=\"%s\" value=\"1\"> Encrypt passwords</label>"
            % protocol.ABOOK_ENCRYPT_FIELD,
            pages.text_input(protocol.ABOOK_PASSWORD_FIELD, kind="password",
                             maxlength=protocol.ENCRYPTION_PASSWORD_MAX),
            "<input type=\"submit\" value=\"Export\">"]))
        modes = "".join("<option value=\"%s\">%s</option>" % (mode, mode) for mode in protocol.IMPORT_MODES)
        import_form = pages.form(E["csv_import"].path, "\n".join([
            pages.hidden(protocol.PORTAL_TOKEN_FIELD, session.token),
            "<select name=\"%s\">%s</select>" % (protocol.ABOOK_LIST_FIELD, options),
            "<select name=\"%s\">%s</select>" % (protocol.ABOOK_MODE_FIELD, modes),
            pages.text_input(protocol.ABOOK_PASSWORD_FIELD, kind="password",
                             maxlength=protocol.ENCRYPTION_PASSWORD_MAX),
            "<input type=\"file\" name=\"%s\">" % protocol.ABOOK_FILE_FIELD,
            "<input type=\"submit\" value=\"Import\">"]), multipart=True)
        return pages.page("Import/Export", "<h1>Import/Export: Address Lists</h1>\n%s\n%s" % (export, import_form))

    # --- POSTs (token already checked) ------------------------------------------------------
    def _slot(self, fields: Mapping[str, Union[str, bytes]], key: str, spec: SimList) -> int:
        value = fields.get(key)
        if not isinstance(value, str) or not _SLOT.match(value):
            raise BadRequest("%s must be a slot number" % key)
        slot = int(value)
        if not spec.numbered or not spec.first <= slot <= spec.last:   # type: ignore[operator]
            raise BadRequest("slot %d is not in %s" % (slot, spec.title))
        return slot

    def post_select_slot(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        spec = self._list_for(session.list_page or "coded_dial")
        session.slot = self._slot(fields, ENTRY["slot"], spec)
        session.entry_type = None
        inner = "\n".join([
            self._token_input(session),
            "<p><label><input type=\"radio\" name=\"%s\" value=\"%s\" checked> E-Mail</label></p>"
            % (ENTRY["type"], protocol.PORTAL_ENTRY_TYPE_EMAIL),
            "<p><input type=\"submit\" value=\"Next\"></p>"])
        return pages.page("Register New Destination", "<h1>Register New Destination: %s</h1>\n%s" % (
            str(session.slot).zfill(3), pages.form(E["new_entry"].path, inner)))

    def post_new_entry(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        if session.slot is None:
            return self.expired()
        if fields.get(ENTRY["type"]) != protocol.PORTAL_ENTRY_TYPE_EMAIL:
            raise BadRequest("the simulator registers only e-mail destinations here (%s=%s)"
                             % (ENTRY["type"], protocol.PORTAL_ENTRY_TYPE_EMAIL))
        session.entry_type = "email"
        inner = "\n".join([
            self._token_input(session),
            "<p>Name " + pages.text_input(ENTRY["name"], maxlength=16) + "</p>",
            "<p>E-Mail Address " + pages.text_input(ENTRY["email"], maxlength=120) + "</p>",
            "<p><input type=\"submit\" value=\"OK\"></p>"])
        return pages.page("Register New Destination: E-Mail", "<h1>E-Mail</h1>\n%s"
                          % pages.form(E["email_register"].path, inner))

    def post_email_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        if session.slot is None or session.entry_type != "email":
            return self.expired()
        page_name = session.list_page or "coded_dial"
        spec = self._list_for(page_name)
        name, address = fields.get(ENTRY["name"]), fields.get(ENTRY["email"])
        entry = {"type": "email", "name": name if isinstance(name, str) else "",
                 "address": address if isinstance(address, str) else ""}
        problems = [p for p in (text_problem(self.book.kind.name, entry, "name", entry["name"]),
                                text_problem(self.book.kind.name, entry, "address", entry["address"])) if p]
        if not entry["name"] or not entry["address"]:
            problems.insert(0, "name and e-mail address are required")
        if problems:
            return pages.message(protocol.IMPORT_FAILED_TEXT, "Register", details=problems)
        entry["number"] = session.slot - spec.offset
        self.book.put_entry(spec.name, entry)
        self.state.counters["entries_registered"] += 1
        session.slot = session.entry_type = None
        return pages.redirect(E[page_name].path)

    def _delete(self, fields: Mapping[str, Union[str, bytes]], page_name: str) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        spec = self._list_for(page_name)
        slot = self._slot(fields, ENTRY["delete_slot"], spec)
        if self.book.delete_number(spec.name, slot - spec.offset):
            self.state.counters["entries_deleted"] += 1
        return pages.redirect(E[page_name].path)

    def post_delete_entry(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._delete(fields, "favorites")

    def post_delete_coded(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._delete(fields, "coded_dial")

    def post_csv_export(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self.export_csv(fields)

    def post_csv_import(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self.import_csv(fields)
