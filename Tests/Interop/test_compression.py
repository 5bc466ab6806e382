"""Compression against eddy serve, in both directions: real clients' compressed batches read by
eddy's consumer (`eddy consume --bootstrap-server`), eddy's compressed batches read by real
clients, a topic's compression.type recompressing on the broker, and a compacted topic refusing
a keyless record inside a compressed batch."""
import glob
import os
import struct
import subprocess
import time

import kafka.codec
import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from kafka import KafkaConsumer, KafkaProducer

from conftest import EDDY, EddyServer, kcat

CODECS = ["gzip", "snappy", "lz4", "zstd"]
CODEC_BITS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
# kafka-python's codecs are pure Python except where a package is installed.
KAFKA_PYTHON_CODECS = [c for c in CODECS if getattr(kafka.codec, f"has_{c}")()]


def create(server, topic, partitions=1, *configs):
    args = ["topics", "create", "--bootstrap-server", server.bootstrap, "--topic", topic, "--partitions", str(partitions)]
    for c in configs:
        args += ["--config", c]
    server.eddy(*args)


def eddy_consume(server, topic, fmt="%o %k %s %h\\n"):
    r = server.eddy("consume", "--bootstrap-server", server.bootstrap, "--topic", topic, "--exit-at-end", "--format", fmt)
    return r.stdout.splitlines()


def expected_lines(codec, count):
    return [f"{i} key-{i % 5} {codec} value {i} src={codec}" for i in range(count)]


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka_batches_decode_in_eddys_consumer(eddy_server, codec):
    topic = f"ck-{codec}"
    create(eddy_server, topic)
    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "compression.type": codec, "linger.ms": 50})
    for i in range(200):
        p.produce(topic, key=f"key-{i % 5}", value=f"{codec} value {i}", headers=[("src", codec.encode())])
    assert p.flush(30) == 0
    assert eddy_consume(eddy_server, topic) == expected_lines(codec, 200)


@pytest.mark.parametrize("codec", KAFKA_PYTHON_CODECS)
def test_kafka_python_batches_decode_in_eddys_consumer(eddy_server, codec):
    topic = f"kp-{codec}"
    create(eddy_server, topic)
    p = KafkaProducer(bootstrap_servers=eddy_server.bootstrap, compression_type=codec, linger_ms=50)
    for i in range(200):
        p.send(topic, key=f"key-{i % 5}".encode(), value=f"{codec} value {i}".encode(), headers=[("src", codec.encode())])
    p.flush(30)
    p.close()
    assert eddy_consume(eddy_server, topic) == expected_lines(codec, 200)
    r = kcat(["-b", eddy_server.bootstrap, "-C", "-t", topic, "-e", "-f", "%o %k %s\\n"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{i} key-{i % 5} {codec} value {i}" for i in range(200)]


@pytest.mark.parametrize("codec", CODECS)
def test_eddys_compressed_batches_decode_in_real_clients(eddy_server, codec):
    topic = f"eddy-{codec}"
    create(eddy_server, topic)
    lines = "".join(f"key-{i % 5}:{codec} value {i}\n" for i in range(300))
    r = subprocess.run([EDDY, "produce", "--bootstrap-server", eddy_server.bootstrap, "--topic", topic, "--key-separator", ":",
                        "--compression-type", codec], input=lines, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    want = [f"{i} key-{i % 5} {codec} value {i}" for i in range(300)]
    for library in ["2.0.2", "2.16"]:
        r = kcat(["-b", eddy_server.bootstrap, "-C", "-t", topic, "-e", "-f", "%o %k %s\\n"], library)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == want, library
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": f"check-{codec}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 300 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(f"{m.offset()} {m.key().decode()} {m.value().decode()}")
    c.close()
    assert got == want
    if codec in KAFKA_PYTHON_CODECS:
        k = KafkaConsumer(topic, bootstrap_servers=eddy_server.bootstrap, auto_offset_reset="earliest",
                          consumer_timeout_ms=5000, enable_auto_commit=False)
        got = [f"{m.offset} {m.key.decode()} {m.value.decode()}" for m in k]
        k.close()
        assert got == want


def stored_codecs(server, topic):
    """The codec bits of every batch of `topic`-0 in the stopped server's segment files."""
    codecs = []
    for path in sorted(glob.glob(os.path.join(server.dir, "data", "broker-*", f"{topic}-0", "*.log"))):
        data = open(path, "rb").read()
        pos = 0
        while pos + 61 <= len(data):
            (length,) = struct.unpack(">i", data[pos + 8:pos + 12])
            (attributes,) = struct.unpack(">h", data[pos + 21:pos + 23])
            codecs.append(attributes & 7)
            pos += 12 + length
    return codecs


def test_topic_compression_type_recompresses_and_compacted_topics_need_keys():
    server = EddyServer()
    try:
        create(server, "gz", 1, "compression.type=gzip")
        create(server, "plain", 1, "compression.type=uncompressed")
        create(server, "compacted", 1, "cleanup.policy=compact")
        for topic in ["gz", "plain"]:
            r = kcat(["-b", server.bootstrap, "-P", "-t", topic, "-z", "lz4", "-K:"],
                     input="".join(f"k{i}:v{i}\n" for i in range(50)))
            assert r.returncode == 0, r.stderr
            assert eddy_consume(server, topic, "%k=%s\\n") == [f"k{i}=v{i}" for i in range(50)]
            r = kcat(["-b", server.bootstrap, "-C", "-t", topic, "-e", "-f", "%k=%s\\n"])
            assert r.stdout.splitlines() == [f"k{i}=v{i}" for i in range(50)]

        # A keyless record inside a compressed batch: INVALID_RECORD, nothing stored. (Values
        # that compress well: librdkafka sends a batch uncompressed when compressing does not
        # make it smaller.)
        errors = []
        p = Producer({"bootstrap.servers": server.bootstrap, "compression.type": "zstd", "linger.ms": 50, "retries": 0})
        p.produce("compacted", key="a", value="1" * 500, on_delivery=lambda e, m: errors.append(e))
        p.produce("compacted", key=None, value="2" * 500, on_delivery=lambda e, m: errors.append(e))
        assert p.flush(30) == 0
        assert [e.code() if e else None for e in errors] == [KafkaError.INVALID_RECORD] * 2
        p.produce("compacted", key="b", value="3" * 500, on_delivery=lambda e, m: errors.append(e))
        assert p.flush(30) == 0
        assert errors[2] is None
        assert eddy_consume(server, "compacted", "%o %k\\n") == ["0 b"]
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert stored_codecs(server, "gz") and set(stored_codecs(server, "gz")) == {CODEC_BITS["gzip"]}
    assert stored_codecs(server, "plain") and set(stored_codecs(server, "plain")) == {CODEC_BITS["none"]}
    assert set(stored_codecs(server, "compacted")) == {CODEC_BITS["zstd"]}
