"""Transactions against eddy serve with confluent-kafka (librdkafka 2.16): a transactional
producer commits and aborts, a read_committed consumer sees the committed records only (an
uncommitted one sees them all), a new instance with the same transactional.id fences the old
one, and `eddy consume --isolation-level read_committed` agrees with the client."""
import time

from confluent_kafka import Consumer, KafkaException, Producer

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
    after = eddy_server.eddy("transactions", "describe", "--bootstrap-server", eddy_server.bootstrap,
                             "--transactional-id", "interop-open").stdout.strip().splitlines()[1].split()
    assert after[4] == "CompleteCommit" and after[6] == "None"
    missing = eddy_server.eddy("transactions", "describe", "--bootstrap-server", eddy_server.bootstrap, "--transactional-id", "nobody",
                               check=False)
    assert missing.returncode == 1 and "TRANSACTIONAL_ID_NOT_FOUND" in missing.stderr and missing.stderr.count("\n") == 1
