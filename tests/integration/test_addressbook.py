"""canon_addressbook against the simulator's Remote UI, through real ansible-playbook runs.

One playbook per scenario group, several tasks each, results registered and written to JSON, the device
state read from the simulator's control API (GET /devices/<addr>/remote_ui) by the playbook itself at
the points that matter - so the whole file costs a few ansible start-ups, not one per assertion.

Devices (127.132.<10 + xdist worker>.x): a Type I classic iR-ADV, a Type II portal MF and the Type III
portal iR1643iF, each seeded with a file destination whose password nobody declares (it must survive every
rewrite), plus a Type I device for busy scenarios and a restricted Type I device. Both playbooks run at
once in one test (so xdist never runs them twice, once per worker).
"""

from __future__ import annotations

import concurrent.futures
import json

import pytest
import yaml

from tests.integration.simfleet import SimulatedFleet, ansible_playbook, worker_octet
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab

SEED_SECRET = "seed-secret"
SHARE_SECRET = "share-pw-77"
PIN = "7654321"
BOOKS = {
    # host: (profile, book type, main list, other list)
    "type1": ("ir-adv-c5535-iii", "I", "address_list_1", "address_list_2"),
    "type2": ("mf642c", "II", "coded_dial", "favorites"),
    "type3": ("ir-1643if", "III", "address_book", "one_touch_speed_dial"),
}


def entry(book_type, number, **fields):
    """An entry with a number only where the list is numbered (Type I address lists are not)."""
    return dict(fields, number=number) if book_type != "I" else fields


def host_vars(name, address):
    profile, book_type, main, other = BOOKS[name]
    scans = entry(book_type, 1, type="file", name="Scans", protocol="smb", host="\\\\fs01\\scans", path="in",
                  username="scanner", password=SEED_SECRET)
    sales = entry(book_type, 2, type="email", name="Sales", address="sales@example.com")
    fax = entry(book_type, 3, type="fax", name="HQ fax", fax_number="0221 555")
    team = entry(book_type, 4, type="group", name="Team", members=["Sales"])
    share = entry(book_type, 5, type="file", name="Share", protocol="smb", host="\\\\fs02\\share",
                  username="svc", password=SHARE_SECRET)
    other_entry = dict(type="email", name="Other", address="other@example.com", number=1)
    return {
        "ansible_host": address,
        "book_type": book_type, "main": main, "other": other,
        "seed": {main: [scans], other: [other_entry]},
        "v_merged": {main: [sales, fax, team, share]},
        "v_check": {main: [sales]},
        "v_replaced": {main: [sales, dict(fax, fax_number="0221 556")]},
        "v_overridden": {main: [sales]},
        "v_deleted": {main: [{"number": 2} if book_type != "I" else {"name": "Sales"}]},
        "v_bad": {main: [entry(book_type, 9, type="email", name="N" * 30, address="n@example.com")]},
    }


@pytest.fixture(scope="module")
def net() -> str:
    return "127.132.%d" % worker_octet(10)


@pytest.fixture(scope="module")
def sim(net):
    devices = []
    for index, (name, (profile, _book_type, _main, _other)) in enumerate(sorted(BOOKS.items()), start=1):
        seed = host_vars(name, "")["seed"]
        devices.append({"address": "%s.%d" % (net, index), "profile": profile, "address_book": seed})
    devices.append({"address": net + ".21", "profile": "ir-adv-c5535-iii"})                    # busy
    devices.append({"address": net + ".22", "profile": "ir-adv-c5535-iii", "restart_seconds": 1,
                    "remote_ui": {"receive_restricted": True}})                                  # restricted
    fleet = SimulatedFleet({"seed": 5, "devices": devices}, port=16100)
    yield fleet
    fleet.stop()


def write_inventory(tmp_path, sim, hosts):
    inventory = {"all": {
        "vars": {"ansible_connection": "local", "control_url": sim.control_url,
                 "ca_path": sim.manifest["ca_cert"], "out_dir": str(tmp_path), "pin": PIN},
        "hosts": hosts}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return str(path)


def run_playbook(tmp_path, name, text, inventory):
    path = tmp_path / name
    path.write_text(text)
    proc = ansible_playbook(str(path), inventory=inventory, timeout=240)
    assert "PLAY RECAP" in proc.stdout, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def playbooks(sim, net, tmp_path_factory):
    """Run both playbooks at once (the second mostly waits: busy retries, a restart), on their own devices."""
    book_dir, special_dir = tmp_path_factory.mktemp("book"), tmp_path_factory.mktemp("special")
    book_hosts = {name: host_vars(name, "%s.%d" % (net, i))
                  for i, name in enumerate(sorted(BOOKS), start=1)}
    one = {"address_list_1": [{"type": "email", "name": "Reception", "address": "reception@example.com"}]}
    special_hosts = {"busy": {"ansible_host": net + ".21", "v_one": one},
                     "restricted": {"ansible_host": net + ".22", "v_one": one}}
    jobs = {"book": (book_dir, "book.yml", BOOK_PLAYBOOK, write_inventory(book_dir, sim, book_hosts)),
            "special": (special_dir, "special.yml", SPECIAL_PLAYBOOK,
                        write_inventory(special_dir, sim, special_hosts))}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_playbook, *job) for key, job in jobs.items()}
        return {key: (jobs[key][0], future.result()) for key, future in futures.items()}


def results(tmp_path, host):
    return json.loads((tmp_path / ("%s.json" % host)).read_text())


MODULE_DEFAULTS = """
  module_defaults:
    group/printfleet.canon.canon:
      host: "{{ ansible_host }}"
      system_manager_id: "7654321"
      system_manager_pin: "{{ pin }}"
      ca_path: "{{ ca_path }}"
      busy_retries: 0
"""
# set_fact + url lookup runs on the controller without starting a module: much cheaper than uri
SNAPSHOT = """
    - name: Snapshot {name}
      ansible.builtin.set_fact:
        {name}: "{{{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ '/remote_ui',
                     split_lines=false) | from_json }}}}"
"""

BOOK_PLAYBOOK = """
- name: Address books of three types
  hosts: type1:type2:type3
  gather_facts: false
""" + MODULE_DEFAULTS + """
  tasks:
    - name: merged without acknowledging workflow deletion
      printfleet.canon.canon_addressbook: {lists: "{{ v_merged }}"}
      register: r_noack
      ignore_errors: true
      diff: true
    - name: merged
      printfleet.canon.canon_addressbook: {lists: "{{ v_merged }}", acknowledge_workflow_deletion: true}
      register: r_merged
      diff: true
    - name: merged again
      printfleet.canon.canon_addressbook: {lists: "{{ v_merged }}"}
      register: r_merged_again
""" + SNAPSHOT.format(name="s_merged") + """
    - name: replaced in check mode
      printfleet.canon.canon_addressbook: {state: replaced, lists: "{{ v_check }}"}
      register: r_check
      check_mode: true
      diff: true
""" + SNAPSHOT.format(name="s_check") + """
    - name: replaced, with a backup
      printfleet.canon.canon_addressbook:
        state: replaced
        lists: "{{ v_replaced }}"
        backup: true
        backup_options: {dir: "{{ out_dir }}/backups", filename: "{{ inventory_hostname }}"}
      register: r_replaced
""" + SNAPSHOT.format(name="s_replaced") + """
    - name: overridden
      printfleet.canon.canon_addressbook: {state: overridden, lists: "{{ v_overridden }}"}
      register: r_overridden
    - name: gathered
      printfleet.canon.canon_addressbook: {state: gathered}
      register: r_gathered
    - name: a bad entry
      printfleet.canon.canon_addressbook: {lists: "{{ v_bad }}"}
      register: r_bad
      ignore_errors: true
""" + SNAPSHOT.format(name="s_bad") + """
    - name: deleted
      printfleet.canon.canon_addressbook: {state: deleted, lists: "{{ v_deleted }}"}
      register: r_deleted
    - name: a wrong PIN
      printfleet.canon.canon_addressbook: {state: gathered, system_manager_pin: wrong-pin}
      register: r_wrong_pin
      ignore_errors: true
""" + SNAPSHOT.format(name="s_end") + """
    - name: parse the backup taken before 'replaced'
      printfleet.canon.canon_addressbook:
        state: parsed
        format: canon_csv
        src: "{{ r_replaced.backup_files[0] }}"
        list_name: "{{ r_replaced.backup_files[0] | basename | splitext | first }}"
      register: r_parsed_backup
    - name: restore the backup
      printfleet.canon.canon_addressbook:
        state: replaced
        lists: "{{ r_parsed_backup.parsed }}"
        acknowledge_workflow_deletion: true
      register: r_restored
""" + SNAPSHOT.format(name="s_restored") + """
    - name: Save the results
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
        content: >-
          {{ {'noack': r_noack, 'merged': r_merged, 'merged_again': r_merged_again, 'check': r_check,
              'replaced': r_replaced, 'overridden': r_overridden, 'gathered': r_gathered, 'bad': r_bad,
              'deleted': r_deleted, 'wrong_pin': r_wrong_pin, 'restored': r_restored,
              's_restored': s_restored,
              's_merged': s_merged, 's_check': s_check, 's_replaced': s_replaced, 's_bad': s_bad,
              's_end': s_end} | to_json }}
"""


def entry_writes(snapshot):
    """Entries written through the public per-entry forms (create, modify, delete)."""
    counters = snapshot["counters"]
    return counters["entries_created"] + counters["entries_modified"] + counters["entries_deleted"]


def book(snapshot, name):
    return snapshot["address_book"][name]


def by_name(entries):
    return {e["name"]: e for e in entries}


def test_addressbook_module_on_the_simulator(playbooks):
    check_every_state_on_every_book_type(*playbooks["book"])
    check_busy_and_restricted_devices(*playbooks["special"])


def check_every_state_on_every_book_type(tmp_path, proc):
    for secret in (SEED_SECRET, SHARE_SECRET):
        assert secret not in proc.stdout, "a password reached the output"

    for host, (_profile, book_type, main, other) in BOOKS.items():
        r = results(tmp_path, host)
        where = "%s (Type %s)" % (host, book_type)

        # --- workflow acknowledgement (Type II/III): refused and nothing written, then deleted -----
        # (four entries written one by one through the public forms, no whole-list import: the
        # refused run wrote nothing)
        assert entry_writes(r["s_merged"]) == 4 and r["s_merged"]["counters"]["imports_ok"] == 0, where
        if book_type == "I":
            assert r["noack"]["changed"] is True and r["merged"]["changed"] is False, where
        else:
            assert r["noack"]["error_code"] == "addressbook_workflow_ack_required", where
            assert "3 workflow(s)" in r["noack"]["msg"]
            assert r["merged"]["workflows_deleted"] == 3 and r["s_merged"]["workflows"] == 0, where
            assert r["s_merged"]["counters"]["workflows_deleted"] == 3, where

        # --- merged: the untouched entry keeps its password through the list rewrite ----------------
        merged = by_name(book(r["s_merged"], main))
        assert set(merged) == {"Scans", "Sales", "HQ fax", "Team", "Share"}, where
        assert merged["Scans"]["password"] == SEED_SECRET, "a password nobody declared survives the rewrite"
        assert merged["Share"]["password"] == SHARE_SECRET, where
        assert [e["name"] for e in book(r["s_merged"], other)] == ["Other"], where
        assert r["merged_again"]["changed"] is False and r["merged_again"]["changes"] == {}, where
        first = r["noack"] if book_type == "I" else r["merged"]
        assert first["lists"][main]["count_after"] == 5 and first["book_type"] == book_type, where
        assert "password: '********'" in first["diff"]["after"], where
        module_results = json.dumps({key: value for key, value in r.items() if not key.startswith("s_")})
        assert SHARE_SECRET not in module_results and SEED_SECRET not in module_results, where

        # --- check mode: planned, nothing written ---------------------------------------------------
        assert r["check"]["changed"] is True and len(r["check"]["changes"][main]["removed"]) == 4, where
        assert r["s_check"]["address_book"] == r["s_merged"]["address_book"], where
        assert entry_writes(r["s_check"]) == entry_writes(r["s_merged"]), where

        # --- replaced with a backup taken before the write --------------------------------------------
        replaced = by_name(book(r["s_replaced"], main))
        assert set(replaced) == {"Sales", "HQ fax"} and replaced["HQ fax"]["fax_number"] == "0221 556", where
        assert [e["name"] for e in book(r["s_replaced"], other)] == ["Other"], "an unnamed list was touched"
        assert r["replaced"]["backup_path"] == str(tmp_path / "backups" / host)
        (backup_file,) = r["replaced"]["backup_files"]
        backed_up = ab.parse_list(open(backup_file, "rb").read(), "canon_csv", book_type, main)
        assert {e["name"] for e in backed_up.entries} == set(merged), "the backup predates the write"
        # ... and restores the book: parsed back into entries and written with state replaced
        assert r["restored"]["changed"] is True, where
        assert {e["name"] for e in book(r["s_restored"], main)} == set(merged), "the backup restores the book"

        # --- overridden empties the list not named; gathered reads every list -----------------------
        assert r["overridden"]["changed"] is True, where
        assert r["overridden"]["lists"][other]["count_after"] == 0, where
        gathered = r["gathered"]["gathered"]
        assert set(gathered) == set(ab.manageable_lists(book_type)), where
        assert [e["name"] for e in gathered[main]] == ["Sales"] and gathered[other] == [], where

        # --- a bad entry fails with its code before anything is written -----------------------------
        assert r["bad"]["failed"] is True and r["bad"]["error_code"] == "addressbook_invalid_entry", where
        assert r["bad"]["error_details"]["list"] == main and r["bad"]["error_details"]["field"] == "name"
        entries_overridden = sum(len(change.get(kind) or []) for change in r["overridden"]["changes"].values()
                                 for kind in ("added", "removed", "modified"))   # one form chain per entry
        assert entry_writes(r["s_bad"]) == entry_writes(r["s_replaced"]) + entries_overridden, where
        assert r["s_bad"]["counters"]["forms_refused"] == 0, "the device never saw the bad entry"
        assert r["s_bad"]["counters"]["imports_ok"] == r["s_bad"]["counters"]["imports_failed"] == 0, where

        # --- deleted ---------------------------------------------------------------------------------
        assert r["deleted"]["changed"] is True and book(r["s_end"], main) == [], where

        # --- a wrong PIN: one login attempt, reported, no lockout ------------------------------------
        assert r["wrong_pin"]["error_code"] == "rui_auth_failed", where
        assert r["s_end"]["counters"]["logins_failed"] == 1, where
        assert r["s_end"]["lockout"]["locked"] is False, where


SPECIAL_PLAYBOOK = """
- name: Busy and restricted devices
  hosts: busy:restricted
  gather_facts: false
""" + MODULE_DEFAULTS + """
  tasks:
    - name: Make the busy device busy
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/remote_ui"
        method: POST
        body_format: json
        body: {busy: address_list_open}
      when: inventory_hostname == 'busy'
    - name: busy, retried once, then device_busy; restricted without restart_if_required
      printfleet.canon.canon_addressbook: {lists: "{{ v_one }}", busy_retries: 1, busy_delay: 0.2}
      register: r_refused
      ignore_errors: true
    - name: check mode on the restricted device
      printfleet.canon.canon_addressbook: {lists: "{{ v_one }}", restart_if_required: true}
      register: r_check
      check_mode: true
      when: inventory_hostname == 'restricted'
    - name: busy with enough retries (freed meanwhile); restricted with restart_if_required
      printfleet.canon.canon_addressbook:
        lists: "{{ v_one }}"
        busy_retries: 6
        busy_delay: 0.5
        restart_if_required: true
        community: canon_admin
        snmp_port: 16100
        restart_timeout: 60
      register: r_job
      async: 90
      poll: 0
    - name: Wait until the module has logged in to the busy device (its next page is refused as busy)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/remote_ui"
      register: s_busy
      until: s_busy.json.sessions | selectattr('authenticated') | list | length > 0
      retries: 60
      delay: 1
      when: inventory_hostname == 'busy'
    - name: Let the busy device refuse a while
      ansible.builtin.pause: {seconds: 1}
    - name: Free the busy device
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/remote_ui"
        method: POST
        body_format: json
        body: {busy: null}
      when: inventory_hostname == 'busy'
    - name: Wait for the module
      ansible.builtin.async_status: {jid: "{{ r_job.ansible_job_id }}"}
      register: r_done
      until: r_done.finished
      retries: 60
      delay: 1
""" + SNAPSHOT.format(name="s_end") + """
    - name: Save the results
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
        content: "{{ {'refused': r_refused, 'check': r_check, 'done': r_done, 's_end': s_end} | to_json }}"
"""


def check_busy_and_restricted_devices(tmp_path, _proc):

    busy = results(tmp_path, "busy")
    assert busy["refused"]["error_code"] == "device_busy", busy["refused"]
    assert busy["done"]["failed"] is False and busy["done"]["changed"] is True, busy["done"]
    assert busy["done"]["timings"]["info"] >= 0.5, "the busy book page was retried until the device was free"
    assert [e["name"] for e in book(busy["s_end"], "address_list_1")] == ["Reception"]

    restricted = results(tmp_path, "restricted")
    assert restricted["refused"]["error_code"] == "feature_restricted", restricted["refused"]
    assert "restart_if_required" in restricted["refused"]["hint"]
    assert restricted["check"]["would_restart"] is True and restricted["check"]["changed"] is True
    done = restricted["done"]
    assert done["failed"] is False and done["restarted"] is True and done["changed"] is True, done
    assert done["timings"]["restart"] >= 1.0, "the device was down for its restart time"
    assert any("stays off" in warning for warning in done["warnings"])
    assert restricted["s_end"]["restricted"] is False and restricted["s_end"]["receive_restricted"] is False
    assert [e["name"] for e in book(restricted["s_end"], "address_list_1")] == ["Reception"]
    assert "canon_admin" not in json.dumps(done)
