"""A bulk capture writer run as its own process by test_data_safety.py (so it can be killed -9):
``python -m tests.faults.store_writer <path-or-dsn> <first serial> <devices> <counters> <batches> <when>``
writes ``devices`` captures of ``counters`` readings in ``batches`` transactions, as canon_counters does."""

from __future__ import annotations

import sys

from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore


def captures(first: int, devices: int, counters: int, when: str):
    return [{"serial": "SAFE%05d" % (first + d), "model": "iR-ADV C5535", "captured_at": when,
             "counters": [{"id": 100 + c, "value": 1000 * d + c} for c in range(counters)]}
            for d in range(devices)]


def main(argv):
    where, first, devices, counters, batches, when = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), \
        int(argv[4]), argv[5]
    kind = {"dsn": where} if "=" in where or where.startswith("postgres") else {"path": where}
    items = captures(first, devices, counters, when)
    size = max(1, -(-len(items) // batches))
    with CounterStore(**kind) as store:
        for start in range(0, len(items), size):
            store.record_captures(items[start:start + size])
    print("DONE")


if __name__ == "__main__":
    main(sys.argv[1:])
