"""confluent-kafka (librdkafka 2.16), kafka-python and aiokafka against eddy serve: producers,
consumer groups, commits, the admin client, Kafka's errors, and offsets cross-checked with
`eddy groups describe --bootstrap-server`."""
import asyncio
import threading
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, AlterConfigOpType, ConfigEntry

from conftest import describe_rows, wait_until
from test_eddy_cli import eddy
from test_kcat import committed_offsets


def create(server, topic, partitions, rf=1, *configs):
    args = ["topics", "create", "--bootstrap-server", server.bootstrap, "--topic", topic, "--partitions", str(partitions),
            "--replication-factor", str(rf)]
    for c in configs:
        args += ["--config", c]
    server.eddy(*args)


def test_confluent_idempotent_producer_with_acks_all(eddy_server):
    create(eddy_server, "idem", 3, 3)
    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "enable.idempotence": True, "acks": "all"})
    errors = []
    for i in range(300):
        p.produce("idem", key=f"k{i % 7}", value=f"v{i}", on_delivery=lambda e, m: e and errors.append(e))
    assert p.flush(30) == 0
    assert errors == []
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "idem-check", "auto.offset.reset": "earliest"})
    c.subscribe(["idem"])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 300 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    c.close()
    assert sorted(got) == sorted(f"v{i}" for i in range(300))


def test_confluent_group_of_three_owns_each_partition_once_and_resumes(eddy_server):
    create(eddy_server, "six", 6, 3)
    p = Producer({"bootstrap.servers": eddy_server.bootstrap})
    for i in range(600):
        p.produce("six", key=f"key-{i}", value=str(i))
    assert p.flush(30) == 0
    lock = threading.Lock()
    assignments = {}
    consumed = {}

    def member(name, stop):
        c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "trio", "auto.offset.reset": "earliest",
                      "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
        c.subscribe(["six"])
        while not stop.is_set():
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                with lock:
                    consumed[(m.partition(), m.offset())] = name
                try:
                    c.commit(message=m, asynchronous=False)
                except KafkaException:
                    # A rebalance in progress (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION): the
                    # partition's next owner reads again from the last commit and commits it.
                    pass
            with lock:
                assignments[name] = sorted(tp.partition for tp in c.assignment())
        c.close()

    stops = {n: threading.Event() for n in ("a", "b", "c")}
    threads = {n: threading.Thread(target=member, args=(n, stops[n])) for n in stops}
    for t in threads.values():
        t.start()

    def balanced():
        with lock:
            owned = [p for ps in assignments.values() for p in ps]
            return len(assignments) == 3 and sorted(owned) == list(range(6)) and all(len(ps) == 2 for ps in assignments.values())

    wait_until(balanced, timeout=60, what="3 members owning 2 partitions each")
    wait_until(lambda: len(consumed) == 600, timeout=60, what="all 600 records consumed")
    # A member leaving triggers a rebalance: the other two take its partitions.
    stops["c"].set()
    threads["c"].join()
    with lock:
        del assignments["c"]

    def two_members():
        with lock:
            owned = sorted(p for ps in assignments.values() for p in ps)
            return owned == list(range(6)) and all(len(ps) == 3 for ps in assignments.values())

    wait_until(two_members, timeout=60, what="the remaining two members to own all 6 partitions")
    for n in ("a", "b"):
        stops[n].set()
        threads[n].join()
    # Committed offsets are the log end of every partition, and eddy shows the same.
    offsets = committed_offsets(eddy_server, "trio", "six")
    assert sum(offsets.values()) == 600
    # A restarted member resumes from the committed offsets: new records only.
    for i in range(600, 612):
        p.produce("six", key=f"key-{i}", value=str(i))
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "trio", "auto.offset.reset": "earliest"})
    c.subscribe(["six"])
    got = []
    deadline = time.monotonic() + 40
    while len(got) < 12 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(int(m.value()))
    c.close()
    assert sorted(got) == list(range(600, 612))


def test_confluent_admin_client(eddy_server):
    admin = AdminClient({"bootstrap.servers": eddy_server.bootstrap})
    for f in admin.create_topics([NewTopic("adm", num_partitions=4, replication_factor=2)]).values():
        f.result(20)
    assert "adm" in admin.list_topics(timeout=10).topics
    assert len(admin.list_topics(timeout=10).topics["adm"].partitions) == 4
    res = ConfigResource("topic", "adm", incremental_configs=[
        ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)])
    for f in admin.incremental_alter_configs([res]).values():
        f.result(20)
    described = admin.describe_configs([ConfigResource("topic", "adm")])
    for f in described.values():
        assert f.result(20)["retention.ms"].value == "3600000"
    # List offsets.
    p = Producer({"bootstrap.servers": eddy_server.bootstrap})
    for i in range(5):
        p.produce("adm", value=str(i), partition=1)
    assert p.flush(20) == 0
    from confluent_kafka.admin import OffsetSpec
    offsets = admin.list_offsets({TopicPartition("adm", 1): OffsetSpec.latest()})
    for f in offsets.values():
        assert f.result(20).offset == 5
    # Groups: list and describe.
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "adm-group", "auto.offset.reset": "earliest"})
    c.subscribe(["adm"])
    wait_until(lambda: c.poll(0.2) is not None and len(c.assignment()) == 4, timeout=30, what="assignment")
    groups = admin.list_consumer_groups().result(20)
    assert "adm-group" in [g.group_id for g in groups.valid]
    desc = admin.describe_consumer_groups(["adm-group"])["adm-group"].result(20)
    assert len(desc.members) == 1
    c.close()
    for f in admin.delete_topics(["adm"]).values():
        f.result(20)
    wait_until(lambda: "adm" not in admin.list_topics(timeout=10).topics, what="topic deleted")


def test_confluent_reports_kafkas_errors(eddy_server):
    create(eddy_server, "tiny", 1, 1, "max.message.bytes=1000")
    errors = {}
    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "acks": "all", "message.timeout.ms": 10000})
    p.produce("tiny", value=b"x" * 5000, on_delivery=lambda e, m: errors.setdefault("tiny", e))
    p.flush(20)
    assert errors["tiny"] is not None and errors["tiny"].code() == KafkaError.MSG_SIZE_TOO_LARGE
    # A consumer assigned a partition that does not exist.
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "nobody", "allow.auto.create.topics": False})
    md = c.list_topics(topic="no-such-topic", timeout=10)
    assert md.topics["no-such-topic"].error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    c.close()


def test_not_enough_replicas_under_min_insync_replicas():
    """RF 3 and min.insync.replicas=3 with broker 2 stopped: acks=all is refused."""
    from conftest import EddyServer
    server = EddyServer(setup=[["topics", "create", "--topic", "strict", "--partitions", "1", "--replication-factor", "3",
                                "--config", "min.insync.replicas=3"],
                               ["broker", "stop", "--id", "2"]])
    try:
        errors = []
        p = Producer({"bootstrap.servers": server.bootstrap, "acks": "all", "message.timeout.ms": 8000, "retries": 0})
        p.produce("strict", value=b"y", on_delivery=lambda e, m: errors.append(e))
        p.flush(20)
        assert errors and errors[0] is not None and errors[0].code() == KafkaError.NOT_ENOUGH_REPLICAS, errors
    finally:
        assert server.stop() == 0, server.output()


def test_kafka_python_producer_group_and_commit(eddy_server):
    from kafka import KafkaConsumer, KafkaProducer
    create(eddy_server, "kp", 2)
    p = KafkaProducer(bootstrap_servers=eddy_server.bootstrap, acks="all")
    for i in range(50):
        p.send("kp", key=b"k%d" % i, value=b"%d" % i)
    p.flush()
    p.close()
    c = KafkaConsumer("kp", bootstrap_servers=eddy_server.bootstrap, group_id="kp-group", auto_offset_reset="earliest",
                      enable_auto_commit=False)
    # A poll loop with a deadline, not consumer_timeout_ms: a new group's first join waits
    # group.initial.rebalance.delay.ms (3 s) before anything is fetched.
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 50 and time.monotonic() < deadline:
        got += [int(m.value) for ms in c.poll(timeout_ms=500).values() for m in ms]
    c.commit()
    c.close()
    assert sorted(got) == list(range(50))
    assert sum(committed_offsets(eddy_server, "kp-group", "kp").values()) == 50


def test_aiokafka_producer_group_and_commit(eddy_server):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    create(eddy_server, "ak", 2)

    async def run():
        p = AIOKafkaProducer(bootstrap_servers=eddy_server.bootstrap)
        await p.start()
        for i in range(40):
            await p.send_and_wait("ak", key=b"k%d" % i, value=b"%d" % i)
        await p.stop()
        c = AIOKafkaConsumer("ak", bootstrap_servers=eddy_server.bootstrap, group_id="ak-group",
                             auto_offset_reset="earliest", enable_auto_commit=False)
        await c.start()
        got = []
        try:
            deadline = time.monotonic() + 30
            while len(got) < 40 and time.monotonic() < deadline:
                batch = await c.getmany(timeout_ms=500)
                for _, ms in batch.items():
                    got += [int(m.value) for m in ms]
            await c.commit()
        finally:
            await c.stop()
        return got

    got = asyncio.run(run())
    assert sorted(got) == list(range(40))
    assert sum(committed_offsets(eddy_server, "ak-group", "ak").values()) == 40


def test_auto_topic_creation(eddy_server):
    p = Producer({"bootstrap.servers": eddy_server.bootstrap})
    p.produce("auto-created", value=b"hello")
    assert p.flush(20) == 0
    assert "auto-created" in eddy_server.eddy("topics", "list", "--bootstrap-server", eddy_server.bootstrap).stdout.split()


def test_positions_of_consumers_in_any_language(eddy_server):
    """The broker sees every Fetch: `eddy groups describe` shows a kafka-python member's
    position (its next fetch offset) before it has committed anything."""
    from kafka import KafkaConsumer, KafkaProducer
    create(eddy_server, "pos", 1)
    p = KafkaProducer(bootstrap_servers=eddy_server.bootstrap)
    for i in range(20):
        p.send("pos", value=b"%d" % i)
    p.flush()
    p.close()
    c = KafkaConsumer("pos", bootstrap_servers=eddy_server.bootstrap, group_id="pos-group", auto_offset_reset="earliest",
                      enable_auto_commit=False)
    try:
        got = 0
        deadline = time.monotonic() + 30
        while got < 20 and time.monotonic() < deadline:
            got += sum(len(v) for v in c.poll(timeout_ms=500).values())
        assert got == 20

        def position():
            c.poll(timeout_ms=100)  # keep fetching (and heartbeating)
            out = eddy_server.eddy("groups", "describe", "--bootstrap-server", eddy_server.bootstrap, "--group", "pos-group").stdout
            row = next((r for r in describe_rows(out) if r["TOPIC"] == "pos"), None)
            return row if row and row["POSITION"] == "20" else None

        row = wait_until(position, what="position 20 in eddy groups describe")
        assert row["CURRENT-OFFSET"] == "-"  # nothing committed
        assert row["GROUP"] == "pos-group" and row["HOST"].endswith("127.0.0.1"), row
    finally:
        c.close(autocommit=False)


def test_create_partitions_from_confluent_and_kafka_python(eddy_server):
    """CreatePartitions (API 37): confluent-kafka's and kafka-python's admin clients raise a
    topic's partition count (with and without placement), see Kafka's error for a count that is
    not an increase, and a producer then writes to a new partition, read back by a consumer."""
    from confluent_kafka.admin import NewPartitions
    from confluent_kafka import KafkaException
    admin = AdminClient({"bootstrap.servers": eddy_server.bootstrap})
    for f in admin.create_topics([NewTopic("grow", num_partitions=1, replication_factor=3)]).values():
        f.result(20)
    for f in admin.create_partitions([NewPartitions("grow", 3)], validate_only=True).values():
        f.result(20)
    assert len(admin.list_topics("grow", timeout=10).topics["grow"].partitions) == 1
    for f in admin.create_partitions([NewPartitions("grow", 3, [[2, 0, 1], [0, 1, 2]])]).values():
        f.result(20)
    parts = admin.list_topics("grow", timeout=10).topics["grow"].partitions
    assert sorted(parts) == [0, 1, 2]
    assert parts[1].replicas == [2, 0, 1] and parts[1].leader == 2 and sorted(parts[1].isrs) == [0, 1, 2]
    try:
        admin.create_partitions([NewPartitions("grow", 2)])["grow"].result(20)
        assert False, "a decrease was accepted"
    except KafkaException as e:
        assert e.args[0].name() == "INVALID_PARTITIONS"

    from kafka import KafkaAdminClient
    from kafka.admin import NewPartitions as KpNewPartitions
    kp = KafkaAdminClient(bootstrap_servers=eddy_server.bootstrap)
    try:
        kp.create_partitions({"grow": KpNewPartitions(total_count=4)})
    finally:
        kp.close()
    wait_until(lambda: len(admin.list_topics("grow", timeout=10).topics["grow"].partitions) == 4, what="4 partitions")

    p = Producer({"bootstrap.servers": eddy_server.bootstrap})
    p.produce("grow", value=b"on-three", partition=3)
    assert p.flush(20) == 0
    c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "grow-reader", "auto.offset.reset": "earliest"})
    c.assign([TopicPartition("grow", 3, 0)])
    got = []
    wait_until(lambda: (lambda m: m is not None and not m.error() and got.append(m.value()) is None)(c.poll(0.5)) or got,
               timeout=30, what="the record on partition 3")
    c.close()
    assert got == [b"on-three"]


def test_confluent_elect_leaders(eddy_server):
    """ElectLeaders (API 43) from confluent-kafka's admin client: a partition already led by its
    preferred replica needs no election (ELECTION_NOT_NEEDED), an unknown one is
    UNKNOWN_TOPIC_OR_PARTITION, and an unclean election of a partition with a leader is not needed
    either; all partitions at once answer only those that needed one (none here)."""
    from confluent_kafka import ElectionType, KafkaError
    admin = AdminClient({"bootstrap.servers": eddy_server.bootstrap})
    for f in admin.create_topics([NewTopic("elect", num_partitions=2, replication_factor=3)]).values():
        f.result(20)
    wait_until(lambda: all(p.leader >= 0 for p in admin.list_topics("elect", timeout=10).topics["elect"].partitions.values()),
               what="leaders")
    results = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition("elect", 0), TopicPartition("elect", 9)]).result(20)
    codes = {(tp.topic, tp.partition): (e.code() if e else None) for tp, e in results.items()}
    assert codes == {("elect", 0): KafkaError.ELECTION_NOT_NEEDED, ("elect", 9): KafkaError.UNKNOWN_TOPIC_OR_PART}, codes
    unclean = admin.elect_leaders(ElectionType.UNCLEAN, [TopicPartition("elect", 1)]).result(20)
    assert [e.code() for e in unclean.values()] == [KafkaError.ELECTION_NOT_NEEDED]
    everything = admin.elect_leaders(ElectionType.PREFERRED, None).result(20)
    assert everything == {}, everything


def test_kafka_python_describe_log_dirs(eddy_server):
    """kafka-python's admin asks every broker for its log directories (DescribeLogDirs, API 35):
    each answers for the replicas it holds, and the leader's size is what
    `eddy topics describe --bootstrap-server` prints in its Size column."""
    from kafka import KafkaAdminClient, KafkaProducer
    create(eddy_server, "dirs", 2)
    p = KafkaProducer(bootstrap_servers=eddy_server.bootstrap, acks="all")
    for i in range(30):
        p.send("dirs", value=b"x" * 100, partition=i % 2)
    p.flush()
    p.close()
    admin = KafkaAdminClient(bootstrap_servers=eddy_server.bootstrap)
    try:
        answers = admin.describe_log_dirs()
    finally:
        admin.close()
    sizes = {}
    for answer in answers:
        assert len(answer["log_dirs"]) == 1
        d = answer["log_dirs"][0]
        assert d["error_code"] == 0 and d["log_dir"].endswith("/broker-%d" % answer["broker"])
        for t in d["topics"]:
            if t["name"] == "dirs":
                for part in t["partitions"]:
                    sizes.setdefault(part["partition_index"], {})[answer["broker"]] = part["partition_size"]
    assert sorted(sizes) == [0, 1]
    described = eddy_server.eddy("topics", "describe", "--topic", "dirs", "--bootstrap-server", eddy_server.bootstrap).stdout
    rows = [line.split() for line in described.splitlines()[2:] if line.strip()]
    assert len(rows) == 2
    for row in rows:
        partition, leader, size = int(row[0]), int(row[1]), int(row[-1])
        assert size > 0
        assert sizes[partition][leader] == size


def test_shutdown_with_a_consumer_fetch_waiting():
    """SIGTERM while a consumer's Fetch waits at the broker (fetch.wait.max.ms 30 s, longer than the
    server waits for requests in flight at shutdown): the waiting
    fetch is answered after the network threads stopped, which must not try to schedule its
    response on them; eddy exits 0 with nothing but its own shutdown lines."""
    from conftest import EddyServer
    server = EddyServer()
    try:
        create(server, "idle", 1, 3)
        c = Consumer({"bootstrap.servers": server.bootstrap, "group.id": "idle-group", "auto.offset.reset": "latest",
                      "fetch.wait.max.ms": 30000})
        c.assign([TopicPartition("idle", 0)])
        c.poll(2.0)  # connected, its fetch now waiting at the leader
        time.sleep(0.5)
        code = server.stop()
        c.close()
        assert code == 0, server.output()
        assert "Cannot schedule" not in server.output(), server.output()
    finally:
        server.stop()


def test_confluent_describe_cluster(eddy_server):
    """Admin.describe_cluster (DescribeCluster, KIP-700): the cluster id, the controller and
    the three brokers on the addresses clients connect to."""
    admin = AdminClient({"bootstrap.servers": eddy_server.bootstrap})
    described = admin.describe_cluster(request_timeout=30).result(30)
    host, port = eddy_server.bootstrap.split(":")
    assert sorted(n.id for n in described.nodes) == [0, 1, 2]
    assert sorted((n.host, n.port) for n in described.nodes) == [(host, int(port) + i) for i in range(3)]
    # The active controller of the three combined ones (brokers 0-2), as eddy cluster describe names it.
    leader = next(l.split()[-1] for l in eddy("cluster", "describe", "--bootstrap-server", eddy_server.bootstrap).stdout.splitlines()
                  if l.startswith("LeaderId:"))
    assert described.controller is not None and described.controller.id == int(leader)
    assert described.cluster_id
