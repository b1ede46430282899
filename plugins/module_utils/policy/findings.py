# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security findings of a fleet audit: stable ids, severities and fix hints naming the device menu.

Why stable ids: reports are compared run to run and notifications go out only for findings not seen
before, so a finding is (host, id[, subject]) and its wording may change without re-notifying.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, NamedTuple, Optional

SEVERITIES = ("high", "medium", "low")


class Rule(NamedTuple):
    id: str
    severity: str
    title: str
    fix: str


RULES: Dict[str, Rule] = {r.id: r for r in (
    Rule("default_admin_pin", "high", "Remote UI System Manager ID/PIN is the factory default",
         "Settings/Registration > Management Settings > User Management > System Manager Information Settings: "
         "set a new System Manager ID and PIN"),
    Rule("sms_default_password", "medium", "MEAP SMS password is the default",
         "SMS (Service Management Service, http(s)://<device>:8000/sms/) > Password Settings: change the password"),
    Rule("snmpv1_write", "high", "SNMPv1 community with write access",
         "Settings/Registration > Preferences > Network > SNMP Settings: untick Use SNMPv1 or make its "
         "communities read-only (prefer SNMPv3)"),
    Rule("http_without_tls", "medium", "Remote UI answers over HTTP without redirecting to TLS",
         "Settings/Registration > Management Settings > License/Other > Remote UI Settings: turn on Use TLS"),
    Rule("tls_below_1_2", "medium", "TLS versions below 1.2 are allowed",
         "Settings/Registration > Preferences > Network > TCP/IP Settings > TLS Settings: set the minimum "
         "version to TLS 1.2"),
    Rule("cert_expired", "high", "A key or CA certificate has expired",
         "Settings/Registration > Management Settings > Device Management > Key and Certificate Settings: "
         "replace it (canon_certificate replace: true)"),
    Rule("cert_expires_30d", "medium", "A key or CA certificate expires soon",
         "Settings/Registration > Management Settings > Device Management > Key and Certificate Settings: "
         "renew it before it expires (canon_certificate)"),
    Rule("policy_drift", "medium", "Security policy items differ from the baseline",
         "Settings/Registration > Security Settings > Security Policy Settings (or run the audit with "
         "security_hardening_enforce: true)"),
    Rule("audit_failed", "low", "The device could not be audited",
         "Check the connection and credentials (canon_rui_*, canon_policy_password) for this device"),
)}


def _finding(rule_id: str, host: str, address: str, detail: str, subject: str = "") -> Dict[str, Any]:
    rule = RULES[rule_id]
    return {"host": host, "address": address, "id": rule.id, "severity": rule.severity, "title": rule.title,
            "subject": subject, "detail": detail, "fix": rule.fix}


def _tls_below(version: Any) -> bool:
    try:
        major, minor = (int(x) for x in str(version).split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < (1, 2)


def host_findings(host: str, data: Mapping[str, Any], expiring_days: int = 30) -> List[Dict[str, Any]]:
    """Findings of one host from its canon_security_policy (audited) and canon_certificate (gathered) results."""
    address = str(data.get("address") or "")
    out: List[Dict[str, Any]] = []
    policy = data.get("policy") or {}
    certs = data.get("certificates") or {}
    for name, result in (("security policy", policy), ("certificates", certs)):
        if result.get("failed") or result.get("error_code") or result.get("unreachable"):
            reason = result.get("error_code") or result.get("msg") or "failed"
            out.append(_finding("audit_failed", host, address, "%s: %s" % (name, reason), name))
    facts = policy.get("security_facts") or {}
    if facts.get("system_manager_pin_default"):
        out.append(_finding("default_admin_pin", host, address, "System Manager ID/PIN 7654321"))
    if facts.get("sms_password_default"):
        out.append(_finding("sms_default_password", host, address, "SMS password is the factory default"))
    if facts.get("snmpv1_write"):
        out.append(_finding("snmpv1_write", host, address, "an SNMPv1 community can write"))
    if facts.get("http_tls_redirect") is False:
        out.append(_finding("http_without_tls", host, address, "HTTP is served without a redirect to HTTPS"))
    if facts.get("tls_minimum") and _tls_below(facts["tls_minimum"]):
        out.append(_finding("tls_below_1_2", host, address, "minimum TLS version %s" % facts["tls_minimum"]))
    drift = [name for name, r in (policy.get("compliance") or {}).items() if not r.get("compliant")]
    if drift:
        out.append(_finding("policy_drift", host, address, "%d item(s): %s" % (len(drift), ", ".join(drift))))
    gathered = certs.get("gathered") or {}
    for kind in ("keys", "certificates"):
        for entry in gathered.get(kind) or []:
            days = entry.get("days_left")
            if days is None:
                continue
            label = entry.get("name") or entry.get("subject") or ""
            if days < 0:
                out.append(_finding("cert_expired", host, address, "%s expired %s" % (label, entry.get("not_after")),
                                    label))
            elif days <= expiring_days:
                out.append(_finding("cert_expires_30d", host, address, "%s expires %s (%d days)"
                                    % (label, entry.get("not_after"), days), label))
    return out


def fleet_findings(results: Mapping[str, Mapping[str, Any]], expiring_days: int = 30) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    for host in sorted(results):
        rows.extend(host_findings(host, results[host], expiring_days))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rows, key=lambda r: (order[r["severity"]], r["host"], r["id"], r["subject"]))


def key(finding: Mapping[str, Any]) -> str:
    """The identity a finding keeps from run to run (notified once)."""
    return "%s|%s|%s" % (finding["host"], finding["id"], finding.get("subject") or "")


def summary(findings: List[Mapping[str, Any]], hosts: List[str],
            addresses: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """One row per device (findings per severity), then an "All devices" total row."""
    rows = []
    for host in sorted(hosts):
        mine = [f for f in findings if f["host"] == host]
        row: Dict[str, Any] = {"host": host, "address": (addresses or {}).get(host, "")}
        row.update({s: sum(1 for f in mine if f["severity"] == s) for s in SEVERITIES})
        row["total"] = len(mine)
        rows.append(row)
    total: Dict[str, Any] = {"host": "All devices", "address": ""}
    total.update({s: sum(r[s] for r in rows) for s in SEVERITIES})
    total["total"] = sum(r["total"] for r in rows)
    rows.append(total)
    return rows


def fingerprint(findings: List[Mapping[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(sorted(key(f) for f in findings)).encode()).hexdigest()[:16]
