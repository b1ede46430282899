# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_notify's work: mail over SMTP (STARTTLS, SMTPS, AUTH) and webhooks, with secrets kept out of
results (webhook URL user info and secret query values are masked and become no_log values)."""

from __future__ import annotations

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


def run(module) -> None:
    """Send what the task asks for; credentials inside the webhook URL become no_log values first."""
    module.no_log_values.update(url_secrets((module.params.get("webhook") or {}).get("url")))
    with canon_errors_fail(module, changed=False):
        run_module(module)
