# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_device_settings on the resource-module base, plus the export/import helpers other resources use.

Item level (merged, replaced, gathered): name/location/contact over SNMP SET with read-back, the
other items through the Remote UI settings pages by visible label. File level: exported (the file
as the device gave it + a manifest), imported (compare first, backup, unmodified upload, restart
handling, read-back), audited (differences vs a baseline file or declared items, never writes).

For other resources (e.g. the security policy of H15): ``export_categories(session, ...)`` and
``import_export(session, ...)`` run Import/Export All on an open RemoteUiSession.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import time
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import target_from_params
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.power import restart as power
from ansible_collections.printfleet.canon.plugins.module_utils.settings import formats, plan as splan
from ansible_collections.printfleet.canon.plugins.module_utils.settings import spec as sspec
from ansible_collections.printfleet.canon.plugins.module_utils.settings.read import (
    SettingsClient, page_category, snmp_read, snmp_write)
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)

POLICY_PASSWORD = "security_policy.password"


# =============================================================================================
# Helpers for other resources (documented in docs/device-settings.md)
# =============================================================================================
def export_categories(session: Any, categories: List[str], password: str,
                      security_level: Optional[int] = None) -> Tuple[bytes, Dict[str, Any]]:
    """Import/Export All export on an open, logged-in RemoteUiSession: (file bytes, manifest).

    The file is exactly what the device wrote; keep it unmodified. Categories the device lacks are
    silently left out by the device (see ``manifest['categories']``). Locks the device while it runs.
    """
    check_password(password)
    client = SettingsClient(session)
    data = client.export(list(categories), password, security_level)
    parsed = formats.parse_or_none(data)
    if parsed is not None:
        return data, parsed.manifest()
    return data, formats.opaque_manifest(data, client.info(), list(categories), security_level, utc_now())


def import_export(session: Any, data: bytes, password: str, facts: Optional[Dict[str, Any]] = None,
                  filename: str = "settings") -> Dict[str, Any]:
    """Import/Export All import of an unmodified export on an open RemoteUiSession.

    Refuses, before sending, a file the device cannot take (settings type, security level, display
    language, Import All codes). Returns the device's answer (applied, skipped, restart); when
    ``restart`` is true the device is restarting and the session is gone.
    """
    check_password(password)
    client = SettingsClient(session)
    export = formats.parse_or_none(data)
    if export is None:
        raise CanonError("settings_invalid_data", "import_export needs a file the collection can read; for other "
                         "layouts use canon_device_settings state imported with the file's manifest")
    export.unlock(password)
    splan.compatibility(export.header, export.codes(), facts or client.info())
    return client.import_file(data, password, filename)


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_password(password: Optional[str]) -> None:
    if not password or len(password) > sspec.PASSWORD_MAX or any(not 0x20 <= ord(c) < 0x7F for c in password):
        raise CanonError("invalid_argument", "encryption_password must be 1-%d printable ASCII characters (the "
                         "device requires one even when nothing needs encrypting)" % sspec.PASSWORD_MAX)


# =============================================================================================
# The resource
# =============================================================================================
class Connection:
    """The Remote UI session (opened on first use, reopened after a restart) and the SNMP target."""

    session_class = RemoteUiSession

    def __init__(self, params: Dict[str, Any], stack: contextlib.ExitStack, phase: Any) -> None:
        self.params = params
        self.phase = phase
        self._stack = contextlib.ExitStack()
        stack.callback(self._stack.close)
        self._client: Optional[SettingsClient] = None
        self._facts: Optional[Dict[str, Any]] = None
        self._target: Any = None

    @property
    def client(self) -> SettingsClient:
        if self._client is None:
            with self.phase("login"):
                session = self._stack.enter_context(self.session_class(options_from_params(self.params)))
            self._client = SettingsClient(session)
        return self._client

    @property
    def facts(self) -> Dict[str, Any]:
        if self._facts is None:
            with self.phase("info"):
                self._facts = self.client.info()
        return self._facts

    @property
    def target(self) -> Any:
        if self._target is None:
            self._target = target_from_params(self.params)
        return self._target

    def wait_for_restart(self, timeout: int) -> float:
        """After an import that restarts the device: log out (best effort), log in again when it is back."""
        started = time.monotonic()
        self._stack.close()
        self._client, self._facts = None, None
        time.sleep(power.BOOT_RETRY_SECONDS)
        while True:
            try:
                self.facts          # a fresh login and the information page
                return round(time.monotonic() - started, 2)
            except CanonError as exc:
                self._stack.close()
                self._client = None
                if exc.error_code == "rui_auth_failed":
                    raise CanonError("rui_auth_failed", "After the import the device no longer accepts the System "
                                     "Manager ID/PIN of this task: the file's Department ID Management settings "
                                     "replaced them (Canon documents this).",
                                     hint="Log in with the System Manager ID/PIN of the source device, or restore "
                                     "the backup_file from the panel.") from None
                if exc.error_code not in power.BOOT_TRANSIENT_CODES or time.monotonic() - started >= timeout:
                    if exc.error_code in power.BOOT_TRANSIENT_CODES:
                        raise CanonError("rui_unreachable", "The device did not come back within wait_timeout "
                                         "(%d s) after the import restarted it." % timeout,
                                         hint="Raise wait_timeout; Canon devices can take minutes to restart.")
                    raise
                time.sleep(power.BOOT_RETRY_SECONDS)


class DeviceSettingsResource(ResourceModule):
    states = sspec.STATES
    default_state = "merged"
    secret_keys = sspec.SECRET_ITEMS + ("encryption_password",)
    resource_name = "device settings"
    connection_class = Connection

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.declared: Dict[str, Any] = {}
        self.src: Optional[formats.ExportFile] = None
        self.baseline: Optional[formats.ExportFile] = None
        self.current: Optional[formats.ExportFile] = None
        self.exported: Optional[formats.ExportFile] = None
        self.unreadable: List[str] = []
        self.restart_required = False
        self.import_result: Optional[Dict[str, Any]] = None

    # ------------------------------------------------------------------ offline --------------
    def validate(self) -> None:
        p, state = self.params, self.state
        if state not in ("rendered", "parsed") and not p.get("host"):
            raise CanonError("invalid_argument", "host is required for state %s" % state)
        if p.get("settings") is not None:
            self.declared = splan.check_declared(p["settings"])
        if state in ("merged", "replaced", "rendered"):
            if not self.declared:
                raise CanonError("invalid_argument", "settings must name at least one item for state %s" % state)
        if state in ("merged", "replaced"):
            paths = list(self.declared)
            if state == "replaced":
                paths += list(splan.replaced_additions(self.declared, pt.SETTINGS_ITEMS))
            self.require_ack(paths)
        if state in ("exported", "imported", "parsed") or (state == "audited" and p.get("baseline")):
            check_password(p.get("encryption_password"))
        if state == "imported":
            self.src = self.load_file(p["src"], "imported")
            self.require_ack(list(self.src.codes()) or sspec.category_risk_paths(
                self.src.categories, self.src.header.get("settings_type")))
            warning = splan.destination_warning(self.src.categories, self.src.header.get("settings_type"))
            if warning:
                self.warn(warning)
        if state == "parsed":
            self.src = self.load_file(p["src"], "parsed")
        if state == "audited":
            if p.get("baseline"):
                self.baseline = self.load_file(p["baseline"], "audited")
            elif not self.declared:
                raise CanonError("invalid_argument", "state audited needs baseline (an export file) or settings")

    def load_file(self, path: str, purpose: str) -> Any:
        """Read an export read-only, check it against its manifest and open it with the password.

        A file in a layout the collection cannot read (a real device's) is an OpaqueFile: it can still be
        imported, checked against its manifest, but not compared item by item.
        """
        data = formats.read_bytes(path)
        manifest = formats.read_manifest(path)
        if manifest and manifest.get("sha256") and manifest["sha256"] != hashlib.sha256(data).hexdigest():
            raise CanonError("settings_invalid_data", "%s does not match its manifest (sha256): the file was changed "
                             "after export; Canon warns never to edit exported files" % path)
        export = formats.parse_or_none(data)
        if export is None:
            if not manifest:
                raise CanonError("settings_invalid_data", "%s is not in a layout the collection reads and has no "
                                 "manifest (%s) to check the device against before sending" % (
                                     path, formats.manifest_path(path)),
                                 hint="Export the file with canon_device_settings state exported, which writes the "
                                 "manifest beside it.")
            if purpose != "imported":
                raise CanonError("settings_not_comparable", "%s is in a layout the collection cannot read (Canon's "
                                 "XML/DCM schemas are not public): it can be imported, not %s" % (path, purpose),
                                 hint="Audit against declared settings instead (state audited with settings).")
            self.warn("%s is in a layout the collection cannot read: it is checked against its manifest only and "
                      "cannot be compared item by item" % path)
            return formats.OpaqueFile(data, manifest)
        export.unlock(self.params["encryption_password"])
        return export

    def require_ack(self, paths: List[str]) -> None:
        missing = sspec.unacknowledged(paths, self.params.get("acknowledge") or [],
                                       bool(self.params.get("address_book_managed")))
        if missing:
            raise CanonError("settings_ack_required", sspec.refusal_text(missing),
                             risks=sorted(missing))

    def render(self) -> Any:
        """The writes the declared items become: SNMP objects and settings-page labels."""
        out = []
        for path, value in sorted(self.declared.items()):
            if path in sspec.SNMP_ITEMS:
                out.append({"item": path, "via": "snmp", "oid": sspec.SNMP_ITEMS[path], "value": value})
            else:
                item = pt.SETTINGS_ITEMS[path]
                out.append({"item": path, "via": "remote_ui", "page": item.category, "label": item.label,
                            "value": splan.mask_value(path, value)})
        return out

    def parse(self) -> Any:
        if self.src is None:  # an internal call-order error, not a user input
            raise RuntimeError("internal error: self.src is not set")
        self.result["manifest"] = self.src.manifest()
        values = self.src.values(self.params["encryption_password"])
        return {path: splan.mask_value(path, value) for path, value in values.items()}

    # ------------------------------------------------------------------ device ---------------
    def connect(self, stack: contextlib.ExitStack) -> Connection:
        conn = self.connection_class(self.params, stack, self.phase)
        if self.state in ("merged", "replaced") and all(p in sspec.SNMP_ITEMS for p in self.declared):
            return conn          # SNMP only: no Remote UI login
        if self.state == "audited" and self.declared and all(p in sspec.SNMP_ITEMS for p in self.declared):
            return conn
        facts = conn.facts
        self.result["device"] = {k: facts.get(k) for k in ("model", "series", "settings_type", "platform_version",
                                                           "display_language", "categories")}
        if self.state == "imported":
            if self.src is None:  # an internal call-order error, not a user input
                raise RuntimeError("internal error: self.src is not set")
            same_machine, same_series, warnings = splan.compatibility(self.src.header, self.src.codes(), facts)
            self.same = (same_machine, same_series)
            for warning in warnings:
                self.warn(warning)
        if self.state == "audited" and self.baseline is not None:
            self.same = (self.baseline.header.get("serial") == facts.get("serial"),
                         self.baseline.header.get("series") == facts.get("series"))
            if self.baseline.header.get("settings_type") != facts.get("settings_type"):
                raise CanonError("settings_type_mismatch", "the baseline holds settings type %s data, the device is "
                                 "type %s" % (self.baseline.header.get("settings_type"), facts.get("settings_type")))
        return conn

    def export_allowed(self) -> bool:
        return not (self.check_mode and not self.params["check_mode_export"])

    def read_items(self, conn: Connection, paths: List[str]) -> Dict[str, Any]:
        values: Dict[str, Any] = {}
        snmp_paths = [p for p in paths if p in sspec.SNMP_ITEMS]
        if snmp_paths:
            with self.phase("snmp_read"):
                values.update(snmp_read(conn.target, snmp_paths))
        page_paths = [p for p in paths if p not in sspec.SNMP_ITEMS]
        if page_paths:
            with self.phase("pages"):
                got, missing = conn.client.read_items(page_paths, conn.facts)
            values.update(got)
            self.unreadable = missing
        return values

    def read(self, conn: Connection) -> Dict[str, Any]:
        state, p = self.state, self.params
        if state in ("merged", "replaced"):
            paths = list(self.declared)
            if state == "replaced":
                paths += list(splan.replaced_additions(self.declared, pt.SETTINGS_ITEMS))
            return self.read_items(conn, paths)
        if state == "gathered":
            return self.read_items(conn, list(pt.SETTINGS_ITEMS))
        if state == "audited" and self.baseline is None:
            return self.read_items(conn, list(self.declared))
        if state == "exported":
            if not self.export_allowed():
                self.warn("check mode with check_mode_export: false: the device was not exported (an export locks "
                          "the device's panel and Remote UI while it runs)")
                return {}
            level = p.get("security_level")
            if level and level not in conn.facts.get("security_levels", [1]):
                raise CanonError("settings_security_level_unsupported", "security_level %d: the device (settings "
                                 "type %s, platform version %s) exports at level %s only" % (
                                     level, conn.facts.get("settings_type"), conn.facts.get("platform_version") or "-",
                                     "/".join(str(x) for x in conn.facts.get("security_levels", [1]))))
            categories = self.export_categories(conn)
            with self.phase("export"):
                data = conn.client.export(categories, p["encryption_password"], level)
            self.exported = formats.parse_or_none(data) or formats.OpaqueFile(
                data, formats.opaque_manifest(data, conn.facts, categories, level, utc_now()))
            return self.exported.manifest()
        reference = self.src if state == "imported" else self.baseline
        if reference is None:  # an internal call-order error, not a user input
            raise RuntimeError("internal error: reference is not set")
        if not self.export_allowed() and reference.readable:
            paths = [x for x in reference.codes() if x in pt.SETTINGS_ITEMS or x in sspec.SNMP_ITEMS]
            self.warn("check mode with check_mode_export: false: compared only the items the settings pages show "
                      "(no export, which would lock the device)")
            return self.read_items(conn, paths)
        return self.export_current(conn, reference.categories)

    def export_categories(self, conn: Connection) -> List[str]:
        wanted = self.params.get("categories") or list(conn.facts.get("categories") or [])
        return list(wanted)

    def export_current(self, conn: Connection, categories: List[str]) -> Dict[str, Any]:
        """Export the device's current values of the categories a file carries (also the backup)."""
        with self.phase("export"):
            wanted = [c for c in categories if c in conn.facts.get("categories", [])] or list(categories)
            data = conn.client.export(wanted, self.params["encryption_password"])
        parsed = formats.parse_or_none(data)
        if parsed is None:           # a layout the collection cannot read: kept as the backup, not compared
            self.current = formats.OpaqueFile(data, formats.opaque_manifest(data, conn.facts, wanted, None, utc_now()))
            if self.state == "audited":
                raise CanonError("settings_not_comparable", "the device's export is in a layout the collection "
                                 "cannot read, so it cannot be compared with the baseline")
            return {}
        self.current = parsed
        return parsed.values(self.params["encryption_password"])

    # ------------------------------------------------------------------ plan -----------------
    def plan(self, before: Dict[str, Any]) -> Plan:
        state = self.state
        if state in ("merged", "replaced"):
            want = dict(self.declared)
            if state == "replaced":
                want.update(splan.replaced_additions(self.declared, before))
            missing = [x for x in want if x not in before]
            if missing:
                raise CanonError("unsupported_capability", "the device does not show %s on its settings pages "
                                 "(settings type %s)" % (", ".join(sorted(missing)),
                                                         self.result.get("device", {}).get("settings_type")))
            categories = {x: page_category(x, self.conn.facts) for x in want if x not in sspec.SNMP_ITEMS}
            actions = splan.item_actions(want, before, categories)
            after = dict(before)
            after.update(want)
            return Plan(actions=actions, after=after)
        if state == "exported":
            return self.plan_export(before)
        if state == "audited":
            if self.baseline is None:
                differences, skipped = splan.compare_declared(self.declared, before, self.unreadable)
            else:
                differences, skipped = self.compare_file(self.baseline, before)
            self.result["not_comparable"] = len(skipped)
            self.result["not_comparable_items"] = skipped
            self.result["differences_count"] = len(differences)
            return Plan(actions=[], after=before, differences=differences)
        # imported
        if self.src is None:  # an internal call-order error, not a user input
            raise RuntimeError("internal error: self.src is not set")
        comparable = self.src.readable and (self.current is None or self.current.readable)
        if not comparable:
            self.result["compared"] = False
            if not self.params["force"]:
                raise CanonError("settings_not_comparable", "the file or the device's export is in a layout the "
                                 "collection cannot read, so nothing shows whether an import would change anything",
                                 hint="Set force: true to import it anyway (the backup export is kept first).")
            return Plan(actions=[{"import": os.path.basename(self.params["src"]), "categories": self.src.categories,
                                  "items_to_change": None}], after=before)
        wanted_policy = self.src_values().get(POLICY_PASSWORD)
        if wanted_policy is not None and POLICY_PASSWORD in before and before[POLICY_PASSWORD] != wanted_policy:
            raise CanonError("settings_policy_password_mismatch", "the file carries security policy settings whose "
                             "policy password differs from the device's; the device would leave the policy out")
        differences, skipped = self.compare_file(self.src, before)
        self.result["differences"] = differences
        self.result["not_comparable"] = len(skipped)
        if not differences and not self.params["force"]:
            return Plan(actions=[], after=before)
        action = {"import": os.path.basename(self.params["src"]), "categories": self.src.categories,
                  "items_to_change": len(differences)}
        after = dict(before)
        for diff in differences:
            after[diff["item"]] = self.src_values()[diff["item"]]
        return Plan(actions=[action], after=after, data=differences)

    def src_values(self) -> Dict[str, Any]:
        if self.src is None:  # an internal call-order error, not a user input
            raise RuntimeError("internal error: self.src is not set")
        return self.src.values(self.params["encryption_password"])

    def compare_file(self, export: formats.ExportFile, before: Dict[str, Any]
                     ) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
        same_machine, same_series = getattr(self, "same", (False, False))
        return splan.compare(export.values(self.params["encryption_password"]), export.codes(), before,
                             same_machine, same_series, self.params.get("ignore_items") or [], export.category_of())

    def plan_export(self, before: Dict[str, Any]) -> Plan:
        dest = self.params["dest"]
        self.result["dest"] = dest
        if self.exported is None:
            return Plan(actions=[{"export": dest, "categories": self.params.get("categories") or "all"}], after={})
        manifest = self.exported.manifest()
        self.result["manifest"] = manifest
        if os.path.exists(dest) and not self.exported.readable:
            if formats.read_bytes(dest) == self.exported.data:
                self.result["unchanged"] = True
                return Plan(actions=[], after=manifest)
        elif os.path.exists(dest):
            try:
                old = formats.load(dest)
                same = (old.values(self.params["encryption_password"])
                        == self.exported.values(self.params["encryption_password"])
                        and {k: v for k, v in old.header.items() if k != "exported_at"}
                        == {k: v for k, v in self.exported.header.items() if k != "exported_at"})
            except CanonError:
                same = False
            if same:
                self.result["manifest"] = old.manifest()
                self.result["unchanged"] = True
                return Plan(actions=[], after=old.manifest())
        return Plan(actions=[{"export": dest, "categories": manifest["categories"], "items": manifest["items"],
                              "security_level": manifest["security_level"]}], after=manifest)

    # ------------------------------------------------------------------ writes ---------------
    def backup(self, conn: Connection, before: Any, plan: Plan) -> Optional[Dict[str, Any]]:
        if self.state != "imported" or not self.params["backup"] or self.current is None:
            return None
        directory = self.params.get("backup_dir") or os.path.join(os.path.dirname(os.path.abspath(
            self.params["src"])), "backups")
        stamp = utc_now().replace("-", "").replace(":", "")
        name = "%s-%s.%s" % (self.params["host"], stamp, self.current.format)
        path = os.path.join(directory, name)
        manifest = self.current.manifest()
        formats.write_file_and_manifest(path, self.current.data, manifest)
        return {"backup_file": path}

    def apply(self, conn: Connection, plan: Plan) -> None:
        state = self.state
        if state == "exported":
            if self.exported is None:  # an internal call-order error, not a user input
                raise RuntimeError("internal error: self.exported is not set")
            formats.write_file_and_manifest(self.params["dest"], self.exported.data, self.exported.manifest())
            return
        if state == "imported":
            if self.src is None:  # an internal call-order error, not a user input
                raise RuntimeError("internal error: self.src is not set")
            with self.phase("import"):
                self.import_result = conn.client.import_file(self.src.data, self.params["encryption_password"],
                                                             os.path.basename(self.params["src"]))
            self.result["import"] = dict(self.import_result)
            restarted = bool(self.import_result.get("restart"))
            self.result["restarted"] = restarted
            if restarted:
                with self.phase("restart"):
                    self.result["restart_seconds"] = conn.wait_for_restart(self.params["wait_timeout"])
            return
        snmp_values = {a["item"]: a["after"] for a in plan.actions if a["via"] == "snmp"}
        if snmp_values:
            with self.phase("snmp_write"):
                snmp_write(conn.target, snmp_values)
        by_page: Dict[str, Dict[str, Any]] = {}
        for action in plan.actions:
            if action["via"] == "remote_ui":
                by_page.setdefault(action["category"], {})[action["item"]] = action["after"]
        for category, changes in by_page.items():
            with self.phase("pages_write"):
                self.restart_required = conn.client.write_page(category, changes) or self.restart_required
        if self.restart_required:
            self.warn("The device applies the changed TCP/IP settings after a restart (restart it with "
                      "printfleet.canon.canon_power or from the panel).")

    def read_back(self, conn: Connection, plan: Plan) -> Any:
        if self.state == "exported":
            if self.exported is None or formats.read_bytes(self.params["dest"]) != self.exported.data:
                raise CanonError("verify_failed", "%s does not hold the exported bytes" % self.params["dest"])
            return self.exported.manifest()
        if self.state == "imported":
            if self.src is None:  # an internal call-order error, not a user input
                raise RuntimeError("internal error: self.src is not set")
            return self.export_current(conn, self.src.categories)
        return self.read_items(conn, list(plan.after or {}) if self.state == "replaced" else list(self.declared))

    def verify(self, conn: Connection, plan: Plan, after: Any) -> None:
        if self.state == "exported":
            return
        if self.state == "imported":
            if self.src is None:  # an internal call-order error, not a user input
                raise RuntimeError("internal error: self.src is not set")
            if not self.src.readable or self.current is None or not self.current.readable:
                self.warn("the import was not verified item by item: the file's layout cannot be read")
                return
            left, _skipped = self.compare_file(self.src, after)
            if left:
                raise CanonError("verify_failed", "after the import %d item(s) still differ from the file: %s"
                                 % (len(left), ", ".join(d["item"] for d in left[:10])), differences=left)
            return
        leftover = splan.item_actions({a["item"]: a["after"] for a in plan.actions}, after, {})
        ignored = [a for a in leftover if a["via"] == "snmp"]
        if ignored:
            raise CanonError("value_not_applied", "the device accepted the SNMP write of %s but kept %s (Canon devices "
                             "silently ignore values longer than the model allows)" % (
                                 ", ".join(a["item"] for a in ignored),
                                 ", ".join(repr(a["before"]) for a in ignored)),
                             items=[a["item"] for a in ignored])
        if leftover:
            raise CanonError("verify_failed", "the device does not show the written value of %s"
                             % ", ".join(a["item"] for a in leftover))

    # ------------------------------------------------------------------ results --------------
    def public_state(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: splan.mask_value(k, v) for k, v in data.items()}
        return data

    def result_state(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        out = super().result_state(before, after, plan)
        if self.restart_required:
            out["restart_required"] = True
        out["timings"] = dict(self.timings)
        return out
