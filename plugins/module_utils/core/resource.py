# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one resource-module base: every device-function module runs through this state machine.

A resource (address book, MEAP apps, settings, policy, certificates, firmware, power) supplies only
what differs: how to validate the request, connect, read the device, plan the change, back up, apply,
render and parse files, and which keys are secret. The base owns what must be the same everywhere:

* states: ``merged | replaced | overridden | deleted`` (and action states such as ``present``, ``absent``,
  ``started``, ``restarted``) write; ``gathered`` only reads; ``rendered`` / ``parsed`` never touch a
  device; ``audited`` reads and compares, never writes; ``enforced`` writes what ``audited`` finds;
* validation of the whole request before the first byte reaches a device;
* ``changed`` from the plan (compare first, as netapp.ontap does), never from "we sent something";
* check mode: connect, read, plan, report -- never back up or apply;
* after a write: read the device back and re-plan; anything left to do is ``verify_failed``;
* ``before`` / ``after`` / ``diff`` / ``actions`` with secrets masked;
* one error path: a ``CanonError`` becomes ``fail_json(msg, error_code, hint)`` plus what the run had
  already done (``changed`` is true on a failure after a write, so nobody mistakes it for a no-op).

Sessions opened in ``connect`` are registered on an ``ExitStack``, so logout happens on every exit path.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple, Type

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

MASK = "********"

#: States that never contact a device.
OFFLINE_STATES = ("rendered", "parsed")
#: States that read but never write.
READ_ONLY_STATES = ("gathered", "audited")


class Plan:
    """What a run would change: compare-first, so an empty ``actions`` list means ``changed=false``.

    ``actions`` are JSON-able dicts, one per write the resource will make, shown in results and check
    mode. ``after`` is the state the device should hold afterwards (reported in check mode, and the
    expectation the read-back is compared with). ``data`` carries whatever the resource's apply needs.
    """

    def __init__(self, actions: Optional[List[Dict[str, Any]]] = None, after: Any = None,
                 warnings: Optional[List[str]] = None, data: Any = None,
                 differences: Optional[List[Dict[str, Any]]] = None) -> None:
        self.actions: List[Dict[str, Any]] = list(actions or [])
        self.after = after
        self.warnings: List[str] = list(warnings or [])
        self.data = data
        self.differences = differences

    @property
    def changed(self) -> bool:
        return bool(self.actions)


class Finished(Exception):
    """Raised by a hook to end the run early with this result (e.g. check mode cannot go further)."""

    def __init__(self, result: Dict[str, Any]) -> None:
        super().__init__("finished")
        self.result = result


def mask_secrets(data: Any, secret_keys: Iterable[str], mask: str = MASK) -> Any:
    """A copy of ``data`` with the value of every key in ``secret_keys`` replaced by the mask.

    Empty values stay empty, so "no password set" and "password set" remain distinguishable.
    """
    keys = frozenset(secret_keys)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (mask if (k in keys and v not in (None, "", [])) else walk(v)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        return value

    return walk(data) if keys else data


class ResourceModule:
    """Subclass per resource and override the hooks; ``run_resource`` builds the module and runs it."""

    #: States the resource accepts (the argument spec's choices should match).
    states: Tuple[str, ...] = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
    #: State used when the task gives none.
    default_state: Optional[str] = None
    #: Keys whose values are secret wherever they appear in before/after/actions/diff.
    secret_keys: Tuple[str, ...] = ()
    #: Name shown in diff headers ("<host> <resource>, before").
    resource_name: str = "resource"
    #: Take the backup on every writing-state run (a scheduled backup), not only before a change.
    backup_always: bool = False

    def __init__(self, module: Any) -> None:
        self.module = module
        self.params: Dict[str, Any] = module.params
        self.check_mode: bool = bool(module.check_mode)
        self.state: str = self.params.get("state") or self.default_state or self.states[0]
        self.warnings: List[str] = []
        self.result: Dict[str, Any] = {}
        self.timings: Dict[str, float] = {}
        self.conn: Any = None
        self.wrote = False

    # ------------------------------------------------------------------ hooks ------------------
    def validate(self) -> None:
        """Check the whole request before any device I/O; raise CanonError."""

    def connect(self, stack: contextlib.ExitStack) -> Any:
        """Open what the resource needs (sessions, clients) and register their closing on ``stack``."""
        return None

    def read(self, conn: Any) -> Any:
        """The device's live state, JSON-able."""
        raise NotImplementedError

    def plan(self, before: Any) -> Plan:
        """Compare ``before`` with what the task declares (``self.state``, ``self.params``)."""
        raise NotImplementedError

    def backup(self, conn: Any, before: Any, plan: Plan) -> Optional[Dict[str, Any]]:
        """Save what a destructive write could lose; the returned dict goes into the result."""
        return None

    def apply(self, conn: Any, plan: Plan) -> None:
        """Make the writes of ``plan``; never called in check mode or when nothing changes."""
        raise NotImplementedError

    def read_back(self, conn: Any, plan: Plan) -> Any:
        """The state after apply (default: read again)."""
        return self.read(conn)

    def verify(self, conn: Any, plan: Plan, after: Any) -> None:
        """Re-plan against the read-back: anything still to do means the device did not take it."""
        leftover = self.plan(after)
        if leftover.changed:
            raise CanonError("verify_failed",
                             "the device does not hold the declared state after writing: %d change(s) left"
                             % len(leftover.actions),
                             details=self.mask(leftover.actions))

    def render(self) -> Any:
        raise CanonError("invalid_argument", "state rendered is not supported by this module")

    def parse(self) -> Any:
        raise CanonError("invalid_argument", "state parsed is not supported by this module")

    def audit(self, before: Any, plan: Plan) -> List[Dict[str, Any]]:
        """Differences between the device and the declared state (default: the plan's)."""
        return plan.differences if plan.differences is not None else list(plan.actions)

    def mask(self, data: Any) -> Any:
        return mask_secrets(data, self.secret_keys)

    def public_state(self, data: Any) -> Any:
        """``before`` / ``after`` as results show them (masked)."""
        return self.mask(data)

    def result_state(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        """The ``before`` / ``after`` keys of the result."""
        return {"before": self.public_state(before), "after": self.public_state(after)}

    def diff(self, before: Any, after: Any, plan: Plan) -> Dict[str, Any]:
        host = self.params.get("host") or "device"
        return {"before_header": "%s %s, before" % (host, self.resource_name),
                "after_header": "%s %s, after" % (host, self.resource_name),
                "before": self.public_state(before), "after": self.public_state(after)}

    def failure_extras(self) -> Dict[str, Any]:
        """What a failed run still reports (override to add what was written)."""
        return {"changed": self.wrote}

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        """Add resource-specific keys to a successful device-state result (``plan`` is None for gathered)."""

    def exit_extras(self) -> Dict[str, Any]:
        """Keys every exit (success or failure) carries, e.g. a compact ``invocation`` for huge arguments."""
        return {}

    # ------------------------------------------------------------------ machinery --------------
    @contextlib.contextmanager
    def phase(self, name: str):
        """Time a phase of the run (reported as ``timings`` when the resource wants it)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.monotonic() - started, 4)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def execute(self) -> Dict[str, Any]:
        """The state machine; returns the result dict (without warnings, which run() hands to Ansible)."""
        state = self.state
        if state not in self.states:
            raise CanonError("invalid_argument", "state %s is not one of %s" % (state, ", ".join(self.states)))
        self.validate()
        result = self.result
        if state == "rendered":
            rendered = self.render()            # may set self.result["changed"] when it writes files
            result.setdefault("changed", False)
            result["rendered"] = rendered
            return result
        if state == "parsed":
            parsed = self.parse()
            result.setdefault("changed", False)
            result["parsed"] = self.public_state(parsed)
            return result
        with contextlib.ExitStack() as stack:
            with self.phase("connect"):
                self.conn = conn = self.connect(stack)
            with self.phase("read"):
                before = self.read(conn)
            if state == "gathered":
                result.update(changed=self.wrote, gathered=self.public_state(before))
                self.extend_result(result, before, before, None)
                return result
            with self.phase("plan"):
                plan = self.plan(before)
            for warning in plan.warnings:
                self.warn(warning)
            if state == "audited":
                differences = self.audit(before, plan)
                result.update(changed=False, differences=self.mask(differences), compliant=not differences)
                result.update(self.result_state(before, before, plan))
                self.extend_result(result, before, before, plan)
                return result
            after = plan.after if plan.after is not None else before
            if (plan.changed or self.backup_always) and not self.check_mode:
                with self.phase("backup"):
                    saved = self.backup(conn, before, plan)
                if saved:
                    result.update(saved)
            if plan.changed and not self.check_mode:
                with self.phase("apply"):
                    self.wrote = True
                    self.apply(conn, plan)
                with self.phase("verify"):
                    after = self.read_back(conn, plan)
                    self.verify(conn, plan, after)
            result["changed"] = plan.changed or self.wrote
            result["actions"] = self.mask(plan.actions)
            result.update(self.result_state(before, after, plan))
            if getattr(self.module, "_diff", False):     # diff mode always answers; equal sides = no change
                result["diff"] = self.diff(before, after, plan)
            self.extend_result(result, before, after, plan)
        return result

    def run(self) -> None:
        """Execute and exit through Ansible: exit_json on success, fail_json with error_code otherwise."""
        try:
            result = self.execute()
        except Finished as done:
            result = done.result
        except CanonError as exc:
            failure = exc.to_result()
            for key, value in self.failure_extras().items():
                failure.setdefault(key, value)
            for warning in self.warnings:
                self.module.warn(warning)
            failure.update(self.exit_extras())
            self.module.fail_json(**failure)
            return
        for warning in self.warnings:
            self.module.warn(warning)
        result.update(self.exit_extras())
        self.module.exit_json(**result)


def run_resource(resource_class: Type[ResourceModule], argument_spec: Dict[str, Any], **module_kwargs: Any) -> None:
    """Build the AnsibleModule (check mode always supported) and run the resource."""
    from ansible.module_utils.basic import AnsibleModule

    module_kwargs.setdefault("supports_check_mode", True)
    module = AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    resource_class(module).run()
