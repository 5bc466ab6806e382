"""SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) between Python clients and `eddy serve --config`:
kafka-python and aiokafka producing and consuming over SASL_PLAINTEXT, and wrong passwords refused.
Then the wire itself from a raw socket, with no client library: SaslHandshake v0 followed by bare
size-prefixed SASL tokens (Kafka's framing before KIP-152), for PLAIN and for SCRAM with a client
written here from RFC 5802 (hashlib and hmac), which checks the server's SCRAM against an
implementation that is not eddy's, down to the server's signature.
"""
import asyncio
import base64
import hashlib
import hmac
import logging
import os
import secrets
import socket
import struct
import tempfile
import time

import pytest

from conftest import ConfiguredServer

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
PASSWORD = "alice, with = signs & spaces"
WRONG = "not-alices-password"


@pytest.fixture(scope="module")
def server():
    d = tempfile.mkdtemp(prefix="eddy-sasl-python-")
    with open(os.path.join(d, "alice.password"), "w") as f:
        f.write(PASSWORD + "\n")
    # At info, eddy logs each failed authentication (as Kafka does), which the tests read.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("EDDY_LOG_LEVEL", "info")
        s = ConfiguredServer("sasl-python", """
listeners=SASL_PLAINTEXT://127.0.0.1:0
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
""", setup=[["users", "add", "alice", "--password-file", f"{d}/alice.password"]])
    yield s
    assert s.stop() == 0, s.output()


def bootstrap(server):
    return f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}"


def sasl(mechanism, password=PASSWORD, user="alice"):
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism, "sasl_plain_username": user,
            "sasl_plain_password": password}


# kafka-python

@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kafka_python_produces_and_consumes(server, mechanism):
    from kafka import KafkaConsumer, KafkaProducer
    topic = f"kp-{mechanism.lower()}"
    p = KafkaProducer(bootstrap_servers=bootstrap(server), acks="all", **sasl(mechanism))
    try:
        futures = [p.send(topic, key=b"k%d" % i, value=b"v%d" % i) for i in range(10)]
        p.flush(timeout=30)
        assert [f.get(timeout=30).offset for f in futures] == list(range(10))
    finally:
        p.close(timeout=10)
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap(server), group_id=f"kp-{mechanism}", auto_offset_reset="earliest",
                      enable_auto_commit=False, **sasl(mechanism))
    got = []
    try:
        deadline = time.monotonic() + 30
        while len(got) < 10 and time.monotonic() < deadline:
            for records in c.poll(timeout_ms=500).values():
                got += [r.value for r in records]
        c.commit()
    finally:
        c.close(autocommit=False)
    assert got == [b"v%d" % i for i in range(10)]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kafka_python_as_a_0_11_client_uses_bare_tokens(server, mechanism, caplog):
    """kafka-python told the broker is Kafka 0.11 (api_version) speaks as clients did before
    KIP-152: SaslHandshake v0, then its SASL tokens as bare size-prefixed frames."""
    from kafka import KafkaConsumer, KafkaProducer
    caplog.set_level(logging.DEBUG, logger="kafka.net.connection")
    topic = f"kp-011-{mechanism.lower()}"
    config = {"bootstrap_servers": bootstrap(server), "api_version": (0, 11), **sasl(mechanism)}
    p = KafkaProducer(acks="all", **config)
    try:
        assert [p.send(topic, value=b"old-%d" % i).get(timeout=30).offset for i in range(3)] == [0, 1, 2]
    finally:
        p.close(timeout=10)
    c = KafkaConsumer(topic, group_id=f"kp-011-{mechanism}", auto_offset_reset="earliest", enable_auto_commit=False, **config)
    got = []
    try:
        deadline = time.monotonic() + 30
        while len(got) < 3 and time.monotonic() < deadline:
            for records in c.poll(timeout_ms=500).values():
                got += [r.value for r in records]
    finally:
        c.close(autocommit=False)
    assert got == [b"old-0", b"old-1", b"old-2"]
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"SaslHandshakeRequest(version=0, mechanism='{mechanism}')" in m for m in messages)
    assert any("SaslBytesRequest" in m for m in messages) and not any("SaslAuthenticateRequest" in m for m in messages)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kafka_python_with_a_wrong_password_is_refused(server, mechanism, caplog):
    """kafka-python 3 retries a failed bootstrap connection, whatever the failure, until
    bootstrap_timeout_ms, then raises KafkaTimeoutError. Each attempt failed authentication: the
    client logs SaslAuthenticationFailedError with the broker's message, or, when the broker's
    close arrives in the same read as its answer, "socket disconnected" (kafka-python's
    _sock_recv drops the bytes it read before an end of stream); none got further. The last
    attempt may instead end with one of the client's own timeouts ("SASL Authentication timed
    out", "Connection timed out"): it gets only what is left of bootstrap_timeout_ms, which on a
    busy machine can run out during the connection or the exchange (both seen in CI)."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError
    caplog.set_level(logging.WARNING, logger="kafka")
    before = server.output().count(f"invalid credentials with SASL mechanism {mechanism}")
    with pytest.raises(KafkaTimeoutError):
        KafkaProducer(bootstrap_servers=bootstrap(server), bootstrap_timeout_ms=3000, **sasl(mechanism, password=WRONG))
    attempts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Bootstrap connection to")]
    if len(attempts) > 1 and "timed out" in attempts[-1]:
        attempts.pop()
    assert attempts, caplog.text
    for a in attempts:
        assert (f"SaslAuthenticationFailedError: Authentication failed during authentication due to invalid credentials "
                f"with SASL mechanism {mechanism}" in a or "socket disconnected" in a), a
    # The broker failed every completed attempt's authentication, and says so (never with the password).
    assert server.output().count(f"invalid credentials with SASL mechanism {mechanism}") - before >= len(attempts)
    assert WRONG not in server.output()


# aiokafka

@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_aiokafka_produces_and_consumes(server, mechanism):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    topic = f"ak-{mechanism.lower()}"

    async def run():
        p = AIOKafkaProducer(bootstrap_servers=bootstrap(server), acks="all", **sasl(mechanism))
        await p.start()
        try:
            offsets = [(await p.send_and_wait(topic, key=b"k%d" % i, value=b"v%d" % i)).offset for i in range(10)]
        finally:
            await p.stop()
        c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap(server), group_id=f"ak-{mechanism}",
                             auto_offset_reset="earliest", enable_auto_commit=False, **sasl(mechanism))
        await c.start()
        got = []
        try:
            deadline = time.monotonic() + 30
            while len(got) < 10 and time.monotonic() < deadline:
                for records in (await c.getmany(timeout_ms=500)).values():
                    got += [r.value for r in records]
            await c.commit()
        finally:
            await c.stop()
        return offsets, got

    offsets, got = asyncio.run(run())
    assert offsets == list(range(10))
    assert got == [b"v%d" % i for i in range(10)]


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_aiokafka_with_a_wrong_password_is_refused(server, mechanism, caplog):
    """aiokafka's start() fails at once with KafkaConnectionError ("Unable to bootstrap"); the
    SaslAuthenticationFailed error it got, with the broker's message, is in its log."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaConnectionError
    caplog.set_level(logging.ERROR, logger="aiokafka")

    async def run():
        p = AIOKafkaProducer(bootstrap_servers=bootstrap(server), request_timeout_ms=10000, **sasl(mechanism, password=WRONG))
        try:
            await asyncio.wait_for(p.start(), timeout=30)
        finally:
            await p.stop()

    with pytest.raises(KafkaConnectionError):
        asyncio.run(run())
    failures = [r.getMessage() for r in caplog.records if "SaslAuthenticationFailed" in r.getMessage()]
    assert failures, caplog.text
    assert f"invalid credentials with SASL mechanism {mechanism}" in failures[0], failures[0]
    assert WRONG not in server.output()


# The wire, from a raw socket: SaslHandshake v0 and bare tokens.

SASL_HANDSHAKE, METADATA, API_VERSIONS, SASL_AUTHENTICATE = 17, 3, 18, 36
UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED = 33, 58


def kafka_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.at:self.at + n].decode()
        self.at += n
        return s

    def array(self, element):
        return [element() for _ in range(self.take(">i"))]


class RawConnection:
    """One TCP connection speaking Kafka frames by hand; every read has a deadline."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)

    def close(self):
        self.sock.close()

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def send_request(self, api_key, version, correlation_id, body, client_id="eddy-raw-sasl"):
        # Request header v1: api key, api version, correlation id, nullable client id.
        self.send_frame(struct.pack(">hhi", api_key, version, correlation_id) + kafka_string(client_id) + body)

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError(f"connection closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def recv_frame(self):
        (size,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(size)

    def closed_by_peer(self, timeout=10.0):
        """True once the server closes without sending anything more; False if bytes come, or
        if the connection is still open at the deadline."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""

    def handshake_v0(self, mechanism, correlation_id=1):
        self.send_request(SASL_HANDSHAKE, 0, correlation_id, kafka_string(mechanism))
        r = Reader(self.recv_frame())
        assert r.take(">i") == correlation_id
        error = r.take(">h")
        mechanisms = r.array(r.string)
        assert r.at == len(r.data), r.data
        return error, mechanisms

    def token(self, token):
        """A bare SASL token out, the server's bare token back."""
        self.send_frame(token)
        return self.recv_frame()

    def metadata_v1(self, correlation_id):
        """MetadataRequest v1 for all topics: (correlation id, brokers as (id, host, port))."""
        self.send_request(METADATA, 1, correlation_id, struct.pack(">i", -1))
        r = Reader(self.recv_frame())
        got = r.take(">i")
        brokers = r.array(lambda: (r.take(">i"), r.string(), r.take(">i"), r.string()))
        return got, [(b[0], b[1], b[2]) for b in brokers]


@pytest.fixture
def raw(server):
    c = RawConnection(server.ports["SASL_PLAINTEXT"])
    yield c
    c.close()


def authenticated_metadata_works(raw, server, correlation_id=7):
    got, brokers = raw.metadata_v1(correlation_id)
    assert got == correlation_id
    assert ("127.0.0.1", server.ports["SASL_PLAINTEXT"]) in [(host, port) for _, host, port in brokers], brokers


def test_bare_plain_token_after_handshake_v0(raw, server):
    error, mechanisms = raw.handshake_v0("PLAIN")
    assert error == 0
    assert sorted(mechanisms) == MECHANISMS
    # An empty token back, size-prefixed: exactly four zero bytes on the wire.
    raw.send_frame(b"\0alice\0" + PASSWORD.encode())
    assert raw.recv_exact(4) == b"\0\0\0\0"
    authenticated_metadata_works(raw, server)


def test_api_versions_then_handshake_v0_then_bare_plain_token(raw, server):
    raw.send_request(API_VERSIONS, 0, 41, b"")
    r = Reader(raw.recv_frame())
    assert r.take(">i") == 41 and r.take(">h") == 0
    versions = {k: (lo, hi) for k, lo, hi in r.array(lambda: (r.take(">h"), r.take(">h"), r.take(">h")))}
    assert versions[SASL_HANDSHAKE][0] == 0, versions
    error, mechanisms = raw.handshake_v0("PLAIN", correlation_id=42)
    assert error == 0 and sorted(mechanisms) == MECHANISMS
    assert raw.token(b"\0alice\0" + PASSWORD.encode()) == b""
    authenticated_metadata_works(raw, server, correlation_id=43)


def saslauthenticate_v1(raw, token, correlation_id):
    """SaslAuthenticate v1 (after a SaslHandshake v1): (error code, message, auth bytes)."""
    raw.send_request(SASL_AUTHENTICATE, 1, correlation_id, struct.pack(">i", len(token)) + token)
    r = Reader(raw.recv_frame())
    assert r.take(">i") == correlation_id
    error, message = r.take(">h"), r.string()
    n = r.take(">i")
    auth_bytes = r.data[r.at:r.at + n]
    r.at += n
    r.take(">q")  # session lifetime
    assert r.at == len(r.data), r.data
    return error, message, auth_bytes


def test_handshake_v1_and_sasl_authenticate_framing(raw, server):
    """The framing since KIP-152, for contrast: SaslAuthenticate requests; a wrong password gets
    SASL_AUTHENTICATION_FAILED with Kafka's message, then the connection closes."""
    raw.send_request(SASL_HANDSHAKE, 1, 1, kafka_string("PLAIN"))
    r = Reader(raw.recv_frame())
    assert r.take(">i") == 1 and r.take(">h") == 0 and sorted(r.array(r.string)) == MECHANISMS
    assert saslauthenticate_v1(raw, b"\0alice\0" + PASSWORD.encode(), 2) == (0, None, b"")
    authenticated_metadata_works(raw, server, correlation_id=3)
    other = RawConnection(server.ports["SASL_PLAINTEXT"])
    try:
        other.send_request(SASL_HANDSHAKE, 1, 1, kafka_string("PLAIN"))
        other.recv_frame()
        error, message, _ = saslauthenticate_v1(other, b"\0alice\0" + WRONG.encode(), 2)
        assert error == SASL_AUTHENTICATION_FAILED
        assert message == "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN"
        assert other.closed_by_peer()
    finally:
        other.close()


@pytest.mark.parametrize("user,password", [("alice", WRONG), ("mallory", PASSWORD)])
def test_bare_plain_token_with_bad_credentials_closes_without_a_response(raw, user, password):
    assert raw.handshake_v0("PLAIN")[0] == 0
    raw.send_frame(b"\0" + user.encode() + b"\0" + password.encode())
    assert raw.closed_by_peer(), "the server answered (or kept the connection open) after a failed bare PLAIN token"


def test_handshake_v0_with_an_unsupported_mechanism(raw):
    error, mechanisms = raw.handshake_v0("GSSAPI")
    assert error == UNSUPPORTED_SASL_MECHANISM
    assert sorted(mechanisms) == MECHANISMS
    assert raw.closed_by_peer()


def test_request_before_bare_token_authentication_closes(raw):
    assert raw.handshake_v0("PLAIN")[0] == 0
    # The server now reads the next frame as a bare token: a Metadata request is not a valid
    # PLAIN message, and the connection closes without an answer.
    raw.send_request(METADATA, 1, 9, struct.pack(">i", -1))
    assert raw.closed_by_peer()


# SCRAM (RFC 5802, RFC 7677), the client side, written here.

HASHES = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}


def scram_name(user):
    return user.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    def __init__(self, mechanism, user, password):
        self.hash = HASHES[mechanism]
        self.user, self.password = user, password
        self.nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        self.first_bare = f"n={scram_name(user)},r={self.nonce}"

    def client_first(self):
        return ("n,," + self.first_bare).encode()

    def hmac(self, key, message):
        return hmac.new(key, message, self.hash).digest()

    def client_final(self, server_first):
        server_first = server_first.decode()
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        assert attrs["r"].startswith(self.nonce) and len(attrs["r"]) > len(self.nonce), server_first
        iterations = int(attrs["i"])
        assert iterations >= 4096, server_first
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac(self.hash().name, self.password.encode(), salt, iterations)
        client_key = self.hmac(salted, b"Client Key")
        stored_key = self.hash(client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={attrs['r']}"
        auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        signature = self.hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_signature = self.hmac(self.hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify_server_final(self, server_final):
        attrs = dict(a.split("=", 1) for a in server_final.decode().split(","))
        assert "e" not in attrs, server_final
        assert hmac.compare_digest(base64.b64decode(attrs["v"]), self.server_signature), "wrong server signature"


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_bare_scram_tokens_after_handshake_v0(raw, server, mechanism):
    assert raw.handshake_v0(mechanism)[0] == 0
    client = ScramClient(mechanism, "alice", PASSWORD)
    server_first = raw.token(client.client_first())
    server_final = raw.token(client.client_final(server_first))
    client.verify_server_final(server_final)
    authenticated_metadata_works(raw, server)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_bare_scram_with_a_wrong_password_closes_without_a_response(raw, mechanism):
    assert raw.handshake_v0(mechanism)[0] == 0
    client = ScramClient(mechanism, "alice", WRONG)
    server_first = raw.token(client.client_first())
    raw.send_frame(client.client_final(server_first))
    assert raw.closed_by_peer()


def test_bare_scram_for_an_unknown_user_closes_without_a_response(raw):
    assert raw.handshake_v0("SCRAM-SHA-256")[0] == 0
    raw.send_frame(ScramClient("SCRAM-SHA-256", "mallory", PASSWORD).client_first())
    assert raw.closed_by_peer()


def test_bare_scram_with_a_tampered_nonce_closes_without_a_response(raw):
    assert raw.handshake_v0("SCRAM-SHA-256")[0] == 0
    client = ScramClient("SCRAM-SHA-256", "alice", PASSWORD)
    server_first = raw.token(client.client_first())
    final = client.client_final(server_first).decode()
    # The right proof for the right nonce, but the final message names another nonce.
    nonce = final.split(",r=", 1)[1].split(",", 1)[0]
    raw.send_frame(final.replace(f",r={nonce},", f",r={nonce}x,").encode())
    assert raw.closed_by_peer()
