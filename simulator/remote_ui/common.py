"""What both Remote UI flavours share: book gates, book_info, CSV import and export.

The import/export endpoints and fields are simulator-defined (protocol_table ``ABOOK_*``): the
flow is Canon's ("Import/Export > Address Lists", Append or Delete and Overwrite, an encryption
password), the wire format ours.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Union

from ..httpserver import Request, Response
from . import pages
from .book import AddressBook
from .multipart import MultipartError, parse_form_data
from .state import RuiState, Session
from .table import protocol

DESTINATION_ORDER = ("email", "fax", "ifax", "file", "group")
MAX_LISTED_ERRORS = 50
CSV_TYPE = "text/csv; charset=utf-8"
LDIF_TYPE = "text/plain; charset=utf-8"


class BadRequest(Exception):
    """A malformed request to a simulator-defined endpoint (answered with HTTP 400)."""


class FlavourUi:
    """Base of the classic and portal handlers: one instance per device."""

    endpoints: Dict[str, Any] = {}   # the flavour's endpoint table from the protocol table

    def __init__(self, state: RuiState) -> None:
        self.state = state
        self.routes = {(ep.method, ep.path): name for name, ep in self.endpoints.items()}
        self.paths = {ep.path for ep in self.endpoints.values()}

    def handle(self, request: Request) -> Response:   # pragma: no cover - abstract
        raise NotImplementedError

    # --- common answers -----------------------------------------------------------------
    def expired(self) -> Response:
        self.state.counters["session_expired"] += 1
        return pages.message(protocol.SESSION_EXPIRED_TEXT, "Session Expired")

    def invalid_token(self) -> Response:
        self.state.counters["token_rejected"] += 1
        return pages.message(pages.INVALID_TOKEN_TEXT, "Error")

    def book_gate(self, transfer: bool = False) -> Optional[Response]:
        """No book: 404. Busy: the busy sentence. Restricted (imports/exports only): RESTRICTED_TEXT."""
        state = self.state
        if state.book is None:
            return pages.message(pages.NO_ADDRESS_BOOK_TEXT, "Not Found", status=404)
        if state.busy:
            return pages.message(protocol.BUSY_REASONS[state.busy], "Busy")
        if transfer and state.restricted:
            return pages.message(protocol.RESTRICTED_TEXT, "Restricted")
        return None

    @property
    def book(self) -> AddressBook:
        assert self.state.book is not None
        return self.state.book

    def book_facts(self) -> Dict[str, str]:
        book = self.book
        total = book.total_capacity()
        return {
            "book_type": book.kind.name,
            "destination_types": ",".join(t for t in DESTINATION_ORDER if t in book.destination_types),
            "file_protocols": ",".join(sorted(book.kind.file_protocols)),
            "multibyte": "true",
            "total_capacity": "" if total is None else str(total),
            "workflow_count": str(self.state.workflows),
            "receive_restricted": "true" if self.state.restricted else "false",
        }

    def book_info_page(self) -> Response:
        return pages.page("Address Book Information",
                          "<h1>Address Book Information</h1>\n"
                          + pages.info_table(self.book_facts(), self.book.info_rows()))

    # --- CSV export / import ------------------------------------------------------------
    def _list_name(self, fields: Mapping[str, Union[str, bytes]]) -> str:
        name = fields.get(protocol.ABOOK_LIST_FIELD)
        if not isinstance(name, str) or name not in self.book.lists:
            raise BadRequest("%s must name a list of this device: %s" % (
                protocol.ABOOK_LIST_FIELD, ", ".join(self.book.kind.list_names)))
        return name

    @staticmethod
    def _password(fields: Mapping[str, Union[str, bytes]], required: bool) -> Optional[str]:
        value = fields.get(protocol.ABOOK_PASSWORD_FIELD) or ""
        if not isinstance(value, str):
            raise BadRequest("%s must be text" % protocol.ABOOK_PASSWORD_FIELD)
        if not value:
            if required:
                raise BadRequest("an encrypted export needs %s" % protocol.ABOOK_PASSWORD_FIELD)
            return None
        if len(value) > protocol.ENCRYPTION_PASSWORD_MAX or any(not 0x20 <= ord(c) < 0x7F for c in value):
            raise BadRequest("%s must be at most %d ASCII characters" % (
                protocol.ABOOK_PASSWORD_FIELD, protocol.ENCRYPTION_PASSWORD_MAX))
        return value

    def export_csv(self, fields: Mapping[str, Union[str, bytes]]) -> Response:
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        try:
            list_name = self._list_name(fields)
            encrypt = str(fields.get(protocol.ABOOK_ENCRYPT_FIELD) or "0")
            if encrypt not in ("0", "1"):
                raise BadRequest("%s must be 1 or 0" % protocol.ABOOK_ENCRYPT_FIELD)
            password = self._password(fields, required=encrypt == "1") if encrypt == "1" else None
        except BadRequest as exc:
            return pages.message(str(exc), "Bad Request", status=400)
        self.state.counters["exports"] += 1
        data = self.book.export_csv(list_name, password)
        return pages.download(data, CSV_TYPE, "%s.csv" % list_name)

    def export_ldif(self, list_name: str) -> Response:
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        self.state.counters["ldif_exports"] += 1
        return pages.download(self.book.export_ldif(list_name, self.state.password_export_allowed), LDIF_TYPE,
                              "abook.ldif")

    def import_csv(self, fields: Mapping[str, Union[str, bytes]]) -> Response:
        gate = self.book_gate(transfer=True)
        if gate:
            return gate
        state = self.state
        try:
            list_name = self._list_name(fields)
            mode = fields.get(protocol.ABOOK_MODE_FIELD) or "append"
            if mode not in protocol.IMPORT_MODES:
                raise BadRequest("%s must be one of %s" % (protocol.ABOOK_MODE_FIELD, ", ".join(protocol.IMPORT_MODES)))
            password = self._password(fields, required=False)
            data = fields.get(protocol.ABOOK_FILE_FIELD)
            if data is None:
                raise BadRequest("the import needs the file part %s" % protocol.ABOOK_FILE_FIELD)
            if isinstance(data, str):
                data = data.encode("utf-8")
        except BadRequest as exc:
            return pages.message(str(exc), "Bad Request", status=400)
        result = self.book.check_import(list_name, data, str(mode), password)
        state.last_import = {"list": list_name, "mode": mode, "ok": result.ok, "count": len(result.entries),
                             "dropped": result.dropped, "errors": result.errors}
        if not result.ok:
            state.counters["imports_failed"] += 1
            return pages.message(protocol.IMPORT_FAILED_TEXT, "Import", details=result.errors[:MAX_LISTED_ERRORS])
        self.book.apply(list_name, result)
        state.counters["imports_ok"] += 1
        state.book_written()
        return pages.message(protocol.IMPORT_OK_TEXT, "Import", extra="\n" + pages.info_table(
            self.book_facts(), [(list_name, self.book.count(list_name), self.book.capacity(list_name))]))

    # --- per-entry writes (public forms) ------------------------------------------------
    def write_entry(self, list_name: str, index: Optional[int], entry: Optional[Dict[str, Any]]) -> Optional[Response]:
        """Create (index None), replace (index + entry) or delete (entry None) one entry.

        The device's import rules apply to the list as it would be; a refusal answers the
        ``ERR_SUBMIT_FORM`` page naming the problems and stores nothing. Returns None on success.
        """
        book = self.book
        spec = book.kind.list(list_name)
        if entry is None:
            done = book.remove_at(list_name, index) if not spec.numbered else book.delete_number(
                list_name, index - spec.offset)
            if not done:
                return self.form_refused(["no destination %s in %s" % (index, spec.title)])
            self.state.counters["entries_deleted"] += 1
            self.state.book_written()
            return None
        items = book.indexed(list_name)
        current = [dict(e, number=i) if spec.numbered else dict(e) for i, e in items]
        position = None
        if index is not None:
            positions = [p for p, (i, _e) in enumerate(items) if i == index]
            if not positions:
                return self.form_refused(["no destination %s in %s" % (index, spec.title)])
            position = positions[0]
            current[position] = dict(entry)
        elif spec.numbered and entry.get("number") in {i for i, _e in items}:
            return self.form_refused(["No. %s is already in use" % entry.get("number")])
        else:
            current.append(dict(entry))
            position = len(current) - 1
        result = book.check_entries(list_name, current, "overwrite")
        if result.dropped:
            return self.form_refused(["%s: %s" % (d.get("name"), d.get("reason")) for d in result.dropped])
        if not result.ok:
            return self.form_refused(result.errors)
        if spec.numbered:
            stored = next(e for e in result.entries if e.get("number") == (entry["number"] - spec.offset))
            if index is not None and index != entry["number"]:
                book.delete_number(list_name, index - spec.offset)
            book.put_entry(list_name, stored)
        elif index is None:
            book.add_entry(list_name, result.entries[position])
        else:
            book.set_at(list_name, index, result.entries[position])
        self.state.counters["entries_modified" if index is not None else "entries_created"] += 1
        self.state.book_written()
        return None

    def form_refused(self, problems: List[str]) -> Response:
        self.state.counters["forms_refused"] += 1
        return pages.message("%s: %s" % (protocol.CLASSIC_FORM_ERROR_MARKER, protocol.IMPORT_FAILED_TEXT),
                             "Error", details=problems[:MAX_LISTED_ERRORS])

    # --- request helpers ----------------------------------------------------------------
    @staticmethod
    def multipart(request: Request) -> Dict[str, Union[str, bytes]]:
        try:
            return parse_form_data(request.headers.get("content-type", ""), request.body)
        except MultipartError as exc:
            raise BadRequest(str(exc))

    @staticmethod
    def token_ok(session: Session, fields: Mapping[str, Union[str, bytes]], field_name: str) -> bool:
        sent = fields.get(field_name)
        return bool(session.token) and isinstance(sent, str) and sent == session.token
