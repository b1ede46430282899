# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # SNMP connection options shared by every module (plugins/module_utils/core/connection.py).
    DOCUMENTATION = r"""
requirements:
  - pysnmp >= 7.1.26 (only for SNMPv3, O(snmp_version=3); SNMPv1/v2c need no third-party package)
options:
  host:
    description:
      - Address or DNS name of the device.
      - "Modules run on the controller (delegate to C(localhost) or use C(connection: local)), so
        inventory hosts usually pass O(host={{ ansible_host }}), or set it once for the
        C(group/printfleet.canon.canon) action group with C(module_defaults)."
    type: str
    required: true
  snmp_port:
    description: UDP port of the device's SNMP agent.
    type: int
    default: 161
    aliases: [port]
  snmp_version:
    description:
      - SNMP version. Every Canon device answers SNMPv1; many MF and LBP models answer only
        SNMPv1 and silently ignore SNMPv2c. SNMPv2c walks tables faster (GETBULK).
      - Use V(3) with an SNMPv3 user whose security level is Authentication On/Encryption On.
    type: str
    choices: ['1', '2c', '3']
    default: '1'
  community:
    description:
      - SNMPv1/v2c community. Writes need a community whose MIB access permission is Read/Write.
      - Falls back to the E(PRINTFLEET_SNMP_COMMUNITY) environment variable.
    type: str
    default: public
  v3_user:
    description:
      - SNMPv3 user name (O(snmp_version=3)).
      - Falls back to E(PRINTFLEET_SNMP_USER).
    type: str
  v3_auth_protocol:
    description:
      - SNMPv3 authentication algorithm.
      - Canon devices do not support SHA-224; V(sha224) fails with error code
        C(snmp_auth_protocol_unsupported) before anything is sent.
    type: str
    choices: [none, md5, sha, sha224, sha256, sha384, sha512]
    default: sha256
  v3_auth_password:
    description:
      - SNMPv3 authentication password (at least 8 characters).
      - Falls back to E(PRINTFLEET_SNMP_AUTH_PASSWORD).
    type: str
  v3_priv_protocol:
    description:
      - SNMPv3 privacy (encryption) algorithm.
      - V(aes192) and V(aes256) extend the key as net-snmp's AES192/AES256 do
        (draft-blumenthal-aes-usm); V(aes192c) and V(aes256c) as Cisco's variant.
    type: str
    choices: [none, des, aes, aes192, aes256, aes192c, aes256c]
    default: aes
  v3_priv_password:
    description:
      - SNMPv3 privacy password (at least 8 characters).
      - Falls back to E(PRINTFLEET_SNMP_PRIV_PASSWORD).
    type: str
  v3_context:
    description: SNMPv3 context name.
    type: str
    default: ''
  timeout:
    description: Seconds to wait for each SNMP answer.
    type: float
    default: 2.0
  retries:
    description: How many times an unanswered SNMP request is sent again.
    type: int
    default: 1
notes:
  - Secrets (community, SNMPv3 passwords) are never returned in results or diffs.
"""
