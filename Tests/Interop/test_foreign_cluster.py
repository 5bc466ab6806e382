"""eddy's CLI against a cluster eddy did not make: Tansu, a Kafka-compatible broker in Rust.

Where Tansu answers differently from Kafka, eddy copes (see Admin+EndOffsetCheck.swift and
Admin.listConsumerGroups): ListOffsets "latest" answers the last batch's base offset plus one,
a Fetch with fetch.max.wait.ms 0 is answered with no partitions, and ListGroups v5 leaves the
groups' states empty. These tests show the results a Kafka user expects.
"""
import re


def describe_rows(text):
    """`eddy topics describe` partition rows: {partition: {column: value}}."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("Partition"))
    columns = lines[header].split()
    rows = {}
    for line in lines[header + 1:]:
        cells = line.split()
        if len(cells) == len(columns):
            rows[int(cells[0])] = dict(zip(columns, cells))
    return rows


def group_rows(text):
    """`eddy groups describe` rows: {(topic, partition): {column: value}}."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = next(i for i, line in enumerate(lines) if line.startswith("GROUP"))
    columns = lines[header].split()
    rows = {}
    for line in lines[header + 1:]:
        cells = line.split()
        if len(cells) >= len(columns):
            row = dict(zip(columns, cells))
            rows[(row["TOPIC"], int(row["PARTITION"]))] = row
    return rows


def test_topics_produce_consume_and_offsets(tansu):
    tansu.eddy("topics", "create", "--topic", "orders", "--partitions", "3")
    assert "orders" in tansu.eddy("topics", "list").stdout.split()

    # A batch of one record, then one of fifty, to partition 0: offsets 0 to 50.
    tansu.eddy("produce", "--topic", "orders", "--partition", "0", input="first\n")
    r = tansu.eddy("produce", "--topic", "orders", "--partition", "0", input="".join(f"r{i}\n" for i in range(50)))
    assert "offsets 1..50" in r.stderr, r.stderr

    rows = describe_rows(tansu.eddy("topics", "describe", "--topic", "orders").stdout)
    assert sorted(rows) == [0, 1, 2]
    # Tansu's own ListOffsets answer would be 2 here; eddy checks it with a Fetch.
    assert rows[0]["LogEndOffset"] == "51" and rows[0]["HighWatermark"] == "51", rows[0]
    assert rows[1]["HighWatermark"] == "0"

    out = tansu.eddy("consume", "--topic", "orders", "--partition", "0", "--exit-at-end", "--format", "%o %s\\n").stdout
    assert out.splitlines() == ["0 first"] + [f"{i + 1} r{i}" for i in range(50)]


def test_groups_list_and_describe(tansu):
    tansu.eddy("topics", "create", "--topic", "payments", "--partitions", "1")
    tansu.eddy("produce", "--topic", "payments", input="".join(f"p{i}\n" for i in range(30)))
    # A group that only commits (no join: Tansu's first join takes about 20 s).
    tansu.eddy("groups", "reset-offsets", "--group", "billing", "--topic", "payments", "--to-offset", "10", "--execute")

    listed = tansu.eddy("groups", "list").stdout
    # Tansu lists it without a state; eddy asks DescribeGroups, as Kafka would answer.
    assert re.search(r"^billing\s+Empty$", listed, re.M), listed

    rows = group_rows(tansu.eddy("groups", "describe", "--group", "billing").stdout)
    row = rows[("payments", 0)]
    assert row["CURRENT-OFFSET"] == "10" and row["LOG-END-OFFSET"] == "30" and row["LAG"] == "20", row

    # --to-latest uses the checked high watermark, not Tansu's ListOffsets answer.
    tansu.eddy("groups", "reset-offsets", "--group", "billing", "--topic", "payments", "--to-latest", "--execute")
    row = group_rows(tansu.eddy("groups", "describe", "--group", "billing").stdout)[("payments", 0)]
    assert row["CURRENT-OFFSET"] == "30" and row["LAG"] == "0", row


def test_eddy_only_features_are_refused_plainly(tansu):
    r = tansu.eddy("broker", "stop", "--id", "111", check=False)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "not an eddy cluster" in r.stderr, r.stderr
