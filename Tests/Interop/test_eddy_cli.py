"""eddy's own commands with --bootstrap-server against eddy serve, mixed with kcat."""
import subprocess

from conftest import EDDY, EddyServer, kcat, wait_until


def eddy(*args, input=None, check=True):
    r = subprocess.run([EDDY, *args], input=input, capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, f"eddy {' '.join(args)}: {r.stderr}"
    return r


def test_topics_produce_consume_and_groups(eddy_server):
    b = eddy_server.bootstrap
    eddy("topics", "create", "--bootstrap-server", b, "--topic", "cli", "--partitions", "2")
    assert "cli" in eddy("topics", "list", "--bootstrap-server", b).stdout.split()
    eddy("produce", "--bootstrap-server", b, "--topic", "cli", "--partition", "1", input="".join(f"line {i}\n" for i in range(12)))
    out = eddy("consume", "--bootstrap-server", b, "--topic", "cli", "--exit-at-end", "--format", "%p %o %s\\n").stdout
    assert out.splitlines() == [f"1 {i} line {i}" for i in range(12)]
    # From an offset, and only that partition.
    out = eddy("consume", "--bootstrap-server", b, "--topic", "cli", "--partition", "1", "--offset", "10", "--exit-at-end").stdout
    assert out.splitlines() == ["line 10", "line 11"]
    # kcat reads what eddy wrote, eddy reads what kcat wrote.
    r = kcat(["-b", b, "-C", "-t", "cli", "-p", "1", "-e", "-f", "%s\\n"])
    assert r.stdout.splitlines() == [f"line {i}" for i in range(12)]
    kcat(["-b", b, "-P", "-t", "cli", "-p", "0"], input="from kcat\n")
    out = eddy("consume", "--bootstrap-server", b, "--topic", "cli", "--partition", "0", "--exit-at-end").stdout
    assert out.splitlines() == ["from kcat"]
    # A group commits what it printed; a second run continues after it.
    first = eddy("consume", "--bootstrap-server", b, "--topic", "cli", "--group", "g", "--max-messages", "5", "--exit-at-end").stdout
    rest = eddy("consume", "--bootstrap-server", b, "--topic", "cli", "--group", "g", "--exit-at-end").stdout
    assert len(first.splitlines()) == 5 and len(rest.splitlines()) == 8
    assert sorted(first.splitlines() + rest.splitlines()) == sorted([f"line {i}" for i in range(12)] + ["from kcat"])
    listed = eddy("groups", "list", "--bootstrap-server", b).stdout
    assert "g " in listed or "\ng" in listed
    eddy("topics", "delete", "--bootstrap-server", b, "--topic", "cli")
    assert "cli" not in eddy("topics", "list", "--bootstrap-server", b).stdout.split()


def test_a_served_data_directory_points_to_the_server(eddy_server):
    r = eddy("topics", "list", "--data-dir", eddy_server.dir + "/data", check=False)
    assert r.returncode == 1
    assert f"use --bootstrap-server {eddy_server.bootstrap}" in r.stderr
    assert r.stderr.count("\n") == 1


def test_usage_errors(eddy_server):
    r = eddy("topics", "list", "--bootstrap-server", "nonsense", check=False)
    assert r.returncode == 2 and r.stderr.startswith("eddy: --bootstrap-server must be HOST:PORT")
    r = eddy("topics", "list", "--bootstrap-server", eddy_server.bootstrap, "--data-dir", "/tmp/x", check=False)
    assert r.returncode == 2 and "give one of them" in r.stderr
    r = eddy("serve", "--listen", "nope", check=False)
    assert r.returncode == 2 and "--listen must be HOST:PORT" in r.stderr
    r = eddy("consume", "--bootstrap-server", eddy_server.bootstrap, "--topic", "missing", "--exit-at-end", check=False)
    assert r.returncode == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in r.stderr


def test_broker_control_over_the_wire():
    """eddy's EddyBrokerControl extension: stop, start and kill brokers of a running server.
    Its own server: it stops every broker, and what follows a restart of all of them (fencing,
    unfencing, elections) would still be under way when the next test used a shared one."""
    server = EddyServer()
    try:
        broker_control(server.bootstrap)
    finally:
        assert server.stop() == 0, server.output()


def broker_control(b):
    assert eddy("broker", "stop", "--id", "2", "--bootstrap-server", b).stdout.startswith("Stopped broker 2")
    r = kcat(["-b", b, "-L"])
    assert " 2 brokers:" in r.stdout, r.stdout
    assert eddy("broker", "stop", "--id", "2", "--bootstrap-server", b).stdout.strip() == "Broker 2 is already stopped."
    assert eddy("broker", "start", "--id", "2", "--bootstrap-server", b).stdout.startswith("Started broker 2")
    wait_until(lambda: " 3 brokers:" in kcat(["-b", b, "-L"]).stdout, what="broker 2 back in Metadata")
    assert eddy("broker", "kill", "--id", "1", "--bootstrap-server", b).stdout.startswith("Killed broker 1")
    assert eddy("broker", "start", "--id", "1", "--bootstrap-server", b).stdout.startswith("Started broker 1")
    r = eddy("broker", "stop", "--id", "7", "--bootstrap-server", b, check=False)
    assert r.returncode == 1 and "BROKER_ID_NOT_REGISTERED" in r.stderr
    # Every broker stopped: a stopped broker's listener still takes the request that starts one
    # (found by scripts/stress-serve, seed 5077).
    for broker in ("0", "1", "2"):
        assert eddy("broker", "stop", "--id", broker, "--bootstrap-server", b).stdout.startswith(f"Stopped broker {broker}")
    assert eddy("broker", "start", "--id", "1", "--bootstrap-server", b).stdout.startswith("Started broker 1")
    for broker in ("0", "2"):
        assert eddy("broker", "start", "--id", broker, "--bootstrap-server", b).stdout.startswith(f"Started broker {broker}")
    wait_until(lambda: " 3 brokers:" in kcat(["-b", b, "-L"]).stdout, what="all three brokers back in Metadata")


def test_topics_describe_alter_and_cluster_describe(eddy_server):
    b = eddy_server.bootstrap
    eddy("topics", "create", "--bootstrap-server", b, "--topic", "desc", "--partitions", "2", "--replication-factor", "3",
         "--config", "retention.ms=1000000")
    eddy("produce", "--bootstrap-server", b, "--topic", "desc", "--partition", "1", input="a\nb\nc\n")
    eddy("topics", "alter", "--bootstrap-server", b, "--topic", "desc", "--config", "cleanup.policy=compact")
    lines = eddy("topics", "describe", "--bootstrap-server", b, "--topic", "desc").stdout.splitlines()
    assert "PartitionCount: 2  ReplicationFactor: 3  Configs: cleanup.policy=compact,retention.ms=1000000" in lines[0]
    rows = [l.split() for l in lines[2:]]
    assert [r[0] for r in rows] == ["0", "1"]
    assert rows[1][5:8] == ["0", "3", "3"]  # log start, log end, high watermark
    assert all(len(r[3].split(",")) == 3 and len(r[4].split(",")) == 3 for r in rows)
    assert all(r[2].isdigit() for r in rows), rows  # the leader epoch, from Metadata v7+
    out = eddy("cluster", "describe", "--bootstrap-server", b).stdout
    assert "Brokers:                      3 (running: 0,1,2)" in out
    assert "Offline partitions:           0" in out
    # The metadata quorum over the wire (DescribeQuorum): brokers 0-2 are its voters (combined
    # mode), the active controller leads them, and the Controller line names it.
    lines = out.splitlines()
    leader = next(l.split()[-1] for l in lines if l.startswith("LeaderId:"))
    assert leader in ("0", "1", "2") and f"Controller:                   {leader}" in lines
    assert "CurrentVoters:                [0,1,2]" in lines and "CurrentObservers:             []" in lines
    replicas = [l.split() for l in lines[lines.index(next(l for l in lines if l.strip().startswith("NodeId"))) + 1:]]
    assert [(r[0], r[5]) for r in replicas] == [(leader, "Leader")] + [(n, "Follower") for n in ("0", "1", "2") if n != leader]


def test_status_over_the_wire(eddy_server):
    """`eddy status --bootstrap-server`: the cluster's brokers and every partition's offsets
    (ListOffsets) and leader-replica size (DescribeLogDirs); segments are not visible."""
    b = eddy_server.bootstrap
    eddy("topics", "create", "--bootstrap-server", b, "--topic", "stat", "--partitions", "2", "--replication-factor", "2")
    eddy("produce", "--bootstrap-server", b, "--topic", "stat", "--partition", "0", input="x\ny\n")
    out = eddy("status", "--bootstrap-server", b).stdout.splitlines()
    assert out[0] == "Cluster:        " + b
    assert out[2] == "Brokers:        3 (running: 0,1,2)"
    rows = {(r[0], r[1]): r for r in (l.split() for l in out) if r and r[0] == "stat"}
    assert rows[("stat", "0")][3:7] == ["0", "2", "2", "-"]
    assert int(rows[("stat", "0")][7]) > 0
    assert rows[("stat", "1")][3:8] == ["0", "0", "0", "-", "0"]


def test_get_offsets_agrees_with_a_kafka_client(eddy_server):
    """`eddy topics get-offsets` over the wire: records with timestamps 1000, 2000, ... 5000
    written by confluent-kafka; the offsets eddy prints for a time are those librdkafka's
    offsets_for_times finds, and earliest, latest and max-timestamp are Kafka's."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    b = eddy_server.bootstrap
    eddy("topics", "create", "--bootstrap-server", b, "--topic", "stamped", "--partitions", "2", "--replication-factor", "3")
    p = Producer({"bootstrap.servers": b})
    for i in range(5):
        p.produce("stamped", value=f"v{i}", partition=0, timestamp=(i + 1) * 1000)
    assert p.flush(30) == 0

    def offsets(*args):
        return eddy("topics", "get-offsets", "--bootstrap-server", b, "--topic", "stamped", *args).stdout.splitlines()

    assert offsets() == ["stamped:0:5", "stamped:1:0"]
    assert offsets("--time", "earliest") == ["stamped:0:0", "stamped:1:0"]
    assert offsets("--time", "max-timestamp", "--partitions", "0") == ["stamped:0:4"]
    c = Consumer({"bootstrap.servers": b, "group.id": "get-offsets-check"})
    try:
        for ts in (0, 1000, 2500, 5000):
            [found] = c.offsets_for_times([TopicPartition("stamped", 0, ts)], timeout=30)
            assert offsets("--time", str(ts), "--partitions", "0") == [f"stamped:0:{found.offset}"], ts
        [after] = c.offsets_for_times([TopicPartition("stamped", 0, 6000)], timeout=30)
        assert after.offset == -1 and offsets("--time", "6000") == []
    finally:
        c.close()
