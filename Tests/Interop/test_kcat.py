"""kcat, on librdkafka 2.0.2 and 2.16, against eddy serve."""
import pytest

from conftest import describe_rows, kcat, wait_until

LIBRARIES = ["2.0.2", "2.16"]
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (Utils.murmur2), seed 0x9747b28c."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = length % 4
    tail = data[length - rest:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def kafka_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@pytest.mark.parametrize("library", LIBRARIES)
def test_metadata_lists_brokers_leaders_replicas_and_isr(eddy_server, library):
    eddy_server.eddy("topics", "create", "--bootstrap-server", eddy_server.bootstrap, "--topic", f"meta-{library}",
                     "--partitions", "3", "--replication-factor", "3")
    r = kcat(["-b", eddy_server.bootstrap, "-L", "-t", f"meta-{library}"], library)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert " 3 brokers:" in out
    for i in range(3):
        assert f"broker {i} at 127.0.0.1:{eddy_server.port + i}" in out
    assert f'topic "meta-{library}" with 3 partitions:' in out
    for p in range(3):
        line = next(l for l in out.splitlines() if l.strip().startswith(f"partition {p},"))
        assert "leader" in line and "replicas:" in line and "isrs:" in line
        replicas = line.split("replicas: ")[1].split(",")[0].split(", isrs")[0]
        assert len(line.split("replicas: ")[1].split(", isrs: ")[0].split(",")) == 3, line
        assert len(line.split("isrs: ")[1].split(",")) == 3, line


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("codec", CODECS)
def test_keyed_produce_and_consume_with_each_codec(eddy_server, library, codec):
    topic = f"codec-{codec}-{library}".replace(".", "_")
    eddy_server.eddy("topics", "create", "--bootstrap-server", eddy_server.bootstrap, "--topic", topic, "--partitions", "3")
    lines = [f"key-{i}:value-{codec}-{i}" for i in range(30)]
    r = kcat(["-b", eddy_server.bootstrap, "-P", "-t", topic, "-K:", "-z", codec], library, input="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    r = kcat(["-b", eddy_server.bootstrap, "-C", "-t", topic, "-e", "-f", "%p %o %k %s\\n"], library)
    assert r.returncode == 0, r.stderr
    got = [l.split(" ") for l in r.stdout.splitlines() if l]
    assert len(got) == 30
    by_partition = {}
    for p, o, k, v in got:
        by_partition.setdefault(int(p), []).append((int(o), k, v))
    for p, records in by_partition.items():
        offsets = [o for o, _, _ in records]
        assert offsets == list(range(len(records))), f"partition {p} out of order: {offsets}"
        values = [int(v.rsplit("-", 1)[1]) for _, _, v in records]
        assert values == sorted(values), f"partition {p}: {values}"
    assert sorted(v for _, _, _, v in got) == sorted(l.split(":")[1] for l in lines)


@pytest.mark.parametrize("library", LIBRARIES)
def test_murmur2_random_partitioner_lands_on_kafkas_partitions(eddy_server, library):
    topic = f"murmur-{library}".replace(".", "_")
    eddy_server.eddy("topics", "create", "--bootstrap-server", eddy_server.bootstrap, "--topic", topic, "--partitions", "6")
    keys = [f"customer-{i}" for i in range(40)]
    r = kcat(["-b", eddy_server.bootstrap, "-P", "-t", topic, "-K:", "-X", "partitioner=murmur2_random"], library,
             input="".join(f"{k}:v\n" for k in keys))
    assert r.returncode == 0, r.stderr
    r = kcat(["-b", eddy_server.bootstrap, "-C", "-t", topic, "-e", "-f", "%p %k\\n"], library)
    landed = {k: int(p) for p, k in (l.split(" ") for l in r.stdout.splitlines() if l)}
    assert len(landed) == 40
    for k in keys:
        assert landed[k] == kafka_partition(k.encode(), 6), k


@pytest.mark.parametrize("library", LIBRARIES)
def test_group_consumer_joins_and_commits(eddy_server, library):
    topic = f"grp-{library}".replace(".", "_")
    group = f"kcat-group-{library}".replace(".", "_")
    eddy_server.eddy("topics", "create", "--bootstrap-server", eddy_server.bootstrap, "--topic", topic, "--partitions", "2")
    r = kcat(["-b", eddy_server.bootstrap, "-P", "-t", topic, "-K:"], library, input="".join(f"k{i}:v{i}\n" for i in range(20)))
    assert r.returncode == 0, r.stderr
    r = kcat(["-b", eddy_server.bootstrap, "-G", group, "-X", "auto.offset.reset=earliest", "-e", "-f", "%p %o %s\\n", topic],
             library, timeout=90)
    assert r.returncode == 0, r.stderr
    assert len([l for l in r.stdout.splitlines() if l]) == 20
    assert "rebalanced" in r.stderr and "assigned" in r.stderr
    # The group's committed offsets are what eddy shows.
    totals = wait_until(lambda: (lambda c: c if sum(c.values()) == 20 else None)(committed_offsets(eddy_server, group, topic)),
                        what="committed offsets to reach 20")
    assert sum(totals.values()) == 20


def committed_offsets(server, group, topic):
    """CURRENT-OFFSET per partition of `topic`, from `eddy groups describe --bootstrap-server`."""
    out = server.eddy("groups", "describe", "--bootstrap-server", server.bootstrap, "--group", group).stdout
    return {int(r["PARTITION"]): int(r["CURRENT-OFFSET"]) for r in describe_rows(out)
            if r["TOPIC"] == topic and r["CURRENT-OFFSET"] != "-"}
