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
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ..httpserver import Request, Response
from . import codec, pages
from .book import SimList
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
FORM = protocol.PORTAL_ENTRY_FORM_FIELDS
TYPE_BY_VALUE = {value: key for key, value in protocol.PORTAL_ENTRY_TYPE_BY_NAME.items()}
TITLES = {"email": "E-Mail", "fax": "Fax", "ifax": "I-Fax", "file": "File", "group": "Group"}
MAIN_FIELD = {"email": "address", "ifax": "address", "fax": "fax_number", "file": "host"}


def codec_main(kind: str) -> str:
    """The Canon attribute of a type's main value (shown as i2032)."""
    key = MAIN_FIELD.get(kind)
    return next((a for a, k, _kind, _types in codec.ATTRIBUTES if k == key), "")


def slot_form_values(entry: Mapping[str, Any]) -> Dict[str, str]:
    """An entry as its slot page shows it (public i2021/i2032, the rest by attribute name; no password)."""
    values: Dict[str, str] = {}
    for attribute, text in codec.attributes_of(entry).items():
        key = codec.BY_ATTRIBUTE[attribute][0]
        if key == "name" or key == "reading" or key == MAIN_FIELD.get(entry["type"]):
            values[FORM[key]] = text
        else:
            values[attribute] = text
    return values


def entry_from_slot_form(kind: str, fields: Mapping[str, Union[str, bytes]],
                         old: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    attributes = {name.lower(): value for name, value in fields.items()
                  if isinstance(value, str) and name.lower() in codec.BY_ATTRIBUTE}
    entry = codec.entry_from_attributes(kind, attributes)
    for key in ("name", "reading"):
        value = fields.get(FORM[key])
        if isinstance(value, str) and value:
            entry[key] = value
    main = MAIN_FIELD.get(kind)
    value = fields.get(FORM["address"])
    if main and isinstance(value, str) and value:
        entry[main] = value
    secret_key = codec.SECRET_KEYS.get(kind)
    if secret_key:
        if fields.get(protocol.PORTAL_PASSWORD_CHANGE_FIELD) == "1":
            entry[secret_key] = str(fields.get(FORM["password"]) or "")
        elif old is not None and old.get("type") == kind and old.get(secret_key):
            entry[secret_key] = old[secret_key]
    return entry


class PortalUi(FlavourUi):
    endpoints = E

    # --- dispatch -----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        name = self.routes.get((request.method, request.path))
        if name is None:
            if request.path in self.paths:
                return pages.message("Method not allowed.", "Error", status=405)
            return pages.not_found()
        paced = self._paced()
        if paced is not None:
            return paced
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

    def _paced(self) -> Optional[Response]:
        """Portal pacing (HAC: >= 2 s between requests): a faster request is refused."""
        state = self.state
        now = time.monotonic()
        last, state.last_request_at = state.last_request_at, now
        if state.min_interval > 0 and last is not None and now - last < state.min_interval:
            state.counters["paced_refusals"] += 1
            return pages.message(protocol.PORTAL_PACING_TEXT, "Busy")
        return None

    def _token_input(self, session: Session) -> str:
        session.token = new_numeric_token()
        return pages.hidden(protocol.PORTAL_TOKEN_FIELD, session.token)

    # --- login --------------------------------------------------------------------------
    def _variant_form(self, session: Session) -> Optional[str]:
        """The other public login forms (``remote_ui.login_form``): ``i2101`` (MF660C: i0019 ID, i2101
        PIN), ``pin_only`` (LBP6030w: i0016 only), ``unknown`` (fields no public source names)."""
        variant = self.state.login_form
        radio = "<input type=\"radio\" name=\"i0012\" value=\"1\" checked>"
        if variant == "i2101":
            inner = [self._token_input(session), radio, pages.text_input("i0019"),
                     "<input type=\"radio\" name=\"i0017\" value=\"2\">",
                     pages.text_input("i2101", kind="password")]
        elif variant == "pin_only":
            inner = [self._token_input(session), pages.hidden("i0012", "1"), pages.text_input("i0016", kind="password")]
        elif variant == "unknown":
            inner = [self._token_input(session), pages.text_input("loginName"), pages.text_input("loginPin")]
        else:
            return None
        inner.append("<input type=\"submit\" value=\"Login\">")
        return "<form name=\"loginFrm\" method=\"post\" action=\"%s\">\n%s\n</form>" % (
            pages.esc(E["login"].path), "\n".join(inner))

    def _login_page(self, session: Session, sentence: Optional[str] = None,
                    headers: Optional[List[Tuple[str, str]]] = None) -> Response:
        variant = self._variant_form(session)
        if variant is not None:
            body = "<h1>Login</h1>\n"
            if sentence:
                body += "<p class=\"message\" id=\"message\">%s</p>\n" % pages.esc(sentence)
            return pages.page("Remote UI: Login", body + variant, headers=headers)
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
        variant = self.state.login_form
        if variant == "i2101" and fields.get(mode_field) == mode_value:
            outcome = self.state.login(fields.get("i0019"), fields.get("i2101"))
        elif variant == "pin_only" and fields.get(mode_field) == mode_value:
            outcome = self.state.login(self.state.system_manager_id, fields.get(LOGIN["pin"]))
        elif variant == "unknown":
            outcome = self.state.login(None, None)
        elif fields.get(mode_field) == mode_value:
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
        if not self.state.info_page:
            return pages.not_found()
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
        """A used slot answers its page (values, action = its type's registration); an empty one the type form."""
        gate = self.book_gate()
        if gate:
            return gate
        spec = self._list_for(session.list_page or "coded_dial")
        session.slot = self._slot(fields, ENTRY["slot"], spec)
        entry = self.book.by_device_number(spec.name).get(session.slot)
        if entry is not None:
            self.state.counters["slot_reads"] += 1
            session.entry_type = entry["type"]
            return self._register_page(session, entry["type"], slot_form_values(entry))
        session.entry_type = None
        kinds = [k for k in ("email", "fax", "ifax", "file", "group") if k in self.book.destination_types]
        inner = "\n".join([self._token_input(session)] + [
            "<p><label><input type=\"radio\" name=\"%s\" value=\"%s\"%s> %s</label></p>"
            % (ENTRY["type"], protocol.PORTAL_ENTRY_TYPE_BY_NAME[k], " checked" if k == "email" else "", TITLES[k])
            for k in kinds] + ["<p><input type=\"submit\" value=\"Next\"></p>"])
        return pages.page("Register New Destination", "<h1>Register New Destination: %s</h1>\n%s" % (
            str(session.slot).zfill(3), pages.form(E["new_entry"].path, inner)))

    def _register_page(self, session: Session, kind: str, values: Mapping[str, str]) -> Response:
        inner = "\n".join([self._token_input(session)] + [
            "<p>%s %s</p>" % (pages.esc(k), pages.text_input(k, v)) for k, v in values.items()]
            + ["<p><input type=\"submit\" value=\"OK\"></p>"])
        if not values:      # a new destination: the type's empty form (e-mail: public i2021, i2032)
            blank = [FORM["name"], FORM["reading"]] + ([FORM["address"]] if kind in MAIN_FIELD else [])
            blank += [attribute for attribute, _key, _kind, types in codec.ATTRIBUTES
                      if kind in types and attribute not in ("cn", "cnread", codec_main(kind))]
            inner = "\n".join([self._token_input(session)] + [
                "<p>%s %s</p>" % (pages.esc(k), pages.text_input(k)) for k in blank]
                + ["<p><input type=\"submit\" value=\"OK\"></p>"])
        endpoint = E[protocol.PORTAL_REGISTER_ENDPOINT[kind]].path
        return pages.page("Register Destination: %s" % TITLES[kind], "<h1>%s %s</h1>\n%s" % (
            TITLES[kind], str(session.slot).zfill(3), pages.form(endpoint, inner)))

    def post_new_entry(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        if session.slot is None:
            return self.expired()
        kind = TYPE_BY_VALUE.get(str(fields.get(ENTRY["type"], "")))
        if kind is None or kind not in self.book.destination_types:
            raise BadRequest("%s must name a destination type this device has" % ENTRY["type"])
        session.entry_type = kind
        return self._register_page(session, kind, {})

    def _register(self, kind: str, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        if session.slot is None or session.entry_type != kind:
            return self.expired()
        page_name = session.list_page or "coded_dial"
        spec = self._list_for(page_name)
        old = self.book.by_device_number(spec.name).get(session.slot)
        try:
            entry = entry_from_slot_form(kind, fields, old)
        except codec.CodecError as exc:
            return self.form_refused([str(exc)])
        entry["number"] = session.slot
        answer = self.write_entry(spec.name, session.slot if old is not None else None, entry)
        if answer is not None:
            return answer
        if kind == "email" and old is None:
            self.state.counters["entries_registered"] += 1
        session.slot = session.entry_type = None
        return pages.redirect(E[page_name].path)

    def post_email_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._register("email", fields, session)

    def post_fax_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._register("fax", fields, session)

    def post_ifax_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._register("ifax", fields, session)

    def post_file_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._register("file", fields, session)

    def post_group_register(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._register("group", fields, session)

    def _delete(self, fields: Mapping[str, Union[str, bytes]], page_name: str) -> Response:
        gate = self.book_gate()
        if gate:
            return gate
        spec = self._list_for(page_name)
        slot = self._slot(fields, ENTRY["delete_slot"], spec)
        if slot in self.book.by_device_number(spec.name):
            answer = self.write_entry(spec.name, slot, None)
            if answer is not None:
                return answer
        return pages.redirect(E[page_name].path)

    def post_delete_entry(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._delete(fields, "favorites")

    def post_delete_coded(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self._delete(fields, "coded_dial")

    def post_csv_export(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self.export_csv(fields)

    def post_csv_import(self, fields: Mapping[str, Union[str, bytes]], session: Session) -> Response:
        return self.import_csv(fields)
