# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing an address book: the backup taken before, the read-back after, and lifting the receive
restriction with a restart when the task allows it."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.offline import (
    file_error, render_files, store)
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.plan import entry_label
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.spec import (
    DEFAULT_BACKUP_DIR, FILE_EXTENSIONS, RESTRICT_OFF)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.power import restart as power
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table, snmp


def verify_written(client: Any, plan: Any) -> None:
    """Read the written lists back; every entry must be there as written (passwords aside)."""
    readback = client.read_lists(list(plan.lists_to_write))
    for name in plan.lists_to_write:
        def keyed(entries, name=name):
            return collections.Counter(
                json.dumps(ab.comparable(ab.normalize_entry(entry, name)), sort_keys=True, default=str)
                for entry in entries)
        expected, got = keyed(plan.after[name]), keyed(readback.get(name, []))
        if expected == got:
            continue
        missing = [json.loads(text) for text in (expected - got)]
        unexpected = [json.loads(text) for text in (got - expected)]
        raise CanonError(
            "addressbook_verify_failed",
            "%s read back differs from what was written: %d entr%s missing or different (%s), "
            "%d unexpected" % (
                name, len(missing), "y" if len(missing) == 1 else "ies",
                ", ".join(ab.describe_entry(None, entry) for entry in missing[:5]) or "none",
                len(unexpected)),
            list=name, missing=[entry_label(entry) for entry in missing],
            unexpected=[entry_label(entry) for entry in unexpected])


def write_backup(params: Dict[str, Any], client: Any, session: Any, plan: Any, book_type: str,
                 warn: Callable[[str], None]) -> Tuple[str, List[str]]:
    """Export the managed lists to a new folder on the controller; runs before any write.

    Returns (folder, files). Device exports keep the device's password protection; files rendered
    from the lists read carry no passwords (the device never gives them out).
    """
    options = params.get("backup_options") or {}
    fmt = options.get("format") or "canon_csv"
    base = os.path.expanduser(options.get("dir") or DEFAULT_BACKUP_DIR)
    folder = options.get("filename") or "%s_%s" % (
        params["host"], datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    path = os.path.join(base, folder)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, path)
    names = list(plan.target_lists)
    files = []
    device_ldif = getattr(session, "flavour", None) == protocol_table.CLASSIC
    device_files = getattr(client, "device_exports", True)    # per-entry path: rendered from the lists read
    if device_files and (fmt == "canon_csv" or (fmt == "ldif" and device_ldif)):
        for name in names:
            data = client.export_list(name, fmt, export_password=options.get("export_password"))
            if fmt == "ldif":
                skipped = [entry for entry in plan.before.get(name, []) if entry["type"] not in ("email", "fax")]
                if skipped:
                    warn("The LDIF backup of %s leaves out %d entries that are not e-mail or fax destinations."
                         % (name, len(skipped)))
            files.append(store(path, "%s.%s" % (name, FILE_EXTENSIONS[fmt]), data))
    else:
        have = {name: plan.before.get(name, []) for name in names}
        for name, filename, _kind, data, dropped in render_files(have, fmt, book_type, None, "drop"):
            if dropped:
                warn("The %s backup of %s leaves out %d entries the format cannot carry." % (fmt, name, len(dropped)))
            if data is not None:
                files.append(store(path, filename, data))
    return path, files


def lift_restriction_and_restart(target: Any) -> float:
    """Turn the receive restriction off over SNMP and restart (power/restart.py); returns the reset time."""
    return power.send_reset(target, extra_sets=[
        [(protocol_table.RESTRICT_ADDRESS_BOOK_RECEIVE_OID, snmp.integer(RESTRICT_OFF))]])


def wait_for_boot(target: Any, reset_at: float, deadline: float, timeout_option: int) -> None:
    """Until sysUpTime says the device booted after the reset (it goes down, then answers anew)."""
    try:
        power.wait_until_back(target, reset_at, deadline, ("snmp",))
    except CanonError as exc:
        if exc.error_code != "device_timeout":
            raise
        raise CanonError("rui_unreachable", "The device did not come back within restart_timeout (%d s) "
                         "after the restart." % timeout_option,
                         hint="Raise restart_timeout; Canon devices can take several minutes to start.") from None


def reconnect_after_restart(open_session: Callable[[contextlib.ExitStack], Any], stack: contextlib.ExitStack,
                            deadline: float) -> Any:
    """Log in again once the Remote UI answers; transient start-up answers are waited out."""
    while True:
        attempt = contextlib.ExitStack()
        try:
            opened = open_session(attempt)
        except CanonError as exc:
            attempt.close()
            if exc.error_code not in power.BOOT_TRANSIENT_CODES or time.monotonic() >= deadline:
                raise
            time.sleep(power.BOOT_RETRY_SECONDS)
            continue
        stack.push(attempt.__exit__)
        return opened
