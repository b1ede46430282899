# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_security_policy on the resource-module base: audit or enforce declared policy items.

Flow: log in to the Remote UI, open the Security Policy Settings pages (policy login when a password is
set), read all items, compare the declared ones, then -- only when something differs -- change the
password and/or overwrite the policy (pages: the form as the device shows it, undeclared items as they
are; import: the Security Policy category of a baseline device's settings export, password rule checked
first). Read back and re-compare.
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.policy import items as table
from ansible_collections.printfleet.canon.plugins.module_utils.policy import plan as pplan
from ansible_collections.printfleet.canon.plugins.module_utils.policy import spec as pspec
from ansible_collections.printfleet.canon.plugins.module_utils.policy.read import MENU, PolicyClient, security_info
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)

HINT = "Check %s on the device." % MENU


class PolicyConnection:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.client = PolicyClient(session)


class SecurityPolicyResource(ResourceModule):
    states = pspec.STATES
    default_state = "enforced"
    secret_keys = ("policy_password", "new_policy_password", "import_password", "security_policy.password")
    resource_name = "security policy"

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.wanted: Dict[str, Any] = {}
        self.current_password: Optional[str] = None
        self.import_data: Optional[bytes] = None
        self.import_file_password: Optional[str] = None

    # ------------------------------------------------------------------ validate --------------
    def validate(self) -> None:
        p = self.params
        self.wanted = pspec.validated_policy(p.get("policy") or {})
        for option in ("policy_password", "new_policy_password"):
            pspec.check_password(p.get(option), option)
        if p["method"] == "import":
            if not p.get("import_src") or p.get("import_password") is None:
                raise CanonError("policy_import_unavailable", "method=import needs import_src (a settings export of "
                                 "a baseline device with the Security Policy category) and import_password")
            self.load_import()
        if not self.wanted and p.get("new_policy_password") is None:
            raise CanonError("invalid_argument", "give policy items, new_policy_password or method=import")

    def load_import(self) -> None:
        """Read the baseline file's Security Policy category (items + its policy password) before any I/O."""
        from ansible_collections.printfleet.canon.plugins.module_utils.settings import formats
        try:
            with open(self.params["import_src"], "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CanonError("policy_import_unavailable", "cannot read import_src: %s" % exc.strerror)
        export = formats.parse_or_none(data)
        if export is None:
            raise CanonError("policy_import_unavailable", "import_src is not a settings export the collection reads")
        values = export.values(self.params["import_password"])
        if "security_policy.items" not in values:
            raise CanonError("policy_import_unavailable", "import_src has no Security Policy category")
        from_file: Dict[str, Any] = {}
        for entry in values.get("security_policy.items") or []:
            label, _sep, raw = str(entry).rpartition("=")
            item = table.BY_LABEL.get(label)
            if item is not None:
                from_file[item.name] = (True if raw == "on" else False if raw in ("off", "") else int(raw))
        if self.wanted:           # declared items narrow what is compared; their values must be the file's
            from_file = {k: v for k, v in from_file.items() if k in self.wanted}
        self.wanted = from_file
        self.import_data = data
        self.import_file_password = str(values.get("security_policy.password") or "")

    # ------------------------------------------------------------------ device I/O ------------
    def connect(self, stack: contextlib.ExitStack) -> PolicyConnection:
        session = stack.enter_context(RemoteUiSession(options_from_params(self.params)))
        return PolicyConnection(session)

    def _policy_login(self, client: PolicyClient) -> None:
        p = self.params
        new, old = p.get("new_policy_password"), p.get("policy_password") or ""
        if new is not None and new != old and p["update_password"] == "always" and new and client.login(new):
            self.current_password = new     # already rotated (an earlier run): stays idempotent
            return
        if client.login(old):
            self.current_password = old
            return
        raise CanonError("policy_password_mismatch", "the device did not take policy_password for %s" % MENU)

    def read(self, conn: PolicyConnection) -> Dict[str, Any]:
        data = conn.client.read()
        if data is None:
            self._policy_login(conn.client)
            data = conn.client.read()
            if data is None:
                raise CanonError("policy_password_mismatch", "the policy pages still ask for the password")
        elif not data["password_set"]:
            self.current_password = ""
        self.result["policy_change_count"] = data["change_count"]
        self.result["device_type"] = data["policy_type"]
        if "security_facts" not in self.result:
            self.result["security_facts"] = security_info(conn.session)
        return {"policy_type": data["policy_type"], "policy_password_set": data["password_set"],
                "change_count": data["change_count"], "items": data["items"]}

    # ------------------------------------------------------------------ plan ------------------
    def plan(self, before: Dict[str, Any]) -> Plan:
        p = self.params
        report = pplan.compliance(self.wanted, before["items"])
        diffs = pplan.differences(report)
        if "compliance" not in self.result:
            self.result["compliance"] = report
            self.result["counts"] = {"declared": len(report), "compliant": len(report) - len(diffs),
                                     "drift": len(diffs)}
        actions: List[Dict[str, Any]] = []
        new = p.get("new_policy_password")
        after = dict(before, items=dict(before["items"]))
        if new is not None and (
                (p["update_password"] == "always" and new != self.current_password)
                or (p["update_password"] == "on_create" and not before["policy_password_set"])):
            actions.append({"action": "change_policy_password", "cleared": not new,
                            "menu": MENU + " > [Password Settings]"})
            after["policy_password_set"] = bool(new)
        warnings: List[str] = []
        if diffs:
            if p["method"] == "import" and self.current_password and self.import_file_password != self.current_password:
                raise CanonError("policy_password_mismatch", "the baseline file's security policy password differs "
                                 "from the device's; the device would refuse the policy (it imports only when both "
                                 "match or the device has none)")
            actions.append({"action": "overwrite_policy", "method": p["method"], "items": [d["item"] for d in diffs],
                            "items_in_policy": len(table.ITEMS)})
            after["items"] = pplan.full_policy(self.wanted, before["items"])
            warnings.extend(pplan.untick_notes(diffs))
            if warnings:
                actions[-1]["untick_note"] = pplan.UNTICK_NOTE
        return Plan(actions=actions, after=after, warnings=warnings, differences=diffs,
                    data={"full": after["items"]})

    # ------------------------------------------------------------------ apply -----------------
    def apply(self, conn: PolicyConnection, plan: Plan) -> None:
        from ansible_collections.printfleet.canon.plugins.module_utils.settings.apply import import_export
        kinds = [a["action"] for a in plan.actions]
        if "change_policy_password" in kinds:
            new = self.params.get("new_policy_password") or ""
            conn.client.change_password(self.current_password or "", new)
            self.current_password = new
            self.result["password_changed"] = True
            if new:
                if not conn.client.login(new):
                    raise CanonError("policy_password_mismatch", "the device did not take the new policy password")
        if "overwrite_policy" in kinds:
            if self.params["method"] == "import":
                import_export(conn.session, self.import_data or b"", self.params["import_password"])
            else:
                conn.client.write(plan.data["full"])

    # ------------------------------------------------------------------ results ---------------
    def public_state(self, data: Any) -> Any:
        """Only the declared items show in before/after/diff (passwords never: only whether one is set)."""
        if isinstance(data, dict) and "items" in data:
            data = dict(data, items={k: v for k, v in data["items"].items() if k in self.wanted})
        return self.mask(data)

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        result.setdefault("password_changed", False)
        result["policy_change_count"] = after.get("change_count") if isinstance(after, dict) else None
        result["device_type"] = before.get("policy_type") if isinstance(before, dict) else None
        if plan is not None:
            result["differences"] = self.mask(plan.differences or [])
            if self.wrote:
                result["compliance_after"] = pplan.compliance(self.wanted, after["items"])

    def diff(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        out = super().diff(before, after, plan)
        notes = pplan.untick_notes(plan.differences or [])
        if notes:
            out["after_header"] += " (note: %s)" % pplan.UNTICK_NOTE
        return out
