"""The classic iR-ADV Remote UI (8000/8443): ``/login``, ``/rps/...``, page order and Referer.

Navigation rule (the public behaviour scrapers run into): ``/`` -> ``POST /login`` ->
``/portal/indicate`` -> ``/rps/nativetop.cgi`` (sets the ``iR`` cookie) -> the target page.
Every other ``/rps/`` request needs the session and ``iR`` cookies AND a ``Referer`` whose path
is the HTML page this session loaded last; anything else answers the "session expired" page.
A GET of an HTML page becomes the "last page" (nativetop.cgi counts); exports, imports and
other POSTs do not change it. ``asublist.cgi`` issues the form ``Token`` every POST needs.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from ..httpserver import Request, Response
from . import codec, pages
from .common import BadRequest, FlavourUi
from .state import Session, new_id
from .table import protocol

E = protocol.CLASSIC_ENDPOINTS
LOGIN = protocol.CLASSIC_LOGIN_FIELDS
RPS_PREFIX = "/rps/"
# the success marker public scrapers look for on the settings context page
SETTINGS_PAGE_MARKER = "VARIE_BOX_ALL_SETTING"
NAG_PATH = protocol.CLASSIC_PASSWORD_NAG.path
TYPE_BY_CLASS = {value: key for key, value in protocol.CLASSIC_CLASS_BY_TYPE.items()}
PROTOCOL_BY_VALUE = {value: key for key, value in protocol.CLASSIC_PROTOCOL_BY_NAME.items()}
FIELDS = protocol.CLASSIC_ENTRY_FIELDS
SECRET_KEYS = codec.SECRET_KEYS


def form_of(entry: Mapping[str, Any], index: Optional[int]) -> Dict[str, str]:
    """An entry as the property form shows it (no password: the device never shows one)."""
    values = {protocol.CLASSIC_CLASS_FIELD: protocol.CLASSIC_CLASS_BY_TYPE[entry["type"]]}
    for attribute, text in codec.attributes_of(entry).items():
        key = codec.BY_ATTRIBUTE[attribute][0]
        if key == "protocol":
            values[protocol.CLASSIC_PROTOCOL_FIELD] = protocol.CLASSIC_PROTOCOL_BY_NAME.get(text, text)
        elif key in FIELDS and key != "password":
            values[FIELDS[key]] = text
        else:
            values[attribute] = text
    if index is not None:
        values[protocol.CLASSIC_ENTRY_INDEX_FIELD] = str(index)
    if entry.get("number") is not None:
        values[FIELDS["number"]] = str(index)
    return values


def entry_of(fields: Mapping[str, Union[str, bytes]], old: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The entry a submitted create/modify form describes; BadRequest when the class is unknown."""
    kind = TYPE_BY_CLASS.get(str(fields.get(protocol.CLASSIC_CLASS_FIELD, "")))
    if kind is None:
        raise BadRequest("%s must be one of %s" % (protocol.CLASSIC_CLASS_FIELD, ", ".join(TYPE_BY_CLASS)))
    attributes: Dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, str) and name.lower() in codec.BY_ATTRIBUTE:
            attributes[name.lower()] = value
    entry = codec.entry_from_attributes(kind, attributes)
    for key, field_name in FIELDS.items():
        value = fields.get(field_name)
        if key in ("password", "number") or not isinstance(value, str) or value == "":
            continue
        if key in ("address", "fax_number", "host"):
            key = {"email": "address", "ifax": "address", "fax": "fax_number", "file": "host"}.get(kind, "")
            if not key:
                continue
        entry[key] = value
    if kind == "file" and fields.get(protocol.CLASSIC_PROTOCOL_FIELD):
        value = str(fields[protocol.CLASSIC_PROTOCOL_FIELD])
        if value not in PROTOCOL_BY_VALUE:
            raise BadRequest("%s must be one of %s" % (protocol.CLASSIC_PROTOCOL_FIELD, ", ".join(PROTOCOL_BY_VALUE)))
        entry["protocol"] = PROTOCOL_BY_VALUE[value]
    number = fields.get(FIELDS.get("number", "APNO"))
    if isinstance(number, str) and number.strip():
        entry["number"] = codec.value_in("int", number, "number")
    secret_key = SECRET_KEYS.get(kind)
    if secret_key:
        if fields.get(protocol.CLASSIC_PASSWORD_CHANGE_FIELD) == "1":
            entry[secret_key] = str(fields.get(FIELDS["password"]) or "")
        elif old is not None and old.get("type") == kind and old.get(secret_key):
            entry[secret_key] = old[secret_key]       # unchanged unless PASSCHK asks for it
    return entry


class ClassicUi(FlavourUi):
    endpoints = E

    # --- dispatch -----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        name = self.routes.get((request.method, request.path))
        if name is None and request.path != NAG_PATH:
            if request.path in self.paths:
                return pages.message("Method not allowed.", "Error", status=405)
            if request.path.startswith(RPS_PREFIX) and self._session(request) is None:
                return self.expired()
            return pages.not_found()
        session = self._session(request)
        if request.path == NAG_PATH:
            try:
                return self.password_nag(request, session)
            except BadRequest as exc:
                return pages.message(str(exc), "Bad Request", status=400)
        if name == "top":
            return self.top(session)
        if name == "login":
            return self.login(request, session)
        if name == "logout":
            self.state.end_session(session)
            return pages.message("You have logged out.", "Logout")
        if session is None or not session.authenticated:
            return self.expired()
        if name == "indicate":
            session.last_page = request.path
            return pages.page("Remote UI", "<h1>Remote UI</h1>\n<p><a href=\"%s\">Device status</a></p>"
                              % pages.esc(E["nativetop"].path))
        if name == "nativetop":
            return self.nativetop(request, session)
        if not self._navigation_ok(request, session):
            return self.expired()
        try:
            return getattr(self, "page_" + name)(request, session)
        except BadRequest as exc:
            return pages.message(str(exc), "Bad Request", status=400)

    def _session(self, request: Request) -> Optional[Session]:
        return self.state.session_for(request.cookies())

    @staticmethod
    def _navigation_ok(request: Request, session: Session) -> bool:
        context = request.cookies().get(protocol.CLASSIC_CONTEXT_COOKIE)
        if not session.context or context != session.context:
            return False
        referer = request.headers.get("referer")
        return bool(referer) and urlsplit(referer).path == session.last_page

    # --- portal and login ---------------------------------------------------------------
    def _login_form(self) -> str:
        """The public classic login form (CN2, WRY): uri, user_type_generic, loginType, deptid, password,
        password2; ``login_form: user_only`` serves the user-login variant (USERNAME/PASSWORD_T) the
        client must not guess at."""
        if self.state.login_form == "unknown":
            inner = "\n".join(["<p>User " + pages.text_input("USERNAME") + "</p>",
                               "<p>Password " + pages.text_input("PASSWORD_T", kind="password") + "</p>"])
            return pages.form(E["login"].path, inner)
        inner = "\n".join([
            pages.hidden(LOGIN["uri"], E["top"].path),
            pages.hidden("user_type_generic", ""),
            pages.hidden("loginType", "admin"),
            "<p>System Manager ID " + pages.text_input(LOGIN["id"], kind="password") + "</p>",
            "<p>System Manager PIN " + pages.text_input(LOGIN["pin"], kind="password") + "</p>",
            pages.hidden("password2", ""),
            "<p><input type=\"submit\" value=\"Log In\"></p>",
        ])
        return "<form name=\"login\" method=\"post\" action=\"%s\">\n%s\n</form>" % (pages.esc(E["login"].path), inner)

    def top(self, session: Optional[Session]) -> Response:
        headers: List[Tuple[str, str]] = []
        if session is None:
            session = self.state.new_session()
            headers.append(pages.cookie(self.state.session_cookie, session.sid))
        session.last_page = E["top"].path
        if session.authenticated:
            body = ("<h1>Remote UI: Portal</h1>\n<p>%s</p>\n<p><a href=\"%s\">Remote UI</a></p>"
                    % (pages.esc(self.state.device.profile.get("model", "")), pages.esc(E["indicate"].path)))
        else:
            body = "<h1>Remote UI: Login</h1>\n" + self._login_form()
        return pages.page("Remote UI", body, headers=headers)

    def login(self, request: Request, session: Optional[Session]) -> Response:
        fields = request.form()
        outcome = self.state.login(fields.get(LOGIN["id"]), fields.get(LOGIN["pin"]))
        if outcome == "locked":
            return pages.message(protocol.LOCKED_OUT_TEXT, "Login", extra="\n" + self._login_form())
        if outcome == "failed":
            return pages.message(protocol.LOGIN_FAILED_TEXT, "Login", extra="\n" + self._login_form())
        self.state.end_session(session)
        fresh = self.state.new_session(authenticated=True)
        target = E["top"].path
        if self.state.system_manager_pin == protocol.DEFAULT_SYSTEM_MANAGER_PIN:
            target = NAG_PATH          # the default-password nag (CN2): answered with conf=no
            fresh.nag = True
        return pages.redirect(target, [pages.cookie(self.state.session_cookie, fresh.sid)])

    def password_nag(self, request: Request, session: Optional[Session]) -> Response:
        if session is None or not session.authenticated:
            return self.expired()
        if request.method == "GET":
            inner = "<p>The System Manager PIN is the factory default. Change it now?</p>\n" \
                    "<p><label><input type=\"radio\" name=\"conf\" value=\"yes\"> Yes</label>" \
                    "<label><input type=\"radio\" name=\"conf\" value=\"no\" checked> No</label></p>"
            return pages.page("Password Confirmation", "<h1>Password Confirmation</h1>\n" + pages.form(NAG_PATH, inner))
        if request.form().get("conf") != "no":
            raise BadRequest("answer conf=no to keep the PIN")
        session.nag = False
        self.state.counters["password_nag"] += 1
        return pages.redirect(E["top"].path)

    def nativetop(self, request: Request, session: Session) -> Response:
        """The page context: a new ``iR`` cookie every time, and this page becomes the last one."""
        session.context = new_id()
        session.last_page = request.path
        tag = request.arg(protocol.CLASSIC_PAGE_TAG_FIELD, "") or ""
        body = "<h1>Remote UI</h1>\n<p class=\"context\">%s</p>" % pages.esc(tag)
        if tag == protocol.CLASSIC_PAGE_TAGS["settings"]:
            body += "\n<div id=\"%s\">Settings/Registration</div>" % SETTINGS_PAGE_MARKER
        if tag == protocol.CLASSIC_PAGE_TAGS["address_book"]:
            body += "\n<p><a href=\"%s\">Address Lists</a></p>" % pages.esc(E["address_lists"].path)
        return pages.page("Remote UI", body, headers=[pages.cookie(protocol.CLASSIC_CONTEXT_COOKIE, session.context,
                                                                   http_only=False)])

    # --- /rps/ pages (navigation already checked) -----------------------------------------
    def page_address_lists(self, request: Request, session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        session.last_page = request.path
        session.token = new_id()
        table = pages.info_table(self.book_facts(), self.book.info_rows())
        body = "<h1>Address Lists</h1>\n%s\n%s" % (
            table, pages.form(E["address_lists"].path, pages.hidden(protocol.CLASSIC_TOKEN_FIELD, session.token)))
        return pages.page("Address Lists", body)

    def page_book_info(self, request: Request, session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        session.last_page = request.path
        return self.book_info_page()

    def _posted(self, request: Request, session: Session, multipart: bool = False):
        fields = self.multipart(request) if multipart else request.form()
        if not self.token_ok(session, fields, protocol.CLASSIC_TOKEN_FIELD):
            return fields, self.invalid_token()
        return fields, None

    def page_password_export(self, request: Request, session: Session) -> Response:
        fields, refused = self._posted(request, session)
        if refused:
            return refused
        gate = self.book_gate()
        if gate:
            return gate
        value = fields.get(protocol.CLASSIC_PASSWORD_EXPORT_FIELD)
        if value not in ("0", "1"):
            raise BadRequest("%s must be 0 or 1" % protocol.CLASSIC_PASSWORD_EXPORT_FIELD)
        self.state.password_export_allowed = value == "1"
        return pages.message("The setting was changed.", "Address Book Password Export")

    def page_ldif_export(self, request: Request, session: Session) -> Response:
        if not self.state.ldif_export:
            return pages.not_found()
        fields, refused = self._posted(request, session)
        if refused:
            return refused
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        lists = self.book.kind.list_names
        try:
            aid = int(fields.get(protocol.CLASSIC_LIST_ID_FIELD, ""))
        except ValueError:
            aid = 0
        if not 1 <= aid <= len(lists):
            raise BadRequest("%s must be 1-%d" % (protocol.CLASSIC_LIST_ID_FIELD, len(lists)))
        return self.export_ldif(lists[aid - 1])

    def page_csv_export(self, request: Request, session: Session) -> Response:
        fields, refused = self._posted(request, session)
        return refused or self.export_csv(fields)

    def page_csv_import(self, request: Request, session: Session) -> Response:
        fields, refused = self._posted(request, session, multipart=True)
        return refused or self.import_csv(fields)

    # --- address lists and per-entry forms (public paths, KOR) -------------------------------------
    def _aid_list(self, fields: Mapping[str, Union[str, bytes]]) -> str:
        lists = self.book.kind.list_names
        try:
            aid = int(str(fields.get(protocol.CLASSIC_LIST_ID_FIELD, "")))
        except ValueError:
            aid = 0
        if not 1 <= aid <= len(lists):
            raise BadRequest("%s must be 1-%d" % (protocol.CLASSIC_LIST_ID_FIELD, len(lists)))
        return lists[aid - 1]

    def _frame_path(self, fields: Mapping[str, Union[str, bytes]]) -> str:
        return "%s?%s=%s" % (E["list_frame"].path, protocol.CLASSIC_LIST_ID_FIELD,
                             fields.get(protocol.CLASSIC_LIST_ID_FIELD))

    def page_list_frame(self, request: Request, session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        list_name = self._aid_list({protocol.CLASSIC_LIST_ID_FIELD: request.arg(protocol.CLASSIC_LIST_ID_FIELD, "")})
        session.last_page = request.path
        session.token = new_id()
        spec = self.book.kind.list(list_name)
        body = "<h1>%s</h1>\n<p class=\"count\">%d / %d</p>\n%s" % (
            pages.esc(spec.title), self.book.count(list_name), spec.capacity,
            pages.form(E["list_body"].path, pages.hidden(protocol.CLASSIC_TOKEN_FIELD, session.token)))
        return pages.page(spec.title, body)

    def page_list_body(self, request: Request, session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        list_name = self._aid_list(request.form())
        self.state.counters["list_reads"] += 1
        text = codec.render_adrs_list(self.book.indexed(list_name), protocol.CLASSIC_CLASS_BY_TYPE)
        return Response(200, text.encode("utf-8"), [], content_type="text/html; charset=utf-8")

    def page_entry_form(self, request: Request, session: Session) -> Response:
        """aprop.cgi: AMOD=1 shows an entry's form, AMOD=0 an empty one (both with a new Token)."""
        fields = request.form()
        gate = self.book_gate()
        if gate:
            return gate
        list_name = self._aid_list(fields)
        mode = fields.get(protocol.CLASSIC_ENTRY_MODE_FIELD)
        values: Dict[str, str] = {}
        if mode == protocol.CLASSIC_ENTRY_MODES["show"]:
            try:
                index = int(str(fields.get(protocol.CLASSIC_ENTRY_INDEX_FIELD, "")))
            except ValueError:
                raise BadRequest("%s must be a number" % protocol.CLASSIC_ENTRY_INDEX_FIELD)
            entry = self.book.entry_at(list_name, index)
            if entry is None:
                return self.form_refused(["no destination %d" % index])
            values = form_of(entry, index)
        elif mode != protocol.CLASSIC_ENTRY_MODES["new"]:
            raise BadRequest("%s must be 0 or 1" % protocol.CLASSIC_ENTRY_MODE_FIELD)
        session.last_page = request.path
        session.token = new_id()
        aid = str(fields.get(protocol.CLASSIC_LIST_ID_FIELD))
        inner = "\n".join([pages.hidden(protocol.CLASSIC_TOKEN_FIELD, session.token),
                           pages.hidden(protocol.CLASSIC_LIST_ID_FIELD, aid)]
                          + ["<p>%s %s</p>" % (pages.esc(k), pages.text_input(k, v)) for k, v in values.items()])
        action = E["entry_modify" if values else "entry_create"].path
        return pages.page("Destination", "<h1>Destination</h1>\n" + pages.form(action, inner))

    def _entry_post(self, request: Request, session: Session, kind: str) -> Response:
        fields, refused = self._posted(request, session)
        if refused:
            return refused
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        list_name = self._aid_list(fields)
        spec = self.book.kind.list(list_name)
        index: Optional[int] = None
        if kind != "create":
            try:
                index = int(str(fields.get(protocol.CLASSIC_ENTRY_INDEX_FIELD, "")))
            except ValueError:
                raise BadRequest("%s must be a number" % protocol.CLASSIC_ENTRY_INDEX_FIELD)
        entry = None
        if kind != "delete":
            old = self.book.entry_at(list_name, index) if index is not None else None
            if index is not None and old is None:
                return self.form_refused(["no destination %d" % index])
            try:
                entry = entry_of(fields, old)
            except codec.CodecError as exc:
                return self.form_refused([str(exc)])
            if spec.numbered and "number" not in entry:
                entry["number"] = index
        answer = self.write_entry(list_name, index, entry)
        if answer is not None:
            return answer
        session.token = None                     # used: the next form issues a new one
        return pages.redirect(self._frame_path(fields))

    def page_entry_create(self, request: Request, session: Session) -> Response:
        return self._entry_post(request, session, "create")

    def page_entry_modify(self, request: Request, session: Session) -> Response:
        return self._entry_post(request, session, "modify")

    def page_entry_delete(self, request: Request, session: Session) -> Response:
        return self._entry_post(request, session, "delete")
