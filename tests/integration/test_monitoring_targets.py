"""The monitoring role with EMC-style targeted conditions (error code + device group, own recipients) and
finisher staples (RFC 3806 finSupplyTable), through playbooks/monitor.yml against the simulator."""

from __future__ import annotations

import os

import pytest

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_playbook, worker_octet
from tests.notifysinks import SmtpSink, WebhookSink

PLAYBOOK = os.path.join(ROOT, "playbooks", "monitor.yml")
SMTP_USER, SMTP_PASSWORD, TOKEN = "monitor@example.com", "smtp-pass-77", "mc-token-77"


@pytest.fixture(scope="module")
def net() -> str:
    return "127.%d" % worker_octet(144)


@pytest.fixture(scope="module")
def sim(net):
    fleet = SimulatedFleet({"seed": 41, "devices": [
        {"address": net + ".1.1", "profile": "ir-adv-c5535-iii"},
        {"address": net + ".1.2", "profile": "ir-adv-dx-c5840"},       # its finisher has staples at 40 %
    ]}, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


def test_targets_send_their_conditions_to_their_own_recipients(sim, net, tmp_path):
    smtp, hook = SmtpSink("starttls", {SMTP_USER: SMTP_PASSWORD}), WebhookSink()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  vars:\n    canon_snmp_port: %d\n    canon_snmp_timeout: 1\n  children:\n"
                         "    region_hq:\n      hosts:\n        hq-c5535: {ansible_host: %s.1.1}\n"
                         "    region_lab:\n      hosts:\n        lab-c5840: {ansible_host: %s.1.2}\n"
                         % (sim.port, net, net))
    mail = {"host": "127.0.0.1", "port": smtp.port, "security": "starttls", "username": SMTP_USER,
            "password": SMTP_PASSWORD, "from": SMTP_USER, "ca_path": smtp.cert}
    extra = {"monitoring_state_dir": str(tmp_path / "state"), "monitoring_connection": {"retries": 0},
             "monitoring_staples_below_pct": 50,
             "monitoring_targets": [
                 {"name": "jams-hq", "error_codes": ["jam"], "groups": ["region_hq"],
                  "mail": dict(mail, to=["facilities@example.com"])},
                 {"name": "staples", "kinds": ["staples_low"], "webhook": {"url": hook.url, "token": TOKEN}},
                 {"name": "jams-lab", "error_codes": ["jam"], "groups": ["region_lab"],
                  "mail": dict(mail, to=["lab@example.com"])}]}
    try:
        sim.act(net + ".1.1", "alerts", kind="paper_jam")
        sim.act(net + ".1.2", "alerts", kind="paper_jam")
        proc = ansible_playbook(PLAYBOOK, inventory=str(inventory), extra_vars=extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert SMTP_PASSWORD not in proc.stdout and TOKEN not in proc.stdout
        by_to = {tuple(m["to"]): m for m in smtp.messages}
        hq = by_to[("facilities@example.com",)]["message"].get_body().get_content()
        lab = by_to[("lab@example.com",)]["message"].get_body().get_content()
        assert "hq-c5535" in hq and "lab-c5840" not in hq and "jam" in hq.lower()
        assert "lab-c5840" in lab and "hq-c5535" not in lab
        [request] = hook.requests                          # staples: read from the finisher's finSupplyTable
        assert request["headers"]["X-Mc-Token"] == TOKEN
        assert [(c["host"], c["kind"]) for c in request["json"]["new"]] == [("lab-c5840", "staples_low")]
        assert "Staple Cartridge" in request["json"]["new"][0]["message"]
    finally:
        sim.control("DELETE", "/devices/%s.1.1/alerts" % net)
        sim.control("DELETE", "/devices/%s.1.2/alerts" % net)
        smtp.close()
        hook.close()
