"""Outbound HTTP refuses the server's own network (SSRF): real servers on loopback addresses that a request
must not reach unless RUAMCHAT_OUTBOUND_ALLOW lets it, and a record of every TCP connection the client opens."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ruamchat.core import outbound
from ruamchat.core.outbound import OutboundRefused
from tests.fakes.web_server import BODY, RecordingServer

PUBLIC = "93.184.215.14"  # a public address the tests pretend a name resolves to (never really dialled)


@pytest.fixture
def allow(settings: Any) -> Callable[[str], None]:
    """Set RUAMCHAT_OUTBOUND_ALLOW for the test (as the Django setting, which the module reads first)."""

    def set_allowed(value: str) -> None:
        settings.RUAMCHAT_OUTBOUND_ALLOW = value

    return set_allowed


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer("127.0.0.1") as running:
        yield running


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address a TCP connection is opened to (the connections still happen)."""
    real = socket.create_connection
    seen: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append((str(address[0]), int(address[1])))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


def resolve_as(monkeypatch: pytest.MonkeyPatch, name: str, *answers: list[str]) -> list[int]:
    """Make ``name`` resolve to each list of ``answers`` in turn (the last one from then on), as a DNS server
    under an attacker's control would; returns a one-item list counting the look-ups of ``name``."""
    real = socket.getaddrinfo
    asked = [0]

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        addresses = answers[min(asked[0], len(answers) - 1)]
        asked[0] += 1
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port), 0, 0) if ":" in a else (a, int(port))) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def get(url: str, **options: Any) -> httpx.Response:
    with outbound.client(timeout=5, **options) as client:
        return client.get(url)


# ---------------------------------------------------------------- the allow-list


def test_a_server_on_this_machine_is_not_reached_unless_allowed(server: RecordingServer, allow: Any,
                                                                 dialled: list[tuple[str, int]]) -> None:
    allow("")
    with pytest.raises(OutboundRefused) as refused:
        get(server.url + "/hello")
    assert "127.0.0.1 is a loopback address" in str(refused.value)
    assert "add 127.0.0.1 to RUAMCHAT_OUTBOUND_ALLOW" in str(refused.value)
    assert isinstance(refused.value, httpx.TransportError)
    assert dialled == [] and not server.reached


@pytest.mark.parametrize("allowed", ["127.0.0.1", "10.0.0.0/8, 127.0.0.0/8", " 127.0.0.1 ,", "::1,127.0.0.1/32"])
def test_an_allowed_address_is_reached(server: RecordingServer, allow: Any, allowed: str) -> None:
    allow(allowed)
    response = get(server.url + "/hello")
    assert response.status_code == 200 and response.content == BODY
    assert server.requests == ["/hello"]


def test_an_allowed_host_name_is_reached_by_name_only(server: RecordingServer, allow: Any) -> None:
    allow("LocalHost")
    assert get(f"http://localhost:{server.port}/by-name").status_code == 200
    with pytest.raises(OutboundRefused):
        get(server.url + "/by-address")
    assert server.requests == ["/by-name"]


def test_the_allow_list_is_read_at_every_connection(server: RecordingServer, allow: Any) -> None:
    with outbound.client(timeout=5) as client:
        allow("")
        with pytest.raises(OutboundRefused):
            client.get(server.url + "/first")
        allow("127.0.0.1")
        assert client.get(server.url + "/second").status_code == 200
    assert server.requests == ["/second"]


def test_without_the_setting_the_environment_variable_is_read(server: RecordingServer, settings: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(settings, "RUAMCHAT_OUTBOUND_ALLOW"):
        del settings.RUAMCHAT_OUTBOUND_ALLOW
    monkeypatch.setenv("RUAMCHAT_OUTBOUND_ALLOW", "127.0.0.1")
    assert get(server.url + "/allowed").status_code == 200
    monkeypatch.setenv("RUAMCHAT_OUTBOUND_ALLOW", "")
    with pytest.raises(OutboundRefused):
        get(server.url + "/refused")
    assert server.requests == ["/allowed"]


# ---------------------------------------------------------------- names and what they resolve to


def test_localhost_is_refused_by_what_it_resolves_to(server: RecordingServer, allow: Any,
                                                     dialled: list[tuple[str, int]]) -> None:
    allow("")
    with pytest.raises(OutboundRefused) as refused:
        get(f"http://localhost:{server.port}/")
    assert "127.0.0.1 (localhost) is a loopback address" in str(refused.value)
    assert dialled == [] and not server.reached


def test_a_public_looking_name_that_resolves_to_loopback_is_refused(server: RecordingServer, allow: Any,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    dialled: list[tuple[str, int]]) -> None:
    allow("")
    resolve_as(monkeypatch, "shop.example.com", ["127.0.0.1"])
    with pytest.raises(OutboundRefused) as refused:
        get(f"http://shop.example.com:{server.port}/api")
    assert refused.value.host == "shop.example.com" and refused.value.address == "127.0.0.1"
    assert dialled == [] and not server.reached


def test_the_connection_goes_to_the_address_that_was_checked(server: RecordingServer, allow: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers a public address once, then 127.0.0.1. The one look-up that was
    checked is the one connected to (by address, not by name again); the next request is refused."""
    allow("")
    asked = resolve_as(monkeypatch, "rebind.example", [PUBLIC], ["127.0.0.1"])
    real = socket.create_connection
    dialled: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address[0])
        # the "public server" is played by the test server
        target = ("127.0.0.1", server.port) if address[0] == PUBLIC else address
        return real(target, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    assert get(f"http://rebind.example:{server.port}/once").status_code == 200
    assert asked == [1] and dialled == [PUBLIC]
    with pytest.raises(OutboundRefused):
        get(f"http://rebind.example:{server.port}/again")
    assert dialled == [PUBLIC] and server.requests == ["/once"]


def test_of_a_name_with_public_and_private_addresses_only_the_public_ones_are_tried(
    server: RecordingServer, allow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow("")
    resolve_as(monkeypatch, "mixed.example", ["127.0.0.1", PUBLIC, "10.0.0.8"])
    dialled: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address[0])
        raise ConnectionRefusedError("the test refuses every connection")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(httpx.ConnectError) as failed:
        get(f"http://mixed.example:{server.port}/")
    assert not isinstance(failed.value, OutboundRefused)
    assert dialled == [PUBLIC] and not server.reached


# ---------------------------------------------------------------- redirects


def test_a_redirect_from_an_allowed_server_to_a_private_address_is_refused(
    server: RecordingServer, allow: Any, dialled: list[tuple[str, int]]
) -> None:
    allow("127.0.0.1")
    with RecordingServer("127.0.0.2") as private:
        server.redirect("/go", private.url + "/secret")
        with pytest.raises(OutboundRefused) as refused:
            get(server.url + "/go", follow_redirects=True)
        assert refused.value.address == "127.0.0.2"
        assert not private.reached and ("127.0.0.2", private.port) not in dialled
    assert server.requests == ["/go"]


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/",
                                    "http://0.0.0.0:{port}/", "http://[::ffff:7f00:2]:{port}/",
                                    "http://user:password@127.0.0.1:{port}/", "file:///etc/passwd",
                                    "gopher://127.0.0.1:{port}/_SET%20key"])
def test_no_redirect_hop_escapes_the_check(server: RecordingServer, allow: Any, dialled: list[tuple[str, int]],
                                           target: str) -> None:
    allow("127.0.0.1/32")
    server.redirect("/go", target.format(port=server.port))
    with pytest.raises(OutboundRefused):
        get(server.url + "/go", follow_redirects=True)
    assert server.requests == ["/go"] and dialled == [("127.0.0.1", server.port)]


# ---------------------------------------------------------------- addresses


def test_ipv6_loopback_is_refused(allow: Any, dialled: list[tuple[str, int]]) -> None:
    allow("")
    with RecordingServer("::1") as server6:
        with pytest.raises(OutboundRefused) as refused:
            get(server6.url + "/")
        assert "::1 is a loopback address" in str(refused.value)
        assert not server6.reached
    assert dialled == []


def test_ipv4_mapped_loopback_is_refused(server: RecordingServer, allow: Any,
                                         dialled: list[tuple[str, int]]) -> None:
    allow("")
    with pytest.raises(OutboundRefused) as refused:
        get(f"http://[::ffff:127.0.0.1]:{server.port}/")
    assert refused.value.category == "loopback"
    assert dialled == [] and not server.reached


def test_allowing_an_ipv4_address_allows_its_ipv4_mapped_form(server: RecordingServer, allow: Any) -> None:
    allow("127.0.0.1")
    assert get(f"http://[::ffff:127.0.0.1]:{server.port}/mapped").status_code == 200
    assert server.requests == ["/mapped"]


@pytest.mark.parametrize(("host", "category"), [
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"), ("100.100.100.200", "shared"),  # CGNAT, Alibaba Cloud metadata
    ("0.0.0.0", "unspecified"), ("127.8.9.10", "loopback"), ("224.0.0.1", "multicast"),  # noqa: S104
    ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"), ("192.0.2.10", "reserved"),
    ("[::]", "unspecified"), ("[fe80::1]", "link-local"), ("[fc00::1]", "unique-local"),
    ("[fd12:3456:789a::1]", "unique-local"), ("[ff02::1]", "multicast"), ("[fec0::1]", "reserved"),
    ("[2001:db8::1]", "reserved"), ("[::ffff:a9fe:a9fe]", "link-local"), ("[::ffff:10.0.0.1]", "private"),
    ("[2002:7f00:1::1]", "loopback"),  # 6to4 of 127.0.0.1
    ("[64:ff9b::a9fe:a9fe]", "link-local"),  # NAT64 of 169.254.169.254
    ("[::7f00:1]", "reserved"),  # IPv4-compatible 127.0.0.1
    ("2130706433", "loopback"), ("0x7f.1", "loopback"), ("017700000001", "loopback"),  # 127.0.0.1, spelt oddly
])
def test_non_public_addresses_are_refused_without_connecting(allow: Any, dialled: list[tuple[str, int]],
                                                             host: str, category: str) -> None:
    allow("")
    with pytest.raises(OutboundRefused) as refused:
        get(f"http://{host}:8080/latest/meta-data/")
    assert refused.value.category == category
    assert refused.value.address in str(refused.value) and "RUAMCHAT_OUTBOUND_ALLOW" in str(refused.value)
    assert dialled == []


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_are_public(address: str) -> None:
    import ipaddress

    assert outbound.category(ipaddress.ip_address(address)) is None


def _certificate_for_localhost(directory: Any) -> tuple[str, str]:
    """A self-signed certificate for the name "localhost" only (no IP address in it): (cert file, key file)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "localhost.pem", directory / "localhost.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_tls_checks_the_certificate_for_the_name_though_the_connection_is_made_by_address(
    allow: Any, tmp_path: Any, dialled: list[tuple[str, int]]
) -> None:
    import ssl

    cert_file, key_file = _certificate_for_localhost(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=cert_file)
    allow("127.0.0.1")
    with RecordingServer("127.0.0.1", tls=server_side) as https:
        response = get(f"https://localhost:{https.port}/secure", verify=trusting)
        assert response.status_code == 200 and response.content == BODY
        assert dialled == [("127.0.0.1", https.port)]
        with pytest.raises(httpx.ConnectError, match="certificate"):  # the certificate does not name 127.0.0.1
            get(f"https://127.0.0.1:{https.port}/by-address", verify=trusting)
        assert https.requests == ["/secure"]


# ---------------------------------------------------------------- the URL itself


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://127.0.0.1:{port}/", "scheme"), ("file:///etc/passwd", "scheme"),
    ("http://user:secret@127.0.0.1:{port}/", "credentials"),
])
def test_other_schemes_and_urls_with_credentials_are_refused(server: RecordingServer, allow: Any, url: str,
                                                             problem: str) -> None:
    allow("127.0.0.1")
    with pytest.raises(OutboundRefused) as refused:
        get(url.format(port=server.port))
    assert refused.value.problem == problem
    assert not server.reached


def test_proxy_variables_do_not_carry_requests_past_the_check(server: RecordingServer, allow: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    allow("127.0.0.1")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, server.url)
    with pytest.raises(OutboundRefused):
        get("http://10.9.8.7/admin")
    assert not server.reached


def test_the_refusal_reads_plainly_for_people() -> None:
    from django.utils import translation

    with translation.override("en"):
        named = OutboundRefused("address", "shop.internal", "10.0.0.5", "private").user_message
        literal = OutboundRefused("address", "169.254.169.254", "169.254.169.254", "link-local").user_message
        scheme = OutboundRefused("scheme", "", "gopher").user_message
    assert named == ("ruamchat does not connect to shop.internal: it is at 10.0.0.5, a private network address. "
                     "An administrator can allow it by adding 10.0.0.5 to RUAMCHAT_OUTBOUND_ALLOW.")
    assert literal.startswith("ruamchat does not connect to 169.254.169.254: it is a link-local address")
    assert scheme == "Only http and https addresses are fetched, not “gopher”."
