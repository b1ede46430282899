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

import json
import mimetypes
import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.module_support import canon_errors_fail

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_SPLIT = re.compile(r"[,\r\n]+")


def argument_spec():
    return {
        "subject": {"type": "str", "required": True},
        "body": {"type": "str", "default": ""},
        "payload": {"type": "dict"},
        "mail": {"type": "dict", "options": {
            "host": {"type": "str", "required": True},
            "port": {"type": "int"},
            "security": {"type": "str", "choices": ["starttls", "ssl", "none"], "default": "starttls"},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "sender": {"type": "str", "required": True, "aliases": ["from"]},
            "to": {"type": "list", "elements": "str", "required": True},
            "cc": {"type": "list", "elements": "str", "default": []},
            "attachments": {"type": "list", "elements": "path", "default": []},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "timeout": {"type": "float", "default": 30},
        }},
        "webhook": {"type": "dict", "options": {
            "url": {"type": "str", "required": True},
            "token": {"type": "str", "no_log": True},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "timeout": {"type": "float", "default": 30},
        }},
    }


def addresses(entries):
    """EMC accepts recipients separated by commas or line breaks; so does each list entry here."""
    out = []
    for entry in entries or []:
        out.extend(a.strip() for a in _SPLIT.split(entry) if a.strip())
    return out


# Query parameters that carry a credential in webhook URLs (Teams/Slack style ?token=, ?sig= ...).
SECRET_QUERY_NAMES = ("token", "access_token", "api_key", "apikey", "key", "secret", "password", "passwd",
                      "pwd", "sig", "signature", "auth", "code", "client_secret")


def _secret_query(name):
    name = name.lower().replace("-", "_")
    return name in SECRET_QUERY_NAMES or name.endswith(("_token", "_key", "_secret", "_password"))


def public_url(url):
    """The URL without user information and with secret query values masked (never return or
    print credentials embedded in it)."""
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an unparsable URL)"
    if ":" in netloc:
        netloc = "[%s]" % netloc
    if port:
        netloc += ":%d" % port
    query = "&".join(("%s=********" % name) if _secret_query(name) and sep else item
                     for item in parts.query.split("&") if item
                     for name, sep, _v in [item.partition("=")])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def url_secrets(url):
    """The credential parts of a URL (user-info password and user, secret query values), so the
    module can add them to its no_log values: Ansible then masks them in the logged invocation
    (-vvv, check mode) and in every message."""
    found = []
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return found
    for value in (parts.password, parts.username if parts.password else None):
        if value:
            found.extend({value, unquote(value)})
    for item in parts.query.split("&"):
        name, sep, value = item.partition("=")
        if sep and value and _secret_query(name):
            found.extend({value, unquote_plus(value)})
    return [v for v in found if len(v) >= 3]


def tls_context(validate_certs, ca_path):
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()


def build_message(subject, body, mail):
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail["sender"]
    message["To"] = ", ".join(addresses(mail["to"]))
    if addresses(mail["cc"]):
        message["Cc"] = ", ".join(addresses(mail["cc"]))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=mail["sender"].rpartition("@")[2] or None)
    message.set_content(body or "")
    for path in mail["attachments"]:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CanonError("invalid_argument", "cannot read attachment %s: %s" % (path, exc))
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        main, sub = kind.split("/", 1)
        message.add_attachment(data, maintype=main, subtype=sub, filename=os.path.basename(path))
    return message


def describe_mail(mail):
    security = mail["security"]
    return {"server": "%s:%d" % (mail["host"], mail["port"] or DEFAULT_PORTS[security]), "security": security,
            "recipients": addresses(mail["to"]) + addresses(mail["cc"]),
            "attachments": [os.path.basename(p) for p in mail["attachments"]],
            "login": bool(mail.get("username"))}


def send_mail(subject, body, mail):
    security = mail["security"]
    port = mail["port"] or DEFAULT_PORTS[security]
    message = build_message(subject, body, mail)
    recipients = addresses(mail["to"]) + addresses(mail["cc"])
    if not recipients:
        raise CanonError("invalid_argument", "mail.to holds no address")
    context = tls_context(mail["validate_certs"], mail.get("ca_path"))
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(mail["host"], port, timeout=mail["timeout"], context=context)
        else:
            server = smtplib.SMTP(mail["host"], port, timeout=mail["timeout"])
        try:
            server.ehlo()
            if security == "starttls":
                if not server.has_extn("starttls"):
                    raise CanonError("notify_failed", "the SMTP server %s:%d does not offer STARTTLS" % (
                        mail["host"], port), hint="Use security: ssl (SMTPS, usually port 465) or a server with "
                                                  "STARTTLS; security: none sends the password in clear.")
                server.starttls(context=context)
                server.ehlo()
            if mail.get("username"):
                server.login(mail["username"], mail.get("password") or "")
            refused = server.send_message(message, from_addr=mail["sender"], to_addrs=recipients)
        finally:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()
    except smtplib.SMTPAuthenticationError as exc:
        raise CanonError("notify_failed", "the SMTP server refused the login: %s %s" % (exc.smtp_code, _text(exc)),
                         hint="Check mail.username and mail.password.")
    except ssl.SSLError as exc:
        raise CanonError("notify_failed", "TLS with the SMTP server failed: %s" % exc,
                         hint="Give the server's CA with mail.ca_path, or set mail.validate_certs: false.")
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise CanonError("notify_failed", "sending mail through %s:%d failed: %s" % (mail["host"], port, exc))
    result = describe_mail(mail)
    if refused:
        result["refused"] = sorted(refused)
    return result


def _text(exc):
    error = getattr(exc, "smtp_error", b"")
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)


def send_webhook(payload, hook):
    headers = {"Content-Type": "application/json", "User-Agent": "printfleet.canon"}
    if hook.get("token"):
        headers["X-Mc-Token"] = hook["token"]
    data = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    shown = public_url(hook["url"])
    try:
        response = open_url(hook["url"], data=data, headers=headers, method="POST", use_proxy=False,
                            validate_certs=hook["validate_certs"], ca_path=hook.get("ca_path"),
                            timeout=hook["timeout"], follow_redirects="none")
        status = response.getcode()
    except Exception as exc:  # HTTPError, URLError, SSL errors, timeouts: all mean "not delivered"
        status = getattr(exc, "code", None)
        reason = "HTTP %s" % status if status else str(getattr(exc, "reason", exc))
        for secret in url_secrets(hook["url"]) + ([hook["token"]] if hook.get("token") else []):
            reason = reason.replace(secret, "********")
        raise CanonError("notify_failed", "the webhook %s failed: %s" % (shown, reason))
    if not 200 <= status < 300:
        raise CanonError("notify_failed", "the webhook %s answered HTTP %s" % (shown, status))
    return {"url": shown, "status": status}


def run_module(module):
    params = module.params
    mail, hook = params.get("mail"), params.get("webhook")
    if not mail and not hook:
        raise CanonError("invalid_argument", "give mail, webhook or both")
    payload = params.get("payload") or {"subject": params["subject"], "body": params["body"]}
    if mail and not addresses(mail["to"]):
        raise CanonError("invalid_argument", "mail.to holds no address")
    if module.check_mode:
        would = {}
        if mail:
            would["mail"] = dict(describe_mail(mail), subject=params["subject"])
        if hook:
            would["webhook"] = {"url": public_url(hook["url"]), "token": bool(hook.get("token")),
                                "payload_keys": sorted(payload)}
        module.exit_json(changed=True, sent={"mail": False, "webhook": False}, would_send=would)

    out = {"changed": False, "sent": {"mail": False, "webhook": False}}
    errors = []
    if mail:
        try:
            out["mail"] = send_mail(params["subject"], params["body"], mail)
            out["sent"]["mail"] = True
        except CanonError as exc:
            out["mail"] = dict(describe_mail(mail), error=exc.msg)
            errors.append(exc)
    if hook:
        try:
            out["webhook"] = send_webhook(payload, hook)
            out["sent"]["webhook"] = True
        except CanonError as exc:
            out["webhook"] = {"url": public_url(hook["url"]), "error": exc.msg}
            errors.append(exc)
    out["changed"] = any(out["sent"].values())
    if errors:
        hints = [e.hint for e in errors if e.hint]
        module.fail_json(msg="; ".join(e.msg for e in errors), error_code="notify_failed",
                         **dict(out, **({"hint": " ".join(hints)} if hints else {})))
    module.exit_json(**out)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    # credentials inside the webhook URL are secrets too: masked in the logged arguments and results
    module.no_log_values.update(url_secrets((module.params.get("webhook") or {}).get("url")))
    with canon_errors_fail(module, changed=False):
        run_module(module)


if __name__ == "__main__":
    main()
