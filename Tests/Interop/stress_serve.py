"""A kill -9 campaign over the wire: `eddy serve` killed with SIGKILL while a real client
(confluent-kafka, acks=all, idempotence) produces, restarted, and read back.

One trial is one data directory and one seed: a topic of 3 partitions with replication factor 3,
min.insync.replicas=2 and small segments (so that kills land during segment rolls), then
CYCLES cycles of:
  - a producer thread writes keyed records with unique values; its delivery reports are the
    only record of what was acknowledged;
  - meanwhile, at seeded moments, single brokers are stopped, killed (a power cut) and started
    (never the last one running)
    again through eddy's admin extension (`eddy broker ... --bootstrap-server`), which moves
    partition leadership (elections); sometimes the one killed is the active controller's (the
    server runs 3 combined controllers), which makes the quorum elect another;
  - after a seeded delay the whole server is killed with SIGKILL;
  - it is restarted on the same data directory and ports, and a consumer (CRC checks on) reads
    every partition from its start to its high watermark.
Checked after every restart:
  - every acknowledged record is present exactly once, at the partition and offset its delivery
    report gave; no value appears twice at all;
  - per partition, one producer's records are in the order it sent them;
  - each partition's high watermark is at least the previous restart's (it never goes back).

`run(trials, first_seed)` returns the totals and the failures (each naming its seed);
`scripts/stress-serve` runs many trials, `test_stress_serve.py` a few.
"""
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import accepts, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EDDY = os.environ.get("EDDY_BIN", os.path.join(ROOT, ".build", "debug", "eddy"))
TOPIC = "stress"
PARTITIONS = 3
CYCLES = 2


def stable_port_block(count=3):
    """A first port such that it and the next count-1 are free, below the kernel's ephemeral
    range: the server is restarted on the same ports after every SIGKILL, and a port from the
    ephemeral range may meanwhile have been taken as a client connection's local port."""
    low = 10000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = int(f.read().split()[0]) - count
    except (OSError, ValueError, IndexError):
        high = 30000
    for _ in range(200):
        base = random.randrange(low, high)
        try:
            for p in range(base, base + count):
                with socket.socket() as t:
                    t.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
    raise RuntimeError("no block of free ports below the ephemeral range")


class Server:
    """`eddy serve` on one data directory and fixed ports, started and killed again and again."""

    def __init__(self, directory):
        self.data = os.path.join(directory, "data")
        self.port = stable_port_block()
        self.listen = f"127.0.0.1:{self.port}"
        # Every broker: one that is stopped refuses clients, the others still bootstrap them.
        self.bootstrap = ",".join(f"127.0.0.1:{self.port + i}" for i in range(3))
        self.log = open(os.path.join(directory, "serve.log"), "a")
        self.proc = None

    def start(self):
        self.log.write("=== start\n")
        self.log.flush()
        self.proc = subprocess.Popen([EDDY, "serve", "--data-dir", self.data, "--listen", self.listen],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: all(accepts(self.port + i) for i in range(3)) or self.proc.poll() is not None,
                   timeout=120, what="eddy serve to listen")
        if self.proc.poll() is not None:
            raise AssertionError(f"eddy serve exited with {self.proc.returncode}; see {self.log.name}")

    def note(self, line):
        """A line in serve.log between the server's own (what the trial did, for a replay)."""
        self.log.write(f"=== {line}\n")
        self.log.flush()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def eddy(self, *args):
        return subprocess.run([EDDY, *args, "--bootstrap-server", self.bootstrap], capture_output=True, text=True,
                              timeout=120)

    def active_controller(self):
        """The quorum's leader from `eddy cluster describe`, or None while it elects one."""
        r = self.eddy("cluster", "describe")
        for line in r.stdout.splitlines():
            if line.startswith("LeaderId:"):
                leader = int(line.split()[-1])
                return leader if leader >= 0 else None
        return None


class ProducerRun:
    """A producer thread writing `prefix-<n>` values (keys k0..k9) until stopped; `acked` maps
    each acknowledged value to (partition, offset)."""

    def __init__(self, bootstrap, prefix):
        self.prefix = prefix
        self.acked = {}
        self.sent = 0
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "log_level": 2,
                                  "linger.ms": 2, "message.timeout.ms": 5000, "socket.timeout.ms": 3000,
                                  "reconnect.backoff.max.ms": 200})
        self.thread = threading.Thread(target=self._run)

    def _on_delivery(self, error, message):
        if error is None:
            with self.lock:
                self.acked[message.value().decode()] = (message.partition(), message.offset())

    def _run(self):
        n = 0
        while not self.stop_event.is_set():
            try:
                self.producer.produce(TOPIC, key=f"k{n % 10}", value=f"{self.prefix}-{n}", on_delivery=self._on_delivery)
                n += 1
            except BufferError:
                pass
            self.producer.poll(0.001 if n % 50 else 0.01)
        self.sent = n

    def start(self):
        self.thread.start()

    def finish(self):
        """Stops producing and waits for every outstanding delivery report (failures included)."""
        self.stop_event.set()
        self.thread.join()
        self.producer.flush(15)
        with self.lock:
            return dict(self.acked)


def read_all(bootstrap):
    """Every record of every partition up to its high watermark: {partition: [(offset, value)]},
    and the high watermarks."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "stress-reader", "enable.auto.commit": False, "log_level": 2,
                  "check.crcs": True, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})
    try:
        highs = {}
        for p in range(PARTITIONS):
            def watermarks():
                try:
                    return c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=5)
                except Exception:
                    return None
            low, high = wait_until(watermarks, timeout=60, what=f"partition {p}'s watermarks")
            highs[p] = (low, high)
        records = {p: [] for p in range(PARTITIONS)}
        c.assign([TopicPartition(TOPIC, p, highs[p][0]) for p in range(PARTITIONS)])
        remaining = {p for p in range(PARTITIONS) if highs[p][1] > highs[p][0]}
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error() is not None:
                raise AssertionError(f"consumer error: {m.error()}")
            p = m.partition()
            if m.offset() < highs[p][1]:
                records[p].append((m.offset(), m.value().decode()))
            if m.offset() + 1 >= highs[p][1]:
                remaining.discard(p)
        if remaining:
            raise AssertionError(f"partitions {sorted(remaining)} not read up to their high watermarks")
        return records, {p: highs[p][1] for p in highs}
    finally:
        c.close()


def check(records, acked, highs, previous_highs):
    """The invariants, as a list of violations."""
    problems = []
    seen = {}
    for p, rs in records.items():
        for offset, value in rs:
            if value in seen:
                problems.append(f"{value} twice: {seen[value]} and ({p}, {offset})")
            seen[value] = (p, offset)
    for value, where in acked.items():
        if value not in seen:
            problems.append(f"acknowledged {value} at {where} is missing")
        elif seen[value] != where:
            problems.append(f"acknowledged {value} at {where} is at {seen[value]}")
    for p, rs in records.items():
        last = {}
        for offset, value in rs:
            prefix, n = value.rsplit("-", 1)
            if prefix in last and int(n) < last[prefix]:
                problems.append(f"partition {p}: {value} at {offset} after {prefix}-{last[prefix]}")
            last[prefix] = int(n)
    for p, high in highs.items():
        if high < previous_highs.get(p, 0):
            problems.append(f"partition {p}: high watermark went back from {previous_highs[p]} to {high}")
    return problems


def trial(seed, totals, log, cycles=CYCLES, max_down=2):
    rng = random.Random(seed)
    directory = tempfile.mkdtemp(prefix=f"eddy-stress-{seed}-")
    server = Server(directory)
    try:
        server.start()
        r = server.eddy("topics", "create", "--topic", TOPIC, "--partitions", str(PARTITIONS), "--replication-factor", "3",
                        "--config", "min.insync.replicas=2", "--config", "segment.bytes=16384")
        if r.returncode != 0:
            return [f"topics create: {r.stderr.strip()}"]
        acked = {}
        previous_highs = {}
        for cycle in range(cycles):
            # Brokers stopped or killed, and not started since (all start after each restart).
            down = set()
            run = ProducerRun(server.bootstrap, f"s{seed}c{cycle}")
            run.start()
            # Single brokers stopped, killed or restarted while the client writes (elections).
            deadline = time.monotonic() + rng.uniform(0.5, 2.5)
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.1, 0.6))
                if rng.random() < 0.4:
                    broker = rng.randrange(3)
                    action = rng.choice(["kill", "stop", "start", "kill-controller"])
                    if action == "kill-controller":
                        # The active controller's node (combined mode: a broker), found as
                        # kafka-metadata-quorum would (DescribeQuorum's leader).
                        action = "kill"
                        leader = server.active_controller()
                        broker = leader if leader is not None else broker
                        totals["controller_kills"] += leader is not None
                    # One broker always runs: acks=all promises nothing once every replica of
                    # a partition has lost its unflushed records to a power cut (as Kafka's,
                    # whose durability is replication, not fsync).
                    if action != "start" and broker not in down and len(down) >= max_down:
                        action = "start"
                        broker = min(down)
                    r = server.eddy("broker", action, "--id", str(broker))
                    if r.returncode == 0:
                        if action == "start":
                            down.discard(broker)
                        else:
                            down.add(broker)
                    server.note(f"broker {action} --id {broker}: exit {r.returncode} {r.stdout.strip()} {r.stderr.strip()}")
                    totals["broker_actions"] += 1
                    if r.returncode != 0:
                        # A refusal is allowed (a broker still closing its logs, a quorum without a
                        # majority); it is counted, and its message printed.
                        totals["broker_action_errors"] += 1
                        log(f"seed={seed}: refused (allowed): broker {action} --id {broker}: {r.stderr.strip()}")
            server.kill9()
            totals["kills"] += 1
            new_acks = run.finish()
            totals["acknowledged"] += len(new_acks)
            totals["sent"] += run.sent
            acked.update(new_acks)
            server.start()
            # Brokers stopped before the kill stay stopped (a controlled shutdown is in the
            # metadata): start them, so every partition has its replicas to read from.
            for broker in range(3):
                r = server.eddy("broker", "start", "--id", str(broker))
                if r.returncode != 0:
                    return [f"broker start {broker} after the restart: {r.stderr.strip()}"]
            records, highs = read_all(server.bootstrap)
            problems = check(records, acked, highs, previous_highs)
            if problems:
                totals["losses"] += sum(1 for p in problems if "missing" in p)
                log(f"seed={seed} cycle={cycle}: {len(problems)} problems; first: {problems[:5]}; data in {directory}")
                return problems
            previous_highs = highs
        server.stop()
        subprocess.run(["rm", "-rf", directory])
        return []
    except Exception as e:  # noqa: BLE001 - every failure names its seed
        log(f"seed={seed}: {type(e).__name__}: {e}; data in {directory}")
        return [f"{type(e).__name__}: {e}"]
    finally:
        server.stop()


def run(trials, first_seed, log=print, cycles=CYCLES, max_down=2):
    """`trials` trials from `first_seed`; at most `max_down` brokers down at a time (2: the
    quorum of 3 combined controllers loses its majority; 1: it never does)."""
    totals = {"trials": 0, "kills": 0, "broker_actions": 0, "controller_kills": 0, "broker_action_errors": 0, "sent": 0,
              "acknowledged": 0, "losses": 0}
    failures = {}
    for i in range(trials):
        seed = first_seed + i
        problems = trial(seed, totals, log, cycles, max_down)
        totals["trials"] += 1
        if problems:
            failures[seed] = problems
    return totals, failures


if __name__ == "__main__":
    import sys
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    first = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time()) % 1000000 * 1000
    print(f"==> {trials} trials, seeds {first}..{first + trials - 1}, {CYCLES} SIGKILLs each", flush=True)

    def progress(line):
        print(line, flush=True)

    max_down = int(os.environ.get("EDDY_STRESS_MAX_DOWN", "2"))
    totals, failures = run(trials, first, progress, max_down=max_down)
    print("==> totals: " + " ".join(f"{k}={v}" for k, v in totals.items()))
    if failures:
        print(f"==> {len(failures)} failing seeds (replay one with: scripts/stress-serve 1 SEED):")
        for seed, problems in sorted(failures.items()):
            print(f"    seed={seed}: {problems[0]}")
        sys.exit(1)
