# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SNMP option values every module and the SNMP client accept.

Here rather than in transport/snmp.py so that a module's argument spec (core/connection.py) does not
load the SNMP client: the web modules (MEAP, address book, settings, policy) take the SNMP block for
the action group and for restarts, and most of their runs never send an SNMP packet.
"""

from __future__ import annotations

SNMP_VERSIONS = ("1", "2c", "3")
AUTH_PROTOCOLS = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_PROTOCOLS = ("none", "des", "aes", "aes192", "aes256", "aes192c", "aes256c")
# Canon devices refuse SHA-224 (EMC 4.1.4 guide, printer prerequisites); refuse it here too,
# before any packet is sent, so the user gets the reason instead of a digest error.
REFUSED_AUTH_PROTOCOLS = ("sha224",)
