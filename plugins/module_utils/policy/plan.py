# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the declared policy items with the device's: per-item compliance and the writes.

Why push only on a difference: every overwrite adds the number of items in the policy to the
device's Policy Change Count, whether or not a value changed (EMC guide §8.5), so a needless push is
visible in the device's audit trail.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.printfleet.canon.plugins.module_utils.policy import items as table

UNTICK_NOTE = ("unticking an item unlocks its setting but does not restore the value it had before the policy "
               "(Canon); set the setting itself if it must change")


def compliance(wanted: Dict[str, Any], device: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """{name: {compliant, device_value, wanted}} for the declared items, in table order."""
    out: Dict[str, Dict[str, Any]] = {}
    for item in table.ITEMS:
        if item.name in wanted:
            have = device.get(item.name)
            out[item.name] = {"compliant": have == wanted[item.name], "device_value": have,
                              "wanted": wanted[item.name], "label": item.label}
    return out


def differences(report: Dict[str, Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"item": name, "expected": r["wanted"], "actual": r["device_value"], "label": r["label"]}
            for name, r in report.items() if not r["compliant"]]


def full_policy(wanted: Dict[str, Any], device: Dict[str, Any]) -> Dict[str, Any]:
    """What the overwrite posts: declared items as wanted, every other item as the device holds it."""
    merged = dict(device)
    merged.update(wanted)
    return merged


def untick_notes(diffs: List[Dict[str, Any]]) -> List[str]:
    return ["%s: %s" % (d["item"], UNTICK_NOTE) for d in diffs if d["expected"] is False]
