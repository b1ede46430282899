"""Settings pages of the simulated Remote UI (all simulator-defined; labels are Canon's).

``wrap(handler, state)`` puts these pages in front of a flavour handler (classic or portal):
requests for the settings endpoints of ``protocol_table`` are answered here, every other request
goes to the flavour handler -- except while an export or import runs, when the device refuses
all Remote UI use but the login/logout pages, as Canon documents.

Pages (both flavours, the flavour's session cookie, token field and, on classic, the ``iR``
context cookie):
* settings_info: one ``<tr><th>key</th><td>value</td></tr>`` per SETTINGS_INFO_KEYS, plus the token;
* settings_page ``?CAT=<id>``: a form with one ``<tr class="setting">`` per item: ``<th>`` the
  visible label, ``<td>`` the control (text/number input, or a select whose options carry codes
  and show the visible value); field names are the device's own (opaque), so clients go by label;
* settings_write: the form posted back (all or nothing: one invalid value changes nothing);
* settings_export: ``CATS``, ``PASSWD`` (1-32 ASCII, required), ``SECLEVEL`` -> the file;
* settings_import: multipart ``FILE`` + ``PASSWD`` -> a result page (applied/skipped/restart).
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List, Optional, Tuple

from ..httpserver import Request, Response
from ..remote_ui import pages
from ..remote_ui.common import BadRequest, FlavourUi
from ..remote_ui.state import RuiState, Session, new_id, new_numeric_token
from ..remote_ui.table import CLASSIC, protocol
from . import catalog
from .store import SettingsStore, StoreError, store_for

NAMES = ("settings_info", "settings_page", "settings_write", "settings_export", "settings_import")
TEXTS = protocol.SETTINGS_TEXTS
XML_TYPE = "application/xml"
DCM_TYPE = "application/octet-stream"


def field_name(flavour: str, path: str) -> str:
    """The device's own field name for an item: opaque, so a client must go by the label."""
    digest = hashlib.sha1(("%s/%s" % (flavour, path)).encode()).hexdigest()
    return ("s" + digest[:6].upper()) if flavour == CLASSIC else ("i" + str(int(digest[:5], 16) % 9000 + 1000))


class SettingsPages:
    """Answers the settings endpoints for one device; delegates everything else."""

    def __init__(self, inner: FlavourUi, state: RuiState) -> None:
        self.inner = inner
        self.state = state
        table = protocol.CLASSIC_ENDPOINTS if state.flavour == CLASSIC else protocol.PORTAL_ENDPOINTS
        self.routes = {(table[n].method, table[n].path): n for n in NAMES if n in table}
        self.open_paths = {table[n].path for n in ("top", "login", "logout") if n in table}
        self.token_field = protocol.CLASSIC_TOKEN_FIELD if state.flavour == CLASSIC else protocol.PORTAL_TOKEN_FIELD

    @property
    def store(self) -> SettingsStore:
        return store_for(self.state.device)

    def __getattr__(self, name: str) -> Any:     # the flavour handler's other attributes
        return getattr(self.inner, name)

    # ------------------------------------------------------------------ dispatch ------------
    def handle(self, request: Request) -> Response:
        name = self.routes.get((request.method, request.path))
        if name is None:
            if self.store.locked() and request.path not in self.open_paths:
                return pages.message(protocol.BUSY_REASONS["remote_session"], "Busy")
            return self.inner.handle(request)
        session = self.state.session_for(request.cookies())
        if session is None or not session.authenticated or not self._context_ok(request, session):
            return self.inner.expired()
        if not self.store.available:
            return pages.not_found()
        if self.state.busy:          # the Remote UI's own busy states (panel in Settings/Registration ...)
            return pages.message(protocol.BUSY_REASONS[self.state.busy], "Busy")
        try:
            if request.method == "POST":
                fields = FlavourUi.multipart(request) if name == "settings_import" else request.form()
                sent = fields.get(self.token_field)
                if not session.token or sent != session.token:
                    return self.inner.invalid_token()
                return getattr(self, name)(request, session, fields)
            return getattr(self, name)(request, session, {})
        except BadRequest as exc:
            return pages.message(str(exc), "Bad Request", status=400)
        except StoreError as exc:
            return self._refusal(exc.reason)

    def _context_ok(self, request: Request, session: Session) -> bool:
        if self.state.flavour != CLASSIC:
            return True
        return bool(session.context) and request.cookies().get(protocol.CLASSIC_CONTEXT_COOKIE) == session.context

    def _token(self, session: Session) -> str:
        session.token = new_id() if self.state.flavour == CLASSIC else new_numeric_token()
        return pages.hidden(self.token_field, session.token)

    def _refusal(self, reason: str) -> Response:
        if reason.startswith("busy:"):
            key = reason.split(":", 1)[1]
            return pages.message(protocol.BUSY_REASONS.get(key, protocol.BUSY_REASONS["remote_session"]), "Busy")
        if reason == "password_rule":
            return pages.message("%s must be 1-%d ASCII characters." % (
                protocol.SETTINGS_PASSWORD_FIELD, protocol.ENCRYPTION_PASSWORD_MAX), "Bad Request", status=400)
        if reason == "unsupported":
            return pages.not_found()
        return pages.message(TEXTS.get(reason, TEXTS["invalid_data"]), "Import/Export")

    # ------------------------------------------------------------------ pages ---------------
    def settings_info(self, request: Request, session: Session, _fields: Dict) -> Response:
        store = self.store
        session.last_page = request.path
        facts = {"settings_type": store.settings_type or "", "platform_version": store.platform_version or "",
                 "display_language": store.display_language, "model": store.device.profile.get("model", ""),
                 "series": store.series, "serial": store.device.serial, "options": ",".join(store.options),
                 "categories": ",".join(store.categories()),
                 "security_levels": ",".join(str(x) for x in store.security_levels()),
                 "restart_pending": "true" if store.restart_pending else "false",
                 "import_export_restricted": "true" if store.get("system.restrict_import_export") else "false"}
        rows = "\n".join("<tr><th>%s</th><td>%s</td></tr>" % (pages.esc(k), pages.esc(facts[k]))
                         for k in protocol.SETTINGS_INFO_KEYS)
        body = "<h1>Device Settings Information</h1>\n<table class=\"settings-info\">\n%s\n</table>\n%s" % (
            rows, pages.form(request.path, self._token(session)))
        return pages.page("Settings/Registration", body)

    def _category(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.store.categories():
            raise BadRequest("%s must be one of %s" % (protocol.SETTINGS_CATEGORY_FIELD,
                                                       ", ".join(self.store.categories())))
        return value

    def _page_items(self, category: str) -> List[catalog.Item]:
        store = self.store
        return [item for item in store.items
                if item.page and catalog.category_of(item, store.settings_type or "") == category]

    def settings_page(self, request: Request, session: Session, _fields: Dict) -> Response:
        store = self.store
        store.gate()
        category = self._category(request.arg(protocol.SETTINGS_CATEGORY_FIELD, ""))
        session.last_page = request.path
        rows = []
        for item in self._page_items(category):
            rows.append("<tr class=\"setting\"><th>%s</th><td>%s</td></tr>" % (
                pages.esc(item.label), self._control(item, store.get(item.path))))
        table = protocol.CLASSIC_ENDPOINTS if self.state.flavour == CLASSIC else protocol.PORTAL_ENDPOINTS
        inner = "\n".join([self._token(session), pages.hidden(protocol.SETTINGS_CATEGORY_FIELD, category),
                           "<table class=\"settings\">", "\n".join(rows), "</table>",
                           "<p><input type=\"submit\" value=\"OK\"></p>"])
        body = "<h1>%s</h1>\n%s" % (pages.esc(catalog.CATEGORIES[category]),
                                    pages.form(table["settings_write"].path, inner))
        if store.restart_pending:
            body += "\n<p class=\"notice\">%s</p>" % pages.esc(TEXTS["restart"])
        return pages.page("Settings/Registration", body)

    def _control(self, item: catalog.Item, value: Any) -> str:
        name = field_name(self.state.flavour, item.path)
        if not item.writable:
            return "<span class=\"value\">%s</span>" % pages.esc("" if value is None else value)
        if item.kind in ("bool", "choice"):
            options = [("1", "On", value is True), ("0", "Off", value is False)] if item.kind == "bool" else [
                (str(i), choice, choice == value) for i, choice in enumerate(item.choices)]
            return "<select name=\"%s\">%s</select>" % (name, "".join(
                "<option value=\"%s\"%s>%s</option>" % (code, " selected" if chosen else "", pages.esc(text))
                for code, text, chosen in options))
        if item.kind == "int":
            return "<input type=\"number\" name=\"%s\" value=\"%s\" min=\"%d\" max=\"%d\">" % (
                name, pages.esc(value), item.minimum, item.maximum)
        limit = self.store.max_len(item) or item.max_len
        return pages.text_input(name, "" if value is None else str(value), maxlength=limit or None)

    def settings_write(self, request: Request, session: Session, fields: Dict) -> Response:
        store = self.store
        store.gate()
        category = self._category(fields.get(protocol.SETTINGS_CATEGORY_FIELD))
        staged: List[Tuple[catalog.Item, Any]] = []
        for item in self._page_items(category):
            if not item.writable:
                continue
            sent = fields.get(field_name(self.state.flavour, item.path))
            if sent is None:
                continue
            try:
                if item.kind == "choice":
                    index = int(sent)
                    if not 0 <= index < len(item.choices):
                        raise ValueError("%s has no option %s" % (item.label, sent))
                    sent = item.choices[index]
                value = catalog.check_value(item, sent, store.max_len(item))
            except ValueError as exc:
                return pages.message("%s %s" % (TEXTS["invalid_value"], exc), "Settings/Registration")
            staged.append((item, value))
        restart = False
        changed = []
        for item, value in staged:
            if store.write(item.path, value):
                changed.append(item.path)
                restart = restart or item.restart
        store.counters["page_writes"] += 1
        if restart:
            store.restart_pending = True
        text = TEXTS["saved"] + (" " + TEXTS["restart"] if store.restart_pending else "")
        return pages.message(text, "Settings/Registration", extra="\n<ul class=\"changed\">%s</ul>" % "".join(
            "<li>%s</li>" % pages.esc(store.by_path[p].label) for p in changed))

    def settings_export(self, request: Request, session: Session, fields: Dict) -> Response:
        store = self.store
        raw = fields.get(protocol.SETTINGS_CATEGORIES_FIELD) or ""
        categories = [c for c in str(raw).split(",") if c]
        if not categories:
            raise BadRequest("%s must name at least one category" % protocol.SETTINGS_CATEGORIES_FIELD)
        level_text = fields.get(protocol.SETTINGS_LEVEL_FIELD) or ""
        level: Optional[int] = None
        if level_text:
            if level_text not in ("1", "2"):
                raise BadRequest("%s must be 1 or 2" % protocol.SETTINGS_LEVEL_FIELD)
            level = int(level_text)
        data = store.export(categories, str(fields.get(protocol.SETTINGS_PASSWORD_FIELD) or ""), level)
        xml = store.file_format == "xml"
        return Response(200, data, [("Content-Disposition", "attachment; filename=\"%s\"" % (
            "settings.xml" if xml else "settings.dcm"))], content_type=XML_TYPE if xml else DCM_TYPE)

    def settings_import(self, request: Request, session: Session, fields: Dict) -> Response:
        data = fields.get(protocol.SETTINGS_FILE_FIELD)
        if data is None:
            raise BadRequest("the import needs the file part %s" % protocol.SETTINGS_FILE_FIELD)
        if isinstance(data, str):
            data = data.encode("utf-8")
        result = self.store.import_file(data, str(fields.get(protocol.SETTINGS_PASSWORD_FIELD) or ""))
        text = TEXTS["import_restarting"] if result["restart"] else TEXTS["import_ok"]
        rows = "".join("<tr><th>%s</th><td>%s</td></tr>" % (k, pages.esc(v)) for k, v in (
            ("applied", len(result["applied"])), ("skipped", len(result["skipped"])),
            ("restart", "true" if result["restart"] else "false")))
        return pages.message(text, "Import/Export", extra="\n<table class=\"import-result\">%s</table>" % rows)


def wrap(handler: FlavourUi, state: RuiState) -> SettingsPages:
    """The one hook simulator/remote_ui calls: settings pages in front of the flavour handler."""
    return SettingsPages(handler, state)
