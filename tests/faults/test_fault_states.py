"""Device-state faults (simulator/faults.py): set from the fleet spec or through the control API, applied
to the subsystems a real device shows them in, restored when cleared; bad values refused."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import pytest

from tests.integration.simfleet import SimulatedFleet, worker_octet


@pytest.fixture(scope="module")
def fleet():
    net = "127.60.%d" % worker_octet(50)
    devices = [{"address": "%s.1" % net, "profile": "ir-adv-c5535-iii", "faults": {"lockout": True, "busy": True}},
               {"address": "%s.2" % net, "profile": "ir-adv-c5535-iii"}]
    sim = SimulatedFleet({"seed": 1850, "devices": devices}, port=16100)
    yield sim
    sim.stop()


def touch(fleet, address):
    """One HTTPS request to the device (any answer)."""
    context = ssl.create_default_context(cafile=fleet.manifest["ca_cert"])
    try:
        urllib.request.urlopen("https://%s:8443/" % address, context=context, timeout=10).read()
    except urllib.error.HTTPError:
        pass


def states(fleet, address):
    rui = fleet.control("GET", "/devices/%s/remote_ui" % address)
    sms = fleet.control("GET", "/devices/%s/sms" % address)
    firmware = fleet.control("GET", "/devices/%s/firmware" % address)
    return {"locked": rui["lockout"]["locked"], "rui_busy": rui["busy"], "sms_busy": sms["busy"],
            "updater_busy": firmware["import_export_running"]}


def test_spec_faults_reach_the_subsystems_and_clear_restores_them(fleet):
    address = fleet.devices[0]["address"]
    touch(fleet, address)
    assert states(fleet, address) == {"locked": True, "rui_busy": "settings_open", "sms_busy": True,
                                      "updater_busy": True}
    fleet.control("DELETE", "/devices/%s/faults" % address)
    assert states(fleet, address) == {"locked": False, "rui_busy": None, "sms_busy": False, "updater_busy": False}


def test_control_api_faults_apply_at_once(fleet):
    address = fleet.devices[1]["address"]
    fleet.control("POST", "/devices/%s/faults" % address, {"lockout": True, "meap_disk_full": True})
    try:
        assert states(fleet, address)["locked"] is True
        assert fleet.control("GET", "/devices/%s/sms" % address)["storage_free_kb"] == 0
    finally:
        fleet.control("DELETE", "/devices/%s/faults" % address)
    assert states(fleet, address)["locked"] is False
    assert fleet.control("GET", "/devices/%s/sms" % address)["storage_free_kb"] > 0


@pytest.mark.parametrize("body", [{"tls_mode": "sometimes"}, {"power_loss": "later"}, {"disk_full": True}])
def test_bad_fault_values_are_refused(fleet, body):
    address = fleet.devices[1]["address"]
    with pytest.raises(urllib.error.HTTPError) as info:
        fleet.control("POST", "/devices/%s/faults" % address, body)
    assert info.value.code == 400
