"""The classic iR-ADV Remote UI (8000/8443): ``/login``, ``/rps/...``, page order and Referer.

Navigation rule (the public behaviour scrapers run into): ``/`` -> ``POST /login`` ->
``/portal/indicate`` -> ``/rps/nativetop.cgi`` (sets the ``iR`` cookie) -> the target page.
Every other ``/rps/`` request needs the session and ``iR`` cookies AND a ``Referer`` whose path
is the HTML page this session loaded last; anything else answers the "session expired" page.
A GET of an HTML page becomes the "last page" (nativetop.cgi counts); exports, imports and
other POSTs do not change it. ``asublist.cgi`` issues the form ``Token`` every POST needs.
"""

from __future__ import annotations

from typing import List, Optional, Tuple
from urllib.parse import urlsplit

from ..httpserver import Request, Response
from . import pages
from .common import BadRequest, FlavourUi
from .state import Session, new_id
from .table import protocol

E = protocol.CLASSIC_ENDPOINTS
LOGIN = protocol.CLASSIC_LOGIN_FIELDS
RPS_PREFIX = "/rps/"
# the success marker public scrapers look for on the settings context page
SETTINGS_PAGE_MARKER = "VARIE_BOX_ALL_SETTING"


class ClassicUi(FlavourUi):
    endpoints = E

    # --- dispatch -----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        name = self.routes.get((request.method, request.path))
        if name is None:
            if request.path in self.paths:
                return pages.message("Method not allowed.", "Error", status=405)
            if request.path.startswith(RPS_PREFIX) and self._session(request) is None:
                return self.expired()
            return pages.not_found()
        session = self._session(request)
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
        inner = "\n".join([
            pages.hidden(LOGIN["uri"], E["top"].path),
            "<p>System Manager ID " + pages.text_input(LOGIN["id"], kind="password") + "</p>",
            "<p>System Manager PIN " + pages.text_input(LOGIN["pin"], kind="password") + "</p>",
            "<p><input type=\"submit\" value=\"Log In\"></p>",
        ])
        return pages.form(E["login"].path, inner)

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
        return pages.redirect(E["top"].path, [pages.cookie(self.state.session_cookie, fresh.sid)])

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
