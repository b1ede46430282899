# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address book of one device, over a logged-in Remote UI session.

Thin on purpose: one method per device operation (book information, read, write, export).
Planning, validation and diffs live in ``model.py``; paths and fields in ``protocol_table.py``.

Default path (``write_method='per_entry'``): the public flows (canon-public-protocol-facts.md §2).

* classic (Type I): each list is read with the LDIF export ``/rps/abook.ldif`` (``AID``), whose
  records carry Canon's address-book attributes and the entry index ``indxid``; entries are written
  one by one through the per-entry forms ``aprop.cgi`` -> ``anewadrs.cgi`` / ``amodadrs.cgi`` and
  ``adelete.cgi`` from the list frame ``alframe.cgi``, each with the Token of the page before;
* portal (Types II/III): the list pages (favourites / coded dial) give slot, type icon, name and
  address; slots of other types than e-mail are read from their slot page (``m_addresslist.cgi``);
  writes go through the slot forms (``a_new.cgi`` + the type's registration form) and the delete
  forms. The e-mail forms are public; the other types' registration pages are simulator-defined.

Only the entries the plan changes are written: a one-entry change is one request chain.
Passwords are never read back (the LDIF carries ``pwd`` only when password export is allowed,
which the collection never turns on): a stored password reads as an ``EncryptedSecret`` whose
plaintext is unknown; a modify form leaves it alone unless a declared password is sent with the
"change password" flag.

``write_method='bulk_import'`` keeps the older simulator-defined CSV export/import of whole lists
(``abookexport.cgi``/``abookimport.cgi``, ``a_export.cgi``/``a_import.cgi``): no public URL exists.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv, ldif as ldif_format
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import Page, RemoteUiSession

EXPORT_FORMATS: Tuple[str, ...] = ("canon_csv", "ldif")
WRITE_METHODS: Tuple[str, ...] = ("per_entry", "bulk_import")
UNREAD_SECRET = abook_csv.EncryptedSecret("")      # a stored password the device does not show
_COLUMN_BY_NAME = {column.name: column for column in abook_csv.COLUMNS}
_COLUMN_BY_KEY = {column.key: column for column in abook_csv.COLUMNS if column.key}
_ROW_HIDDEN = ("reading", "short_name", "access_number", "divide_data")   # e-mail fields a list row omits
_MAIN_FIELD = {"email": "address", "ifax": "address", "fax": "fax_number", "file": "host"}
# portal list page icons (public captures; fax is the simulator's choice)
_ICON_TYPES = {"ad_1": "email", "ad_2": "ifax", "ad_3": "fax", "ad_6": "file", "ad_grp": "group"}
_ROW = re.compile(r'addressListLink\((\d+)\)[^>]*>\s*<img src="[^"]*/(ad_\w+)\.\w+"[^>]*>.*?'
                  r'<td class="name">(.*?)</td>\s*<td class="address">(.*?)</td>', re.S)
AREA = "address_book"
CSV_CONTENT_TYPE = "text/csv"
_TRUE_WORDS = ("1", "true", "yes", "on")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


@dataclass
class BookInfo:
    """What the book_info page says: type, per-list (count, capacity) and the device's abilities."""

    book_type: str
    lists: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    destination_types: Tuple[str, ...] = ()
    file_protocols: Tuple[str, ...] = ()
    multibyte: bool = True
    total_capacity: Optional[int] = None
    workflow_count: Optional[int] = None
    receive_restricted: bool = False


def _words(value: str) -> Tuple[str, ...]:
    return tuple(word.lower() for word in re.split(r"[\s,;]+", value.strip()) if word)


def _number(value: str, what: str) -> Optional[int]:
    text = value.strip()
    if text in ("", "-"):
        return None
    try:
        return int(text)
    except ValueError:
        raise CanonError("rui_unexpected_response", "The book information shows %s = %r, not a number."
                         % (what, value), page="book_info") from None


def parse_book_info(page: Page) -> BookInfo:
    """BookInfo from the book_info table (format next to protocol_table.BOOK_INFO_KEYS)."""
    facts: Dict[str, str] = {}
    lists: Dict[str, Tuple[int, int]] = {}
    for attributes, cells in page.rows:
        list_name = attributes.get("data-list")
        values = [text for tag, text in cells if tag == "td"]
        if list_name and "list" in attributes.get("class", "").split():
            if len(values) < 2:
                raise CanonError("rui_unexpected_response", "The book information row of %s lacks count and "
                                 "capacity." % list_name, page="book_info")
            count, capacity = _number(values[0], list_name), _number(values[1], list_name)
            lists[list_name] = (count or 0, capacity or 0)
            continue
        keys = [text for tag, text in cells if tag == "th"]
        if keys and values and keys[0] in pt.BOOK_INFO_KEYS:
            facts[keys[0]] = values[0]
    if "book_type" not in facts:
        raise CanonError("rui_unexpected_response", "The device's book information names no address-book type.",
                         page="book_info")
    return BookInfo(
        book_type=ab.normalize_book_type(facts["book_type"]),
        lists=lists,
        destination_types=_words(facts.get("destination_types", "")),
        file_protocols=_words(facts.get("file_protocols", "")),
        multibyte=facts.get("multibyte", "true").strip().lower() in _TRUE_WORDS,
        total_capacity=_number(facts.get("total_capacity", ""), "total_capacity"),
        workflow_count=_number(facts.get("workflow_count", ""), "workflow_count"),
        receive_restricted=facts.get("receive_restricted", "false").strip().lower() in _TRUE_WORDS,
    )


def _check_encryption_password(value: str, what: str) -> None:
    if not value or len(value) > pt.ENCRYPTION_PASSWORD_MAX or not _PRINTABLE_ASCII.match(value):
        raise CanonError("invalid_argument", "%s must be 1 to %d printable ASCII characters"
                         % (what, pt.ENCRYPTION_PASSWORD_MAX))


def _plaintext_secrets(entries: Sequence[Mapping[str, Any]]) -> Tuple[str, ...]:
    values = {entry.get(key) for entry in entries for key in ab.SECRET_FIELDS}
    return tuple(sorted((v for v in values if isinstance(v, str) and v), key=len, reverse=True))


def _scrubbed(exc: CanonError, secret_values: Sequence[str]) -> CanonError:
    """The same error with entry passwords masked wherever a device message repeats them."""
    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for secret in secret_values:
            value = value.replace(secret, ab.MASK)
        return value

    scrubbed = CanonError(exc.error_code, clean(exc.msg), exc.hint,
                          **{key: clean(value) for key, value in exc.details.items()})
    return scrubbed


def _cell_into(entry: Dict[str, Any], attribute: str, text: str, where: str) -> None:
    """One Canon attribute value into an entry (the CSV column codecs; unknown attributes ignored)."""
    column = _COLUMN_BY_NAME.get(attribute.lower())
    if column is None or text == "" or column.kind in ("objectclass", "secret") or entry["type"] not in column.types:
        return
    if column.name == "dn":
        return
    try:
        abook_csv.parse_cell(column, text, entry, where, None, False)
    except abook_csv.AddressBookFormatError as exc:
        raise CanonError("rui_unexpected_response", "The device's address data is unreadable: %s" % exc.msg) from None


def _unread_secrets(entry: Dict[str, Any]) -> Dict[str, Any]:
    if entry["type"] == "file":
        entry["password"] = UNREAD_SECRET
    return entry


def parse_device_ldif(data: bytes) -> List[Tuple[int, Dict[str, Any]]]:
    """(indxid, entry) of each record of the classic LDIF export (Canon attribute names).

    Records of classes the collection does not model (``ipfax``) are refused: writing the list
    back would lose them.
    """
    text = abook_csv.decode_text(data)
    try:
        records = ldif_format.unfolded_records(text)
    except abook_csv.AddressBookFormatError as exc:
        raise CanonError("rui_unexpected_response", "The device's LDIF export is unreadable: %s" % exc.msg) from None
    out: List[Tuple[int, Dict[str, Any]]] = []
    for record in records:
        values: List[Tuple[str, str]] = []
        for number, line in record:
            try:
                values.append(ldif_format.decode_line(number, line))
            except abook_csv.AddressBookFormatError as exc:
                raise CanonError("rui_unexpected_response", "The device's LDIF export is unreadable: %s"
                                 % exc.msg) from None
        classes = [value.lower() for name, value in values if name == "objectclass"]
        kinds = [abook_csv.TYPE_BY_OBJECTCLASS[c] for c in classes if c in abook_csv.TYPE_BY_OBJECTCLASS]
        unmodelled = [c for c in classes if c in abook_csv.UNMODELLED_OBJECTCLASSES]
        if unmodelled or not kinds:
            raise CanonError("addressbook_unsupported_type", "The device's list holds a destination of class %s, "
                             "which this collection does not model." % (unmodelled or classes or ["?"])[0])
        entry: Dict[str, Any] = {"type": kinds[0]}
        index = None
        for name, value in values:
            if name == "indxid":
                index = int(value)
            elif name not in ("dn", "objectclass", "pwd"):
                _cell_into(entry, name, value, "LDIF record %s" % value)
        if index is None:
            raise CanonError("rui_unexpected_response", "An LDIF record of the device has no indxid.")
        out.append((index, _unread_secrets(entry)))
    return out


_ADRS_ITEM = re.compile(r'(\d+):\{tp:(\d+),nm:("(?:[^"\\]|\\.)*"),ad:("(?:[^"\\]|\\.)*"),'
                        r'ot:("(?:[^"\\]|\\.)*")\}')


def parse_adrs_list(page: Page) -> List[Tuple[int, str, str, str]]:
    """(AIDX, type, name, address) from the classic list body (``var adrsList = {...}``, KOR)."""
    text = page.text
    start = text.find("adrsList")
    if start < 0:
        raise CanonError("rui_unexpected_response", "The address list page holds no adrsList data.")
    types = {value: key for key, value in pt.CLASSIC_CLASS_BY_TYPE.items()}
    out = []
    for index, kind, name, address, _other in _ADRS_ITEM.findall(text[start:]):
        out.append((int(index), types.get(kind, ""), json.loads(name), json.loads(address)))
    return out


def parse_portal_list(page: Page) -> List[Tuple[int, str, str, str]]:
    """(slot, type or '', name, address) of every row of a portal address list page."""
    rows = []
    for slot, icon, name, address in _ROW.findall(page.text):
        rows.append((int(slot), _ICON_TYPES.get(icon, ""), html.unescape(re.sub(r"<[^>]*>", "", name)).strip(),
                     html.unescape(re.sub(r"<[^>]*>", "", address)).strip()))
    return rows


def entry_fields(entry: Mapping[str, Any], public: Mapping[str, str], write_password: bool,
                 password_flag: Tuple[str, str]) -> Dict[str, str]:
    """An entry as per-entry form fields: the public field names where they exist, Canon attribute
    names for the rest (simulator-defined); the password only with its change flag."""
    kind = entry["type"]
    fields: Dict[str, str] = {}
    for key, column in _COLUMN_BY_KEY.items():
        if kind not in column.types or column.kind in ("objectclass", "secret") or column.name == "dn":
            continue
        value = entry.get(key)
        if value is None:
            continue
        text = abook_csv.render_cell(column, entry, kind, "", (None, False, secrets.token_bytes, b""))
        if key == "protocol" and "protocol" in public:
            fields[public["protocol"]] = pt.CLASSIC_PROTOCOL_BY_NAME.get(text, text)
            continue
        name = public.get("address" if key == _MAIN_FIELD.get(kind) else key)
        fields[name or column.name] = text
    if "number" in public and entry.get("number") is not None:
        fields[public["number"]] = str(entry["number"])
    secret_key = abook_csv.SECRET_KEY_BY_TYPE.get(kind)
    if write_password and secret_key and isinstance(entry.get(secret_key), str):
        fields[public["password"]] = entry[secret_key]
        fields[password_flag[0]] = password_flag[1]
    return fields


def _portal_entry(kind: str, fields: Mapping[str, str]) -> Dict[str, Any]:
    names = pt.PORTAL_ENTRY_FORM_FIELDS
    entry: Dict[str, Any] = {"type": kind}
    for name, value in fields.items():
        if name == names["name"]:
            entry["name"] = value
        elif name == names["reading"]:
            if value:
                entry["reading"] = value
        elif name == names["address"]:
            if _MAIN_FIELD.get(kind):
                entry[_MAIN_FIELD[kind]] = value
        else:
            _cell_into(entry, name, value, "slot page field %s" % name)
    return _unread_secrets(entry)


def _classic_entry(kind: str, fields: Mapping[str, str]) -> Dict[str, Any]:
    """An entry from its classic property form (public field names, Canon attribute names for the rest)."""
    by_field = {name: key for key, name in pt.CLASSIC_ENTRY_FIELDS.items() if key not in ("password", "number")}
    protocols = {value: name for name, value in pt.CLASSIC_PROTOCOL_BY_NAME.items()}
    entry: Dict[str, Any] = {"type": kind}
    for name, value in fields.items():
        if value == "" or name in (pt.CLASSIC_TOKEN_FIELD, pt.CLASSIC_LIST_ID_FIELD, pt.CLASSIC_ENTRY_INDEX_FIELD,
                                   pt.CLASSIC_CLASS_FIELD, pt.CLASSIC_ENTRY_FIELDS["number"]):
            continue
        if name == pt.CLASSIC_PROTOCOL_FIELD:
            entry["protocol"] = protocols.get(value, value)
        elif name in by_field:
            key = by_field[name]
            entry[_MAIN_FIELD.get(kind, key) if key in ("address", "fax_number", "host") else key] = value
        else:
            _cell_into(entry, name, value, "form field %s" % name)
    return _unread_secrets(entry)


def _key(numbered: bool, entry: Mapping[str, Any]) -> Any:
    return entry.get("number") if numbered else entry.get("name")


class AddressBookClient:
    """Address-book operations of one device; ``session`` must stay open while it is used."""

    def __init__(self, session: RemoteUiSession, transfer_password: Optional[str] = None,
                 write_method: str = "per_entry") -> None:
        if write_method not in WRITE_METHODS:
            raise CanonError("invalid_argument", "write_method must be one of %s" % ", ".join(WRITE_METHODS))
        self.write_method = write_method
        # portal: which e-mail entries need their slot page (the list row has name and address only):
        # every one with ``full_read``, else those ``detail_hint`` ({list: declared entries}) declares
        # with a field the row does not show
        self.full_read = False
        self.detail_hint: Dict[str, Sequence[Mapping[str, Any]]] = {}
        self._read: Dict[str, List[Tuple[int, Dict[str, Any]]]] = {}
        self.requests_by_operation: Dict[str, int] = {}
        self.session = session
        self._transfer_password = transfer_password or secrets.token_urlsafe(24)   # 32 ASCII characters
        _check_encryption_password(self._transfer_password, "transfer_password")
        self._info: Optional[BookInfo] = None
        self._area_open = False

    # ------------------------------------------------------------------ helpers ------------
    def _open(self) -> None:
        if not self._area_open:
            self.session.open_area(AREA)
            self._area_open = True

    def _form(self) -> None:
        """Show the form page before a POST, as a browser does (fresh token, right Referer)."""
        if self._area_open:
            self.session.refresh_form()
        else:
            self._open()

    def _list_spec(self, list_name: str) -> ab.ListSpec:
        info = self.info()
        spec = ab.book_type_spec(info.book_type).list_spec(list_name)
        if info.lists and list_name not in info.lists:
            raise CanonError("addressbook_unsupported_type", "The device does not offer the list %s (it has %s)."
                             % (list_name, ", ".join(info.lists)), list=list_name)
        return spec

    # ------------------------------------------------------------------ operations ---------
    def info(self, refresh: bool = False) -> BookInfo:
        """Book type, lists and abilities (cached; ``refresh`` reads them again, e.g. after a write).

        Classic: the address-list page (``asublist.cgi``, public path) that opens the area; portal:
        the simulator-defined ``a_info.html`` (no public page gives type and capacities).
        """
        if self._info is None or refresh:
            if self.session.flavour == pt.CLASSIC and self.write_method == "per_entry":
                self._area_open = False
                self._info = parse_book_info(self._counted("info", lambda: self.session.open_area(AREA)))
                self._area_open = True
            elif self.write_method == "per_entry":
                self._info = self._counted("info", self._portal_info)
            else:
                self._open()
                self._info = parse_book_info(self.session.get_page("book_info"))
        return self._info

    def _portal_info(self) -> BookInfo:
        """Type, counts and capacities from the public list pages; the simulator-defined ``a_info.html``
        only adds what no public page shows (workflows, destination types), when the device has it.

        The coded-dial page of a Type III device numbers its slots from 000, a Type II one from 1.
        """
        pages = {name: parse_portal_list(self.session.get_page(name)) for name in ("coded_dial", "favorites")}
        coded = pages["coded_dial"]
        if not coded:
            raise CanonError("rui_unexpected_response", "The coded dial / address book page lists no slots.")
        book_type = "III" if min(slot for slot, *_rest in coded) == 0 else "II"
        spec = ab.book_type_spec(book_type)
        lists: Dict[str, Tuple[int, int]] = {}
        for list_spec in spec.lists:
            rows = pages["favorites" if list_spec.one_touch else "coded_dial"]
            lists[list_spec.name] = (sum(1 for row in rows if row[1]), len(rows))
        info = BookInfo(book_type=book_type, lists=lists, workflow_count=None)
        try:
            extra = parse_book_info(self.session.get_page("book_info"))
        except CanonError as exc:
            if exc.error_code not in ("unsupported_capability", "rui_unexpected_response"):
                raise
            return info         # a real device: workflows unknown (the acknowledgement is always asked)
        info.destination_types, info.file_protocols = extra.destination_types, extra.file_protocols
        info.multibyte, info.workflow_count = extra.multibyte, extra.workflow_count
        info.receive_restricted = extra.receive_restricted
        return info

    def _counted(self, operation: str, action: Any) -> Any:
        """Run one operation and count its HTTP exchanges (for the public-share figures)."""
        before = self.session.request_count
        try:
            return action()
        finally:
            self.requests_by_operation[operation] = (self.requests_by_operation.get(operation, 0)
                                                     + self.session.request_count - before)

    @property
    def device_exports(self) -> bool:
        """Whether backups come from the device's own export (bulk path) or are rendered from the read."""
        return self.write_method == "bulk_import"

    def capabilities(self) -> Dict[str, Any]:
        """The capability dict ``addressbook.normalize_capabilities`` accepts, from the device's facts."""
        info = self.info()
        spec = ab.book_type_spec(info.book_type)
        capabilities: Dict[str, Any] = {
            "book_type": info.book_type,
            "multibyte": info.multibyte,
            "capacities": {name: capacity for name, (_count, capacity) in info.lists.items()
                           if name in spec.list_names},
        }
        if info.destination_types:
            capabilities["destination_types"] = sorted(set(info.destination_types) & spec.destination_types)
        if info.file_protocols:
            capabilities["file_protocols"] = sorted(set(info.file_protocols) & spec.file_protocols)
        if spec.pools and info.total_capacity is not None:
            capabilities["total_capacity"] = info.total_capacity
        return capabilities

    def export_list(self, list_name: str, fmt: str = "canon_csv", export_password: Optional[str] = None) -> bytes:
        """The device's own export file of one list.

        ``canon_csv``: the simulator-defined export, passwords encrypted with ``export_password``
        (left out without one). ``ldif``: the classic Remote UI's public abook.ldif (e-mail and
        fax only, never passwords).
        """
        if fmt not in EXPORT_FORMATS:
            raise CanonError("invalid_argument", "format must be one of %s" % ", ".join(EXPORT_FORMATS))
        spec = self._list_spec(list_name)
        if fmt == "ldif":
            if export_password:
                raise CanonError("invalid_argument", "LDIF exports carry no passwords; export_password applies "
                                 "to canon_csv only")
            if self.session.flavour != pt.CLASSIC:
                raise CanonError("unsupported_capability", "Only the classic Remote UI exports LDIF; use canon_csv.")
            book = ab.book_type_spec(self.info().book_type)
            aid = pt.CLASSIC_ONE_TOUCH_AID if spec.one_touch else book.lists.index(spec) + 1
            fields = dict(pt.CLASSIC_LDIF_FIELDS, **{pt.CLASSIC_LIST_ID_FIELD: str(aid)})
            self._form()
            page = self.session.post_form("ldif_export", fields)
        else:
            fields = {pt.ABOOK_LIST_FIELD: list_name, pt.ABOOK_ENCRYPT_FIELD: "0"}
            if export_password:
                _check_encryption_password(export_password, "export_password")
                fields.update({pt.ABOOK_ENCRYPT_FIELD: "1", pt.ABOOK_PASSWORD_FIELD: export_password})
            self._form()
            page = self.session.post_form("csv_export", fields)
        if page.is_html:
            raise CanonError("rui_unexpected_response", "The device answered the %s export of %s with a page, not a "
                             "file: %s" % (fmt, list_name, page.visible_text[:300]), list=list_name)
        return page.content

    def read_lists(self, names: Sequence[str], on_unsupported: str = "error") -> Dict[str, List[Dict[str, Any]]]:
        """Entries of each list, as ``model.normalize_entry`` accepts them (passwords unread)."""
        if self.write_method == "bulk_import":
            return self._bulk_read(names, on_unsupported)
        result: Dict[str, List[Dict[str, Any]]] = {}
        for name in names:
            self._list_spec(name)
            try:
                items = self._counted("read", lambda name=name: self._read_list(name))
            except CanonError as exc:
                if exc.error_code == "feature_restricted":
                    raise CanonError("feature_restricted", "The device refused to give out %s: %s" % (name, exc.msg),
                                     hint="Settings/Registration > Function Settings > Send > Restrict Receiving for "
                                     "Each Function > Address Book (Type I), or the device's import/export "
                                     "restriction; turn it off on the device.") from None
                raise
            self._read[name] = items
            result[name] = [dict(entry) for _index, entry in items]
        return result

    def _aid(self, list_name: str) -> int:
        spec = self._list_spec(list_name)
        book = ab.book_type_spec(self.info().book_type)
        return pt.CLASSIC_ONE_TOUCH_AID if spec.one_touch else book.lists.index(spec) + 1

    def _read_list(self, list_name: str) -> List[Tuple[int, Dict[str, Any]]]:
        if self.session.flavour == pt.CLASSIC:
            fields = dict(pt.CLASSIC_LDIF_FIELDS, **{pt.CLASSIC_LIST_ID_FIELD: str(self._aid(list_name))})
            self._form()
            try:
                page = self.session.post_form("ldif_export", fields)
            except CanonError as exc:
                if exc.error_code != "unsupported_capability":
                    raise
                return self._read_classic_pages(list_name)      # no LDIF export: the list pages
            if page.is_html:
                raise CanonError("rui_unexpected_response", "The device answered the LDIF export of %s with a page: %s"
                                 % (list_name, page.visible_text[:300]), list=list_name)
            items = parse_device_ldif(page.content)
            spec = self._list_spec(list_name)
            if spec.numbered:
                book_type = self.info().book_type
                for index, entry in items:
                    entry["number"] = ab.from_device_number(book_type, list_name, index)
            return items
        return self._read_portal_list(list_name)

    def _read_classic_pages(self, list_name: str) -> List[Tuple[int, Dict[str, Any]]]:
        """asublist -> alframe -> albody (adrsList), then each entry's property form (aprop.cgi)."""
        aid = str(self._aid(list_name))
        self._frame(list_name)
        body = self.session.post_form("list_body", dict(pt.CLASSIC_LIST_BODY_FIELDS, **{pt.CLASSIC_LIST_ID_FIELD: aid}))
        items: List[Tuple[int, Dict[str, Any]]] = []
        spec = self._list_spec(list_name)
        book_type = self.info().book_type
        for index, kind, _name, _address in parse_adrs_list(body):
            if not kind:
                raise CanonError("addressbook_unsupported_type", "Entry %d of %s has a class this collection does "
                                 "not model." % (index, list_name), list=list_name)
            show = dict(pt.CLASSIC_ENTRY_FORM_FIELDS, **{
                pt.CLASSIC_ENTRY_MODE_FIELD: pt.CLASSIC_ENTRY_MODES["show"], pt.CLASSIC_LIST_ID_FIELD: aid,
                pt.CLASSIC_ENTRY_INDEX_FIELD: str(index), pt.CLASSIC_CLASS_FIELD: pt.CLASSIC_CLASS_BY_TYPE[kind]})
            page = self.session.post_form("entry_form", show)
            form = next((f for f in page.forms if f["action"]), None)
            if form is None:
                raise CanonError("rui_unexpected_response", "Entry %d of %s shows no form." % (index, list_name))
            entry = _classic_entry(kind, form["fields"])
            if spec.numbered:
                entry["number"] = ab.from_device_number(book_type, list_name, index)
            items.append((index, entry))
            self._frame(list_name)          # back to the list, as a browser would
        return items

    def _portal_page(self, list_name: str) -> str:
        return "favorites" if self._list_spec(list_name).one_touch else "coded_dial"

    def _read_portal_list(self, list_name: str) -> List[Tuple[int, Dict[str, Any]]]:
        book_type = self.info().book_type
        page_name = self._portal_page(list_name)
        rows = parse_portal_list(self.session.get_page(page_name))
        items: List[Tuple[int, Dict[str, Any]]] = []
        detailed = {entry.get("number") for entry in self.detail_hint.get(list_name) or []
                    if any(entry.get(key) not in (None, "", False) for key in _ROW_HIDDEN)}
        for slot, kind, name, address in rows:
            if not kind:
                continue
            number = ab.from_device_number(book_type, list_name, slot)
            if kind == "email" and not self.full_read and number not in detailed:
                entry: Dict[str, Any] = {"type": "email", "name": name, "address": address}
            else:
                page = self.session.post_form("select_slot", {pt.PORTAL_ENTRY_FIELDS["slot"]: str(slot)})
                form = next((f for f in page.forms if f["action"]), None)
                if form is None:
                    raise CanonError("rui_unexpected_response", "Slot %d of %s shows no form." % (slot, list_name))
                entry = _portal_entry(kind, {k: v for k, v in form["fields"].items() if k != pt.PORTAL_TOKEN_FIELD})
            entry["number"] = number
            items.append((slot, entry))
        return items

    def write_list(self, list_name: str, entries: Sequence[Mapping[str, Any]], mode: str = "overwrite") -> str:
        """Make one list hold ``entries`` (``overwrite``) by writing only the entries that differ.

        Per entry through the public forms (deletes first, groups after their members); with
        ``write_method='bulk_import'`` the whole list through the simulator-defined import.
        Returns a summary sentence; a refused form raises ``addressbook_import_failed``.
        """
        if self.write_method == "bulk_import":
            return self._bulk_write(list_name, entries, mode)
        if mode != "overwrite":
            raise CanonError("invalid_argument", "per-entry writes take the whole list (mode overwrite)")
        spec = self._list_spec(list_name)
        if list_name not in self._read:
            self.read_lists([list_name])
        before = self._read[list_name]
        creates, modifies, deletes = self.entry_changes(spec, before, entries)
        try:
            self._counted("write", lambda: self._write_entries(list_name, creates, modifies, deletes))
        except CanonError as exc:
            raise _scrubbed(exc, _plaintext_secrets(entries)) from None
        self._read.pop(list_name, None)
        self._info = None
        return "%s: %d created, %d changed, %d deleted" % (list_name, len(creates), len(modifies), len(deletes))

    @staticmethod
    def entry_changes(spec: ab.ListSpec, before: Sequence[Tuple[int, Mapping[str, Any]]],
                      after: Sequence[Mapping[str, Any]]) -> Tuple[list, list, list]:
        """(creates, modifies, deletes) that turn ``before`` (index, entry) into ``after``.

        creates: [entry]; modifies: [(index, entry, write_password)]; deletes: [(index, entry)].
        Entries are matched by number (numbered lists) or name; a changed type is delete + create.
        """
        def normal(entry: Mapping[str, Any]) -> Dict[str, Any]:
            return ab.comparable(ab.normalize_entry(entry, spec.name))

        have: Dict[Any, Tuple[int, Mapping[str, Any]]] = {}
        for index, entry in before:
            have.setdefault(_key(spec.numbered, entry), (index, entry))
        creates: List[Mapping[str, Any]] = []
        modifies: List[Tuple[int, Mapping[str, Any], bool]] = []
        deletes: List[Tuple[int, Mapping[str, Any]]] = []
        kept = set()
        for entry in after:
            key = _key(spec.numbered, entry)
            found = have.get(key)
            if found is None or key in kept:
                creates.append(entry)
                continue
            kept.add(key)
            index, current = found
            if current["type"] != entry["type"]:
                deletes.append((index, current))
                creates.append(entry)
                continue
            secret_key = abook_csv.SECRET_KEY_BY_TYPE.get(entry["type"])
            wanted = entry.get(secret_key) if secret_key else None
            write_password = ab.secret_is_known(wanted) and wanted != current.get(secret_key)
            if normal(current) != normal(entry) or write_password:
                modifies.append((index, entry, write_password))
        for index, entry in before:
            if _key(spec.numbered, entry) not in kept:
                deletes.append((index, entry))
        return creates, modifies, deletes

    def _write_entries(self, list_name: str, creates: list, modifies: list, deletes: list) -> None:
        groups_last = sorted(deletes, key=lambda item: item[1]["type"] != "group")
        for index, entry in groups_last:
            self._delete_entry(list_name, index, entry)
        ordered = ([("modify", item) for item in modifies if item[1]["type"] != "group"]
                   + [("create", (None, e, True)) for e in creates if e["type"] != "group"]
                   + [("modify", item) for item in modifies if item[1]["type"] == "group"]
                   + [("create", (None, e, True)) for e in creates if e["type"] == "group"])
        for action, (index, entry, write_password) in ordered:
            self._put_entry(list_name, index, entry, write_password)

    # --- classic per-entry forms -----------------------------------------------------------
    def _frame(self, list_name: str) -> None:
        self.session.get_page("list_frame", {pt.CLASSIC_LIST_ID_FIELD: str(self._aid(list_name))})

    def _classic_fields(self, entry: Mapping[str, Any], write_password: bool) -> Dict[str, str]:
        public = dict(pt.CLASSIC_ENTRY_FIELDS, protocol=pt.CLASSIC_PROTOCOL_FIELD)
        fields = entry_fields(entry, public, write_password, (pt.CLASSIC_PASSWORD_CHANGE_FIELD, "1"))
        fields[pt.CLASSIC_CLASS_FIELD] = pt.CLASSIC_CLASS_BY_TYPE[entry["type"]]
        return fields

    def _delete_entry(self, list_name: str, index: int, entry: Mapping[str, Any]) -> None:
        if self.session.flavour == pt.CLASSIC:
            self._frame(list_name)
            self.session.post_form("entry_delete", {pt.CLASSIC_LIST_ID_FIELD: str(self._aid(list_name)),
                                                    pt.CLASSIC_ENTRY_INDEX_FIELD: str(index)})
            return
        page_name = self._portal_page(list_name)
        self.session.get_page(page_name)
        self.session.post_form("delete_entry" if page_name == "favorites" else "delete_coded",
                               {pt.PORTAL_ENTRY_FIELDS["delete_slot"]: str(index)})

    def _put_entry(self, list_name: str, index: Optional[int], entry: Mapping[str, Any],
                   write_password: bool) -> None:
        spec = self._list_spec(list_name)
        if self.session.flavour == pt.CLASSIC:
            aid = str(self._aid(list_name))
            self._frame(list_name)
            show = {pt.CLASSIC_ENTRY_MODE_FIELD: pt.CLASSIC_ENTRY_MODES["new" if index is None else "show"],
                    pt.CLASSIC_LIST_ID_FIELD: aid}
            show.update(pt.CLASSIC_ENTRY_FORM_FIELDS)
            if index is not None:
                show.update({pt.CLASSIC_ENTRY_INDEX_FIELD: str(index),
                             pt.CLASSIC_CLASS_FIELD: pt.CLASSIC_CLASS_BY_TYPE[entry["type"]]})
            self.session.post_form("entry_form", show)
            fields = self._classic_fields(entry, write_password)
            fields[pt.CLASSIC_LIST_ID_FIELD] = aid
            if index is None:
                self.session.post_form("entry_create", fields)
            else:
                fields.update({pt.CLASSIC_ENTRY_MODE_FIELD: pt.CLASSIC_ENTRY_MODES["modify"],
                               pt.CLASSIC_ENTRY_INDEX_FIELD: str(index)})
                self.session.post_form("entry_modify", fields)
            return
        book_type = self.info().book_type
        slot = ab.to_device_number(book_type, list_name, entry["number"])
        self.session.get_page(self._portal_page(list_name))
        self.session.post_form("select_slot", {pt.PORTAL_ENTRY_FIELDS["slot"]: str(slot)})
        if index is None:
            self.session.post_form("new_entry", {pt.PORTAL_ENTRY_FIELDS["type"]:
                                                 pt.PORTAL_ENTRY_TYPE_BY_NAME[entry["type"]]})
        public = dict(pt.PORTAL_ENTRY_FORM_FIELDS)
        fields = entry_fields(dict(entry, number=None), public, write_password,
                              (pt.PORTAL_PASSWORD_CHANGE_FIELD, "1"))
        self.session.post_form(pt.PORTAL_REGISTER_ENDPOINT[entry["type"]], fields)

    # --- simulator-defined bulk path (write_method: bulk_import) -----------------------------
    def _bulk_read(self, names: Sequence[str], on_unsupported: str = "error") -> Dict[str, List[Dict[str, Any]]]:
        """Entries of each list from the simulator-defined CSV export (passwords as EncryptedSecret)."""
        book_type = self.info().book_type
        result: Dict[str, List[Dict[str, Any]]] = {}
        for name in names:
            data = self.export_list(name, "canon_csv", export_password=self._transfer_password)
            parsed = ab.parse_list(data, "canon_csv", book_type, name, on_unsupported=on_unsupported)
            result[name] = parsed.entries
        return result

    def _bulk_write(self, list_name: str, entries: Sequence[Mapping[str, Any]], mode: str = "overwrite") -> str:
        """Import entries into one list (``overwrite`` = the Remote UI's Delete and Overwrite).

        Returns the device's confirmation; a refusal raises ``addressbook_import_failed`` with the
        device's message (which names the rejected destinations).
        """
        if mode not in pt.IMPORT_MODES:
            raise CanonError("invalid_argument", "mode must be one of %s" % ", ".join(pt.IMPORT_MODES))
        spec = self._list_spec(list_name)
        rendered = ab.render_list(entries, "canon_csv", self.info().book_type, list_name,
                                  export_password=self._transfer_password)
        data = rendered.data.encode("utf-8") if isinstance(rendered.data, str) else rendered.data
        fields = {pt.ABOOK_LIST_FIELD: list_name, pt.ABOOK_MODE_FIELD: mode,
                  pt.ABOOK_PASSWORD_FIELD: self._transfer_password}
        files = {pt.ABOOK_FILE_FIELD: ("%s.csv" % spec.name, data, CSV_CONTENT_TYPE)}
        self._form()
        try:
            page = self.session.post_multipart("csv_import", fields, files)
        except CanonError as exc:
            raise _scrubbed(exc, _plaintext_secrets(entries) + (self._transfer_password,)) from None
        text = page.visible_text
        if pt.IMPORT_OK_TEXT.lower() not in text.lower():
            raise CanonError("addressbook_import_failed", "The device did not confirm the import of %s: %s"
                             % (list_name, text[:600] or "(empty answer)"), list=list_name)
        self._info = None   # counts changed
        return text[text.lower().find(pt.IMPORT_OK_TEXT.lower()):][:600]
