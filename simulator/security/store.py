"""Per-device security state of the simulated printers: policy, key/certificate store, audit facts.

Policy (EMC guide part D §8): the 45 items (ticked or not, with a setting for the int items), the
policy password (none or set), type I (editable on the panel) or II (view-only on the panel, the
password settable only remotely), and the Policy Change Count, which grows by the number of items in
the policy on every overwrite whether a value changed or not -- 0 on models that cannot report it.
An injectable concurrent-task failure refuses the next overwrite.

Keys and certificates (§7): CA certificates by SHA-256 fingerprint, key pairs by name with a usage
list (one key per usage on the device); factory-default entries and expired certificates cannot be
managed, in-use entries (a key holding a usage, a CA certificate marked in use) cannot be deleted;
keys arrive as PKCS#12 with their password. Parsing uses ``cryptography``.

Device spec ``security:`` keys: SPEC_KEYS below. Control API: GET/POST /devices/<address>/security.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from . import items as table

SPEC_KEYS = ("policy_type", "policy_password", "change_count_supported", "policy", "change_count", "inject",
             "certificates", "keys", "snmpv1_write", "http_tls_redirect", "tls_minimum", "sms_default_password")
COUNTER_KEYS = ("policy_reads", "policy_logins", "policy_login_failures", "policy_writes", "policy_writes_refused",
                "password_changes", "password_refusals", "cert_reads", "cert_adds", "cert_deletes",
                "cert_refusals", "info_reads", "imports")
DEFAULT_PIN = "7654321"
DEFAULT_SMS_PASSWORD = "MeapSmsLogin"


class SecurityError(Exception):
    """reason: a stable code the page answers with (the client maps it to its error codes)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_certificate(subject: str, days_left: float, issuer: Optional[str] = None) -> Tuple[Any, x509.Certificate]:
    """A self-signed (or nominally issued) EC certificate expiring in ``days_left`` days."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = now + datetime.timedelta(days=days_left)
    not_before = min(now - datetime.timedelta(days=1), not_after - datetime.timedelta(days=1))
    cert = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer or subject))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after).sign(key, hashes.SHA256()))
    return key, cert


def describe_cert(cert: x509.Certificate) -> Dict[str, Any]:
    not_after = cert.not_valid_after_utc
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "signature_algorithm": cert.signature_algorithm_oid._name,
            "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}


def load_any_certificate(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise SecurityError("invalid_certificate", "The certificate file is incorrect.") from None


class SecurityStore:
    """One device's policy, key/certificate store and audit facts."""

    def __init__(self, device: Any) -> None:
        self.device = device
        spec = dict((device.extensions.get("spec") or {}).get("security") or {})
        unknown = sorted(set(spec).difference(SPEC_KEYS))
        if unknown:
            raise ValueError("%s: unknown security key(s) %s (known: %s)" % (
                device.address, ", ".join(unknown), ", ".join(SPEC_KEYS)))
        self.policy_type = str(spec.get("policy_type", "I"))
        if self.policy_type not in ("I", "II"):
            raise ValueError("%s: security.policy_type must be I or II" % device.address)
        self.password = str(spec.get("policy_password") or "")
        self.count_supported = bool(spec.get("change_count_supported", True))
        self.change_count = int(spec.get("change_count", 0)) if self.count_supported else 0
        self.inject: Optional[str] = spec.get("inject")
        self.policy: Dict[str, Any] = {label: False for label, _k in table.ITEMS}
        by_name = {label: label for label, _k in table.ITEMS}
        for label, value in (spec.get("policy") or {}).items():
            if label not in by_name:
                raise ValueError("%s: unknown security policy item %r" % (device.address, label))
            self.policy[label] = value
        self.facts = {"snmpv1_write": bool(spec.get("snmpv1_write", False)),
                      "http_tls_redirect": bool(spec.get("http_tls_redirect", True)),
                      "tls_minimum": str(spec.get("tls_minimum", "1.2")),
                      "sms_default_password": spec.get("sms_default_password")}
        self.counters = {key: 0 for key in COUNTER_KEYS}
        self.log: List[Dict[str, Any]] = []
        self.policy_sessions: set = set()
        self.cas: Dict[str, Dict[str, Any]] = {}
        self.keys: Dict[str, Dict[str, Any]] = {}
        _key, cert = make_certificate("Canon Factory CA %s" % device.serial, 3650)
        self._add_ca(cert, default=True)
        _key, cert = make_certificate(device.address, 3650)
        self.keys["Default Key"] = dict(describe_cert(cert), name="Default Key", usage=["tls"], default=True)
        for entry in spec.get("certificates") or []:
            _key, cert = make_certificate(entry.get("subject", "Seeded CA"), float(entry.get("days_left", 365)))
            self._add_ca(cert, default=bool(entry.get("default", False)), in_use=bool(entry.get("in_use", False)))
        for entry in spec.get("keys") or []:
            _key, cert = make_certificate(entry.get("subject", entry["name"]), float(entry.get("days_left", 365)))
            usage = list(entry.get("usage") or [])
            for other in self.keys.values():
                other["usage"] = [u for u in other["usage"] if u not in usage]
            self.keys[entry["name"]] = dict(describe_cert(cert), name=entry["name"], usage=usage, default=False)

    # ------------------------------------------------------------------ log ---------------------
    def note(self, op: str, **details: Any) -> None:
        self.log.append(dict(op=op, at=_now().strftime("%H:%M:%S.%f"), **details))
        del self.log[:-500]

    # ------------------------------------------------------------------ policy ------------------
    def policy_login(self, sid: str, password: str) -> None:
        self.counters["policy_logins"] += 1
        if password != self.password:
            self.counters["policy_login_failures"] += 1
            self.note("policy_login", ok=False)
            raise SecurityError("policy_password_mismatch", "The security policy password is incorrect.")
        self.policy_sessions.add(sid)
        self.note("policy_login", ok=True)

    def policy_open(self, sid: str) -> bool:
        return not self.password or sid in self.policy_sessions

    def overwrite(self, values: Dict[str, Any], source: str = "remote_ui") -> None:
        """The whole policy overwritten: the count grows by the item count whatever changed."""
        if self.inject == "concurrent_task":
            self.inject = None
            self.counters["policy_writes_refused"] += 1
            self.note("policy_write", ok=False, reason="concurrent_task")
            raise SecurityError("concurrent_task", "Another task is running. The security policy was not changed.")
        for label, value in values.items():
            if label in self.policy:
                self.policy[label] = value
        if self.count_supported:
            self.change_count += len(self.policy)
        self.counters["policy_writes"] += 1
        self.note("policy_write", ok=True, source=source)

    def change_password(self, current: str, new: str, confirm: str) -> None:
        if current != self.password:
            self.counters["password_refusals"] += 1
            self.note("policy_password", ok=False)
            raise SecurityError("policy_password_mismatch", "The current password is incorrect.")
        if new != confirm:
            self.counters["password_refusals"] += 1
            raise SecurityError("policy_password_confirm", "The new password and its confirmation differ.")
        if not new and any(self.policy.get(label) not in (False, None) for label in table.PASSWORD_SETTINGS):
            self.counters["password_refusals"] += 1
            raise SecurityError("policy_password_restricted",
                                "The password cannot be cleared while [Password Settings Policy] items are set.")
        self.password = new
        self.policy_sessions.clear()
        self.counters["password_changes"] += 1
        self.note("policy_password", ok=True, cleared=not new)

    # ------------------------------------------------------------------ keys/certs --------------
    def _add_ca(self, cert: x509.Certificate, default: bool = False, in_use: bool = False) -> Dict[str, Any]:
        entry = dict(describe_cert(cert), default=default, in_use=in_use)
        self.cas[entry["fingerprint"]] = entry
        return entry

    def entries(self) -> Dict[str, List[Dict[str, Any]]]:
        now = _now().strftime("%Y-%m-%dT%H:%M:%SZ")
        cas = [dict(e, expired=e["not_after"] < now) for e in self.cas.values()]
        keys = [dict(e, usage=list(e["usage"]), in_use=bool(e["usage"]), expired=e["not_after"] < now)
                for e in self.keys.values()]
        return {"certificates": cas, "keys": keys}

    def add_ca(self, data: bytes) -> Dict[str, Any]:
        cert = load_any_certificate(data)
        if cert.not_valid_after_utc < _now():
            raise SecurityError("expired_certificate", "Expired certificates cannot be registered.")
        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        if fingerprint in self.cas:
            raise SecurityError("certificate_exists", "The certificate is already registered.")
        self.counters["cert_adds"] += 1
        self.note("cert_add", kind="ca", fingerprint=fingerprint)
        return self._add_ca(cert)

    def add_key(self, data: bytes, password: str, name: str, usage: List[str], take_usage: bool) -> Dict[str, Any]:
        try:
            _key, cert, _extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
        except ValueError:
            raise SecurityError("invalid_pkcs12_password", "The PKCS#12 file or its password is incorrect.") from None
        if cert is None:
            raise SecurityError("invalid_certificate", "The PKCS#12 file holds no certificate.")
        if cert.not_valid_after_utc < _now():
            raise SecurityError("expired_certificate", "Expired certificates cannot be registered.")
        if not name or len(name) > 24:
            raise SecurityError("invalid_key_name", "The key name must be 1-24 characters.")
        if name in self.keys:
            raise SecurityError("key_exists", "A key with this name is already registered.")
        held = [(u, other["name"]) for other in self.keys.values() for u in other["usage"] if u in usage]
        if held and not take_usage:
            raise SecurityError("usage_conflict", "Only one key of a particular type can be registered: %s is "
                                "held by %s." % (held[0][0], held[0][1]))
        for other in self.keys.values():
            other["usage"] = [u for u in other["usage"] if u not in usage]
        self.keys[name] = dict(describe_cert(cert), name=name, usage=list(usage), default=False)
        self.counters["cert_adds"] += 1
        self.note("cert_add", kind="key", name=name, usage=list(usage))
        return self.keys[name]

    def delete(self, kind: str, ident: str) -> None:
        entry = (self.cas if kind == "ca" else self.keys).get(ident)
        if entry is None:
            raise SecurityError("not_found", "The key or certificate is not registered.")
        if entry.get("default"):
            raise SecurityError("default_protected", "Keys and certificates installed by default cannot be deleted.")
        if entry.get("in_use") or (kind == "key" and entry["usage"]):
            raise SecurityError("in_use", "The key or certificate is in use and cannot be deleted.")
        (self.cas if kind == "ca" else self.keys).pop(ident)
        self.counters["cert_deletes"] += 1
        self.note("cert_delete", kind=kind, id=ident)

    # ------------------------------------------------------------------ audit facts -------------
    def audit_facts(self) -> Dict[str, Any]:
        rui = self.device.extensions.get("remote_ui")
        pin = getattr(rui, "system_manager_pin", DEFAULT_PIN)
        sms_default = self.facts["sms_default_password"]
        if sms_default is None:
            sms = self.device.extensions.get("sms")
            sms_default = bool(sms) and getattr(sms, "platform", "none") != "none" and \
                getattr(sms, "password", "") == DEFAULT_SMS_PASSWORD
        return {"system_manager_pin_default": pin == DEFAULT_PIN, "sms_password_default": bool(sms_default),
                "snmpv1_write": self.facts["snmpv1_write"], "http_tls_redirect": self.facts["http_tls_redirect"],
                "tls_minimum": self.facts["tls_minimum"], "policy_type": self.policy_type,
                "policy_password_set": bool(self.password)}

    # ------------------------------------------------------------------ control -----------------
    def describe(self) -> Dict[str, Any]:
        return {"policy_type": self.policy_type, "policy_password_set": bool(self.password),
                "change_count": self.change_count, "change_count_supported": self.count_supported,
                "policy": dict(self.policy), "inject": self.inject, "counters": dict(self.counters),
                "log": list(self.log), "facts": self.audit_facts(), **self.entries()}

    def control(self, body: Dict[str, Any]) -> None:
        """Control API: inject, facts, panel edits (type I only), counters reset."""
        if "inject" in body:
            self.inject = body["inject"]
        for key in ("snmpv1_write", "http_tls_redirect", "tls_minimum", "sms_default_password"):
            if key in body:
                self.facts[key] = body[key]
        if "panel_policy" in body:       # as the device panel would: type II shows the policy read-only
            if self.policy_type != "I":
                raise ValueError("type II devices show the security policy read-only on the panel")
            for label, value in body["panel_policy"].items():
                if label not in self.policy:
                    raise ValueError("unknown security policy item %r" % label)
                self.policy[label] = value
        if "panel_password" in body:
            raise ValueError("the security policy password can be set only from the Remote UI")
        if body.get("reset_counters"):
            self.counters = {key: 0 for key in COUNTER_KEYS}
            self.log.clear()

    # ------------------------------------------------------------------ settings category -------
    def category_values(self) -> Dict[str, Any]:
        return {"security_policy.password": self.password,
                "security_policy.items": ["%s=%s" % (label, encode(value)) for label, value in self.policy.items()]}

    def import_values(self, values: Dict[str, Any]) -> None:
        if "security_policy.password" in values and not self.password:
            self.password = str(values["security_policy.password"] or "")
        if "security_policy.items" in values:
            parsed = {}
            for entry in values["security_policy.items"] or []:
                label, _sep, raw = str(entry).rpartition("=")
                if label in self.policy:
                    parsed[label] = decode(raw)
            self.counters["imports"] += 1
            self.overwrite(parsed, source="import")


def encode(value: Any) -> str:
    if value is True:
        return "on"
    if value in (False, None):
        return "off"
    return str(int(value))


def decode(raw: str) -> Any:
    raw = (raw or "").strip()
    if raw == "on":
        return True
    if raw in ("off", ""):
        return False
    return int(raw) if raw.isdigit() else False


def store_for(device: Any) -> SecurityStore:
    store = device.extensions.get("security")
    if store is None:
        store = device.extensions["security"] = SecurityStore(device)
    return store


def fingerprint_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
