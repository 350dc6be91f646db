"""The installation's C2PA signing identity, and signing / reading MP4 manifests with c2pa-python, offline.

C2PA readers refuse a self-signed signer: they want a certificate authority that
issued an end-entity certificate with the ``digitalSignature`` key usage, an
``emailProtection`` or ``documentSigning`` extended key usage and key identifiers.
On first use this module makes such a chain in ``<home>/provenance/`` with
`cryptography` (folder mode 0700, private keys mode 0600):

==================  =====================================================================
``root.pem``        the installation's root CA (30 years); the trust anchor checks use
``root.key``        its private key (P-256), kept to renew the signer
``signer.pem``      the end-entity certificate (10 years) followed by ``root.pem``
``signer.key``      its private key (P-256, PKCS#8)
==================  =====================================================================

**Certificate lifetime.** Offline there is no timestamp authority, and a manifest
without a trusted timestamp stops validating when its signer certificate expires.
So the signer is long-lived (:data:`SIGNER_DAYS`, 10 years) and is renewed from the
root key when less than :data:`RENEW_BEFORE_DAYS` remain; files signed with the old
certificate keep validating until it expires (re-signing stored files is not automated:
:func:`sign_mp4` on the stored bytes does it). The registry recognises a file whatever its
certificate says (file hash, watermark, fingerprints).

**An organisation's own certificate.** Set :data:`ENV_CERT` (PEM: the end-entity
certificate first, then any intermediates), :data:`ENV_KEY` (its PKCS#8 PEM private
key; the file must be mode 0600) and :data:`ENV_TRUST` (PEM: the roots that readers
should trust) — or place files with those roles at ``<home>/provenance/org/signer.pem``,
``org/signer.key`` and ``org/trust.pem``. The generated root stays a trust anchor, so
files signed before the switch still read as signed here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..media import atomic_write_bytes
from ..store import db_file_lock

__all__ = [
    "ENV_CERT",
    "ENV_KEY",
    "ENV_TRUST",
    "RENEW_BEFORE_DAYS",
    "ROOT_DAYS",
    "SIGNER_DAYS",
    "Identity",
    "ManifestReading",
    "identity",
    "provenance_dir",
    "read_manifest",
    "sign_mp4",
]

#: Environment variables naming an organisation's signing certificate chain, private key and trust anchors (PEM files).
ENV_CERT = "SORA_WIDGETS_C2PA_CERT"
ENV_KEY = "SORA_WIDGETS_C2PA_KEY"
ENV_TRUST = "SORA_WIDGETS_C2PA_TRUST"
#: Lifetime of the generated root CA, in days.
ROOT_DAYS = 30 * 365
#: Lifetime of the generated end-entity (signer) certificate, in days (no timestamp authority offline: long-lived).
SIGNER_DAYS = 10 * 365
#: A generated signer certificate with fewer days than this left is renewed from the root key.
RENEW_BEFORE_DAYS = 365
#: The ``documentSigning`` extended key usage (RFC 9336); not yet named in ``cryptography``.
DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"
#: Reading a manifest never leaves this machine: no remote manifests, no OCSP.
OFFLINE_VERIFY = {"remote_manifest_fetch": False, "ocsp_fetch": False}
MP4 = "video/mp4"

_ROOT_PEM, _ROOT_KEY, _SIGNER_PEM, _SIGNER_KEY = "root.pem", "root.key", "signer.pem", "signer.key"
_ORG = "org"


@dataclass(frozen=True)
class Identity:
    """Who signs: a certificate chain, its private key and the anchors readers trust.

    chain_pem : the end-entity certificate first, then intermediates (and possibly the root), PEM.
    key_pem : the end-entity's private key, PKCS#8 PEM.
    trust_pem : every root a reader of our files should trust (generated root + organisation roots), PEM.
    alg : the C2PA signing algorithm of the key ("es256", "es384", "es512", "ps256", "ed25519").
    subject : the signer certificate's subject, e.g. ``"CN=sora-widgets signer,O=…"``.
    not_after : when the signer certificate expires (UTC).
    source : "generated" (made in the home) or "organisation" (``ENV_CERT``/``org/`` files).
    """

    chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    trust_pem: bytes = field(repr=False)
    alg: str
    subject: str
    not_after: dt.datetime
    source: str


@dataclass(frozen=True)
class ManifestReading:
    """What a C2PA reader found in a file.

    state : None (no manifest), "Trusted" (valid and signed under one of our anchors),
        "Valid" (intact but signed by someone we do not trust) or "Invalid".
    manifest : the active manifest (dict) when one was found.
    failures : C2PA failure codes, e.g. ``["assertion.bmffHash.mismatch"]``.
    report : the reader's whole JSON report (all manifests, ingredients, validation).
    """

    state: str | None
    manifest: dict | None = None
    failures: tuple[str, ...] = ()
    report: dict | None = None

    @property
    def found(self) -> bool:
        return self.state is not None


def provenance_dir(home: str | os.PathLike) -> Path:
    """``<home>/provenance`` (mode 0700), created if missing."""
    folder = Path(home).absolute() / "provenance"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


# ---------------------------------------------------------------------------------------- identity
def identity(home: str | os.PathLike, *, now: dt.datetime | None = None) -> Identity:
    """The signing identity of the installation at ``home``, made on first use.

    An organisation's certificate (:data:`ENV_CERT`/:data:`ENV_KEY`, or ``<home>/provenance/org/``)
    wins; otherwise the generated chain is used, created now if missing and renewed when its
    signer has fewer than :data:`RENEW_BEFORE_DAYS` days left. Safe with many processes at once
    (a file lock; the first one creates, the others read).

    Args:
        home (`str | os.PathLike`): the store's home folder.
        now (`datetime`, *optional*): the current time (UTC), for tests of renewal.

    Raises:
        PermissionError: a private key file is readable by others.
        ValueError: an organisation certificate cannot sign C2PA manifests (says why).
    """
    now = now or dt.datetime.now(dt.UTC)
    folder = provenance_dir(home)
    org = _organisation_files(folder)
    generated_root = folder / _ROOT_PEM
    with db_file_lock(folder / "identity", write=True):
        if org is None:
            _ensure_generated(folder, now)
        elif not generated_root.exists():
            generated_root = None
    if org is not None:
        cert, key, trust = org
        anchors = trust.read_bytes() if trust is not None else b""
        if generated_root is not None:
            anchors += generated_root.read_bytes()
        return _load(cert, key, anchors, "organisation")
    return _load(folder / _SIGNER_PEM, folder / _SIGNER_KEY, generated_root.read_bytes(), "generated")


def _organisation_files(folder: Path) -> tuple[Path, Path, Path | None] | None:
    cert, key, trust = os.environ.get(ENV_CERT), os.environ.get(ENV_KEY), os.environ.get(ENV_TRUST)
    if cert or key:
        if not (cert and key):
            raise ValueError(f"set both {ENV_CERT} and {ENV_KEY} (PEM files) to sign with your own certificate")
        return Path(cert), Path(key), Path(trust) if trust else None
    org = folder / _ORG
    if (org / _SIGNER_PEM).exists() and (org / _SIGNER_KEY).exists():
        return org / _SIGNER_PEM, org / _SIGNER_KEY, (org / "trust.pem") if (org / "trust.pem").exists() else None
    return None


def _read_private(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return path.read_bytes()


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data`` atomically; the temp file is made mode 0600 (``mkstemp``), so a key is never readable by
    others, even for a moment; a public file (a certificate) is opened to 0644 afterwards."""
    atomic_write_bytes(path, data)
    if not private:
        os.chmod(path, 0o644)


def _ensure_generated(folder: Path, now: dt.datetime) -> None:
    """Make the root and signer if missing, renew the signer if it expires soon. Caller holds the lock."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    root_pem, root_key = folder / _ROOT_PEM, folder / _ROOT_KEY
    if not (root_pem.exists() and root_key.exists()):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _root_certificate(key, now)
        _write(root_key, _pkcs8(key), private=True)
        _write(root_pem, cert.public_bytes(serialization.Encoding.PEM), private=False)
        for stale in (folder / _SIGNER_PEM, folder / _SIGNER_KEY):
            stale.unlink(missing_ok=True)  # a signer of an older root is no use
    signer_pem = folder / _SIGNER_PEM
    if signer_pem.exists() and (folder / _SIGNER_KEY).exists():
        signer = x509.load_pem_x509_certificates(signer_pem.read_bytes())[0]
        if signer.not_valid_after_utc - now > dt.timedelta(days=RENEW_BEFORE_DAYS):
            return
    root = x509.load_pem_x509_certificate(root_pem.read_bytes())
    issuer_key = serialization.load_pem_private_key(_read_private(root_key), None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _signer_certificate(key, root, issuer_key, now)
    _write(folder / _SIGNER_KEY, _pkcs8(key), private=True)
    _write(signer_pem, cert.public_bytes(serialization.Encoding.PEM) + root_pem.read_bytes(), private=False)


def _pkcs8(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> Any:
    import socket

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sora-widgets"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, socket.gethostname()[:64] or "localhost"),
    ])


def _key_usage(*, sign: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                         crl_sign=not sign, encipher_only=False, decipher_only=False)


def _root_certificate(key: Any, now: dt.datetime) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    name = _name("sora-widgets installation root")
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _signer_certificate(key: Any, root: Any, root_key: Any, now: dt.datetime) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier(DOCUMENT_SIGNING_OID)])
    return (
        x509.CertificateBuilder().subject_name(_name("sora-widgets signer")).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=SIGNER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(eku, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _load(cert_path: Path, key_path: Path, trust_pem: bytes, source: str) -> Identity:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    chain_pem = Path(cert_path).read_bytes()
    key_pem = _read_private(Path(key_path))
    certs = x509.load_pem_x509_certificates(chain_pem)
    signer = certs[0]
    _check_can_sign(signer, cert_path)
    key = serialization.load_pem_private_key(key_pem, None)
    if key.public_key().public_numbers() != signer.public_key().public_numbers():
        raise ValueError(f"{key_path} is not the private key of the certificate in {cert_path}")
    if not trust_pem.strip():
        trust_pem = certs[-1].public_bytes(serialization.Encoding.PEM)  # the chain's last certificate
    return Identity(chain_pem, _pkcs8(key), trust_pem, _alg_of(key), signer.subject.rfc4514_string(),
                    signer.not_valid_after_utc, source)


def _check_can_sign(cert: Any, where: Path) -> None:
    """Refuse, in words, a certificate C2PA readers would refuse."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        ok_usage = usage.digital_signature
    except x509.ExtensionNotFound:
        ok_usage = False
    try:
        ekus = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        ekus = set()
    wanted = {ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier(DOCUMENT_SIGNING_OID)}
    if not ok_usage or not (ekus & wanted):
        raise ValueError(f"the certificate in {where} cannot sign C2PA manifests: it needs the digitalSignature "
                         "key usage and the emailProtection or documentSigning extended key usage")
    if cert.issuer == cert.subject:
        raise ValueError(f"the certificate in {where} is self-signed; C2PA needs one issued by a CA "
                         "(put the CA in the trust file)")


def _alg_of(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ValueError(f"C2PA cannot sign with a {type(key).__name__} key; use P-256, P-384, RSA-PSS or Ed25519")


# ---------------------------------------------------------------------------------------- sign / read
@functools.lru_cache(maxsize=8)
def _context(trust_pem: bytes) -> Any:
    import c2pa

    settings = {"verify": OFFLINE_VERIFY, "trust": {"user_anchors": trust_pem.decode()}}
    return c2pa.Context(settings=c2pa.Settings.from_dict(settings))


def sign_mp4(
    ident: Identity,
    mp4: bytes,
    manifest: dict,
    *,
    parent: tuple[dict, bytes] | None = None,
) -> tuple[bytes, bytes]:
    """Embed a signed C2PA manifest in an MP4 (the pictures and sound are not touched: no re-encode).

    Args:
        ident (`Identity`): who signs (:func:`identity`).
        mp4 (`bytes`): the MP4 file.
        manifest (`dict`): the manifest definition (claim generator, title, assertions) in c2pa-python's JSON form.
        parent (`tuple[dict, bytes]`, *optional*): ``(ingredient definition, parent MP4 bytes)`` for a remix;
            the parent is added as a ``parentOf`` ingredient, its own manifest travelling inside ours.

    Returns:
        `tuple[bytes, bytes]`: the signed MP4 and the manifest store (JUMBF bytes) embedded in it.
    """
    import c2pa

    builder = c2pa.Builder.from_json(json.dumps(manifest), context=_context(ident.trust_pem))
    if parent is not None:
        ingredient, data = parent
        builder.add_ingredient({**ingredient, "relationship": "parentOf"}, MP4, io.BytesIO(data))
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(ident.alg.encode(), ident.chain_pem, ident.key_pem, None))
    try:
        out = io.BytesIO()
        store = builder.sign(signer, MP4, io.BytesIO(mp4), out)
    finally:
        signer.close()
        builder.close()
    return out.getvalue(), bytes(store)


def read_manifest(data: bytes, trust_pem: bytes) -> ManifestReading:
    """Read and validate the C2PA manifest of an MP4 held in memory, offline, with ``trust_pem`` as anchors.

    Args:
        data (`bytes`): the file.
        trust_pem (`bytes`): the roots to trust (``Identity.trust_pem``).

    Returns:
        `ManifestReading`: ``state`` None when the file carries no manifest (or is not a file C2PA reads).
    """
    import c2pa

    try:
        reader = c2pa.Reader.try_create(MP4, io.BytesIO(data), None, _context(trust_pem))
    except c2pa.C2paError:
        return ManifestReading(None)  # not an MP4 C2PA can parse: no evidence from a manifest
    if reader is None:
        return ManifestReading(None)
    try:
        report = json.loads(reader.json())
        state = reader.get_validation_state()
        results = reader.get_validation_results() or {}
        manifest = reader.get_active_manifest()
    finally:
        reader.close()
    failures = tuple(f.get("code", "") for f in (results.get("activeManifest") or {}).get("failure", []))
    return ManifestReading(state, manifest, failures, report)
