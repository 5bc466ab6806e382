"""Transactions against eddy serve with confluent-kafka (librdkafka 2.16): a transactional
producer commits and aborts, a read_committed consumer sees the committed records only (an
uncommitted one sees them all), a new instance with the same transactional.id fences the old
one, and `eddy consume --isolation-level read_committed` agrees with the client."""
import time

from confluent_kafka import Consumer, KafkaException, Producer

from conftest import describe_rows, wait_until
from test_python_clients import create


def consume_all(server, topic, isolation, expected, group):
    c = Consumer({"bootstrap.servers": server.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "isolation.level": isolation, "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < expected and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    # Nothing more arrives (read_committed must not hand out aborted records late).
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        m = c.poll(0.3)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    c.close()
    return got


def test_confluent_transactional_producer_commit_abort_and_read_committed(eddy_server):
    create(eddy_server, "txn", 2, 3)
    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "transactional.id": "interop-tx", "acks": "all"})
    p.init_transactions(30)
    p.begin_transaction()
    for i in range(10):
        p.produce("txn", key=f"k{i}", value=f"committed-{i}")
    p.commit_transaction(30)
    p.begin_transaction()
    for i in range(5):
        p.produce("txn", key=f"k{i}", value=f"aborted-{i}")
    p.flush(30)
    p.abort_transaction(30)
    p.begin_transaction()
    p.produce("txn", key="k", value="committed-last")
    p.commit_transaction(30)

    committed = consume_all(eddy_server, "txn", "read_committed", 11, "txn-committed")
    assert sorted(committed) == sorted([f"committed-{i}" for i in range(10)] + ["committed-last"])
    uncommitted = consume_all(eddy_server, "txn", "read_uncommitted", 16, "txn-uncommitted")
    assert sorted(uncommitted) == sorted([f"committed-{i}" for i in range(10)] + [f"aborted-{i}" for i in range(5)] + ["committed-last"])

    # eddy's own consumer over the wire agrees.
    out = eddy_server.eddy("consume", "--bootstrap-server", eddy_server.bootstrap, "--topic", "txn", "--isolation-level",
                           "read_committed", "--exit-at-end")
    assert sorted(out.stdout.split()) == sorted(committed)


def test_a_new_instance_fences_the_old_transactional_producer(eddy_server):
    create(eddy_server, "fence", 1, 3)
    old = Producer({"bootstrap.servers": eddy_server.bootstrap, "transactional.id": "interop-fence"})
    old.init_transactions(30)
    old.begin_transaction()
    old.produce("fence", value="zombie")
    old.flush(30)
    new = Producer({"bootstrap.servers": eddy_server.bootstrap, "transactional.id": "interop-fence"})
    new.init_transactions(30)  # aborts the old instance's open transaction and bumps the epoch
    new.begin_transaction()
    new.produce("fence", value="fresh")
    new.commit_transaction(30)
    fenced = False
    try:
        old.commit_transaction(30)
    except KafkaException as e:
        fenced = e.args[0].fatal() or "fenced" in str(e).lower()
    assert fenced
    assert consume_all(eddy_server, "fence", "read_committed", 1, "fence-check") == ["fresh"]


def test_eddy_transactions_list_and_describe_an_open_transaction(eddy_server):
    create(eddy_server, "open", 1, 3)
    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "transactional.id": "interop-open", "transaction.timeout.ms": 60000})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce("open", value="pending")
    p.flush(30)
    listed = eddy_server.eddy("transactions", "list", "--bootstrap-server", eddy_server.bootstrap, "--state", "Ongoing").stdout
    lines = listed.strip().splitlines()
    assert lines[0].split() == ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]
    assert [l.split()[0] for l in lines[1:]] == ["interop-open"] and lines[1].split()[3] == "Ongoing"
    described = eddy_server.eddy("transactions", "describe", "--bootstrap-server", eddy_server.bootstrap,
                                 "--transactional-id", "interop-open").stdout.strip().splitlines()
    row = described[1].split()
    assert row[1] == "interop-open" and row[4] == "Ongoing" and row[5] == "60000" and row[6] != "None" and row[8] == "open-0"
    # A read_committed consumer waits at the open transaction; committing releases it.
    p.commit_transaction(30)
    assert consume_all(eddy_server, "open", "read_committed", 1, "open-check") == ["pending"]
    def completed():
        # CompleteCommit is written after the markers, which follow EndTxn's answer.
        row = eddy_server.eddy("transactions", "describe", "--bootstrap-server", eddy_server.bootstrap,
                               "--transactional-id", "interop-open").stdout.strip().splitlines()[1].split()
        return row if row[4] == "CompleteCommit" else None
    after = wait_until(completed, what="CompleteCommit")
    assert after[6] == "None"
    missing = eddy_server.eddy("transactions", "describe", "--bootstrap-server", eddy_server.bootstrap, "--transactional-id", "nobody",
                               check=False)
    assert missing.returncode == 1 and "TRANSACTIONAL_ID_NOT_FOUND" in missing.stderr and missing.stderr.count("\n") == 1


def test_consume_transform_produce_commits_offsets_with_the_transaction(eddy_server):
    """KIP-447's loop with confluent-kafka: records consumed from `ctp-in` are transformed into
    `ctp-out` and their offsets sent with send_offsets_to_transaction (AddOffsetsToTxn, then
    TxnOffsetCommit with the member's generation). The first transaction commits, the second
    aborts: the group's committed offsets and the output hold the first only, so a restarted
    member reprocesses exactly the aborted records."""
    from confluent_kafka import TopicPartition

    create(eddy_server, "ctp-in", 2, 3)
    create(eddy_server, "ctp-out", 2, 3)
    feed = Producer({"bootstrap.servers": eddy_server.bootstrap})
    for i in range(20):
        feed.produce("ctp-in", key=f"k{i}", value=f"v{i}", partition=i % 2)
    feed.flush(30)

    def member():
        c = Consumer({"bootstrap.servers": eddy_server.bootstrap, "group.id": "ctp", "auto.offset.reset": "earliest",
                      "isolation.level": "read_committed", "enable.auto.commit": False})
        c.subscribe(["ctp-in"])
        return c

    def take(c, n):
        got = []
        deadline = time.monotonic() + 30
        while len(got) < n and time.monotonic() < deadline:
            for m in c.consume(num_messages=n - len(got), timeout=0.5):
                if m.error() is None:
                    got.append(m)
        assert len(got) == n, f"consumed {len(got)} of {n}"
        return got

    def next_offsets(messages):
        ends = {}
        for m in messages:
            ends[m.partition()] = max(ends.get(m.partition(), 0), m.offset() + 1)
        return [TopicPartition("ctp-in", p, o) for p, o in sorted(ends.items())]

    p = Producer({"bootstrap.servers": eddy_server.bootstrap, "transactional.id": "interop-ctp"})
    p.init_transactions(30)
    c = member()

    def transform(messages, commit):
        p.begin_transaction()
        for m in messages:
            p.produce("ctp-out", key=m.key(), value=m.value().upper())
        p.send_offsets_to_transaction(next_offsets(messages), c.consumer_group_metadata(), 30)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)

    first = take(c, 10)
    transform(first, commit=True)
    second = take(c, 10)
    transform(second, commit=False)
    c.close()

    # The group's offsets are the first transaction's, as eddy shows them.
    out = eddy_server.eddy("groups", "describe", "--bootstrap-server", eddy_server.bootstrap, "--group", "ctp").stdout
    committed = {int(r["PARTITION"]): int(r["CURRENT-OFFSET"]) for r in describe_rows(out) if r["TOPIC"] == "ctp-in"}
    assert committed == {tp.partition: tp.offset for tp in next_offsets(first)}, out

    # A restarted member resumes there: it gets exactly the aborted transaction's input again.
    again = member()
    redo = take(again, 10)
    again.close()
    assert sorted(m.value().decode() for m in redo) == sorted(m.value().decode() for m in second)
    assert sorted(consume_all(eddy_server, "ctp-out", "read_committed", 10, "ctp-check")) == \
        sorted(m.value().decode().upper() for m in first)


def test_kafka_python_transactional_producer_and_read_committed_consumer(eddy_server):
    """kafka-python's own transactional producer (no librdkafka): commit, abort, commit; its
    read_committed consumer sees the committed records only."""
    from kafka import KafkaConsumer, KafkaProducer

    create(eddy_server, "kp-txn", 1, 3)
    p = KafkaProducer(bootstrap_servers=eddy_server.bootstrap, transactional_id="kp-tx", acks="all")
    p.init_transactions()
    for values, commit in ((["k1", "k2"], True), (["kx"], False), (["k3"], True)):
        p.begin_transaction()
        for v in values:
            p.send("kp-txn", value=v.encode())
        if commit:
            p.commit_transaction()
        else:
            p.flush()
            p.abort_transaction()
    p.close()
    from kafka import TopicPartition as KTopicPartition

    c = KafkaConsumer(bootstrap_servers=eddy_server.bootstrap, auto_offset_reset="earliest", isolation_level="read_committed",
                      enable_auto_commit=False)
    c.assign([KTopicPartition("kp-txn", 0)])
    got = []
    deadline = time.monotonic() + 20
    while len(got) < 3 and time.monotonic() < deadline:
        for records in c.poll(timeout_ms=500).values():
            got += [r.value.decode() for r in records]
    # Nothing more (the aborted record never comes).
    for records in c.poll(timeout_ms=1500).values():
        got += [r.value.decode() for r in records]
    c.close()
    assert got == ["k1", "k2", "k3"]


def test_aiokafka_transaction_and_read_committed_consumer(eddy_server):
    """aiokafka's transactional producer (its transaction() context aborts on an exception) and
    read_committed consumer."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    create(eddy_server, "aio-txn", 1, 3)

    async def run():
        p = AIOKafkaProducer(bootstrap_servers=eddy_server.bootstrap, transactional_id="aio-tx")
        await p.start()
        try:
            async with p.transaction():
                await p.send_and_wait("aio-txn", b"a1")
            try:
                async with p.transaction():
                    await p.send_and_wait("aio-txn", b"aborted")
                    raise RuntimeError("abort this one")
            except RuntimeError:
                pass
            async with p.transaction():
                await p.send_and_wait("aio-txn", b"a2")
        finally:
            await p.stop()
        c = AIOKafkaConsumer("aio-txn", bootstrap_servers=eddy_server.bootstrap, group_id="aio-txn-check",
                             auto_offset_reset="earliest", isolation_level="read_committed", enable_auto_commit=False)
        await c.start()
        got = []
        try:
            deadline = asyncio.get_running_loop().time() + 20
            while len(got) < 2 and asyncio.get_running_loop().time() < deadline:
                batch = await c.getmany(timeout_ms=500)
                for records in batch.values():
                    got += [r.value.decode() for r in records]
            extra = await c.getmany(timeout_ms=1500)
            got += [r.value.decode() for records in extra.values() for r in records]
        finally:
            await c.stop()
        return got

    assert asyncio.run(run()) == ["a1", "a2"]
