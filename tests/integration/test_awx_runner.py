"""What AWX shows: ansible-runner (the engine of AWX job runs) runs the capture playbook over three devices,
one of which does not answer. That host's job events say failed, with the device's error_code, and the
run's stats list it under failures; the two devices that were read are ok hosts; the report is written."""

from __future__ import annotations

import os

import ansible_runner
import pytest

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path

WORKER = int((os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0))
NET = "127.148.%d" % (10 + WORKER)      # H12's loopback range
OUTCOME_TASK = "Report each device's own outcome"


@pytest.fixture(scope="module")
def sim():
    fleet = SimulatedFleet({"seed": 21, "devices": [
        {"address": NET + ".1", "profile": "ir-adv-c5535-iii"},
        {"address": NET + ".2", "profile": "mf642c"},
    ]})
    yield fleet
    fleet.stop()


def test_capture_with_one_unreachable_device_fails_that_host_in_events_and_stats(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(bin_path("ansible-playbook")) + os.pathsep + os.environ["PATH"])
    private = tmp_path / "runner"
    (private / "inventory").mkdir(parents=True)
    (private / "inventory" / "hosts.yml").write_text(
        "all:\n  vars:\n    canon_snmp_port: %d\n    canon_snmp_timeout: 0.5\n    canon_snmp_retries: 0\n"
        "  hosts:\n    adv: {ansible_host: %s}\n    mf: {ansible_host: %s}\n    silent: {ansible_host: %s}\n"
        % (sim.port, NET + ".1", NET + ".2", NET + ".99"))
    report_dir = tmp_path / "reports"
    env = ansible_env()
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    run = ansible_runner.run(
        private_data_dir=str(private), playbook=os.path.join(ROOT, "playbooks", "capture_counters.yml"),
        envvars={k: v for k, v in env.items() if k.startswith("ANSIBLE_")},
        extravars={"counter_capture_store_path": str(tmp_path / "counters.sqlite"),
                   "counter_capture_report_dest": str(report_dir / "counters.xlsx"),
                   "counter_capture_report_types": ["lifetime"]},
        quiet=True, timeout=300)

    assert run.status == "failed" and run.rc == 2, run.stdout.read()
    stats = run.stats
    assert set(stats["failures"]) == {"silent"}, stats
    assert "adv" in stats["ok"] and "mf" in stats["ok"], stats
    assert not stats.get("dark"), stats

    outcome = {}
    for event in run.events:
        data = event.get("event_data", {})
        if data.get("task") == OUTCOME_TASK and event["event"] in ("runner_on_ok", "runner_on_failed"):
            outcome[data["host"]] = (event["event"], data["res"])
    assert outcome["silent"][0] == "runner_on_failed"
    assert outcome["silent"][1]["msg"].startswith("snmp_no_response:"), outcome["silent"][1]
    assert outcome["adv"][0] == "runner_on_ok" and outcome["mf"][0] == "runner_on_ok"
    assert sim.device(NET + ".1")["serial"] in outcome["adv"][1]["msg"]

    # the bulk read ran once, and the report was still written although a host failed
    bulk = [e for e in run.events if e["event"] == "runner_on_ok"
            and e["event_data"].get("task") == "Read the counters of every device in one task and store them"]
    assert len(bulk) == 1
    summary = bulk[0]["event_data"]["res"]["summary"]
    assert (summary["targets"], summary["succeeded"], summary["failed"]) == (3, 2, 1)
    assert (report_dir / "counters.xlsx").is_file()
