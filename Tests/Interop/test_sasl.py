"""SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) between real clients and `eddy serve --config`:
kcat on librdkafka 2.0.2 and 2.16, confluent-kafka's producer, consumer and AdminClient, and
eddy's own CLI, over SASL_PLAINTEXT and SASL_SSL. The first user is made on the data directory
before the server starts (as kafka-storage format --add-scram does); the others through
AlterUserScramCredentials. Wrong passwords, unknown users and untrusted certificates fail.
"""
import os
import subprocess
import tempfile

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialDeletion,
                                   UserScramCredentialUpsertion)

from conftest import EDDY, ConfiguredServer, kcat
from test_tls import make_certificates

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
PASSWORD = "alice, with = signs & spaces"


@pytest.fixture(scope="module")
def certs():
    d = tempfile.mkdtemp(prefix="eddy-sasl-certs-")
    make_certificates(d)
    with open(os.path.join(d, "alice.password"), "w") as f:
        f.write(PASSWORD + "\n")
    return d


@pytest.fixture(scope="module")
def server(certs):
    s = ConfiguredServer("sasl", f"""
listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
ssl.keystore.type=PEM
ssl.keystore.location={certs}/broker.pem
""", setup=[["users", "add", "alice", "--password-file", f"{certs}/alice.password"]])
    yield s
    assert s.stop() == 0, s.output()


def sasl_args(mechanism, user="alice", password=PASSWORD, protocol="SASL_PLAINTEXT"):
    return ["-X", f"security.protocol={protocol}", "-X", f"sasl.mechanisms={mechanism}", "-X", f"sasl.username={user}",
            "-X", f"sasl.password={password}"]


def client_config(server, mechanism, user="alice", password=PASSWORD, **extra):
    return {"bootstrap.servers": f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}", "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": mechanism, "sasl.username": user, "sasl.password": password, **extra}


def eddy(*args, input=None):
    return subprocess.run([EDDY, *args], input=input, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("library", ["2.0.2", "2.16"])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kcat_produces_and_consumes_with_each_mechanism(server, library, mechanism):
    bs = f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}"
    topic = f"kcat-{mechanism.lower()}-{library.replace('.', '')}"
    p = kcat(["-b", bs, *sasl_args(mechanism), "-t", topic, "-P"], library=library, input="one\ntwo\n")
    assert p.returncode == 0, p.stderr
    c = kcat(["-b", bs, *sasl_args(mechanism), "-t", topic, "-C", "-o", "beginning", "-e", "-q"], library=library)
    assert c.returncode == 0, c.stderr
    assert c.stdout.split() == ["one", "two"]


def test_kcat_over_sasl_ssl(server, certs):
    bs = f"127.0.0.1:{server.ports['SASL_SSL']}"
    args = ["-b", bs, *sasl_args("SCRAM-SHA-512", protocol="SASL_SSL"), "-X", f"ssl.ca.location={certs}/ca.pem"]
    p = kcat([*args, "-t", "over-tls", "-P"], library="2.16", input="sealed\n")
    assert p.returncode == 0, p.stderr
    c = kcat([*args, "-t", "over-tls", "-C", "-o", "beginning", "-e", "-q"], library="2.16")
    assert c.stdout.split() == ["sealed"], c.stderr
    # The broker's certificate from a CA the client does not trust: refused before any SASL.
    untrusted = kcat(["-b", bs, *sasl_args("SCRAM-SHA-512", protocol="SASL_SSL"), "-X", f"ssl.ca.location={certs}/other-ca.pem",
                      "-L", "-m", "5"], library="2.16", timeout=30)
    assert untrusted.returncode != 0 and "certificate verify failed" in untrusted.stderr.lower(), untrusted.stderr


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kcat_with_a_wrong_password_is_refused(server, mechanism):
    bs = f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}"
    r = kcat(["-b", bs, *sasl_args(mechanism, password="not-it"), "-L", "-m", "5"], library="2.16", timeout=30)
    assert r.returncode != 0
    assert f"invalid credentials with SASL mechanism {mechanism}" in r.stderr, r.stderr
    unknown = kcat(["-b", bs, *sasl_args(mechanism, user="mallory"), "-L", "-m", "5"], library="2.16", timeout=30)
    assert f"invalid credentials with SASL mechanism {mechanism}" in unknown.stderr, unknown.stderr
    # The server says why in its log, and never the password.
    assert "failed authentication" in server.output() and "not-it" not in server.output()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_confluent_kafka_producer_and_consumer(server, mechanism):
    topic = f"ck-{mechanism.lower()}"
    producer = Producer(client_config(server, mechanism, **{"enable.idempotence": True}))
    delivered = []
    for i in range(5):
        producer.produce(topic, value=f"v{i}".encode(), on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0 and delivered == [None] * 5
    consumer = Consumer(client_config(server, mechanism, **{"group.id": f"g-{mechanism}", "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    values = []
    try:
        for _ in range(60):
            m = consumer.poll(1)
            if m is not None and m.error() is None:
                values.append(m.value().decode())
            if len(values) == 5:
                break
    finally:
        consumer.close()
    assert values == [f"v{i}" for i in range(5)]


def test_admin_client_manages_scram_credentials(server):
    admin = AdminClient(client_config(server, "SCRAM-SHA-256"))
    upserts = [UserScramCredentialUpsertion("bob", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"builder"),
               UserScramCredentialUpsertion("bob", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), b"builder")]
    for f in admin.alter_user_scram_credentials(upserts).values():
        f.result(30)
    described = admin.describe_user_scram_credentials(["bob"])["bob"].result(30)
    assert sorted((i.mechanism, i.iterations) for i in described.scram_credential_infos) == [
        (ScramMechanism.SCRAM_SHA_256, 8192), (ScramMechanism.SCRAM_SHA_512, 4096)]
    everyone = admin.describe_user_scram_credentials().result(30)
    assert sorted(everyone) == ["alice", "bob"]
    # bob now authenticates, with each mechanism.
    for mechanism in MECHANISMS:
        r = kcat(["-b", f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}", *sasl_args(mechanism, "bob", "builder"), "-L", "-m", "10"],
                 library="2.16")
        assert r.returncode == 0, r.stderr
    # Kafka's errors for what cannot be done.
    with pytest.raises(KafkaException) as e:
        admin.describe_user_scram_credentials(["nobody"])["nobody"].result(30)
    assert "RESOURCE_NOT_FOUND" in str(e.value) or "not exist" in str(e.value)
    too_few = [UserScramCredentialUpsertion("carol", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 1000), b"x")]
    with pytest.raises(KafkaException) as e:
        admin.alter_user_scram_credentials(too_few)["carol"].result(30)
    assert "iterations" in str(e.value).lower()
    # Deleted: bob can no longer log in.
    deletions = [UserScramCredentialDeletion("bob", ScramMechanism.SCRAM_SHA_256), UserScramCredentialDeletion("bob", ScramMechanism.SCRAM_SHA_512)]
    for f in admin.alter_user_scram_credentials(deletions).values():
        f.result(30)
    r = kcat(["-b", f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}", *sasl_args("SCRAM-SHA-256", "bob", "builder"), "-L", "-m", "5"],
             library="2.16", timeout=30)
    assert r.returncode != 0 and "invalid credentials" in r.stderr, r.stderr


def test_eddy_cli_over_sasl(server, certs):
    def config(name, **props):
        path = os.path.join(certs, f"{name}.properties")
        with open(path, "w") as f:
            for k, v in props.items():
                f.write(f"{k.replace('_', '.')}={v}\n")
        return path

    ok = config("eddy-scram", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="alice",
                sasl_password=PASSWORD, ssl_ca_location=f"{certs}/ca.pem")
    ssl_bs = f"127.0.0.1:{server.ports['SASL_SSL']}"
    r = eddy("topics", "create", "--topic", "cli-sasl", "--partitions", "1", "--bootstrap-server", ssl_bs, "--command-config", ok)
    assert r.returncode == 0, r.stderr
    r = eddy("produce", "--topic", "cli-sasl", "--bootstrap-server", ssl_bs, "--command-config", ok, input="a\nb\n")
    assert r.returncode == 0, r.stderr
    r = eddy("consume", "--topic", "cli-sasl", "--partition", "0", "--exit-at-end", "--bootstrap-server", ssl_bs,
             "--command-config", ok)
    assert r.returncode == 0 and r.stdout.split() == ["a", "b"], r.stderr
    # eddy users over the network: add, list, log in as the new user, delete.
    with open(os.path.join(certs, "dave.password"), "w") as f:
        f.write("dave-pw\n")
    r = eddy("users", "add", "dave", "--mechanism", "SCRAM-SHA-256", "--password-file", f"{certs}/dave.password",
             "--bootstrap-server", ssl_bs, "--command-config", ok)
    assert r.returncode == 0 and "dave" in r.stdout, r.stderr
    r = eddy("users", "list", "--bootstrap-server", ssl_bs, "--command-config", ok)
    assert r.returncode == 0, r.stderr
    assert ["dave", "SCRAM-SHA-256", "4096"] in [line.split() for line in r.stdout.splitlines()], r.stdout
    dave = config("eddy-dave", security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_username="dave", sasl_password="dave-pw")
    plain_bs = f"127.0.0.1:{server.ports['SASL_PLAINTEXT']}"
    assert eddy("topics", "list", "--bootstrap-server", plain_bs, "--command-config", dave).returncode == 0
    r = eddy("users", "delete", "dave", "--bootstrap-server", ssl_bs, "--command-config", ok)
    assert r.returncode == 0, r.stderr
    # A wrong password: one line, exit 1, the mechanism named, the password nowhere.
    wrong = config("eddy-wrong", security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256", sasl_username="alice",
                   sasl_password="hunter2")
    r = eddy("topics", "list", "--bootstrap-server", plain_bs, "--command-config", wrong)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "SASL SCRAM-SHA-256" in r.stderr and "invalid credentials" in r.stderr and "sasl.password" in r.stderr
    assert "hunter2" not in r.stderr + r.stdout
    # dave is gone.
    r = eddy("topics", "list", "--bootstrap-server", plain_bs, "--command-config", dave)
    assert r.returncode == 1 and "invalid credentials" in r.stderr, r.stderr
