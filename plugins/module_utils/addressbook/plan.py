# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning an address-book task: which lists it names, the declared book, the change summary and diff
texts, and the capacity checks across lists (the domain rules themselves live in ``model.py``)."""

from __future__ import annotations

import json

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.spec import BOOK_TYPE_OF_LIST, LIST_NAMES
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    yaml = None


def public_entry(entry):
    """An entry fit for results: passwords masked (also unknown ciphertext), sequences as lists."""
    masked = ab.mask_entry(entry)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in masked.items()}


def public_book(book, names=None):
    names = list(book) if names is None else names
    return {name: [public_entry(entry) for entry in book.get(name, [])] for name in names}


def entry_label(entry):
    """{number, name, type} of an entry for the change summary."""
    label = {"name": entry.get("name"), "type": entry.get("type")}
    if entry.get("number") is not None:
        label = dict(number=entry.get("number"), **label)
    return label


def change_summary(diff):
    """build_diff's per-list change set, reduced to who is added, removed and which fields change."""
    summary = {}
    for name, change in diff["lists"].items():
        if not (change["added"] or change["removed"] or change["modified"]):
            continue
        summary[name] = {
            "added": [entry_label(entry) for entry in change["added"]],
            "removed": [entry_label(entry) for entry in change["removed"]],
            "modified": [dict(entry_label(item), fields=sorted(item["changes"]))
                         for item in change["modified"]],
        }
    return summary


def mark_new_secrets(book, diff):
    """Show a rewritten password as '******** (new)' in the diff's after text, so a change that is only a
    password is visible (both sides are masked otherwise)."""
    for name, change in diff["lists"].items():
        if name not in book:
            continue
        for item in change["modified"]:
            secrets = [key for key in item["changes"] if key in ab.SECRET_FIELDS]
            for entry in book[name]:
                key = "number" if "number" in item else "name"
                if entry.get(key) == item.get(key):
                    for key in secrets:
                        entry[key] = "%s (new)" % ab.MASK
    return book


def named_lists(params):
    """The list names the task names, in the order of LIST_NAMES; None when ``lists`` is not given.

    Ansible fills every suboption it knows with None, so ``address_list_2: []`` and an absent
    ``address_list_2`` look the same afterwards. The raw arguments tell them apart; if they cannot
    be read, a list counts as named when it has a value.
    """
    if params.get("lists") is None:
        return None
    raw = None
    try:
        from ansible.module_utils import basic
        raw = basic._load_params().get("lists")
    except Exception:  # pragma: no cover - very old or very new ansible-core
        raw = None
    if isinstance(raw, dict):
        return [name for name in LIST_NAMES if name in raw]
    return [name for name in LIST_NAMES if params["lists"].get(name) is not None]


def declared_book(params, names):
    """{list: [entries]} for the named lists; entries keep Ansible's None for unset keys.

    A password given as the mask results show (``********``) counts as not declared, so the output of
    gathered or parsed can be fed back without writing the mask as a password.
    """
    lists = params.get("lists") or {}
    book = {}
    for name in names:
        entries = []
        for raw in lists.get(name) or []:
            entry = dict(raw)
            for key in ab.SECRET_FIELDS:
                if entry.get(key) == ab.MASK:
                    entry[key] = None
            entries.append(entry)
        book[name] = entries
    return book


def resolve_book_type(choice, names):
    """The book type to work offline with: the option, else the one the list names belong to."""
    if choice and choice != "auto":
        return choice
    types = sorted({BOOK_TYPE_OF_LIST[name] for name in names or []})
    if len(types) == 1:
        return types[0]
    if not types:
        raise CanonError("invalid_argument", "give book_type (I, II or III) or name at least one list")
    raise CanonError("invalid_argument",
                     "the lists belong to different book types (%s); one task handles one book type"
                     % ", ".join(types))


def yaml_text(book):
    if yaml is None:  # pragma: no cover
        return json.dumps(book, indent=2, sort_keys=False, default=str) + "\n"
    return yaml.safe_dump(book, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)
