"""SMS pages of the simulated device (root /sms/ is Canon's; paths and field names are the simulator's).

Every logged-in page has the navigation links ([MEAP Application Management], [Install MEAP
Application], [System Management], [Log Out]) and a per-page token in its forms; a POST must come
from the page the device showed last (its token), as SMS keeps page-flow state. Forms are found
by clients by their visible labels: submit buttons carry the label as their value, file and
password inputs have a ``<label for=...>``; each application's forms carry its ID in a hidden input.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, Tuple, Union

from ..httpserver import Request, Response
from ..remote_ui import pages
from ..remote_ui.multipart import MultipartError, parse_form_data
from ..remote_ui.table import protocol
from .store import SmsRefusal, SmsSession, SmsStore, expiry_text, store_for

EP = protocol.SMS_ENDPOINTS
LABELS = protocol.SMS_LABELS
COLUMNS = protocol.SMS_APP_COLUMNS
TEXTS = protocol.SMS_TEXTS
DONE = protocol.SMS_DONE_TEXTS
COOKIE = "SMSSESSIONID"            # simulator-defined
# simulator-defined field names (opaque to clients, which go by labels)
F_PASSWORD, F_LOGIN_TOKEN, F_TOKEN, F_APP = "smsPwd", "loginTk", "tk", "aid"
F_JAR, F_LIC, F_BUTTON = "appFile", "licFile", "btn"
F_OLD, F_NEW, F_CONFIRM = "oldPwd", "newPwd", "newPwd2"


def _button(label: str, disabled: bool = False) -> str:
    return "<input type=\"submit\" name=\"%s\" value=\"%s\"%s>" % (F_BUTTON, pages.esc(label),
                                                                   " disabled" if disabled else "")


def _labelled(label: str, name: str, kind: str) -> str:
    ident = "f_" + name
    return "<p><label for=\"%s\">%s</label> <input type=\"%s\" id=\"%s\" name=\"%s\"></p>" % (
        ident, pages.esc(label), kind, ident, name)


class SmsPages:
    """Answers /sms/...; everything else goes to the wrapped Remote UI handler."""

    def __init__(self, inner: Any, state: Any) -> None:
        self.inner = inner
        self.state = state
        self.routes = {(e.method, e.path): name for name, e in EP.items()}
        store = self.store            # created now, so the manifest can name the SMS facts
        if store.platform != "none":
            state.device.extensions["sms_manifest"] = {"platform": store.platform, "password": store.password,
                                                       "path": protocol.SMS_ROOT.path}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def store(self) -> SmsStore:
        return store_for(self.state.device)

    # ------------------------------------------------------------------ dispatch -------------
    def handle(self, request: Request) -> Response:
        if not (request.path == "/sms" or request.path.startswith("/sms/")):
            return self.inner.handle(request)
        store = self.store
        store.counters["requests"] += 1
        if store.platform == "none":
            return pages.not_found()
        if store.platform != "meap":
            return self._message(TEXTS["addon"], "SMS")
        if request.path in ("/sms", protocol.SMS_ROOT.path) and request.method == "GET":
            return self._login_page()
        name = self.routes.get((request.method, request.path))
        if name is None:
            return pages.not_found()
        if name == "login":
            return self._login(request)
        sid = request.cookies().get(COOKIE)
        if name == "logout":
            store.logout(sid)
            return self._message(DONE["logged_out"], "SMS", link=(protocol.SMS_ROOT.path, LABELS["login"]))
        session = store.session_for(sid)
        if session is None:
            return self._message(TEXTS["expired"], "SMS", link=(protocol.SMS_ROOT.path, LABELS["login"]))
        if store.busy:
            return self._message(TEXTS["busy"], "SMS")
        try:
            fields: Dict[str, Union[str, bytes]] = {}
            if request.method == "POST":
                fields = self._fields(request)
                sent = fields.get(F_TOKEN)
                if not session.token or sent != session.token:
                    return self._refusal(session, "page_flow")
            if session.must_change and name != "forced_change":
                return self._forced_change_page(session)
            return getattr(self, "_" + name)(request, session, fields)
        except SmsRefusal as exc:
            return self._refusal(session, exc.reason)

    @staticmethod
    def _fields(request: Request) -> Dict[str, Union[str, bytes]]:
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            try:
                return parse_form_data(request.headers.get("content-type", ""), request.body)
            except MultipartError:
                raise SmsRefusal("bad_package")
        return dict(request.form())

    # ------------------------------------------------------------------ page helpers -----------
    def _page(self, session: Optional[SmsSession], page: str, title: str, body: str) -> Response:
        nav = ""
        if session is not None:
            session.last_page = page
            nav = "<div class=\"nav\">%s</div>\n<div id=\"serial\">%s: %s</div>\n" % (" | ".join(
                "<a href=\"%s\">%s</a>" % (EP[ep].path, pages.esc(LABELS[label])) for ep, label in (
                    ("app_list", "app_management"), ("install", "install_page"), ("system", "system_management"),
                    ("logout", "logout"))), pages.esc(protocol.SMS_SYSTEM_KEYS["serial"]),
                pages.esc(self.store.device.serial))
        banner = ""
        if session is not None and self.store.restart_pending:
            banner = "<p class=\"banner\">%s</p>\n" % pages.esc(protocol.SMS_RESTART_BANNER)
        return pages.page(title, "<h1>%s</h1>\n%s%s%s" % (pages.esc(title), nav, banner, body),
                          headers=[("Cache-Control", "no-store")])

    def _message(self, text: str, title: str, session: Optional[SmsSession] = None,
                 link: Optional[Tuple[str, str]] = None, page: str = "message") -> Response:
        body = "<p class=\"message\" id=\"message\">%s</p>" % pages.esc(text)
        if link:
            body += "\n<p><a href=\"%s\">%s</a></p>" % (pages.esc(link[0]), pages.esc(link[1]))
        if session is None:
            return pages.page(title, body)
        return self._page(session, page, title, body)

    def _refusal(self, session: SmsSession, reason: str) -> Response:
        self.store.last_error = reason
        session.pending = None
        return self._message(TEXTS.get(reason, reason), "Error", session,
                             link=(EP["app_list"].path, LABELS["back_to_list"]), page="error")

    def _token(self, session: SmsSession) -> str:
        import secrets
        session.token = secrets.token_hex(10)
        return pages.hidden(F_TOKEN, session.token)

    def _form(self, session: SmsSession, endpoint: str, inner: str, multipart: bool = False,
              app_id: Optional[str] = None) -> str:
        hidden = pages.hidden(F_APP, app_id) if app_id else ""
        return pages.form(EP[endpoint].path, hidden + self._token_value(session) + inner, multipart=multipart)

    @staticmethod
    def _token_value(session: SmsSession) -> str:
        return pages.hidden(F_TOKEN, session.token or "")

    # ------------------------------------------------------------------ login ------------------
    def _login_page(self) -> Response:
        token = self.store.login_page()
        body = pages.form(EP["login"].path, pages.hidden(F_LOGIN_TOKEN, token)
                          + _labelled(LABELS["password"], F_PASSWORD, "password") + _button(LABELS["login"]))
        return pages.page("Service Management Service", "<h1>Service Management Service</h1>\n" + body)

    def _login(self, request: Request) -> Response:
        fields = request.form()
        try:
            session = self.store.login(fields.get(F_PASSWORD, ""), fields.get(F_LOGIN_TOKEN, ""))
        except SmsRefusal as exc:
            return self._message(TEXTS[exc.reason], "Service Management Service",
                                 link=(protocol.SMS_ROOT.path, LABELS["login"]))
        headers = [pages.cookie(COOKIE, session.sid)]
        return pages.redirect(EP["app_list"].path, headers)

    def _forced_change_page(self, session: SmsSession) -> Response:
        self._token(session)
        body = "<p class=\"message\" id=\"message\">%s</p>\n%s" % (pages.esc(TEXTS["forced_change"]), self._form(
            session, "forced_change", _labelled(LABELS["new_password"], F_NEW, "password")
            + _labelled(LABELS["confirm_password"], F_CONFIRM, "password") + _button(LABELS["change_password"])))
        return self._page(session, "forced_change", LABELS["change_password_page"], body)

    def _forced_change(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if not session.must_change:
            raise SmsRefusal("page_flow")
        self.store.change_password(None, str(fields.get(F_NEW, "")), str(fields.get(F_CONFIRM, "")))
        session.must_change = False
        return pages.redirect(EP["app_list"].path)

    # ------------------------------------------------------------------ application list -------
    def _app_list(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        self._token(session)
        store = self.store
        today = datetime.date.today()
        head = "".join("<th>%s</th>" % pages.esc(COLUMNS[k]) for k in COLUMNS) + "<th></th>"
        rows = []
        for app in store.apps.values():
            values = {"name": app.name, "application_id": app.app_id, "version": app.version, "vendor": app.vendor,
                      "status": app.status, "license_status": app.license_status(today),
                      "license_expires": expiry_text(app), "kind": app.kind}
            cells = "".join("<td>%s</td>" % pages.esc(values[k]) for k in COLUMNS)
            controls = self._form(session, "app_action", _button(LABELS["start"], app.status == "Started")
                                  + _button(LABELS["stop"], app.status != "Started")
                                  + _button(LABELS["uninstall"]), app_id=app.app_id)
            controls += "<a href=\"%s?%s=%s\">%s</a>" % (EP["license"].path, F_APP, pages.esc(app.app_id),
                                                         pages.esc(LABELS["license_management"]))
            rows.append("<tr class=\"app\">%s<td>%s</td></tr>" % (cells, controls))
        body = "<table class=\"apps\">\n<tr>%s</tr>\n%s\n</table>" % (head, "\n".join(rows))
        return self._page(session, "app_list", LABELS["app_management"], body)

    def _app_action(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if session.last_page != "app_list":
            raise SmsRefusal("page_flow")
        app_id = str(fields.get(F_APP, ""))
        button = fields.get(F_BUTTON)
        store = self.store
        if button == LABELS["start"]:
            done = store.start(app_id)
        elif button == LABELS["stop"]:
            done = store.stop(app_id)
        elif button == LABELS["uninstall"]:
            store.check_uninstall(app_id)
            session.pending = {"op": "uninstall", "app_id": app_id}
            return self._confirm_page(session, [("Application ID", app_id),
                                                ("Application Name", store.app(app_id).name)])
        else:
            raise SmsRefusal("page_flow")
        return self._done(session, done)

    def _done(self, session: SmsSession, done: str) -> Response:
        session.pending = None
        return self._message(DONE[done], "SMS", session, link=(EP["app_list"].path, LABELS["back_to_list"]),
                             page="result")

    def _confirm_page(self, session: SmsSession, rows: List[Tuple[str, str]]) -> Response:
        self._token(session)
        table = "<table class=\"confirm\">%s</table>" % "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (pages.esc(k), pages.esc(v)) for k, v in rows)
        body = table + self._form(session, "confirm", _button(LABELS["yes"]) + _button(LABELS["no"]))
        return self._page(session, "confirm", "Confirmation", body)

    # ------------------------------------------------------------------ install ----------------
    def _install(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        self._token(session)
        body = self._form(session, "install_upload",
                          _labelled(LABELS["application_file"], F_JAR, "file")
                          + _labelled(LABELS["license_file"], F_LIC, "file") + _button(LABELS["install"]),
                          multipart=True)
        return self._page(session, "install", LABELS["install_page"], body)

    def _install_upload(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if session.last_page != "install" or fields.get(F_BUTTON) != LABELS["install"]:
            raise SmsRefusal("page_flow")
        jar, lic = fields.get(F_JAR), fields.get(F_LIC)
        pending = self.store.prepare_install(jar if isinstance(jar, bytes) and jar else None,
                                             lic if isinstance(lic, bytes) and lic else None)
        session.pending = pending
        manifest = pending["manifest"]
        rows = [("Application Name", manifest["Bundle-Name"]), ("Application ID", manifest["Application-Id"]),
                ("Application Version", manifest["Bundle-Version"])]
        current = self.store.apps.get(manifest["Application-Id"])
        if current is not None:
            rows.insert(0, ("Current Application Version", current.version))
        if pending.get("license"):
            rows.append(("License Expires After", pending["license"]["Validated-Period"]))
        return self._confirm_page(session, rows)

    def _confirm(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        pending = session.pending
        if pending is None or session.last_page not in ("confirm", "agreement"):
            raise SmsRefusal("page_flow")
        button = fields.get(F_BUTTON)
        if button == LABELS["no"]:
            session.pending = None
            return pages.redirect(EP["app_list"].path)
        if session.last_page == "agreement":
            if button != LABELS["accept"]:
                raise SmsRefusal("page_flow")
            pending["accepted"] = True
        elif button != LABELS["yes"]:
            raise SmsRefusal("page_flow")
        store = self.store
        op = pending["op"]
        if op in ("install", "update"):
            if pending.get("agreement") and not pending.get("accepted"):
                self._token(session)
                body = "<div class=\"agreement\">License Agreement</div>" + self._form(
                    session, "confirm", _button(LABELS["accept"]) + _button(LABELS["no"]))
                return self._page(session, "agreement", "License Agreement", body)
            return self._done(session, store.perform_install(pending))
        if op == "uninstall":
            return self._done(session, store.uninstall(pending["app_id"]))
        if op == "license_install":
            return self._done(session, store.license_install(pending))
        if op == "disable":
            return self._license_done(session, pending["app_id"], store.disable(pending["app_id"]))
        if op == "delete":
            return self._license_done(session, pending["app_id"], store.delete_license(pending["app_id"]))
        raise SmsRefusal("page_flow")

    # ------------------------------------------------------------------ licenses ---------------
    def _license(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        app_id = request.arg(F_APP) or ""
        return self._license_page(session, app_id)

    def _license_page(self, session: SmsSession, app_id: str, note: str = "") -> Response:
        store = self.store
        app = store.app(app_id)
        self._token(session)
        lic = app.license
        rows = [("Application ID", app.app_id), ("Application Name", app.name),
                (COLUMNS["license_status"], app.license_status(datetime.date.today())),
                ("License File ID", lic.file_id if lic else ""), (COLUMNS["license_expires"], expiry_text(app))]
        table = "<table class=\"license\">%s</table>" % "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (pages.esc(k), pages.esc(v)) for k, v in rows)
        forms = self._form(session, "license_action", _labelled(LABELS["license_file"], F_LIC, "file")
                           + _button(LABELS["install"]), multipart=True, app_id=app_id)
        forms += self._form(session, "license_action", _button(LABELS["disable"]), app_id=app_id)
        forms += self._form(session, "license_download", _button(LABELS["download"]), app_id=app_id)
        forms += self._form(session, "license_action", _button(LABELS["delete"]), app_id=app_id)
        message = "<p class=\"message\" id=\"message\">%s</p>" % pages.esc(note) if note else ""
        return self._page(session, "license", LABELS["license_management"], message + table + forms)

    def _license_done(self, session: SmsSession, app_id: str, done: str) -> Response:
        session.pending = None
        return self._license_page(session, app_id, DONE[done])

    def _license_action(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if session.last_page != "license":
            raise SmsRefusal("page_flow")
        app_id = str(fields.get(F_APP, ""))
        button = fields.get(F_BUTTON)
        store = self.store
        app = store.app(app_id)
        if button == LABELS["install"]:
            lic = fields.get(F_LIC)
            session.pending = store.check_license_install(app_id, lic if isinstance(lic, bytes) else None)
            return self._confirm_page(session, [("Application ID", app_id), ("License File ID",
                                                session.pending["license"]["License-File-Id"])])
        if button == LABELS["disable"]:
            store.check_disable(app_id)
            session.pending = {"op": "disable", "app_id": app_id}
        elif button == LABELS["delete"]:
            store.check_delete(app_id)
            session.pending = {"op": "delete", "app_id": app_id}
        else:
            raise SmsRefusal("page_flow")
        return self._confirm_page(session, [("Application ID", app_id), ("Application Name", app.name)])

    def _license_download(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if session.last_page != "license":
            raise SmsRefusal("page_flow")
        app_id = str(fields.get(F_APP, ""))
        data = self.store.download(app_id)
        return Response(200, data, [("Content-Disposition", "attachment; filename=\"%s.lic\"" % app_id)],
                        content_type="application/octet-stream")

    # ------------------------------------------------------------------ system -----------------
    def _system(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        body = "<ul>%s</ul>" % "".join("<li><a href=\"%s\">%s</a></li>" % (EP[ep].path, pages.esc(LABELS[label]))
                                       for ep, label in (("system_info", "system_info"),
                                                         ("password_page", "change_password_page")))
        return self._page(session, "system", LABELS["system_management"], body)

    def _system_info(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        store = self.store
        facts = {"serial": store.device.serial, "platform": store.platform.upper(),
                 "meap_spec_versions": ",".join(store.meap_spec_versions),
                 "device_specification_ids": ",".join(store.device_specification_ids),
                 "storage_free_kb": str(store.storage_free_kb()), "app_count": str(len(store.counted_apps())),
                 "app_limit": str(store.app_limit)}
        rows = "".join("<tr><th>%s</th><td>%s</td></tr>" % (pages.esc(label), pages.esc(facts[key]))
                       for key, label in protocol.SMS_SYSTEM_KEYS.items())
        return self._page(session, "system_info", LABELS["system_info"],
                          "<table class=\"system\">%s</table>" % rows)

    def _password_page(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        self._token(session)
        body = self._form(session, "password_change", _labelled(LABELS["old_password"], F_OLD, "password")
                          + _labelled(LABELS["new_password"], F_NEW, "password")
                          + _labelled(LABELS["confirm_password"], F_CONFIRM, "password")
                          + _button(LABELS["change_password"]))
        return self._page(session, "password", LABELS["change_password_page"], body)

    def _password_change(self, request: Request, session: SmsSession, fields: Dict) -> Response:
        if session.last_page != "password":
            raise SmsRefusal("page_flow")
        done = self.store.change_password(str(fields.get(F_OLD, "")), str(fields.get(F_NEW, "")),
                                          str(fields.get(F_CONFIRM, "")))
        return self._done(session, done)


def wrap(handler: Any, state: Any) -> SmsPages:
    return SmsPages(handler, state)
