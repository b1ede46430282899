"""canon_notify against a local SMTP server (STARTTLS, SMTPS, AUTH) and a local webhook receiver."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.modules import canon_notify
from tests.notifysinks import SmtpSink, WebhookSink

USERS = {"printers@example.com": "smtp-secret-1"}


@pytest.fixture
def smtp():
    sink = SmtpSink("starttls", USERS)
    yield sink
    sink.close()


@pytest.fixture
def smtps():
    sink = SmtpSink("ssl", USERS)
    yield sink
    sink.close()


@pytest.fixture
def hook():
    sink = WebhookSink()
    yield sink
    sink.close()


def mail_args(sink, **over):
    args = {"host": "127.0.0.1", "port": sink.port, "username": "printers@example.com",
            "password": "smtp-secret-1", "from": "printers@example.com",
            "to": ["helpdesk@example.com, facilities@example.com\nboss@example.com"], "cc": ["it@example.com"],
            "ca_path": sink.cert}
    args.update(over)
    return args


def test_starttls_login_and_recipients_split_like_emc(run_module, smtp, tmp_path):
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"PK\x03\x04fake")
    result = run_module(canon_notify, {"subject": "Toner low", "body": "Black toner at 5 %",
                                       "mail": mail_args(smtp, attachments=[str(report)])})
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["sent"] == {"mail": True, "webhook": False}
    [message] = smtp.messages
    assert message["tls"] is True and message["user"] == "printers@example.com"
    assert message["to"] == ["helpdesk@example.com", "facilities@example.com", "boss@example.com", "it@example.com"]
    parsed = message["message"]
    assert parsed["Subject"] == "Toner low" and parsed["Cc"] == "it@example.com"
    assert parsed.get_body().get_content().strip() == "Black toner at 5 %"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "report.xlsx" and attachment.get_content() == b"PK\x03\x04fake"
    assert "smtp-secret-1" not in str(result)
    assert result["mail"]["recipients"][-1] == "it@example.com" and result["mail"]["security"] == "starttls"


def test_smtps(run_module, smtps):
    result = run_module(canon_notify, {"subject": "s", "mail": mail_args(smtps, security="ssl")})
    assert result["sent"]["mail"] is True and smtps.messages[0]["tls"] is True


def test_certificate_is_verified_unless_told_otherwise(run_module, smtp):
    result = run_module(canon_notify, {"subject": "s", "mail": mail_args(smtp, ca_path=None)})
    assert result["failed"] is True and result["error_code"] == "notify_failed" and "ca_path" in result["hint"]
    assert smtp.messages == []
    result = run_module(canon_notify, {"subject": "s", "mail": mail_args(smtp, ca_path=None,
                                                                         validate_certs=False)})
    assert result["sent"]["mail"] is True


def test_wrong_password_fails_with_notify_failed(run_module, smtp):
    result = run_module(canon_notify, {"subject": "s", "mail": mail_args(smtp, password="wrong-password")})
    assert result["failed"] is True and result["error_code"] == "notify_failed"
    assert "refused the login" in result["msg"] and set(smtp.failed_logins) == {"printers@example.com"}
    assert "wrong-password" not in str(result)


def test_starttls_required_when_asked(run_module):
    plain = SmtpSink("plain")
    try:
        result = run_module(canon_notify, {"subject": "s", "mail": mail_args(plain, username=None)})
        assert result["error_code"] == "notify_failed" and "STARTTLS" in result["msg"]
        result = run_module(canon_notify, {"subject": "s", "mail": mail_args(plain, username=None,
                                                                             security="none")})
        assert result["sent"]["mail"] is True and plain.messages[0]["tls"] is False
    finally:
        plain.close()


def test_webhook_posts_json_with_the_emc_token_header(run_module, hook):
    payload = {"event": "printer_monitoring", "new": [{"host": "hq", "kind": "toner_low"}]}
    result = run_module(canon_notify, {"subject": "s", "payload": payload,
                                       "webhook": {"url": hook.url, "token": "hook-token-123"}})
    assert result["sent"] == {"mail": False, "webhook": True} and result["webhook"]["status"] == 200
    [request] = hook.requests
    assert request["path"] == "/hooks/printers" and request["json"] == payload
    assert request["headers"]["X-Mc-Token"] == "hook-token-123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert "hook-token-123" not in str(result)


def test_webhook_ignores_proxy_settings(run_module, hook, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")      # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    result = run_module(canon_notify, {"subject": "s", "webhook": {"url": hook.url}})
    assert result["sent"]["webhook"] is True
    assert hook.requests[0]["json"] == {"subject": "s", "body": ""}


def test_both_are_attempted_and_a_failure_says_which(run_module, smtp):
    failing = WebhookSink(status=500)
    try:
        result = run_module(canon_notify, {"subject": "s", "mail": mail_args(smtp),
                                           "webhook": {"url": failing.url.replace("http://", "http://user:pw@")}})
    finally:
        failing.close()
    assert result["failed"] is True and result["error_code"] == "notify_failed"
    assert result["sent"] == {"mail": True, "webhook": False} and "HTTP 500" in result["msg"]
    assert "user:pw" not in str(result) and result["webhook"]["url"].startswith("http://127.0.0.1:")


def test_check_mode_sends_nothing_and_reports_what_it_would(run_module, smtp, hook):
    result = run_module(canon_notify, {"subject": "Toner low", "mail": mail_args(smtp),
                                       "webhook": {"url": hook.url, "token": "hook-token-123"}}, check=True)
    assert result["changed"] is True and result["sent"] == {"mail": False, "webhook": False}
    would = result["would_send"]
    assert would["mail"]["recipients"][0] == "helpdesk@example.com" and would["mail"]["subject"] == "Toner low"
    assert would["webhook"]["token"] is True and "hook-token-123" not in str(result)
    assert smtp.messages == [] and hook.requests == []


def test_nothing_to_send_is_an_error(run_module):
    result = run_module(canon_notify, {"subject": "s"})
    assert result["failed"] is True and result["error_code"] == "invalid_argument"
