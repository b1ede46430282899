#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_notify
short_description: Send a printer notification by mail (SMTP) and/or webhook (JSON POST)
version_added: 0.1.0
description:
  - Sends what M(printfleet.canon.canon_monitor_evaluate) or a counter capture produced, the way EMC notifies,
    by e-mail through an SMTP server (STARTTLS or SMTPS, with login) and by a webhook that receives a JSON
    POST with the optional token in the C(X-Mc-Token) header.
  - Mail and webhook are each optional; give one or both. Both are attempted even when the first fails; the task
    then fails with error code C(notify_failed) and says which one was delivered.
  - Needs no collection outside ansible-core.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Sends nothing; returns in RV(would_send) what would be sent, and C(changed=true).
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the Ansible controller.
options:
  subject:
    description: Mail subject (also in the default webhook payload).
    type: str
    required: true
  body:
    description: Mail text (also in the default webhook payload).
    type: str
    default: ''
  payload:
    description:
      - 'Webhook JSON body. Defaults to C({"subject": ..., "body": ...}).'
    type: dict
  mail:
    description: Send a mail. Omit for no mail.
    type: dict
    suboptions:
      host:
        description: SMTP server.
        type: str
        required: true
      port:
        description: SMTP port. Defaults to 587 with V(starttls), 465 with V(ssl), 25 with V(none).
        type: int
      security:
        description:
          - V(starttls) upgrades a plain connection with STARTTLS (and fails if the server does not offer it);
            V(ssl) is SMTPS (TLS from the first byte); V(none) sends in clear (only for a relay on the same host).
        type: str
        choices: [starttls, ssl, none]
        default: starttls
      username:
        description: Login name; no login when omitted.
        type: str
      password:
        description: Login password.
        type: str
      sender:
        description: The From address.
        type: str
        required: true
        aliases: [from]
      to:
        description:
          - Recipients. Each entry may hold several addresses separated by commas or line breaks, as in EMC.
        type: list
        elements: str
        required: true
      cc:
        description: Copy recipients (same format as O(mail.to)).
        type: list
        elements: str
        default: []
      attachments:
        description: Files to attach (for example the counter report).
        type: list
        elements: path
        default: []
      validate_certs:
        description: Verify the server certificate and name (V(starttls) and V(ssl)).
        type: bool
        default: true
      ca_path:
        description: CA certificate file to verify the server with, instead of the system's.
        type: path
      timeout:
        description: Seconds to wait for the server.
        type: float
        default: 30
  webhook:
    description: POST the payload to a URL. Omit for no webhook.
    type: dict
    suboptions:
      url:
        description: The webhook URL (https recommended).
        type: str
        required: true
      token:
        description: Sent in the C(X-Mc-Token) header, as EMC does.
        type: str
      validate_certs:
        description: Verify the server certificate (https).
        type: bool
        default: true
      ca_path:
        description: CA certificate file to verify the server with.
        type: path
      timeout:
        description: Seconds to wait for the server.
        type: float
        default: 30
notes:
  - The webhook is sent directly, never through a proxy (EMC does not support webhooks through a proxy either);
    proxy environment variables are ignored.
  - Passwords and tokens are never returned; URLs are returned without user information and with secret query
    values (C(token), C(key), C(sig), C(secret) ...) masked, and those parts are masked in the logged arguments too.
seealso:
  - module: printfleet.canon.canon_monitor_evaluate
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Notify the helpdesk by mail and the ticket system by webhook
  printfleet.canon.canon_notify:
    subject: "{{ evaluation.notification.subject }}"
    body: "{{ evaluation.notification.body }}"
    payload: "{{ evaluation.notification.payload }}"
    mail:
      host: smtp.example.com
      port: 587
      security: starttls
      username: printers@example.com
      password: "{{ vault_smtp_password }}"
      from: printers@example.com
      to: ["helpdesk@example.com, facilities@example.com"]
    webhook:
      url: https://tickets.example.com/hooks/printers
      token: "{{ vault_webhook_token }}"
  delegate_to: localhost
  run_once: true
  when: evaluation.notify

- name: Mail the monthly counter report
  printfleet.canon.canon_notify:
    subject: Monthly meter reads
    body: The counter report is attached.
    mail:
      host: smtp.example.com
      security: ssl
      from: printers@example.com
      to: [billing@example.com]
      attachments: "{{ report.paths }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
sent:
  description: What was delivered.
  returned: always
  type: dict
  contains:
    mail: {description: Whether the mail was accepted by the server., type: bool}
    webhook: {description: Whether the webhook answered with a 2xx status., type: bool}
would_send:
  description: In check mode, what would have been sent (recipients, server, URL), without secrets.
  returned: check mode
  type: dict
mail:
  description: The mail that was sent.
  returned: when O(mail) is given and not in check mode
  type: dict
  contains:
    server: {description: "host:port.", type: str}
    security: {description: "starttls, ssl or none.", type: str}
    recipients: {description: Every To and Cc address., type: list, elements: str}
    attachments: {description: Attached file names., type: list, elements: str}
    error: {description: Why it failed., type: str, returned: on failure}
webhook:
  description: The webhook call.
  returned: when O(webhook) is given and not in check mode
  type: dict
  contains:
    url: {description: The URL without user information., type: str}
    status: {description: HTTP status., type: int}
    error: {description: Why it failed., type: str, returned: on failure}
error_code:
  description: C(notify_failed) when a mail or webhook could not be delivered; C(invalid_argument) for bad input.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.monitoring.notify import argument_spec, run


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
