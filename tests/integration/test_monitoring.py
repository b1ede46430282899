"""The monitoring role (playbooks/monitor.yml) against the simulator, a local SMTP server and a webhook receiver."""

from __future__ import annotations

import json
import os

import pytest

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_playbook, worker_octet
from tests.notifysinks import SmtpSink, WebhookSink

PLAYBOOK = os.path.join(ROOT, "playbooks", "monitor.yml")
SMTP_USER, SMTP_PASSWORD, TOKEN = "monitor@example.com", "smtp-pass-42", "mc-token-7"


@pytest.fixture(scope="module")
def net() -> str:
    return "127.%d" % worker_octet(142)


@pytest.fixture(scope="module")
def sim(net):
    spec = {"seed": 31, "devices": [
        {"address": net + ".1.1", "profile": "ir-adv-c5535-iii"},
        {"address": net + ".1.2", "profile": "lbp6670"},
        {"address": net + ".1.3", "profile": "ir-adv-dx-c5840"},
    ]}
    fleet = SimulatedFleet(spec, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


@pytest.fixture
def sinks():
    smtp, hook = SmtpSink("starttls", {SMTP_USER: SMTP_PASSWORD}), WebhookSink()
    yield smtp, hook
    smtp.close()
    hook.close()


def test_notify_once_then_silent_then_cleared(sim, net, sinks, tmp_path):
    smtp, hook = sinks
    inventory = tmp_path / "hosts.yml"
    lines = ["all:", "  vars:", "    canon_snmp_port: %d" % sim.port, "    canon_snmp_timeout: 1", "  hosts:"]
    for i, name in enumerate(["hq-c5535", "branch-lbp", "lab-c5840"], 1):
        lines += ["    %s:" % name, "      ansible_host: %s.1.%d" % (net, i)]
    inventory.write_text("\n".join(lines) + "\n")
    state_dir = tmp_path / "state"
    extra = {
        "monitoring_state_dir": str(state_dir),
        "monitoring_mail": {"host": "127.0.0.1", "port": smtp.port, "security": "starttls", "username": SMTP_USER,
                            "password": SMTP_PASSWORD, "from": SMTP_USER, "to": ["helpdesk@example.com"],
                            "ca_path": smtp.cert},
        "monitoring_webhook": {"url": hook.url, "token": TOKEN},
        "monitoring_connection": {"retries": 0},
    }

    def monitor():
        proc = ansible_playbook(PLAYBOOK, inventory=str(inventory), extra_vars=extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert SMTP_PASSWORD not in proc.stdout and TOKEN not in proc.stdout
        return proc

    monitor()                                          # healthy fleet: nothing to say
    assert smtp.messages == [] and hook.requests == []

    sim.act(net + ".1.1", "alerts", kind="toner_low", colorant="cyan")
    sim.act(net + ".1.3", "power", on=False)
    try:
        monitor()
        [mail] = smtp.messages
        [request] = hook.requests
        assert mail["tls"] is True and mail["user"] == SMTP_USER and mail["to"] == ["helpdesk@example.com"]
        body = mail["message"].get_body().get_content()
        assert "hq-c5535 (%s.1.1): Cyan toner at 5 %% (threshold 10 %%)" % net in body
        assert "lab-c5840 (%s.1.3)" % net in body and "did not answer" in body
        assert mail["message"]["Subject"] == "[printfleet] printer conditions: 2 new (worst: error)"
        assert request["headers"]["X-Mc-Token"] == TOKEN
        payload = request["json"]
        assert sorted((c["host"], c["kind"]) for c in payload["new"]) == [("hq-c5535", "toner_low"),
                                                                          ("lab-c5840", "no_response")]
        assert payload["counts"] == {"new": 2, "cleared": 0, "ongoing": 0, "pending": 0}
        state = json.loads((state_dir / "monitoring.json").read_text())
        # kept by serial when the device told it (a rename is not cleared + new), else by host name
        serial = sim.device(net + ".1.1")["serial"]
        assert sorted(state["conditions"]) == ["lab-c5840|no_response", "serial:%s|toner_low|2" % serial]
        assert oct((state_dir / "monitoring.json").stat().st_mode & 0o777) == "0o600"

        monitor()                                      # nothing changed: no second notification
        assert len(smtp.messages) == 1 and len(hook.requests) == 1
    finally:
        sim.control("DELETE", "/devices/%s.1.1/alerts" % net)
        sim.act(net + ".1.3", "power", on=True)

    monitor()                                          # both ended: one "cleared" notification
    assert len(smtp.messages) == 2 and len(hook.requests) == 2
    body = smtp.messages[1]["message"].get_body().get_content()
    assert body.count("CLEARED") == 2 and "Cyan toner" in body
    assert sorted(c["kind"] for c in hook.requests[1]["json"]["cleared"]) == ["no_response", "toner_low"]
    assert json.loads((state_dir / "monitoring.json").read_text())["conditions"] == {}
