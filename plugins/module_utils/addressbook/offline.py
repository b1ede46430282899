# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline address-book work: render declared lists to files and parse files to lists (states
``rendered`` and ``parsed``), and the private file writing that renders and backups share."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import AddressBookFormatError, parse_canon_csv
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.plan import declared_book, named_lists, public_entry, resolve_book_type
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.spec import EMC_CSV_TYPES, FILE_EXTENSIONS, LIST_NAMES
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


def write_private_file(path, data):
    """Write bytes or text readable by the owner only (backups and renders may hold passwords)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_error(exc, path):
    return CanonError("invalid_argument", "cannot write %s: %s" % (path, exc.strerror or exc))


def render_files(entries_by_list, fmt, book_type, export_password, on_unsupported, destination_type=None):
    """Render lists in a file format: [(list, file name, destination type, data, dropped)], one file per list
    (per list and destination type for emc_csv; data None when a list has nothing that format carries)."""
    out = []
    for name, entries in entries_by_list.items():
        if fmt == "emc_csv":
            types = [destination_type] if destination_type else [
                kind for kind in EMC_CSV_TYPES if any(entry["type"] == kind for entry in entries)]
            dropped = []
            if not destination_type:
                others = [entry for entry in entries if entry["type"] not in EMC_CSV_TYPES]
                if others and on_unsupported == "error":
                    raise CanonError("addressbook_unsupported_type",
                                     "emc_csv: %s holds %s entries, which EMC files cannot carry"
                                     % (name, others[0]["type"]), list=name, entry=others[0].get("name"))
                dropped = [{"list": name, "entry": entry.get("name"), "type": entry["type"],
                            "reason": "EMC files cannot carry %s entries" % entry["type"]}
                           for entry in others]
            for kind in types:
                subset = entries if destination_type else [e for e in entries if e["type"] == kind]
                rendered = ab.render_list(subset, fmt, book_type, name, on_unsupported=on_unsupported,
                                          destination_type=kind)
                out.append((name, "%s_%s.csv" % (name, kind), kind, rendered.data,
                            dropped + rendered.dropped))
                dropped = []
            if not types:
                out.append((name, None, None, None, dropped))
            continue
        rendered = ab.render_list(entries, fmt, book_type, name, export_password=export_password,
                                  on_unsupported=on_unsupported)
        out.append((name, "%s.%s" % (name, FILE_EXTENSIONS[fmt]), None, rendered.data, rendered.dropped))
    return out


def tag_dropped(name, dropped):
    return [dict(item, list=name) if isinstance(item, dict) and "list" not in item else item
            for item in dropped]


def store(folder, filename, data):
    """Write one private file into ``folder``; an OS error becomes a CanonError naming the path."""
    target = os.path.join(folder, filename)
    try:
        write_private_file(target, data)
    except OSError as exc:
        raise file_error(exc, target)
    return target


def rendered(params, check_mode):
    """State rendered: the declared lists in a file format, optionally written to ``dest``."""
    names = named_lists(params) or []
    book_type = resolve_book_type(params["book_type"], names)
    normalized = ab.validate_book(declared_book(params, names), {"book_type": book_type})
    fmt = params["format"]
    export_password = params.get("export_password")
    files = render_files(normalized, fmt, book_type, export_password, params["on_unsupported"],
                         params.get("destination_type"))
    rendered, dropped = {}, []
    for name, _filename, kind, data, lost in files:
        dropped.extend(tag_dropped(name, lost))
        if data is None:
            continue
        text = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
        if fmt == "emc_csv" and not params.get("destination_type"):
            rendered.setdefault(name, {})[kind] = text
        else:
            rendered[name] = text
    result = {"changed": False, "book_type": book_type, "rendered": rendered, "dropped": dropped}
    dest = params.get("dest")
    if dest:
        written, changed = [], False
        for name, filename, kind, data, _lost in files:
            if data is None:
                continue
            target = os.path.join(dest, filename)
            if file_differs(target, data, fmt, book_type, name, export_password, kind):
                changed = True
                if not check_mode:
                    try:
                        os.makedirs(dest, mode=0o700, exist_ok=True)
                    except OSError as exc:
                        raise file_error(exc, dest)
                    store(dest, filename, data)
            written.append(target)
        result.update(changed=changed, rendered_files=written)
    return result


def file_differs(path, data, fmt, book_type, list_name, export_password, kind):
    """True unless ``path`` holds the same content: equal bytes, or (xlsx, encrypted CSV: files that
    differ per run) the same entries once parsed."""
    try:
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError:
        return True
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if current == payload:
        return False
    if fmt not in ("emc_xlsx", "canon_csv"):
        return True
    try:
        old = ab.parse_list(current, fmt, book_type, list_name, export_password=export_password,
                            destination_type=kind)
        new = ab.parse_list(payload, fmt, book_type, list_name, export_password=export_password,
                            destination_type=kind)
    except CanonError:
        return True
    return old.entries != new.entries or old.list_title != new.list_title


def parsed(params):
    """State parsed: a file's entries under its list name."""
    fmt = params["format"]
    data = input_data(params, fmt)
    list_name = params.get("list_name")
    if list_name is not None and list_name not in LIST_NAMES:
        raise CanonError("invalid_argument", "list_name must be one of %s, not %r"
                         % (", ".join(LIST_NAMES), list_name))
    book_type = resolve_book_type(params["book_type"], [list_name] if list_name else [])
    spec = ab.book_type_spec(book_type)
    if list_name is None:
        list_name = spec.list_names[0]
        one_touch = [item.name for item in spec.lists if item.one_touch]
        if fmt == "canon_csv" and one_touch and canon_csv_is_one_touch(data):
            list_name = one_touch[0]
    else:
        spec.list_spec(list_name)
    try:
        parsed = ab.parse_list(data, fmt, book_type, list_name,
                               export_password=params.get("export_password"),
                               on_unsupported=params["on_unsupported"],
                               destination_type=params.get("destination_type"))
    except CanonError as exc:
        # the message names the file it is about (with its line, sheet row or field)
        if params.get("src") and exc.error_code.startswith("addressbook_"):
            raise CanonError(exc.error_code, "%s: %s" % (params["src"], exc.msg), hint=exc.hint,
                             **exc.details) from None
        raise
    return {
        "changed": False,
        "book_type": book_type,
        "parsed": {list_name: [public_entry(entry) for entry in parsed.entries]},
        "dropped": tag_dropped(list_name, parsed.dropped),
    }


def canon_csv_is_one_touch(data):
    """Whether a Canon CSV file says it is a one-touch list (its header's marker)."""
    try:
        return parse_canon_csv(data, on_unsupported="drop").one_touch
    except AddressBookFormatError:
        return False   # parse_list reports the error properly


def input_data(params, fmt):
    text, src = params.get("running_config"), params.get("src")
    if text is None and not src:
        raise CanonError("invalid_argument", "state parsed needs running_config or src")
    if src:
        try:
            with open(src, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise CanonError("invalid_argument", "cannot read %s: %s" % (src, exc.strerror or exc))
    if fmt == "emc_xlsx":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise CanonError("invalid_argument", "running_config must be base64 for emc_xlsx")
    return text
