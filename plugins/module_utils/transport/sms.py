# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MEAP SMS (Service Management Service) client: drives SMS as a browser does, by visible labels.

No public source shows SMS's form fields or POST targets, so nothing here names one. The client
loads the public root ``/sms/``, then follows the links and forms the device serves, choosing them
by the labels of ``protocol_table.SMS_LABELS`` ([Install MEAP Application], [Application File Path],
[Yes], [Started] ...), in the page order of ``SMS_PAGE_ORDER``. A page it cannot recognise is an
``sms_page_unrecognised`` error naming what was on it, never a guess.

Rules (Canon's SMS facts, research §1.1):

* one session per device: ``with SmsSession(options) as sms:`` logs out on every exit path;
  "another user is logged in" is ``sms_session_busy`` (the device holds a closed browser's session
  5 minutes); ``session_wait`` seconds of waiting are opt-in;
* the login page is loaded right before the password is posted (an old page refuses a correct
  password); a refused password is never sent again;
* the factory password is refused here unless ``allow_default_password``; the device's own refusal
  and its forced-change screen are their own error codes;
* TLS 1.2 minimum unless ``allow_legacy_tls``; ``verify`` on every request; secrets scrubbed from
  every message.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urljoin, urlsplit

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import ERROR_CODES, CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport import web_session as ws

LABELS = pt.SMS_LABELS
MAX_MESSAGE = 400
MASK = "********"


# =============================================================================================
# Options
# =============================================================================================
@dataclass
class SmsOptions:
    """How to reach one device's SMS (the password is left out of ``repr``)."""

    host: str
    password: Optional[str] = field(default=None, repr=False)
    port: Optional[int] = None
    use_https: bool = True
    validate_certs: bool = True
    ca_path: Optional[str] = None
    allow_legacy_tls: bool = False
    timeout: float = 30.0
    allow_default_password: bool = False
    new_password: Optional[str] = field(default=None, repr=False)   # for the forced change screen
    session_wait: float = 0.0
    busy_retries: int = 3
    busy_delay: float = 2.0
    start_wait: float = 0.0

    def validate(self) -> None:
        if not self.host or not str(self.host).strip():
            raise CanonError("invalid_argument", "host is required")
        if not self.password:
            raise CanonError("invalid_argument", "sms_password is required (the device's SMS password)",
                             "Set sms_password or the host variable canon_sms_password.")
        if self.password == pt.SMS_DEFAULT_PASSWORD and not self.allow_default_password:
            raise CanonError("sms_default_password")
        if self.port is not None and not 0 < int(self.port) < 65536:
            raise CanonError("invalid_argument", "sms_port must be between 1 and 65535")
        if self.timeout <= 0 or self.session_wait < 0 or self.busy_retries < 0 or self.busy_delay < 0:
            raise CanonError("invalid_argument", "timeouts, waits and retries must not be negative")

    @property
    def effective_port(self) -> int:
        http, https = pt.SMS_PORTS[0]
        return int(self.port) if self.port else (https if self.use_https else http)

    @property
    def verify(self) -> Union[bool, str]:
        if not self.validate_certs:
            return False
        return self.ca_path or True

    def secrets(self) -> Tuple[str, ...]:
        return tuple(sorted((v for v in (self.password, self.new_password) if v), key=len, reverse=True))


def check_new_password(value: str) -> None:
    """SMS [Change Password]: 8-32 single-byte letters/digits; never the factory default."""
    if (not value.isascii() or not value.isalnum() or not pt.SMS_PASSWORD_MIN <= len(value) <= pt.SMS_PASSWORD_MAX
            or value == pt.SMS_DEFAULT_PASSWORD):
        raise CanonError("sms_password_rule", "new_sms_password must be %d-%d single-byte letters and digits and "
                         "not the factory default" % (pt.SMS_PASSWORD_MIN, pt.SMS_PASSWORD_MAX))


# =============================================================================================
# Pages: forms, links, labels, table rows
# =============================================================================================
@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    row: Optional[int]
    hidden: Dict[str, str] = field(default_factory=dict)
    inputs: List[Dict[str, str]] = field(default_factory=list)     # name, type, id, value
    buttons: List[Dict[str, str]] = field(default_factory=list)    # name, value, disabled

    def button(self, label: str) -> Optional[Dict[str, str]]:
        for button in self.buttons:
            if button.get("value", "").strip() == label:
                return button
        return None


class _SmsScan(HTMLParser):
    """Forms (with their table row), links, labels, table rows and visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: List[Form] = []
        self.links: List[Tuple[str, str, Optional[int]]] = []          # href, text, row
        self.labels: Dict[str, str] = {}                               # input id -> label text
        self.rows: List[List[Tuple[str, str]]] = []
        self.text: List[str] = []
        self.title = ""
        self._form: Optional[Form] = None
        self._link: Optional[List[Any]] = None
        self._label: Optional[List[Any]] = None
        self._row: Optional[List[Tuple[str, str]]] = None
        self._cell: Optional[List[Any]] = None
        self._in_title = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._end_cell()
            self._cell = [tag, []]
        elif tag == "form":
            self._form = Form(a.get("action", ""), (a.get("method") or "get").upper(),
                              "multipart" in a.get("enctype", "").lower(), self._row_index())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self._form.buttons.append({"name": a.get("name", ""), "value": a.get("value", ""),
                                           "disabled": "disabled" if "disabled" in a else ""})
            elif kind == "hidden":
                if a.get("name"):
                    self._form.hidden[a["name"]] = a.get("value", "")
            elif a.get("name"):
                self._form.inputs.append({"name": a["name"], "type": kind, "id": a.get("id", ""),
                                          "value": a.get("value", "")})
        elif tag == "button" and self._form is not None:
            self._form.buttons.append({"name": a.get("name", ""), "value": a.get("value", ""),
                                       "disabled": "disabled" if "disabled" in a else ""})
        elif tag == "a" and a.get("href"):
            self._link = [a["href"], []]
        elif tag == "label":
            self._label = [a.get("for", ""), []]
        if tag in ("br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "table"):
            self.text.append(" ")

    def handle_startendtag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join("".join(self._link[1]).split()), self._row_index()))
            self._link = None
        elif tag == "label" and self._label is not None:
            self.labels[self._label[0]] = " ".join("".join(self._label[1]).split())
            self._label = None
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        if tag in ("p", "div", "li", "td", "th", "h1", "h2", "table"):
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        self.text.append(data)
        for holder in (self._link, self._label, self._cell):
            if holder is not None:
                holder[1].append(data)

    def _row_index(self) -> Optional[int]:
        return len(self.rows) if self._row is not None else None

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], " ".join("".join(self._cell[1]).split())))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None

    def close(self) -> None:
        super().close()
        self._end_row()


class SmsPage:
    """One SMS answer: HTML scanned once, or a download."""

    def __init__(self, url: str, status: int, content_type: str, content: bytes, headers: Mapping[str, str]) -> None:
        self.url = url
        self.status = status
        self.content_type = content_type
        self.content = content
        self.headers = headers
        self.is_html = "html" in content_type.lower() or content[:64].lstrip().lower().startswith(b"<!doctype html")
        self.scan = _SmsScan()
        if self.is_html:
            self.scan.feed(content.decode("utf-8", "replace"))
            self.scan.close()

    @property
    def title(self) -> str:
        return " ".join(self.scan.title.split())

    @property
    def text(self) -> str:
        return " ".join("".join(self.scan.text).split())

    def link(self, label: str, row: Optional[int] = None) -> Optional[str]:
        for href, text, link_row in self.scan.links:
            if text == label and (row is None or link_row == row):
                return urljoin(self.url, href)
        return None

    def forms_with(self, label: str, hidden_value: Optional[str] = None) -> List[Form]:
        out = []
        for form in self.scan.forms:
            if form.button(label) is None:
                continue
            if hidden_value is not None and hidden_value not in form.hidden.values():
                continue
            out.append(form)
        return out

    def input_by_label(self, form: Form, label: str) -> Optional[Dict[str, str]]:
        for item in form.inputs:
            if item.get("id") and self.scan.labels.get(item["id"]) == label:
                return item
        return None

    def table(self) -> List[Dict[str, str]]:
        """Rows of the first table with a header row, as {header label: cell text}."""
        header: Optional[List[str]] = None
        out = []
        for row in self.scan.rows:
            if row and all(tag == "th" for tag, _text in row if _text):
                if header is None and len([t for t in row if t[1]]) > 2:
                    header = [text for _tag, text in row]
                continue
            if header is not None and row and all(tag == "td" for tag, _text in row):
                out.append({header[i]: text for i, (_tag, text) in enumerate(row) if i < len(header) and header[i]})
        return out

    def facts(self) -> Dict[str, str]:
        """``<tr><th>label</th><td>value</td></tr>`` rows."""
        out = {}
        for row in self.scan.rows:
            if len(row) == 2 and row[0][0] == "th" and row[1][0] == "td":
                out[row[0][1]] = row[1][1]
        return out

    def marker(self) -> Optional[Tuple[str, str]]:
        if not self.is_html:
            return None
        text = self.text
        lowered = text.lower()
        for marker, code in pt.SMS_MARKERS:
            position = lowered.find(marker)
            if position >= 0:
                return code, text[position:position + MAX_MESSAGE]
        return None

    def shows(self, sentence: str) -> bool:
        return sentence.lower() in self.text.lower()


# =============================================================================================
# Session
# =============================================================================================
class SmsSession(ws.WebSession):
    """A logged-in SMS conversation on the shared web session base (``transport/web_session.py``: TLS,
    verify, busy/starting back-off, error classes, scrubbing, authentication never retried, logout on
    every exit path). ``with SmsSession(options) as sms:`` logs in and always out.

    Counters for tests and reports: ``login_posts`` (times the password was sent: at most one per
    login page), ``request_count`` (HTTP exchanges).
    """

    user_agent = "printfleet.canon sms"
    unreachable_code = "sms_unreachable"
    auth_error_codes = ("sms_auth_failed", "sms_default_password_refused")

    def __init__(self, options: SmsOptions, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        options.validate()
        super().__init__(options, sleep=sleep, clock=clock)
        self.sms = options
        self._page: Optional[SmsPage] = None
        self._logout_url: Optional[str] = None
        self.restart_banner = False
        self.forced_change_done = False

    def __enter__(self) -> "SmsSession":
        super().__enter__()
        return self

    def forget_session(self) -> None:
        """The device ended the session (a restart): nothing to log out."""
        self._logged_in = False

    # ------------------------------------------------------------------ low level ----------
    @property
    def base_url(self) -> str:
        return "%s://%s:%d" % (self._scheme, ws.url_host(self.options.host), self.options.effective_port)

    def _endpoint_error(self, response: Any, url: str) -> Optional[CanonError]:
        if response.status_code == 503:
            return self.error("device_busy", "SMS on %s answered HTTP 503." % self.options.host)
        return None

    @property
    def root_url(self) -> str:
        return self.base_url + pt.SMS_ROOT.path

    def _fetch(self, method: str, url: str, what: str, data: Optional[Mapping[str, str]] = None,
               files: Optional[Mapping[str, Any]] = None, check: bool = True) -> SmsPage:
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2]:
            raise self.error("sms_page_unrecognised", "The %s link leads to another server (%s)."
                             % (what, urlsplit(url).netloc), page=what)
        response = self.send(method, url, allow_redirects=True, data=dict(data) if data is not None else None,
                             files=files)
        page = SmsPage(response.url, response.status_code, response.headers.get("Content-Type", ""),
                       response.content, response.headers)
        if page.is_html:
            self._page = page
            if page.shows(pt.SMS_RESTART_BANNER):
                self.restart_banner = True
            logout = page.link(LABELS["logout"])
            if logout:
                self._logout_url = logout
        if check:
            self._check(page, what)
        return page

    def _check(self, page: SmsPage, what: str) -> None:
        found = page.marker()
        if found:
            code, sentence = found
            raise self.error(code, "%s Device page (%s): %s" % (ERROR_CODES[code][0], what, sentence),
                             page=what, device_message=sentence)
        if page.status == 404:
            raise self.error("meap_platform_unsupported", "The device has no SMS at %s (HTTP 404): it has no MEAP "
                             "platform." % pt.SMS_ROOT.path, page=what, status=404)
        if page.status >= 400:
            raise self.error("sms_page_unrecognised", "SMS answered %s with HTTP %d." % (what, page.status),
                             page=what, status=page.status)

    def _unrecognised(self, page: Optional[SmsPage], expected: str) -> CanonError:
        seen = (page.title + ": " + page.text[:MAX_MESSAGE]) if page is not None and page.is_html else (
            "a %s download" % (page.content_type if page else "missing"))
        return self.error("sms_page_unrecognised", "Expected %s on the SMS page, found: %s" % (expected, seen),
                          expected=expected, seen=seen)

    def _get(self, url: str, what: str) -> SmsPage:
        return self.with_retries(lambda: self._fetch("GET", url, what))

    def _submit(self, page: SmsPage, form: Form, label: str, what: str,
                fields: Optional[Mapping[str, str]] = None, files: Optional[Mapping[str, Tuple[str, bytes]]] = None,
                check: bool = True) -> SmsPage:
        """Post ``form`` as a browser does when ``label`` is clicked (hidden inputs, the button, fields)."""
        button = form.button(label)
        if button is None or button.get("disabled"):
            raise self._unrecognised(page, "an enabled [%s] button" % label)
        data = dict(form.hidden)
        data.update(fields or {})
        if button.get("name"):
            data[button["name"]] = button["value"]
        upload = None
        if form.multipart:
            upload = {name: (filename, content, "application/octet-stream")
                      for name, (filename, content) in (files or {}).items()}
            for item in form.inputs:                     # empty file inputs are sent empty, as browsers do
                if item["type"] == "file" and item["name"] not in upload:
                    upload[item["name"]] = ("", b"", "application/octet-stream")
        url = urljoin(page.url, form.action or page.url)
        if form.method != "POST":
            raise self._unrecognised(page, "a POST form for [%s]" % label)
        return self._fetch("POST", url, what, data=data, files=upload, check=check)

    def _open(self, label: str) -> SmsPage:
        """Follow a navigation link by its label on the page shown last."""
        if self._page is None:
            raise self._unrecognised(None, "the [%s] link" % label)
        url = self._page.link(label)
        if url is None:
            raise self._unrecognised(self._page, "the [%s] link" % label)
        return self._get(url, label)

    def _one_form(self, page: SmsPage, label: str, app_id: Optional[str] = None) -> Form:
        forms = page.forms_with(label, app_id)
        if len(forms) != 1:
            raise self._unrecognised(page, "one [%s] form%s" % (label, " for %s" % app_id if app_id else ""))
        return forms[0]

    def _file_field(self, page: SmsPage, form: Form, label: str) -> str:
        item = self.input_by_label(page, form, label, "file")
        return item["name"]

    def input_by_label(self, page: SmsPage, form: Form, label: str, kind: str) -> Dict[str, str]:
        item = page.input_by_label(form, label)
        if item is None or item["type"] != kind:
            raise self._unrecognised(page, "a %s field labelled [%s]" % (kind, label))
        return item

    def _expect_done(self, page: SmsPage, key: str, what: str) -> SmsPage:
        if not page.shows(pt.SMS_DONE_TEXTS[key]):
            raise self._unrecognised(page, "the result '%s' of %s" % (pt.SMS_DONE_TEXTS[key], what))
        return page

    def _confirm(self, page: SmsPage, what: str) -> SmsPage:
        """[Yes] on a confirmation page; [I Accept] on a license agreement page if one follows."""
        result = self._submit(page, self._one_form(page, LABELS["yes"]), LABELS["yes"], what)
        if result.forms_with(LABELS["accept"]):
            result = self._submit(result, self._one_form(result, LABELS["accept"]), LABELS["accept"], what)
        return result

    # ------------------------------------------------------------------ login / logout -----
    def _login(self) -> None:
        """Load the login page, post the password once; wait for a busy session only if asked."""
        started = self._clock()
        delay = 5.0
        while True:
            page = self._get(self.root_url, "login page")        # fresh page right before the post
            form = self._login_form(page)
            field_name = self.input_by_label(page, form, LABELS["password"], "password")["name"]
            self._login_posts += 1
            result = self._submit(page, form, LABELS["login"], "login", fields={field_name: self.sms.password},
                                  check=False)
            found = result.marker()
            if found and found[0] == "sms_session_busy":
                remaining = self.sms.session_wait - (self._clock() - started)
                if remaining > 0:                   # the password was not judged: the session was busy
                    self._sleep(min(delay, remaining))
                    delay = min(delay * 2, 30.0)
                    continue
            if found and found[0] == "sms_password_change_required":
                self._logged_in = True              # a session exists: log out on every path from here
                self._forced_change(result)
                return
            self._check(result, "login")
            if result.link(LABELS["logout"]) is None:
                self._logged_in = True              # something answered the login: try the logout anyway
                raise self._unrecognised(result, "the SMS pages after login ([%s] link)" % LABELS["logout"])
            return

    def _login_form(self, page: SmsPage) -> Form:
        forms = page.forms_with(LABELS["login"])
        if len(forms) != 1:
            raise self._unrecognised(page, "the SMS login form ([%s] button)" % LABELS["login"])
        return forms[0]

    def _forced_change(self, page: SmsPage) -> None:
        new = self.sms.new_password
        if not (self.sms.allow_default_password and new):
            raise self.error("sms_password_change_required")
        check_new_password(new)
        form = self._one_form(page, LABELS["change_password"])
        fields = {self.input_by_label(page, form, LABELS["new_password"], "password")["name"]: new,
                  self.input_by_label(page, form, LABELS["confirm_password"], "password")["name"]: new}
        result = self._submit(page, form, LABELS["change_password"], "forced password change", fields=fields)
        if result.link(LABELS["logout"]) is None:
            raise self._unrecognised(result, "the SMS pages after the password change")
        self.forced_change_done = True

    def _logout(self) -> None:
        """[Log Out] (the base calls it while logged in, on every exit path, and swallows its errors)."""
        url = self._logout_url or (self.base_url + pt.SMS_ENDPOINTS["logout"].path)
        self.send("GET", url, allow_redirects=True)

    # ------------------------------------------------------------------ reading ------------
    def applications(self) -> List[Dict[str, str]]:
        """[MEAP Application Management]: one dict per app keyed by protocol SMS_APP_COLUMNS keys."""
        page = self._open(LABELS["app_management"])
        return self._apps_of(page)

    def _apps_of(self, page: SmsPage) -> List[Dict[str, str]]:
        columns = pt.SMS_APP_COLUMNS
        rows = page.table()
        if not page.title.startswith(LABELS["app_management"]) and not rows:
            raise self._unrecognised(page, "the [%s] page" % LABELS["app_management"])
        out = []
        for row in rows:
            if columns["application_id"] not in row:
                raise self._unrecognised(page, "the [%s] column" % columns["application_id"])
            out.append({key: row.get(label, "") for key, label in columns.items()})
        return out

    def system_information(self) -> Dict[str, str]:
        """[System Management] > [System Information] as {SMS_SYSTEM_KEYS key: text}."""
        self._open(LABELS["system_management"])
        page = self._open(LABELS["system_info"])
        facts = page.facts()
        if pt.SMS_SYSTEM_KEYS["serial"] not in facts:
            raise self._unrecognised(page, "the [%s] rows" % LABELS["system_info"])
        return {key: facts.get(label, "") for key, label in pt.SMS_SYSTEM_KEYS.items()}

    # ------------------------------------------------------------------ writes -------------
    def _app_list_page(self) -> SmsPage:
        return self._open(LABELS["app_management"])

    def install(self, jar: Tuple[str, bytes], license: Optional[Tuple[str, bytes]] = None) -> str:
        """[Install MEAP Application]: jar (+ license) -> [Install] -> [Yes] (-> [I Accept]); 'installed'|'updated'."""
        self._app_list_page()
        page = self._open(LABELS["install_page"])
        form = self._one_form(page, LABELS["install"])
        files = {self._file_field(page, form, LABELS["application_file"]): jar}
        lic_field = self._file_field(page, form, LABELS["license_file"])
        if license is not None:
            files[lic_field] = license
        confirm = self._submit(page, form, LABELS["install"], "install", files=files)
        result = self._confirm(confirm, "install")
        for key in ("installed", "updated"):
            if result.shows(pt.SMS_DONE_TEXTS[key]):
                return key
        raise self._unrecognised(result, "the result of the installation")

    def _app_form(self, label: str, app_id: str) -> Tuple[SmsPage, Form]:
        page = self._app_list_page()
        return page, self._one_form(page, label, app_id)

    def start(self, app_id: str) -> None:
        page, form = self._app_form(LABELS["start"], app_id)
        self._expect_done(self._submit(page, form, LABELS["start"], "start"), "started", "start")

    def stop(self, app_id: str) -> None:
        page, form = self._app_form(LABELS["stop"], app_id)
        self._expect_done(self._submit(page, form, LABELS["stop"], "stop"), "stopped", "stop")

    def uninstall(self, app_id: str) -> None:
        page, form = self._app_form(LABELS["uninstall"], app_id)
        confirm = self._submit(page, form, LABELS["uninstall"], "uninstall")
        self._expect_done(self._confirm(confirm, "uninstall"), "uninstalled", "uninstall")

    def _license_page(self, app_id: str) -> SmsPage:
        page = self._app_list_page()
        row = None
        for index, cells in enumerate(page.scan.rows):
            if any(text == app_id for _tag, text in cells):
                row = index
        url = page.link(LABELS["license_management"], row=row) if row is not None else None
        if url is None:
            raise self._unrecognised(page, "the [%s] link of %s" % (LABELS["license_management"], app_id))
        return self._get(url, LABELS["license_management"])

    def install_license(self, app_id: str, license: Tuple[str, bytes]) -> None:
        page = self._license_page(app_id)
        form = self._one_form(page, LABELS["install"], app_id)
        files = {self._file_field(page, form, LABELS["license_file"]): license}
        confirm = self._submit(page, form, LABELS["install"], "license install", files=files)
        self._expect_done(self._confirm(confirm, "license install"), "license_installed", "license install")

    def return_license(self, app_id: str, keep: bool = True) -> Optional[bytes]:
        """[Disable] -> [Yes] -> [Download] (when ``keep``) -> [Delete] -> [Yes]; the disabled license bytes."""
        page = self._license_page(app_id)
        state = page.facts().get(pt.SMS_APP_COLUMNS["license_status"], "")
        if state != "Disabled":
            confirm = self._submit(page, self._one_form(page, LABELS["disable"], app_id), LABELS["disable"],
                                   "license disable")
            page = self._expect_done(self._confirm(confirm, "license disable"), "license_disabled", "license disable")
        data = None
        if keep:
            download = self._submit(page, self._one_form(page, LABELS["download"], app_id), LABELS["download"],
                                    "license download")
            if download.is_html:
                raise self._unrecognised(download, "the disabled license file")
            data = download.content
            page = self._license_page(app_id)
        confirm = self._submit(page, self._one_form(page, LABELS["delete"], app_id), LABELS["delete"],
                               "license delete")
        self._expect_done(self._confirm(confirm, "license delete"), "license_deleted", "license delete")
        return data

    def change_password(self, new_password: str) -> None:
        """[System Management] > [Change Password]: Old / New / Confirm."""
        check_new_password(new_password)
        self._open(LABELS["system_management"])
        page = self._open(LABELS["change_password_page"])
        form = self._one_form(page, LABELS["change_password"])
        fields = {self.input_by_label(page, form, LABELS["old_password"], "password")["name"]: self.sms.password,
                  self.input_by_label(page, form, LABELS["new_password"], "password")["name"]: new_password,
                  self.input_by_label(page, form, LABELS["confirm_password"], "password")["name"]: new_password}
        self._expect_done(self._submit(page, form, LABELS["change_password"], "change password", fields=fields),
                          "password_changed", "change password")
        self.sms.password = new_password


def parse_expiry(text: str) -> Union[str, None]:
    """'' (no license), 'never' (Does not Expire) or the ISO date SMS shows."""
    text = (text or "").strip()
    if not text:
        return None
    if text.lower().startswith("does not"):
        return "never"
    match = re.match(r"(\d{4})[-/](\d{2})[-/](\d{2})", text)
    return "%s-%s-%s" % match.groups() if match else text
