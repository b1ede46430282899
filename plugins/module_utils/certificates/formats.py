# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading certificate files locally (PEM/DER, PKCS#12) with ``cryptography``.

Why locally: EMC cannot manage expired certificates and a wrong PKCS#12 password fails on the
device; checking both on the controller refuses the task before a single request reaches a device.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
    HAS_CRYPTOGRAPHY = True
except ImportError:      # pragma: no cover - reported by require()
    HAS_CRYPTOGRAPHY = False


def require() -> None:
    if not HAS_CRYPTOGRAPHY:
        raise CanonError("missing_dependency", "canon_certificate needs the Python package cryptography")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def describe(cert: Any) -> Dict[str, Any]:
    not_after = cert.not_valid_after_utc
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "days_left": days_left(not_after.strftime("%Y-%m-%dT%H:%M:%SZ")),
            "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}


def days_left(not_after: str, now: Optional[datetime.datetime] = None) -> int:
    """Whole days until ``not_after`` (negative once expired)."""
    end = datetime.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int((end - (now or utcnow())).total_seconds() // 86400)


def _not_expired(cert: Any, path: str) -> None:
    if cert.not_valid_after_utc < utcnow():
        raise CanonError("certificate_expired", "%s expired on %s; expired certificates cannot be managed"
                         % (path, cert.not_valid_after_utc.strftime("%Y-%m-%d")))


def load_certificate(data: bytes, path: str) -> Dict[str, Any]:
    """A CA certificate from PEM or DER: its description (refuses unreadable or expired files)."""
    require()
    try:
        cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError:
        raise CanonError("certificate_invalid", "%s is not a PEM or DER X.509 certificate" % path) from None
    _not_expired(cert, path)
    return describe(cert)


def load_pkcs12(data: bytes, passphrase: Optional[str], path: str) -> Dict[str, Any]:
    """A key pair from PKCS#12: its certificate's description (refuses a wrong passphrase or expiry)."""
    require()
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, passphrase.encode() if passphrase else None)
    except ValueError:
        raise CanonError("certificate_bad_passphrase", "%s cannot be opened with the given passphrase (or is not "
                         "PKCS#12)" % path) from None
    if key is None or cert is None:
        raise CanonError("certificate_invalid", "%s holds no key and certificate pair" % path)
    _not_expired(cert, path)
    return describe(cert)
