# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading device settings: the settings pages (by visible label), Import/Export All, SNMP.

Why by label: the settings pages' field names are the device's own (opaque, model-dependent),
while the labels are what Canon's manuals and the device show. The page tells the field, the
control and its constraints (options, min/max, maxlength) for each label, so a write is checked
against what the device itself offers before it is sent.

Reads here never lock the device, except ``export`` (Canon: while an export runs the device
refuses panel and Remote UI use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.settings import spec as sspec
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp


@dataclass
class Control:
    """One labelled control of a settings page."""

    label: str
    name: Optional[str] = None            # None: shown, not editable
    kind: str = "text"                    # text | number | select | readonly
    value: str = ""
    options: List[Tuple[str, str]] = field(default_factory=list)    # (code, visible text)
    selected: Optional[str] = None        # visible text of the selected option
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    maxlength: Optional[int] = None

    def shown(self) -> str:
        return self.selected if self.kind == "select" else self.value


class _SettingsScan(HTMLParser):
    """Rows ``<tr class="setting"><th>label</th><td>control</td></tr>`` and hidden inputs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: List[Control] = []
        self.hidden: Dict[str, str] = {}
        self._row: Optional[Control] = None
        self._in_th = False
        self._in_span = False
        self._option: Optional[List[str]] = None
        self._option_selected = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "tr" and "setting" in a.get("class", "").split():
            self._row = Control(label="", kind="readonly")
        elif tag == "th" and self._row is not None:
            self._in_th = True
        elif tag == "input":
            if a.get("type") == "hidden" and a.get("name"):
                self.hidden[a["name"]] = a.get("value", "")
            elif self._row is not None and a.get("name"):
                row = self._row
                row.name, row.value = a["name"], a.get("value", "")
                row.kind = "number" if a.get("type") == "number" else "text"
                for attr, key in (("min", "minimum"), ("max", "maximum"), ("maxlength", "maxlength")):
                    if a.get(attr, "").lstrip("-").isdigit():
                        setattr(row, key, int(a[attr]))
        elif tag == "select" and self._row is not None:
            self._row.name, self._row.kind = a.get("name"), "select"
        elif tag == "option" and self._row is not None:
            self._option = [a.get("value", ""), ""]
            self._option_selected = "selected" in a
        elif tag == "span" and self._row is not None:
            self._in_span = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_th = False
        elif tag == "span":
            self._in_span = False
        elif tag == "option" and self._option is not None and self._row is not None:
            text = " ".join(self._option[1].split())
            self._row.options.append((self._option[0], text))
            if self._option_selected:
                self._row.selected = text
            self._option = None
        elif tag == "tr" and self._row is not None:
            self._row.label = " ".join(self._row.label.split())
            self.controls.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is None:
            return
        if self._in_th:
            self._row.label += data
        elif self._option is not None:
            self._option[1] += data
        elif self._in_span:
            self._row.value += data


def parse_settings_page(html: str) -> Tuple[Dict[str, Control], Dict[str, str]]:
    """({visible label: Control}, hidden inputs) of a settings page."""
    scan = _SettingsScan()
    scan.feed(html)
    scan.close()
    return {c.label: c for c in scan.controls}, scan.hidden


def to_value(kind: str, control: Control) -> Any:
    """The device's shown value as the collection's typed value."""
    text = control.shown()
    if text is None:
        return None
    if kind == "bool":
        return {"On": True, "Off": False}.get(text, text)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    return text


class SettingsClient:
    """Settings pages and Import/Export All over one logged-in RemoteUiSession."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.pages: Dict[str, Dict[str, Control]] = {}

    def info(self) -> Dict[str, Any]:
        """settings type, platform version, display language, model, series, serial, categories ..."""
        page = self.session.get_page("settings_info")
        facts: Dict[str, Any] = {}
        for _attrs, cells in page.rows:
            if len(cells) == 2 and cells[0][0] == "th" and cells[0][1] in pt.SETTINGS_INFO_KEYS:
                facts[cells[0][1]] = cells[1][1]
        if not facts.get("settings_type"):
            raise CanonError("unsupported_capability", "The device reports no settings type: it offers no "
                             "Import/Export All.", hint="Check Settings/Registration > Management Settings > Data "
                             "Management > Import/Export on the device.")
        for key in ("categories", "options", "security_levels"):
            facts[key] = [x for x in str(facts.get(key, "")).split(",") if x]
        facts["security_levels"] = [int(x) for x in facts["security_levels"]]
        for key in ("restart_pending", "import_export_restricted"):
            facts[key] = facts.get(key) == "true"
        facts["platform_version"] = facts.get("platform_version") or None
        return facts

    def page(self, category: str) -> Dict[str, Control]:
        """The labelled controls of one category page (cached for the run)."""
        if category not in self.pages:
            page = self.session.get_page("settings_page", {pt.SETTINGS_CATEGORY_FIELD: category})
            self.pages[category], _hidden = parse_settings_page(page.text)
        return self.pages[category]

    def read_items(self, paths: List[str], facts: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
        """({path: value} of items shown on the pages, [paths the device does not show])."""
        values: Dict[str, Any] = {}
        missing: List[str] = []
        for path in paths:
            item = pt.SETTINGS_ITEMS.get(path)
            category = page_category(path, facts)
            if item is None or category is None:
                missing.append(path)
                continue
            control = self.page(category).get(item.label)
            if control is None:
                missing.append(path)
                continue
            values[path] = to_value(item.kind, control)
        return values, missing

    def write_page(self, category: str, changes: Dict[str, Any]) -> bool:
        """Post one category form as a browser does (every control, the changed ones set).

        Returns True when the device says a restart is needed for the change to take effect.
        """
        controls = self.page(category)
        fields: Dict[str, str] = {pt.SETTINGS_CATEGORY_FIELD: category}
        for control in controls.values():
            if control.name is None:
                continue
            fields[control.name] = control_code(control, control.shown())
        for path, value in changes.items():
            item = pt.SETTINGS_ITEMS[path]
            control = controls[item.label]
            fields[control.name or ""] = control_code(control, shown_text(item.kind, value))
        self.session.get_page("settings_page", {pt.SETTINGS_CATEGORY_FIELD: category})   # fresh form token
        page = self.session.post_form("settings_write", fields)
        self.pages.pop(category, None)
        return pt.SETTINGS_TEXTS["restart"].lower() in page.visible_text.lower()

    def export(self, categories: List[str], password: str, level: Optional[int] = None) -> bytes:
        """Import/Export All: export the categories into one file, as the device writes it."""
        self.session.get_page("settings_info")          # fresh form token
        fields = {pt.SETTINGS_CATEGORIES_FIELD: ",".join(categories), pt.SETTINGS_PASSWORD_FIELD: password}
        if level:
            fields[pt.SETTINGS_LEVEL_FIELD] = str(level)
        page = self.session.post_form("settings_export", fields)
        if page.is_html:
            raise CanonError("rui_unexpected_response", "The device answered the export with a page instead of a "
                             "file: %s" % page.visible_text[:300])
        return page.content

    def import_file(self, data: bytes, password: str, filename: str) -> Dict[str, Any]:
        """Import/Export All: send the file unmodified; the device's result (applied, skipped, restart)."""
        self.session.get_page("settings_info")          # fresh form token
        page = self.session.post_multipart("settings_import", {pt.SETTINGS_PASSWORD_FIELD: password},
                                           {pt.SETTINGS_FILE_FIELD: (filename, data, "application/octet-stream")})
        result: Dict[str, Any] = {"message": page.visible_text[:300]}
        for _attrs, cells in page.rows:
            if len(cells) == 2 and cells[0][1] in ("applied", "skipped", "restart"):
                result[cells[0][1]] = cells[1][1]
        result["restart"] = result.get("restart") == "true"
        for key in ("applied", "skipped"):
            result[key] = int(result.get(key) or 0)
        return result


def page_category(path: str, facts: Mapping[str, Any]) -> Optional[str]:
    """Which page shows an item: its own category on type I; Basic Information on types II-IV."""
    item = pt.SETTINGS_ITEMS.get(path)
    if item is None:
        return None
    category = item.category
    if facts.get("settings_type") != "I" and category not in facts.get("categories", []):
        category = "basic"
    return category if category in facts.get("categories", []) else None


def shown_text(kind: str, value: Any) -> str:
    if kind == "bool":
        return "On" if value else "Off"
    return "" if value is None else str(value)


def control_code(control: Control, text: Optional[str]) -> str:
    """What the form sends for a visible value: the option code of a select, else the text."""
    if control.kind != "select":
        return "" if text is None else str(text)
    for code, shown in control.options:
        if shown == text:
            return code
    raise CanonError("settings_invalid_value", "%s does not offer %r on this device (it offers: %s)"
                     % (control.label, text, ", ".join(s for _c, s in control.options)))


# --- SNMP: name, location, contact -----------------------------------------------------------
def snmp_read(target: Any, paths: List[str]) -> Dict[str, Any]:
    oid_of = {path: sspec.SNMP_ITEMS[path] for path in paths}

    async def get(client: Any) -> Dict[str, Any]:
        return await client.get(target, list(oid_of.values()))

    got = snmp.run(get)
    return {path: snmp.to_text(got.get(oid)) if got.get(oid) is not snmp.NO_SUCH else None
            for path, oid in oid_of.items()}


def snmp_write(target: Any, values: Dict[str, str]) -> None:
    async def put(client: Any) -> None:
        await client.set(target, [(sspec.SNMP_ITEMS[p], snmp.octet_string(v)) for p, v in values.items()])

    snmp.run(put)
