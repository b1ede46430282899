"""TLS material for the simulated Remote UIs: one private CA, one leaf for every device.

Made fresh at every start (EC P-256, a few milliseconds), so no key is ever checked in. The CA
certificate is written to a file whose path goes into the manifest (``ca_cert``): clients verify
the devices with it like with a company CA. Two shared server contexts: ``modern`` (the ssl
module's defaults, TLS 1.2+) and ``legacy`` (TLS 1.0 only, as old devices speak it; the EMC
guide's "The device is communicating with TLS1.0").
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
from typing import Dict, Iterable, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_MODES = ("modern", "legacy")


def legacy_server_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """A server context that accepts TLS 1.0 and nothing newer (needs SECLEVEL=0 on OpenSSL 3)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


class TlsMaterial:
    """CA + leaf certificate on disk and the two server contexts built from them."""

    def __init__(self, addresses: Iterable[str], directory: Optional[str] = None) -> None:
        self._own_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="printfleet-sim-tls-")
        now = datetime.datetime.now(datetime.timezone.utc)
        start = now - datetime.timedelta(days=1)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "printfleet simulator"),
                             x509.NameAttribute(NameOID.COMMON_NAME, "printfleet simulator CA")])
        ca_cert = (x509.CertificateBuilder()
                   .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName("localhost")]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(set(addresses))]
        leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "printfleet simulator"),
                                         x509.NameAttribute(NameOID.COMMON_NAME, "Canon Remote UI (simulated)")]))
                .issuer_name(ca_name).public_key(leaf_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_cert_path = os.path.join(self.directory, "ca.pem")
        self.cert_path = os.path.join(self.directory, "remote-ui.pem")
        self.key_path = os.path.join(self.directory, "remote-ui.key")
        with open(self.ca_cert_path, "wb") as fh:
            fh.write(ca_cert.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_path, "wb") as fh:
            fh.write(leaf.public_bytes(serialization.Encoding.PEM))
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        modern = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        modern.load_cert_chain(self.cert_path, self.key_path)
        self.contexts: Dict[str, ssl.SSLContext] = {
            "modern": modern,
            "legacy": legacy_server_context(self.cert_path, self.key_path),
        }

    def context(self, mode: str) -> ssl.SSLContext:
        return self.contexts[mode]

    def cleanup(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
