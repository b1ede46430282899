#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_monitor_evaluate
short_description: Decide which printer conditions to notify, remembering what was already notified
version_added: 0.1.0
description:
  - EMC's "Monitor Printers" notification conditions for the results of M(printfleet.canon.canon_device_info)
    - toner, drum, waste toner, developer, staples and paper at or below a percentage, alert severities,
    an error still present after a duration, and devices that do not answer.
  - Compares what is true now with a state file kept on the controller from the last run and returns what is
    new (notify now), ongoing (already notified, stays silent), pending (an error not yet ongoing long enough)
    and cleared (notified before and no longer true). An unchanged fleet gives no notification.
  - Returns the mail subject and text and the webhook payload for M(printfleet.canon.canon_notify).
  - Talks to no device; run it once, on the controller.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Evaluates as usual but never writes the state file.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the Ansible controller.
options:
  devices:
    description:
      - One entry per device, with the registered result of M(printfleet.canon.canon_device_info) (read with
        C(gather_subset) including V(status), V(alerts), V(supplies) and, for the paper condition, V(inputs)).
      - A result that failed (C(error_code) set, for example V(snmp_no_response)) is the condition "no response".
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The device's name (inventory hostname), shown in notifications.
        type: str
        required: true
      address:
        description: Its address, shown in notifications.
        type: str
      serial:
        description:
          - The device's serial (C(canon_serial)). Remembered conditions are keyed by the serial (from here or
            from the result's identity), else by O(devices[].name), so renaming a host is not a "cleared"
            plus a "new" event.
        type: str
      groups:
        description: The device's inventory groups (C(group_names)), for O(targets[].groups).
        type: list
        elements: str
        default: []
      result:
        description: The registered canon_device_info result.
        type: dict
        required: true
  targets:
    description:
      - EMC-style notification conditions, each sent to its own recipients (the monitoring role's
        C(monitoring_targets) holds them; they are never part of this module's result). Each matches the new and cleared
        conditions by error code or Error Content text (O(targets[].error_codes)), device group
        (O(targets[].groups)) and kind (O(targets[].kinds)); empty matchers match everything. The result's
        RV(targeted) has one notification per target.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Name of the condition (in the subject)., type: str, required: true}
      error_codes:
        description: Alert codes (PrtAlertCodeTC name such as V(jam) or number) or texts of the error content
          (for example V(E000007)); any of them matches.
        type: list
        elements: str
        default: []
      groups: {description: Inventory groups; any of them matches., type: list, elements: str, default: []}
      kinds:
        description: Condition kinds (V(alert), V(toner_low), V(staples_low), V(no_response) ...).
        type: list
        elements: str
        default: []
  state_file:
    description:
      - JSON file on the controller that remembers notified conditions between runs. Created on first use
        (mode 0600), replaced atomically.
      - Use one file per monitoring schedule. Devices not in O(devices) (for example with C(--limit)) keep their
        remembered conditions.
    type: path
    required: true
  write_state:
    description:
      - Whether to write the state file. The monitoring role evaluates with V(false), sends the notification,
        then evaluates again with V(true) and the same O(now), so a notification that could not be sent is
        sent on the next run.
    type: bool
    default: true
  toner_below_pct:
    description: Notify when a toner (or ink) is at or below this percentage. V(null) turns it off.
    type: float
    default: 10
  drum_below_pct:
    description: Drum (OPC) life remaining at or below this percentage. V(null) turns it off.
    type: float
    default: 10
  waste_toner_below_pct:
    description: Waste toner (or ink) capacity remaining at or below this percentage. V(null) turns it off.
    type: float
    default: 10
  developer_below_pct:
    description: Developer remaining at or below this percentage. Off by default.
    type: float
  staples_below_pct:
    description: Staples remaining at or below this percentage. Off by default.
    type: float
  paper_below_pct:
    description:
      - Paper remaining in a tray at or below this percentage. Off by default.
      - The multi-purpose (manual feed, bypass) tray is excluded, as EMC does.
      - Trays that report only "some paper" (Printer MIB level -3) never trigger it.
    type: float
  severities:
    description:
      - Alert severities to notify, with EMC's classification. V(warning) covers warning and binary-change
        warnings, V(error) other critical alerts, V(service_call) critical alerts for trained staff, management or
        field service.
    type: list
    elements: str
    choices: [warning, error, service_call]
    default: [error, service_call]
  error_ongoing_minutes:
    description:
      - Notify once when the same error (or service call) is still present this many minutes after it was first
        seen. Off by default. Its accuracy is the interval of the schedule.
    type: float
  no_response:
    description: Notify when a device does not answer (or cannot be read).
    type: bool
    default: true
  notify_cleared:
    description:
      - Report a notified condition that is no longer true as cleared (one line in the next notification). With
        V(false) it is forgotten silently.
      - Either way a condition that comes back later is notified again.
    type: bool
    default: true
  subject_prefix:
    description: Start of the mail subject.
    type: str
    default: "[printfleet]"
  now:
    description:
      - The evaluation time, ISO 8601 with an offset. Defaults to the current time. The monitoring role passes
        the time of its first evaluation to the second one.
    type: str
notes:
  - Thresholds fire at or below the value, as EMC's. Levels the Printer MIB reports as "some remaining" or
    "unknown" are never treated as a percentage.
  - The state file holds device names, addresses and condition texts, no credentials.
seealso:
  - module: printfleet.canon.canon_device_info
  - module: printfleet.canon.canon_notify
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Read every printer
  printfleet.canon.canon_device_info:
    host: "{{ ansible_host }}"
    gather_subset: [status, alerts, supplies, inputs]
  delegate_to: localhost
  register: info
  failed_when: false

- name: Decide what to notify
  printfleet.canon.canon_monitor_evaluate:
    devices: "{{ ansible_play_hosts_all | map('extract', hostvars) | map(attribute='monitor_entry') }}"
    state_file: /var/lib/printfleet/monitoring.json
    toner_below_pct: 15
    paper_below_pct: 5
    severities: [error, service_call]
    error_ongoing_minutes: 60
  vars:
    monitor_entry: {name: "{{ inventory_hostname }}", address: "{{ ansible_host }}", result: "{{ info }}"}
  delegate_to: localhost
  run_once: true
  register: evaluation

- name: Mail it
  printfleet.canon.canon_notify:
    subject: "{{ evaluation.notification.subject }}"
    body: "{{ evaluation.notification.body }}"
    mail:
      host: smtp.example.com
      from: printers@example.com
      to: [helpdesk@example.com]
  delegate_to: localhost
  run_once: true
  when: evaluation.notify
"""

RETURN = r"""
notify:
  description: Whether anything is new or cleared, that is whether to send a notification.
  returned: always
  type: bool
new:
  description: Conditions to notify now.
  returned: always
  type: list
  elements: dict
  contains:
    key: {description: Identity of the condition across runs., type: str, sample: "hq-c5535|toner_low|2"}
    host: {description: Device name., type: str}
    address: {description: Device address., type: str}
    kind:
      description: "toner_low, drum_low, waste_toner_low, developer_low, staples_low, paper_low, alert,
        error_ongoing, no_response or read_error."
      type: str
    severity: {description: "warning, error or service_call.", type: str}
    subject: {description: "What it is about, for example C(Cyan toner).", type: str}
    message: {description: The text of the notification line., type: str}
    value: {description: The level in percent (supply and paper conditions)., type: float}
    threshold: {description: The threshold in percent., type: float}
    first_seen: {description: When it was first seen (UTC)., type: str}
ongoing:
  description: Conditions notified before that are still true (not notified again).
  returned: always
  type: list
  elements: dict
pending:
  description: Errors being tracked for O(error_ongoing_minutes) that have not lasted long enough yet.
  returned: always
  type: list
  elements: dict
cleared:
  description: Conditions notified before that are no longer true (empty when O(notify_cleared=false)).
  returned: always
  type: list
  elements: dict
notification:
  description: What to send.
  returned: always
  type: dict
  contains:
    subject: {description: Mail subject., type: str,
              sample: "[printfleet] printer conditions: 1 new (worst: warning)"}
    body: {description: "Mail text, one line per condition.", type: str}
    payload: {description: "Webhook JSON (source, event, generated_at, counts, new, cleared).", type: dict}
targeted:
  description: One entry per O(targets) item, with what it matches.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: The target's name., type: str}
    notify: {description: Whether it has anything new or cleared., type: bool}
    notification: {description: "Subject, body and payload as RV(notification), for its conditions only.",
                   type: dict}
evaluated_at:
  description: The evaluation time (UTC), to pass as O(now) to a second evaluation.
  returned: always
  type: str
state_file:
  description: The state file.
  returned: always
  type: str
state_changed:
  description: Whether the state differs from the file (written unless check mode or O(write_state=false)).
  returned: always
  type: bool
error_code:
  description: Stable code of the failure.
  returned: failure
  type: str
  sample: monitoring_state_error
"""

from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.monitoring import conditions as monitoring
from ansible_collections.printfleet.canon.plugins.module_utils.core.module_support import canon_errors_fail


def argument_spec():
    return {
        "devices": {"type": "list", "elements": "dict", "required": True, "options": {
            "name": {"type": "str", "required": True}, "address": {"type": "str"}, "serial": {"type": "str"},
            "groups": {"type": "list", "elements": "str", "default": []},
            "result": {"type": "dict", "required": True}}},
        "targets": {"type": "list", "elements": "dict", "default": [], "options": {
            "name": {"type": "str", "required": True},
            "error_codes": {"type": "list", "elements": "str", "default": []},
            "groups": {"type": "list", "elements": "str", "default": []},
            "kinds": {"type": "list", "elements": "str", "default": []}}},
        "state_file": {"type": "path", "required": True},
        "write_state": {"type": "bool", "default": True},
        "toner_below_pct": {"type": "float", "default": 10},
        "drum_below_pct": {"type": "float", "default": 10},
        "waste_toner_below_pct": {"type": "float", "default": 10},
        "developer_below_pct": {"type": "float"},
        "staples_below_pct": {"type": "float"},
        "paper_below_pct": {"type": "float"},
        "severities": {"type": "list", "elements": "str", "choices": list(monitoring.EMC_SEVERITIES),
                       "default": ["error", "service_call"]},
        "error_ongoing_minutes": {"type": "float"},
        "no_response": {"type": "bool", "default": True},
        "notify_cleared": {"type": "bool", "default": True},
        "subject_prefix": {"type": "str", "default": "[printfleet]"},
        "now": {"type": "str"},
    }


def rules_from_params(params):
    rules = monitoring.Rules(
        toner_below_pct=params["toner_below_pct"], drum_below_pct=params["drum_below_pct"],
        waste_toner_below_pct=params["waste_toner_below_pct"], developer_below_pct=params["developer_below_pct"],
        staples_below_pct=params["staples_below_pct"], paper_below_pct=params["paper_below_pct"],
        severities=tuple(params["severities"]), error_ongoing_minutes=params["error_ongoing_minutes"],
        no_response=params["no_response"], notify_cleared=params["notify_cleared"])
    rules.validate()
    return rules


def run_module(module):
    params = module.params
    rules = rules_from_params(params)
    now = monitoring.parse_time(params["now"]) if params.get("now") else datetime.now(timezone.utc)
    now = monitoring.parse_time(monitoring.utc_text(now))    # whole seconds, as stored and returned
    state = monitoring.load_state(params["state_file"])
    targets = monitoring.parse_targets(params["targets"])
    outcome, _unused = monitoring.evaluate(params["devices"], state, now, rules)
    state_changed = outcome.state.get("conditions") != state.get("conditions") or \
        state.get("version") != monitoring.STATE_VERSION
    written = False
    if state_changed and params["write_state"] and not module.check_mode:
        monitoring.save_state(params["state_file"], outcome.state)
        written = True
    module.exit_json(
        changed=written or (state_changed and module.check_mode and params["write_state"]),
        notify=outcome.notify, new=outcome.new, ongoing=outcome.ongoing, pending=outcome.pending,
        cleared=outcome.cleared, notification=monitoring.notification(outcome, now, params["subject_prefix"]),
        targeted=monitoring.targeted(outcome, targets, now, params["subject_prefix"]),
        evaluated_at=monitoring.utc_text(now), state_file=params["state_file"], state_changed=state_changed)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    with canon_errors_fail(module, changed=False):
        run_module(module)


if __name__ == "__main__":
    main()
