# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_addressbook on the resource-module base: what is particular to address books.

The base runs the states, check mode, diff and the error path; this class supplies the Remote UI
session and book information (connect), the lists a state needs (read), the model's plan with the
capacity and workflow checks (plan), the backup, the list writes and their read-back, and the
address-book shape of results (counts, change summary, YAML diff, timings).
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import apply, model as ab, offline
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import AddressBookClient
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.plan import (
    change_summary, declared_book, mark_new_secrets, named_lists, public_book, yaml_text)
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import target_from_params
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Finished, Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)

RESTRICTED_MSG = ("The device restricts receiving address books (Restrict Receiving for Each Function > "
                  "Address Book); the lists can be neither read nor written.")


class Connection:
    """The open Remote UI session, the address-book client and the book information."""

    def __init__(self, session: Any, client: Any, info: Any) -> None:
        self.session, self.client, self.info = session, client, info
        self.book_type = ab.normalize_book_type(info.book_type)
        self.spec = ab.book_type_spec(self.book_type)


class AddressBookResource(ResourceModule):
    states = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
    default_state = "merged"
    secret_keys = tuple(ab.SECRET_FIELDS)
    resource_name = "address book"
    backup_always = True          # backup: true exports the lists on every writing run, changed or not

    # Session classes are attributes so tests can put a fake device behind them.
    session_class = RemoteUiSession
    client_class = AddressBookClient

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.names: Optional[List[str]] = None
        self.written: List[str] = []
        self.restarted = False
        self.backup_path: Optional[str] = None
        self.backup_files: List[str] = []

    # ------------------------------------------------------------------ offline states ---------
    def render(self) -> Any:
        out = offline.rendered(self.params, self.check_mode)
        rendered = out.pop("rendered")
        self.result.update(out)
        return rendered

    def parse(self) -> Any:
        out = offline.parsed(self.params)
        parsed = out.pop("parsed")
        self.result.update(out)
        return parsed

    def public_state(self, data: Any) -> Any:
        return public_book(data) if isinstance(data, dict) else data

    # ------------------------------------------------------------------ device states ----------
    def validate(self) -> None:
        if self.state not in ("rendered", "parsed") and not self.params.get("host"):
            raise CanonError("invalid_argument", "host is required for state %s" % self.state)
        self.names = named_lists(self.params)

    def open_session(self, stack: contextlib.ExitStack) -> Connection:
        """Log in (once) and read the book information."""
        with self.phase("login"):
            session = stack.enter_context(self.session_class(options_from_params(self.params)))
        client = self.client_class(session)
        if self.params.get("write_method"):
            client.write_method = self.params["write_method"]
        with self.phase("info"):
            info = client.info()
        return Connection(session, client, info)

    def connect(self, stack: contextlib.ExitStack) -> Connection:
        conn = self.open_session(stack)
        self.check_book_type(conn)
        if not conn.info.receive_restricted:
            return conn
        if not self.params["restart_if_required"]:
            raise CanonError("feature_restricted", RESTRICTED_MSG)
        if self.check_mode:
            self.warn("The device restricts receiving address books: a real run lifts the restriction over SNMP "
                      "and restarts the device before the lists can be read, so check mode shows no diff.")
            raise Finished({"changed": True, "would_restart": True, "restarted": False,
                            "book_type": conn.book_type, "timings": dict(self.timings)})
        stack.close()          # log out before the restart
        return self.restart_and_reconnect(stack)

    def restart_and_reconnect(self, stack: contextlib.ExitStack) -> Connection:
        """Lift the restriction over SNMP, restart, wait for the device and log in again."""
        target = target_from_params(self.params)
        timeout = self.params["restart_timeout"]
        with self.phase("restart"):
            reset_at = apply.lift_restriction_and_restart(target)
            self.restarted = self.wrote = True
            self.warn("The address-book restriction (Restrict Receiving for Each Function > Address Book) was "
                      "turned off over SNMP and the device restarted; the setting stays off.")
            deadline = reset_at + max(1, timeout)
            apply.wait_for_boot(target, reset_at, deadline, timeout)
            conn = apply.reconnect_after_restart(self.open_session, stack, deadline)
        if conn.info.receive_restricted:
            raise CanonError("feature_restricted", "The device still restricts receiving address books after the "
                             "restart; the SNMP write of the setting was not applied.")
        return conn

    def check_book_type(self, conn: Connection) -> None:
        wanted = self.params["book_type"]
        if wanted not in (None, "auto") and wanted != conn.book_type:
            raise CanonError("addressbook_unsupported_type", "book_type is %s but the device has a Type %s "
                             "address book" % (wanted, conn.book_type))
        for name in self.names or []:
            conn.spec.list_spec(name)   # a list of another type fails here, before anything is read

    def lists_to_read(self, conn: Connection) -> List[str]:
        if self.state == "gathered":
            return list(self.names) if self.names else list(conn.spec.list_names)
        whole_book = self.state == "overridden" or (self.state == "deleted" and not self.names)
        return list(conn.spec.list_names) if whole_book else list(self.names or [])

    def read(self, conn: Connection) -> Dict[str, List[Dict[str, Any]]]:
        names = self.lists_to_read(conn)
        # portal list pages show an e-mail entry's name and address only: the slot pages of the entries
        # the task declares with more (reading, button name), or of all entries for gathered, are read too
        conn.client.full_read = self.state == "gathered"
        conn.client.detail_hint = dict(declared_book(self.params, names))
        have = conn.client.read_lists(names) if names else {}
        if self.state == "gathered":
            return {name: [ab.normalize_entry(entry, name) for entry in have.get(name, [])] for name in names}
        return {name: have.get(name, []) for name in names}

    def plan(self, before: Dict[str, List[Dict[str, Any]]]) -> Plan:
        conn = self.conn
        capabilities = conn.client.capabilities()
        want = declared_book(self.params, self.names or [])
        book_plan = ab.plan_changes(before, want, self.state, capabilities, self.params["update_password"])
        self.check_shared_total(book_plan, conn.info)
        diff = ab.build_diff(book_plan, conn.info.workflow_count)
        ab.require_workflow_acknowledgement(book_plan, self.params["acknowledge_workflow_deletion"],
                                            conn.info.workflow_count)
        warnings = []
        for warning in diff["warnings"] if book_plan.changed else []:
            if conn.info.workflow_count == 0 and "workflow" in warning:
                continue   # nothing to lose: the device reports no workflows
            warnings.append(warning)
        actions = [{"list": name, "write": "overwrite", "entries": len(book_plan.after[name])}
                   for name in book_plan.lists_to_write] if book_plan.changed else []
        return Plan(actions=actions, after=book_plan.after, warnings=warnings, data=(book_plan, diff))

    def backup(self, conn: Connection, before: Any, plan: Plan) -> Optional[Dict[str, Any]]:
        if not self.params["backup"]:
            return None
        book_plan, _diff = plan.data
        self.backup_path, self.backup_files = apply.write_backup(
            self.params, conn.client, conn.session, book_plan, conn.book_type, self.warn)
        return None             # reported with the rest of the result (and on failure)

    def apply(self, conn: Connection, plan: Plan) -> None:
        book_plan, _diff = plan.data
        with self.phase("write"):
            for name in book_plan.lists_to_write:
                conn.client.write_list(name, book_plan.after[name], mode="overwrite")
                self.written.append(name)

    def read_back(self, conn: Connection, plan: Plan) -> Any:
        return plan.after

    def verify(self, conn: Connection, plan: Plan, after: Any) -> None:
        apply.verify_written(conn.client, plan.data[0])

    # ------------------------------------------------------------------ results ----------------
    def result_state(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        book_plan, _diff = plan.data
        if not book_plan.changed:
            return {}
        changing = list(book_plan.lists_to_write)
        return {"before": public_book(book_plan.before, changing), "after": public_book(book_plan.after, changing)}

    def diff(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        book_plan, diff = plan.data
        changing = list(book_plan.lists_to_write)
        host, book_type = self.params["host"], self.conn.book_type
        return {
            "before_header": "%s address book (Type %s), before" % (host, book_type),
            "after_header": "%s address book (Type %s), after" % (host, book_type),
            "before": yaml_text(public_book(book_plan.before, changing)) if changing else "",
            "after": yaml_text(mark_new_secrets(public_book(book_plan.after, changing), diff)) if changing else "",
        }

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        conn = self.conn
        result.pop("actions", None)
        result.update(book_type=conn.book_type, restarted=self.restarted)
        if plan is None:   # gathered
            result["lists"] = self.list_counts(conn, before, before, list(before))
        else:
            book_plan, diff = plan.data
            result["lists"] = self.list_counts(conn, book_plan.before, book_plan.after, list(book_plan.target_lists))
            result["changes"] = change_summary(diff)
            result["workflows_deleted"] = diff.get("workflows_deleted", 0) if book_plan.changed else 0
            totals = {pool: {"count_before": b, "count_after": a, "capacity": c}
                      for pool, (b, a, c) in self.pool_counts(book_plan, conn.info).items()}
            if totals:
                result["totals"] = totals
        if self.backup_path:
            result["backup_path"] = self.backup_path
            result["backup_files"] = self.backup_files
        result["timings"] = {key: value for key, value in self.timings.items() if key not in ("connect", "apply")}

    def failure_extras(self) -> Dict[str, Any]:
        extras: Dict[str, Any] = {"changed": bool(self.written or self.restarted)}
        if self.written:
            extras["written_lists"] = list(self.written)
        if self.restarted:
            extras["restarted"] = True
        if self.backup_path:
            extras["backup_path"] = self.backup_path
        return extras

    def exit_extras(self) -> Dict[str, Any]:
        """module_args with each list shown as its entry count.

        Ansible echoes every argument back and scans all of it for every password of the book; for a full
        book (1,600 entries, hundreds of passwords) that alone took seconds.
        """
        args = dict(self.params)
        if isinstance(args.get("lists"), dict):
            args["lists"] = {name: "%d entries" % len(entries) for name, entries in args["lists"].items()
                             if entries is not None}
        return {"invocation": {"module_args": args}}

    # ------------------------------------------------------------------ capacity ---------------
    @staticmethod
    def list_counts(conn: Connection, before: Dict[str, Any], after: Dict[str, Any],
                    names: List[str]) -> Dict[str, Any]:
        counts = {}
        for name in names:
            device_capacity = (conn.info.lists.get(name) or (None, None))[1]
            capacity = conn.spec.list_spec(name).usable_capacity(device_capacity)
            count_after = len(after.get(name, []))
            counts[name] = {
                "count_before": len(before.get(name, [])),
                "count_after": count_after,
                "capacity": capacity,
                "used_percent": round(100.0 * count_after / capacity, 1) if capacity else None,
            }
        return counts

    @staticmethod
    def pool_counts(book_plan: Any, info: Any) -> Dict[str, Any]:
        """{pool: (count before, count after, capacity)}; lists not read count as the device reports them."""
        caps = book_plan.capabilities
        out = {}
        for pool, capacity in caps.pool_capacities.items():
            before = after = 0
            for list_spec in caps.spec.lists:
                if list_spec.pool != pool:
                    continue
                if list_spec.name in book_plan.before:
                    before += len(book_plan.before[list_spec.name])
                    after += len(book_plan.after.get(list_spec.name, []))
                else:
                    reported = (info.lists.get(list_spec.name) or (0, None))[0] or 0
                    before += reported
                    after += reported
            out[pool] = (before, after, capacity)
        return out

    def check_shared_total(self, book_plan: Any, info: Any) -> None:
        """The Type I total across all address lists, counting lists the task does not read as the device
        reports them (plan_changes only sees the lists it was given)."""
        for pool, (_before, after, capacity) in self.pool_counts(book_plan, info).items():
            if book_plan.changed and after > capacity:
                raise CanonError(
                    "addressbook_over_limit",
                    "the Type %s address lists would hold %d entries in total (counting the lists this task "
                    "does not name as the device reports them); the device allows %d across all address "
                    "lists (guide L4460)" % (book_plan.capabilities.book_type, after, capacity),
                    total=after, capacity=capacity)
