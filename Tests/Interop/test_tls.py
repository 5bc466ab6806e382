"""TLS (security.protocol=SSL) between real clients and `eddy serve --config` (Kafka's
server.properties keys, ssl.keystore.type=PEM as KIP-651 has it).

Each module run makes its own certificates with openssl: a CA, a broker certificate for
localhost and 127.0.0.1, a second broker certificate for localhost only, a client certificate
(its key encrypted with a passphrase), and an unrelated CA that trusts none of them.
"""
import os
import re
import subprocess
import tempfile
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import EDDY, ConfiguredServer, kcat, wait_until

PASSPHRASE = "correct horse battery staple"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(d):
    """Files in d: ca.pem, other-ca.pem, broker.pem (key + chain, SAN localhost and 127.0.0.1),
    broker-localhost.pem (SAN localhost only), client.crt and client.key (encrypted)."""
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2",
                "-subj", f"/CN=eddy test {ca}", cwd=d)

    def sign(name, subject, san, extra=()):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d)

    sign("broker", "/CN=localhost", "DNS:localhost,IP:127.0.0.1")
    sign("broker-localhost", "/CN=localhost", "DNS:localhost")
    for name in ("broker", "broker-localhost"):
        with open(os.path.join(d, f"{name}.pem"), "w") as out:
            for part in (f"{name}.key", f"{name}.crt"):
                with open(os.path.join(d, part)) as f:
                    out.write(f.read())
    sign("client", "/CN=eddy test client", None)
    openssl("pkey", "-in", "client.key", "-out", "client-encrypted.key", "-aes256", "-passout", f"pass:{PASSPHRASE}", cwd=d)
    # The localhost-only broker's key is encrypted too (ssl.key.password on the server side).
    openssl("pkey", "-in", "broker-localhost.key", "-out", "broker-localhost-encrypted.key", "-aes256", "-passout",
            f"pass:{PASSPHRASE}", cwd=d)
    with open(os.path.join(d, "broker-localhost.pem"), "w") as out:
        for part in ("broker-localhost-encrypted.key", "broker-localhost.crt"):
            with open(os.path.join(d, part)) as f:
                out.write(f.read())


def TlsServer(d, name, properties):
    """`eddy serve --config` with an SSL listener; `ssl_port` and `plain_port` are broker 0's."""
    s = ConfiguredServer(name, properties)
    s.ssl_port = s.ports["SSL"]
    s.plain_port = s.ports.get("PLAINTEXT")
    return s


@pytest.fixture(scope="module")
def certs():
    d = tempfile.mkdtemp(prefix="eddy-tls-certs-")
    make_certificates(d)
    return d


@pytest.fixture(scope="module")
def server(certs):
    s = TlsServer(certs, "plain", f"""
listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0
ssl.keystore.type=PEM
ssl.keystore.location={certs}/broker.pem
""")
    yield s
    assert s.stop() == 0, s.output()


@pytest.fixture(scope="module")
def mutual(certs):
    """Client certificates required; the broker's certificate names localhost only, and its
    key is encrypted (ssl.key.password)."""
    s = TlsServer(certs, "mutual", f"""
listeners=SSL://127.0.0.1:0
advertised.listeners=SSL://localhost:0
ssl.keystore.location={certs}/broker-localhost.pem
ssl.key.password={PASSPHRASE}
ssl.truststore.type=PEM
ssl.truststore.location={certs}/ca.pem
ssl.client.auth=required
""")
    yield s
    assert s.stop() == 0, s.output()


def command_config(certs, name, **props):
    path = os.path.join(certs, f"{name}.properties")
    with open(path, "w") as f:
        for k, v in props.items():
            f.write(f"{k.replace('_', '.')}={v}\n")
    return path


def eddy(*args, input=None, timeout=60):
    return subprocess.run([EDDY, *args], input=input, capture_output=True, text=True, timeout=timeout)


def test_eddy_commands_over_tls(server, certs):
    bs = f"127.0.0.1:{server.ssl_port}"
    cfg = command_config(certs, "client-ssl", security_protocol="SSL", ssl_ca_location=f"{certs}/ca.pem")
    r = eddy("topics", "create", "--topic", "secure", "--partitions", "2", "--bootstrap-server", bs, "--command-config", cfg)
    assert r.returncode == 0, r.stderr
    r = eddy("produce", "--topic", "secure", "--partition", "0", "--bootstrap-server", bs, "--command-config", cfg, input="one\ntwo\n")
    assert r.returncode == 0, r.stderr
    r = eddy("consume", "--topic", "secure", "--partition", "0", "--exit-at-end", "--bootstrap-server", bs, "--command-config", cfg)
    assert r.returncode == 0 and r.stdout.splitlines() == ["one", "two"], r
    # The same cluster on its PLAINTEXT listener, without a config.
    r = eddy("topics", "list", "--bootstrap-server", f"127.0.0.1:{server.plain_port}")
    assert r.returncode == 0 and "secure" in r.stdout.split(), r
    # A plaintext client on the SSL listener: one line that says what to try.
    r = eddy("topics", "list", "--bootstrap-server", bs)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "security.protocol=SSL" in r.stderr, r.stderr


def test_kcat_over_tls_on_both_librdkafka_versions(server, certs):
    bs = f"127.0.0.1:{server.ssl_port}"
    tls = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={certs}/ca.pem"]
    for library in ("2.0.2", "2.16"):
        topic = f"kcat-tls-{library.replace('.', '-')}"
        r = kcat(["-b", bs, *tls, "-L", "-t", topic], library=library)
        assert r.returncode == 0, r.stderr
        # Metadata gives the brokers' SSL addresses: the listener the request came in on.
        assert len(re.findall(r"broker \d at 127\.0\.0\.1:\d+", r.stdout)) == 3, r.stdout
        assert f"127.0.0.1:{server.ssl_port}" in r.stdout and f":{server.plain_port}" not in r.stdout, r.stdout
        r = kcat(["-b", bs, *tls, "-P", "-t", topic, "-p", "0"], library=library, input="a\nb\nc\n")
        assert r.returncode == 0, r.stderr
        r = kcat(["-b", bs, *tls, "-C", "-t", topic, "-p", "0", "-e", "-q", "-f", "%o %s\\n"], library=library)
        assert r.returncode == 0 and r.stdout.splitlines() == ["0 a", "1 b", "2 c"], r


def test_confluent_kafka_over_tls(server, certs):
    conf = {"bootstrap.servers": f"127.0.0.1:{server.ssl_port}", "security.protocol": "SSL", "ssl.ca.location": f"{certs}/ca.pem"}
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True})
    delivered = []
    for i in range(20):
        producer.produce("ck-tls", value=f"v{i}".encode(), partition=0, on_delivery=lambda e, m: delivered.append(e))
    assert producer.flush(30) == 0
    assert delivered == [None] * 20
    consumer = Consumer({**conf, "group.id": "tls-readers", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition("ck-tls", 0, 0)])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 20 and time.monotonic() < deadline:
        m = consumer.poll(1)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    consumer.close()
    assert got == [f"v{i}" for i in range(20)]


def test_an_untrusted_certificate_is_one_line_and_not_retried(server, certs):
    bs = f"127.0.0.1:{server.ssl_port}"
    cfg = command_config(certs, "client-other-ca", security_protocol="SSL", ssl_ca_location=f"{certs}/other-ca.pem")
    started = time.monotonic()
    r = eddy("topics", "list", "--bootstrap-server", bs, "--command-config", cfg)
    assert r.returncode == 1, r
    assert r.stderr.count("\n") == 1 and "SSL handshake failed: CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr
    assert time.monotonic() - started < 20
    r = kcat(["-b", bs, "-X", "security.protocol=SSL", "-X", f"ssl.ca.location={certs}/other-ca.pem", "-L", "-m", "5"], library="2.16")
    assert r.returncode != 0
    # The broker logs the failed handshake as a warning and goes on serving.
    assert "failed authentication (SSL handshake failed)" in server.output()


def test_client_certificates_and_hostname_verification(mutual, certs):
    ca = f"{certs}/ca.pem"
    with_cert = dict(security_protocol="SSL", ssl_ca_location=ca, ssl_certificate_location=f"{certs}/client.crt",
                     ssl_key_location=f"{certs}/client-encrypted.key", ssl_key_password=PASSPHRASE)
    by_name = f"localhost:{mutual.ssl_port}"
    by_ip = f"127.0.0.1:{mutual.ssl_port}"

    ok = command_config(certs, "client-cert", **with_cert)
    r = eddy("topics", "create", "--topic", "mtls", "--partitions", "1", "--bootstrap-server", by_name, "--command-config", ok)
    assert r.returncode == 0, r.stderr

    # Without a client certificate the broker refuses the handshake.
    no_cert = command_config(certs, "client-no-cert", security_protocol="SSL", ssl_ca_location=ca)
    r = eddy("topics", "list", "--bootstrap-server", by_name, "--command-config", no_cert)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "SSL" in r.stderr, r.stderr

    # The broker's certificate names localhost, not 127.0.0.1: refused unless verification is off.
    r = eddy("topics", "list", "--bootstrap-server", by_ip, "--command-config", ok)
    assert r.returncode == 1 and "SSL" in r.stderr, r.stderr
    off = command_config(certs, "client-no-hostname", **with_cert, ssl_endpoint_identification_algorithm="none")
    r = eddy("topics", "list", "--bootstrap-server", by_ip, "--command-config", off)
    assert r.returncode == 0 and "mtls" in r.stdout.split(), r.stderr

    # A wrong passphrase is named, and never shown.
    wrong = command_config(certs, "client-wrong-pass", **{**with_cert, "ssl_key_password": "not it"})
    r = eddy("topics", "list", "--bootstrap-server", by_name, "--command-config", wrong)
    assert r.returncode != 0 and "ssl.key.location" in r.stderr and "not it" not in r.stderr, r.stderr
    assert PASSPHRASE not in r.stderr
    assert PASSPHRASE not in mutual.output()
