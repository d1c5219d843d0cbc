"""TLS settings: Mesos's LIBPROCESS_SSL_* variables, the daemons' --ssl_* flags over them, and
one clear error for settings that cannot work."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from daemons.common import tls
from daemons.master.main import flag_set as master_flags
from mesos_tui.localca import local_tls


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tls.TlsConfig:
    return local_tls(tmp_path_factory.mktemp("tls"))


def test_environment_is_read_as_mesos_names_it() -> None:
    env = {
        "LIBPROCESS_SSL_ENABLED": "1", "LIBPROCESS_SSL_CERT_FILE": "c.pem",
        "LIBPROCESS_SSL_KEY_FILE": "k.pem", "LIBPROCESS_SSL_CA_FILE": "ca.pem",
        "LIBPROCESS_SSL_CA_DIR": "/etc/ssl/mesos", "LIBPROCESS_SSL_VERIFY_CERT": "true",
        "LIBPROCESS_SSL_REQUIRE_CERT": "false", "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "True",
    }
    assert tls.from_env(env) == tls.TlsConfig(
        enabled=True, cert_file="c.pem", key_file="k.pem", ca_file="ca.pem",
        ca_dir="/etc/ssl/mesos", verify_cert=True, require_cert=False, support_downgrade=True,
    )
    assert tls.from_env({}) == tls.TlsConfig()
    # Mesos's pre-1.0 SSL_* names are not read: SSL_CERT_FILE is OpenSSL's own variable.
    assert tls.from_env({"SSL_ENABLED": "true", "SSL_CERT_FILE": "x"}) == tls.TlsConfig()


def test_a_bad_boolean_names_the_variable() -> None:
    with pytest.raises(tls.TlsError, match=r"LIBPROCESS_SSL_ENABLED='maybe' is not true or false"):
        tls.from_env({"LIBPROCESS_SSL_ENABLED": "maybe"})


def test_flags_win_over_mesos_env_over_libprocess_env() -> None:
    env = {"LIBPROCESS_SSL_ENABLED": "true", "LIBPROCESS_SSL_CA_FILE": "from-libprocess.pem",
           "LIBPROCESS_SSL_KEY_FILE": "k.pem"}
    fs = master_flags()
    ns = fs.parse(["--ssl_ca_file", "from-flag.pem", "--no-ssl_enabled"], env={"MESOS_SSL_KEY_FILE": "m.pem"})
    settings = tls.from_flags(ns, env)
    assert settings.ca_file == "from-flag.pem"  # the command line
    assert settings.key_file == "m.pem"  # MESOS_SSL_* (a flag's environment spelling)
    assert settings.enabled is False  # --no-ssl_enabled over LIBPROCESS_SSL_ENABLED
    unset = tls.from_flags(fs.parse([], env={}), env)
    assert unset.enabled and unset.ca_file == "from-libprocess.pem"


def test_env_of_round_trips(ca: tls.TlsConfig) -> None:
    settings = tls.TlsConfig(enabled=True, cert_file=ca.cert_file, key_file=ca.key_file,
                             ca_file=ca.ca_file, require_cert=True, support_downgrade=True)
    assert tls.from_env(tls.env_of(settings)) == settings
    assert tls.env_of(tls.TlsConfig()) == {"LIBPROCESS_SSL_ENABLED": "false"}


def test_checks_say_what_is_wrong(tmp_path: Path, ca: tls.TlsConfig) -> None:
    tls.check(tls.TlsConfig(), server=True)  # off: nothing to check
    with pytest.raises(tls.TlsError, match="LIBPROCESS_SSL_CERT_FILE .*--ssl_cert_file.* is not set"):
        tls.check(tls.TlsConfig(enabled=True), server=True)
    tls.check(tls.TlsConfig(enabled=True), server=False)  # a client may use the system's CAs
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(tls.TlsError, match=r"LIBPROCESS_SSL_CA_FILE '.*missing.pem' does not exist"):
        tls.check(tls.TlsConfig(enabled=True, ca_file=missing), server=False)
    with pytest.raises(tls.TlsError, match="go together"):
        tls.check(tls.TlsConfig(enabled=True, cert_file=ca.cert_file), server=False)
    # A key that is not the certificate's: at start-up, not at the first handshake.
    with pytest.raises(tls.TlsError, match="cannot use LIBPROCESS_SSL_CERT_FILE"):
        tls.check(tls.TlsConfig(enabled=True, cert_file=ca.cert_file, key_file=str(Path(ca.ca_file).with_name("ca.key"))), server=True)
    with pytest.raises(tls.TlsError, match="needs LIBPROCESS_SSL_CA_FILE"):
        tls.check(tls.TlsConfig(enabled=True, cert_file=ca.cert_file, key_file=ca.key_file, require_cert=True), server=True)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(tls.TlsError, match="cannot use LIBPROCESS_SSL_CA_FILE"):
        tls.check(tls.TlsConfig(enabled=True, ca_file=str(garbage)), server=False)


def test_contexts(ca: tls.TlsConfig) -> None:
    server = tls.server_context(ca)
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2
    assert server.verify_mode == ssl.CERT_NONE
    assert tls.server_context(tls.TlsConfig(**{**_fields(ca), "verify_cert": True})).verify_mode == ssl.CERT_OPTIONAL
    # REQUIRE_CERT overrides VERIFY_CERT, as in Mesos.
    required = tls.TlsConfig(**{**_fields(ca), "verify_cert": False, "require_cert": True})
    assert tls.server_context(required).verify_mode == ssl.CERT_REQUIRED
    client = tls.client_context(tls.TlsConfig(enabled=True, ca_file=ca.ca_file))
    assert client.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    assert tls.TlsConfig(enabled=True).scheme == "https" and tls.TlsConfig().scheme == "http"


def test_ca_dir_is_read_for_grpc(tmp_path: Path, ca: tls.TlsConfig) -> None:
    (tmp_path / "ca.pem").write_bytes(Path(ca.ca_file).read_bytes())
    (tmp_path / "README").write_text("not a certificate")
    roots, key, chain = tls._pem(tls.TlsConfig(enabled=True, ca_dir=str(tmp_path)))
    assert roots is not None and roots.strip() == Path(ca.ca_file).read_bytes().strip()
    assert key is None and chain is None


def test_local_ca_is_made_once_with_private_keys_private(tmp_path: Path) -> None:
    first = local_tls(tmp_path)
    made = Path(first.ca_file).read_bytes()
    for name in ("ca.key", "server.key"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0
    again = local_tls(tmp_path)
    assert again == first and Path(again.ca_file).read_bytes() == made
    tls.check(first, server=True)  # the key is the certificate's


def _fields(config: tls.TlsConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in tls.NAMES}


def test_refusals_are_logged_once_a_minute_per_client_host(caplog: pytest.LogCaptureFixture) -> None:
    from daemons.common.acceptor import SharedPort

    port = SharedPort(lambda: None, "127.0.0.1", 1)  # type: ignore[arg-type,return-value]
    with caplog.at_level("WARNING", logger="mesos.acceptor"):
        for source in range(40000, 40010):  # one client retrying from new source ports
            port.log_refusal(f"ipv4:10.0.0.7:{source}", "it speaks plain text")
        port.log_refusal("ipv4:10.0.0.8:40000", "it speaks plain text")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Refused a connection from ipv4:10.0.0.7:40000: it speaks plain text",
        "Refused a connection from ipv4:10.0.0.8:40000: it speaks plain text",
    ]


def test_a_key_others_can_read_is_warned_about(tmp_path: Path, ca: tls.TlsConfig) -> None:
    assert tls.key_warning(ca) is None  # written 0600
    loose = tmp_path / "loose.key"
    loose.write_bytes(Path(ca.key_file).read_bytes())
    loose.chmod(0o644)
    settings = tls.TlsConfig(enabled=True, cert_file=ca.cert_file, key_file=str(loose))
    warning = tls.key_warning(settings)
    assert warning is not None and "mode 0644" in warning and "chmod 600" in warning
