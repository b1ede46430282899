"""The resource-module base: one state machine for every device-function module."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import (
    MASK, Finished, Plan, ResourceModule, mask_secrets)


class Exit(Exception):
    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind, self.result = kind, result


class FakeModule:
    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        raise Exit("exit", result)

    def fail_json(self, **result):
        raise Exit("fail", result)


class Device:
    """A key/value device that logs every call, so tests can prove what was (not) written."""

    def __init__(self, values, drop=()):
        self.values = dict(values)
        self.log = []
        self.drop = set(drop)       # keys the device silently refuses to keep
        self.sessions_open = 0


class Items(ResourceModule):
    """A toy resource: ``items`` maps names to values; ``password`` is secret."""

    states = ("merged", "replaced", "deleted", "gathered", "rendered", "parsed", "audited")
    secret_keys = ("password",)
    resource_name = "items"

    def __init__(self, module, device):
        super().__init__(module)
        self.device = device

    def validate(self):
        for name, value in (self.params.get("items") or {}).items():
            if value == "bad":
                raise CanonError("invalid_argument", "items.%s is bad" % name, hint="Menu > Items")

    def connect(self, stack):
        self.device.sessions_open += 1
        self.device.log.append("login")
        stack.callback(self._logout)
        return self.device

    def _logout(self):
        self.device.sessions_open -= 1
        self.device.log.append("logout")

    def read(self, conn):
        conn.log.append("read")
        return dict(conn.values)

    def plan(self, before):
        wanted = dict(self.params.get("items") or {})
        if self.state == "replaced":
            after = dict(wanted)
        elif self.state == "deleted":
            after = {k: v for k, v in before.items() if k not in wanted}
        else:
            after = dict(before, **wanted)
        actions = []
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                if key in self.secret_keys:   # a secret travels only under its own (masked) key
                    actions.append({"item": key, "to": None, key: after.get(key)})
                    continue
                actions.append({"item": key, "from": before.get(key), "to": after.get(key)})
        return Plan(actions=actions, after=after)

    def backup(self, conn, before, plan):
        conn.log.append("backup")
        return {"backup_path": "/tmp/x"}

    def apply(self, conn, plan):
        for action in plan.actions:
            conn.log.append("write %s" % action["item"])
            if action["item"] in conn.drop:
                continue
            if action["item"] in self.secret_keys:
                conn.values[action["item"]] = action[action["item"]]
            elif action["to"] is None:
                conn.values.pop(action["item"], None)
            else:
                conn.values[action["item"]] = action["to"]

    def render(self):
        return dict(self.params.get("items") or {})

    def parse(self):
        return dict(line.split("=", 1) for line in self.params["running_config"].splitlines())


def run(device, check_mode=False, diff=False, **params):
    params.setdefault("state", "merged")
    module = FakeModule(params, check_mode=check_mode, diff=diff)
    with pytest.raises(Exit) as caught:
        Items(module, device).run()
    caught.value.result.setdefault("_warnings", module.warnings)
    return caught.value.kind, caught.value.result


def writes(device):
    return [entry for entry in device.log if entry.startswith(("write", "backup"))]


def test_merged_changes_then_is_idempotent():
    device = Device({"a": "1"})
    kind, result = run(device, items={"b": "2"})
    assert kind == "exit" and result["changed"] is True
    assert result["before"] == {"a": "1"} and result["after"] == {"a": "1", "b": "2"}
    assert device.values == {"a": "1", "b": "2"}
    device.log.clear()
    kind, result = run(device, items={"b": "2"})
    assert result["changed"] is False and result["actions"] == []
    assert writes(device) == []


def test_replaced_and_deleted():
    device = Device({"a": "1", "b": "2"})
    _, result = run(device, state="replaced", items={"a": "9"})
    assert device.values == {"a": "9"} and result["changed"]
    _, result = run(device, state="deleted", items={"a": None})
    assert device.values == {} and result["changed"]


def test_check_mode_reads_and_plans_but_never_writes():
    device = Device({"a": "1"})
    kind, result = run(device, check_mode=True, items={"a": "2"})
    assert kind == "exit" and result["changed"] is True
    assert result["after"] == {"a": "2"}
    assert writes(device) == [] and device.values == {"a": "1"}
    assert "read" in device.log


def test_gathered_reads_only():
    device = Device({"a": "1", "password": "s3cret"})
    _, result = run(device, state="gathered")
    assert result["changed"] is False
    assert result["gathered"] == {"a": "1", "password": MASK}
    assert writes(device) == []


def test_rendered_and_parsed_never_touch_the_device():
    device = Device({"a": "1"})
    _, result = run(device, state="rendered", items={"x": "1"})
    assert result["rendered"] == {"x": "1"}
    _, result = run(device, state="parsed", running_config="a=1\npassword=p")
    assert result["parsed"] == {"a": "1", "password": MASK}
    assert device.log == []


def test_audited_reports_differences_without_writing():
    device = Device({"a": "1"})
    _, result = run(device, state="audited", items={"a": "2"})
    assert result["changed"] is False and result["compliant"] is False
    assert result["differences"][0]["item"] == "a"
    assert writes(device) == []
    _, result = run(device, state="audited", items={"a": "1"})
    assert result["compliant"] is True and result["differences"] == []


class AuditedItems(Items):
    states = ("audited", "enforced")


def test_enforced_state_writes_like_merged():
    device = Device({"a": "1"})
    module = FakeModule({"state": "enforced", "items": {"a": "2"}})
    with pytest.raises(Exit) as caught:
        AuditedItems(module, device).run()
    assert caught.value.result["changed"] and device.values == {"a": "2"}


def test_validation_fails_before_any_device_io():
    device = Device({"a": "1"})
    kind, result = run(device, items={"a": "bad"})
    assert kind == "fail"
    assert result["error_code"] == "invalid_argument" and result["hint"] == "Menu > Items"
    assert result["changed"] is False
    assert device.log == []


def test_backup_before_apply_and_logout_on_every_path():
    device = Device({"a": "1"})
    _, result = run(device, items={"a": "2"})
    assert device.log.index("backup") < device.log.index("write a")
    assert result["backup_path"] == "/tmp/x"
    assert device.log[-1] == "logout" and device.sessions_open == 0


def test_read_back_mismatch_is_verify_failed_and_reports_the_write():
    device = Device({"a": "1"}, drop={"a"})
    kind, result = run(device, items={"a": "2"})
    assert kind == "fail" and result["error_code"] == "verify_failed"
    assert result["changed"] is True          # something was sent: never report a failed write as a no-op
    assert device.sessions_open == 0


def test_secrets_masked_in_before_after_actions_and_diff():
    device = Device({"password": "old-secret"})
    _, result = run(device, diff=True, items={"password": "new-secret"})
    text = repr(result)
    assert "old-secret" not in text and "new-secret" not in text
    assert result["diff"]["after"]["password"] == MASK
    assert result["actions"][0]["password"] == MASK


def test_unknown_state_is_refused():
    kind, result = run(Device({}), state="overridden-ish")
    assert kind == "fail" and result["error_code"] == "invalid_argument"


def test_finished_ends_the_run_with_the_hook_result():
    class Early(Items):
        def read(self, conn):
            raise Finished({"changed": True, "would_restart": True})

    module = FakeModule({"state": "merged", "items": {}})
    with pytest.raises(Exit) as caught:
        Early(module, Device({})).run()
    assert caught.value.kind == "exit" and caught.value.result == {"changed": True, "would_restart": True}


def test_mask_secrets_keeps_empty_values_and_nests():
    data = {"password": "", "list": [{"password": "x", "name": "n"}], "password2": None}
    assert mask_secrets(data, ["password", "password2"]) == {
        "password": "", "list": [{"password": MASK, "name": "n"}], "password2": None}
