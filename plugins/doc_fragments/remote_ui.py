# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Remote UI (HTTP/HTTPS) options shared by every Remote-UI module (plugins/module_utils/transport/remote_ui.py).
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Address or DNS name of the device.
      - "Modules run on the controller (delegate to C(localhost) or use C(connection: local)), so
        inventory hosts usually pass O(host={{ ansible_host }}), or set it once for the
        C(group/printfleet.canon.canon) action group with C(module_defaults)."
    type: str
    required: true
  rui_flavour:
    description:
      - Which Remote UI the device runs.
      - V(classic) is the imageRUNNER ADVANCE Remote UI on ports 8000 (HTTP) and 8443 (HTTPS).
      - V(portal) is the MF/LBP Remote UI on ports 80 and 443, or 18080 and 18443 on devices with a
        PS print server.
      - V(auto) tries the classic ports first, then the portal ports, and tells the two apart by the
        cookies and login form of the first page. With O(rui_port) set, only that port is tried.
      - A port that answers with the other flavour fails with error code C(rui_port_mismatch).
    type: str
    choices: [auto, classic, portal]
    default: auto
  rui_port:
    description:
      - TCP port of the Remote UI.
      - When omitted, the known ports of O(rui_flavour) are tried in order (the HTTPS port of each
        pair when O(use_https=true), else the HTTP port). A port change on the device takes effect
        only after the device restarts.
    type: int
  use_https:
    description:
      - Talk HTTPS to the Remote UI. Turn off only for devices without a key pair for TLS; the
        login credentials then cross the network in clear text.
    type: bool
    default: true
  validate_certs:
    description:
      - Verify the device's TLS certificate and name (against O(ca_path) when given, else the CA bundle
        of C(certifi) when it is installed, else the system's).
      - Devices ship with self-signed certificates; give their issuing CA with O(ca_path) rather than
        turning this off. A failed verification fails with error code C(rui_tls_cert).
    type: bool
    default: true
  ca_path:
    description:
      - A CA certificate file (PEM) or directory to verify the device's certificate with.
    type: path
  allow_legacy_tls:
    description:
      - Accept TLS 1.0 and 1.1 (at OpenSSL security level 0) for old devices that offer nothing
        newer. Without it the minimum is TLS 1.2, and such a device fails with error code
        C(rui_tls_legacy).
      - Better raise the device's minimum version (Settings/Registration > Preferences > Network >
        TCP/IP Settings > TLS Settings > Specify Allowed Versions).
    type: bool
    default: false
  rui_timeout:
    description: Seconds to wait for a connection and for each answer of the Remote UI.
    type: float
    default: 30.0
  auth_method:
    description:
      - How to log in.
      - V(system_manager) uses O(system_manager_id) and O(system_manager_pin); this is the only
        method Type II and Type III address books accept.
      - V(user) logs in as a user with the Administrator role (O(username), O(password)); the portal
        Remote UI's general-user mode takes the password only.
    type: str
    choices: [system_manager, user]
    default: system_manager
  system_manager_id:
    description:
      - System Manager ID (required with O(auth_method=system_manager)).
      - The factory default is never assumed; devices may forbid logging in with it.
      - Falls back to E(PRINTFLEET_RUI_SYSTEM_MANAGER_ID).
    type: str
  system_manager_pin:
    description:
      - System Manager PIN (required with O(auth_method=system_manager)).
      - Falls back to E(PRINTFLEET_RUI_SYSTEM_MANAGER_PIN).
    type: str
  username:
    description:
      - Remote UI user name (O(auth_method=user)).
      - Falls back to E(PRINTFLEET_RUI_USERNAME).
    type: str
  password:
    description:
      - Remote UI user password (O(auth_method=user)).
      - Falls back to E(PRINTFLEET_RUI_PASSWORD).
    type: str
  busy_retries:
    description:
      - How many times a request the device refuses as busy (address list or Settings/Registration
        open on the control panel, reserved job, report printing, another import or export) is sent
        again before failing with error code C(device_busy).
    type: int
    default: 3
  busy_delay:
    description:
      - Seconds before the first retry of a busy device; the wait doubles with each retry.
    type: float
    default: 2.0
  start_wait:
    description:
      - Seconds to keep trying while the device reports that it is starting up (its login
        application is not ready yet). V(0) fails at once with error code C(device_starting).
    type: float
    default: 0.0
  rui_min_interval:
    description:
      - Minimum seconds between two requests to the device. Public scripts for the MF/LBP portal Remote UI
        keep at least 2 seconds between requests (faster clients are refused); set V(2) for such devices.
        V(0) sends requests as fast as the device answers.
    type: float
    default: 0.0
notes:
  - A failed login is never retried, so a wrong ID or PIN cannot lock the account; the module fails
    with error code C(rui_auth_failed) or C(rui_locked_out).
  - An expired Remote UI session is logged in again once.
  - Proxy and CA settings from the environment (C(HTTPS_PROXY), C(REQUESTS_CA_BUNDLE)) are not used.
  - Secrets (PIN, passwords) are never returned in results or error messages.
"""
