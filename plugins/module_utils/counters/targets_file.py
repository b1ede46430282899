# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_counters ``targets_file``: the bulk target list from a YAML or JSON file.

For fleets too large for a command line or for Ansible's templating of an inline list. Entries are
checked like ``targets``; a bad file fails before any device is read, naming the file and the entry.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Set

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

#: connection options of a target entry that are secrets (masked once the file is read)
SECRET_KEYS = [k for k in SNMP_ARGUMENT_SPEC if k != "host" and SNMP_ARGUMENT_SPEC[k].get("no_log")]


def load(path: str, targets_spec: Dict[str, Any], no_log_values: Set[str]) -> List[Dict[str, Any]]:
    """The entries of a targets file, checked against ``targets_spec`` (the module's ``targets`` option);
    each secret in it is added to ``no_log_values`` so Ansible masks it from then on."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CanonError("invalid_argument", "targets_file %s cannot be read: %s" % (path, exc.strerror or exc))
    try:
        text = raw.decode("utf-8-sig")
        if text.lstrip()[:1] in ("[", "{"):
            data = json.loads(text)     # JSON (what scripts write): ten times faster than YAML
        else:
            import yaml
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError as exc:
        raise CanonError("invalid_argument", "targets_file %s is not UTF-8 text (byte %d)" % (path, exc.start))
    except ValueError as exc:           # json.JSONDecodeError names line and column
        raise CanonError("invalid_argument", "targets_file %s is not valid JSON: %s" % (path, exc))
    except Exception as exc:            # yaml.YAMLError names line and column  # pylint: disable=broad-except
        raise CanonError("invalid_argument", "targets_file %s is not valid YAML: %s" % (path, exc))
    if isinstance(data, dict) and "targets" in data:
        data = data["targets"]
    if not isinstance(data, list):
        raise CanonError("invalid_argument", "targets_file %s must hold a list of targets (or a mapping with a "
                         "'targets' list), not %s" % (path, type(data).__name__))
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise CanonError("invalid_argument", "targets_file %s: entry %d is %s, not a mapping with 'host'"
                             % (path, number, type(entry).__name__))
        for key in SECRET_KEYS:
            if entry.get(key) not in (None, ""):
                no_log_values.add(str(entry[key]))
    checked = ArgumentSpecValidator({"targets": targets_spec}).validate({"targets": data})
    if checked.error_messages:
        raise CanonError("invalid_argument", "targets_file %s: %s" % (path, "; ".join(checked.error_messages[:5])))
    return checked.validated_parameters["targets"]
