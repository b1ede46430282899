# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address book of one device, over a logged-in Remote UI session.

Thin on purpose: one method per device operation (book information, export, read, import).
Planning, validation and diffs live in ``addressbook.py``; paths and fields in
``protocol_table.py``.

Passwords: the device never shows them in clear. Lists are read with the export encrypted under a
random per-client transfer password and parsed *without* it, so every stored password is an
``EncryptedSecret`` (plaintext unknown, ``addressbook.secret_is_known`` is False). Writing a list
encrypts declared passwords with the same transfer password and writes such secrets back
unchanged, so a list can be rewritten without losing the passwords nobody declared.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import Page, RemoteUiSession

EXPORT_FORMATS: Tuple[str, ...] = ("canon_csv", "ldif")
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


class AddressBookClient:
    """Address-book operations of one device; ``session`` must stay open while it is used."""

    def __init__(self, session: RemoteUiSession, transfer_password: Optional[str] = None) -> None:
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
        """The book_info page (cached; ``refresh`` reads it again, e.g. after a write)."""
        if self._info is None or refresh:
            self._open()
            self._info = parse_book_info(self.session.get_page("book_info"))
        return self._info

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
        """Entries of each list, normalised as ``addressbook.normalize_entry`` makes them.

        Passwords come back as ``EncryptedSecret`` (see the module docstring).
        """
        book_type = self.info().book_type
        result: Dict[str, List[Dict[str, Any]]] = {}
        for name in names:
            data = self.export_list(name, "canon_csv", export_password=self._transfer_password)
            parsed = ab.parse_list(data, "canon_csv", book_type, name, on_unsupported=on_unsupported)
            result[name] = parsed.entries
        return result

    def write_list(self, list_name: str, entries: Sequence[Mapping[str, Any]], mode: str = "overwrite") -> str:
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
