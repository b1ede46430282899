# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_certificate runs through the collection's device action plugin: connection options from host variables.

One file per device module (not a plugin_routing redirect), so every action plugin has the module of its
name that documents it (ansible-test sanity action-plugin-docs) and documentation tools do not take the
module for a redirect. The behaviour lives in canon_device.py, documented by M(printfleet.canon.canon_device).
"""

from __future__ import annotations

from ansible_collections.printfleet.canon.plugins.action.canon_device import ActionModule as DeviceActionModule


class ActionModule(DeviceActionModule):
    """The device action plugin, under the module's name."""
