# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # MEAP SMS (Service Management Service) connection options (plugins/module_utils/meap/spec.py CONNECTION_SPEC).
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Address or DNS name of the device. Filled from C(ansible_host) by the action plugin when the task omits it.
    type: str
    required: true
  sms_password:
    description:
      - The device's SMS (Service Management Service) password. Filled from the host variable C(canon_sms_password),
        else the environment variable E(PRINTFLEET_SMS_PASSWORD).
      - Sent once per run; a refused password fails with C(sms_auth_failed) and is never retried.
      - The factory default C(MeapSmsLogin) is refused (C(sms_default_password)) unless O(allow_default_password=true).
    type: str
  allow_default_password:
    description:
      - Allow logging in with the factory default SMS password. Devices that do not allow remote use of the default
        password refuse it anyway (C(sms_default_password_refused)); the others show a forced password change, which
        M(printfleet.canon.canon_meap_app) completes with its C(new_sms_password) option (otherwise the run fails
        with C(sms_password_change_required)).
    type: bool
    default: false
  sms_port:
    description: TCP port of SMS. Default 8443 with O(use_https=true), 8000 without (older devices).
    type: int
  use_https:
    description: Talk HTTPS to SMS (port 8443). Filled from C(canon_rui_use_https).
    type: bool
    default: true
  validate_certs:
    description: Verify the device's TLS certificate (against O(ca_path) when given). Filled from C(canon_rui_validate_certs).
    type: bool
    default: true
  ca_path:
    description: CA certificate file or directory to verify the device with. Filled from C(canon_rui_ca_path).
    type: path
  allow_legacy_tls:
    description: Accept TLS 1.0/1.1 for old devices (the minimum is TLS 1.2 otherwise).
    type: bool
    default: false
  sms_timeout:
    description: Seconds to wait for a connection and for each SMS answer.
    type: float
    default: 30.0
  wait_timeout:
    description:
      - Seconds to wait when another SMS session is active (SMS admits one session; a browser closed without
        [Log Out] holds it for 5 minutes). V(0) fails at once with C(sms_session_busy).
    type: float
    default: 0.0
"""
