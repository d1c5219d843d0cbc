"""A private certificate authority for the embedded local cluster (`mesos-tui up`).

`mesos-tui up` runs its cluster with TLS on and needs no set-up: on first use of a directory,
`local_tls(directory)` writes there

    ca.pem, ca.key        a CA made for this cluster alone (valid 30 days)
    server.pem, server.key  a certificate it signed for 127.0.0.1 and localhost

and answers the settings a daemon serves with (certificate, key, CA). The daemons present the
server certificate; the TUI, the shell and the frameworks verify it with `ca.pem` (the
`LIBPROCESS_SSL_CA_FILE` that `mesos-tui up` prints). Private keys are written mode 0600.
Made with the `cryptography` package (ECDSA P-256, SHA-256).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from daemons.common.tls import TlsConfig

VALID_DAYS = 30


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to a new file created with `mode` (a key is never readable by others,
    not even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)


def local_tls(directory: str | os.PathLike[str], hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsConfig:
    """The TLS settings of a local cluster, made in `directory` on first use and reused after."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = {name: root / name for name in ("ca.pem", "ca.key", "server.pem", "server.key")}
    if not all(p.exists() for p in paths.values()):
        _make(paths, hosts)
    return TlsConfig(
        enabled=True,
        cert_file=str(paths["server.pem"]),
        key_file=str(paths["server.key"]),
        ca_file=str(paths["ca.pem"]),
    )


def _make(paths: dict[str, Path], hosts: tuple[str, ...]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mesos-tui local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # The daemons present it as servers, and the agents as clients of the master.
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def private(k: ec.EllipticCurvePrivateKey) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    _write(paths["ca.key"], private(ca_key), 0o600)
    _write(paths["server.key"], private(key), 0o600)
    _write(paths["ca.pem"], ca.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(paths["server.pem"], cert.public_bytes(serialization.Encoding.PEM), 0o644)
