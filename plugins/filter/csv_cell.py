# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``printfleet.canon.csv_cell`` filter: one CSV cell, formula-guarded exactly as the counter reports.

Why a filter: playbooks that write CSV with templates (playbooks/discover.yml) must neutralise device
strings the same way the modules' reports do, with the one helper in core/report_book.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: csv_cell
short_description: One CSV cell, quoted and formula-guarded as the collection's reports
version_added: 1.0.0
author: printfleet.canon maintainers
description:
  - Returns the value as a double-quoted CSV cell (inner quotes doubled). A text starting with C(=), C(+),
    C(-), C(@), TAB or CR gets a leading TAB, so a spreadsheet never evaluates it (EMC's rule; the same helper
    as M(printfleet.canon.canon_counter_report)). V(null) becomes an empty cell.
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: A device table row
  ansible.builtin.debug:
    msg: "{{ canon_location | printfleet.canon.csv_cell }},{{ canon_model | printfleet.canon.csv_cell }}"
"""

RETURN = r"""
_value:
  description: The quoted, neutralised cell.
  type: str
  sample: '"	=1+1"'
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.report_book import neutralise_csv


def csv_cell(value):
    text = "" if value is None else str(value)
    return '"%s"' % neutralise_csv(text.replace("\x00", "\ufffd")).replace('"', '""')


class FilterModule(object):
    def filters(self):
        return {"csv_cell": csv_cell}
