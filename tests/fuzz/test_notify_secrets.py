"""Regression tests for issue 18's canon_notify finding: webhook URL user info and ?token= values are
secrets -- never printed in the logged arguments (-vvv), check mode, results or error messages."""

from __future__ import annotations

import json
import subprocess

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.monitoring import notify as canon_notify
from tests.integration.simfleet import ROOT, ansible_env, bin_path
from tests.notifysinks import WebhookSink

PASSWORD = "Mk18UrlPassw0rd"
TOKEN = "Mk18QueryT0ken"
HEADER_TOKEN = "Mk18HeaderT0ken"


def test_public_url_masks_user_info_and_secret_query_values():
    url = "https://hook:%s@example.invalid:8443/x?id=7&token=%s&sig=abc" % (PASSWORD, TOKEN)
    shown = canon_notify.public_url(url)
    assert shown == "https://example.invalid:8443/x?id=7&token=********&sig=********"
    assert set(canon_notify.url_secrets(url)) >= {PASSWORD, TOKEN, "hook", "abc"}


@pytest.mark.parametrize("check", [False, True])
def test_no_webhook_secret_in_verbose_output(check):
    sink = WebhookSink(status=500)
    try:
        url = "http://fleetuser:%s@127.0.0.1:%d/hooks/printers?token=%s" % (PASSWORD, sink.port, TOKEN)
        args = {"subject": "s", "webhook": {"url": url, "token": HEADER_TOKEN, "timeout": 5}}
        cmd = [bin_path("ansible"), "localhost", "-m", "printfleet.canon.canon_notify", "-a", json.dumps(args),
               "-vvv", "--diff"] + (["--check"] if check else [])
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, env=ansible_env())
    finally:
        sink.close()
    out = proc.stdout + proc.stderr
    assert ("CHANGED" if check else "FAILED") in out, out
    if not check:
        assert "HTTP 500" in out and "token=********" in out, out
    for marker in (PASSWORD, TOKEN, HEADER_TOKEN):
        assert marker not in out, (marker, out)
