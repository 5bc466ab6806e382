"""Fixtures for the interoperability tests: real Kafka clients against `eddy serve`.

Each test module gets its own `eddy serve`, with its own data directory and its own free ports,
started from the built binary (.build/debug/eddy, or $EDDY_BIN). Readiness and every other wait
are conditions polled against a deadline, never fixed sleeps.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EDDY = os.environ.get("EDDY_BIN", os.path.join(ROOT, ".build", "debug", "eddy"))
RDK_NEW = os.path.join(ROOT, ".build", "interop-rdk-new")


def wait_until(condition, timeout=30.0, what="condition"):
    """Polls `condition` until it returns a truthy value, which is returned; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def describe_rows(text):
    """The rows of `eddy groups describe` (its offsets view) as {column: value} dicts, read by
    the header's names, so that a test does not depend on the columns' order."""
    rows, columns = [], None
    for line in text.splitlines():
        cells = line.split()
        if not cells:
            columns = None
        elif columns is None:
            columns = cells
        elif len(cells) == len(columns):
            rows.append(dict(zip(columns, cells)))
    return rows


def free_port_block(count=3):
    """A first port such that it and the next count-1 ports are free on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        ok = True
        for p in range(base, base + count):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports")


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class EddyServer:
    def __init__(self, args=(), setup=()):
        """`setup`: eddy commands (argument lists) run on the data directory before serving."""
        self.dir = tempfile.mkdtemp(prefix="eddy-interop-")
        for command in setup:
            r = subprocess.run([EDDY, *command, "--data-dir", self.dir + "/data"], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"eddy {' '.join(command)}: {r.stderr}"
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        # The ports were free a moment ago; should anything take one before eddy binds it,
        # eddy exits (its data directory untouched by the failed start), and starts again on
        # another block.
        for attempt in range(3):
            self.port = free_port_block()
            self.bootstrap = f"127.0.0.1:{self.port}"
            self.proc = subprocess.Popen(
                [EDDY, "serve", "--data-dir", self.dir + "/data", "--listen", self.bootstrap, *args],
                stdout=self.log, stderr=subprocess.STDOUT)
            wait_until(lambda: all(accepts(self.port + i) for i in range(3)) or self.proc.poll() is not None,
                       what="eddy serve to listen")
            if self.proc.poll() is None or "Address already in use" not in self.output():
                break
        assert self.proc.poll() is None, self.output()

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def eddy(self, *args, check=True):
        """Runs an eddy command against this server."""
        r = subprocess.run([EDDY, *args], capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, f"eddy {' '.join(args)}: {r.stderr}"
        return r

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class ConfiguredServer(EddyServer):
    """`eddy serve --config` with Kafka's server.properties keys, listeners on ports the kernel
    picks: `ports` maps each listener name to broker 0's port, read off the line eddy prints
    when it serves. `setup`: eddy commands run on the data directory first (users, topics).
    Started its own way; `output` and `stop` are EddyServer's."""

    def __init__(self, name, properties, setup=()):
        self.dir = tempfile.mkdtemp(prefix=f"eddy-config-{name}-")
        for command in setup:
            r = subprocess.run([EDDY, *command, "--data-dir", os.path.join(self.dir, "data")], capture_output=True, text=True,
                               timeout=120)
            assert r.returncode == 0, f"eddy {' '.join(command)}: {r.stderr}"
        path = os.path.join(self.dir, "server.properties")
        with open(path, "w") as f:
            f.write(properties)
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.proc = subprocess.Popen([EDDY, "serve", "--data-dir", os.path.join(self.dir, "data"), "--config", path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            line = wait_until(lambda: self._serving() or self.proc.poll() is not None, timeout=60, what="eddy serve to listen")
            assert self.proc.poll() is None, self.output()
            self.ports = {m.group(1): int(m.group(2)) for m in re.finditer(r"(?:^|; |: )(\w+) broker 0 at [^:]+:(\d+)", line)}
            assert self.ports, f"no listener in: {line}"
        except BaseException:
            # A fixture that fails here is never torn down: stop the server now.
            self.stop()
            raise

    def _serving(self):
        out = self.output()
        return next((l for l in out.splitlines() if "eddy: serving" in l), None)


@pytest.fixture(scope="module")
def eddy_server():
    server = EddyServer()
    yield server
    code = server.stop()
    assert code == 0, f"eddy serve exited {code}: {server.output()}"


class Tansu:
    """Tansu, the Kafka-compatible broker in Rust (installed by scripts/interop-setup), as a
    cluster eddy did not make: one broker on its own free port, in-memory storage."""

    def __init__(self):
        binary = subprocess.run([os.path.join(ROOT, "scripts", "interop-setup"), "--tansu-path"],
                                capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        self.dir = tempfile.mkdtemp(prefix="eddy-tansu-")
        self.port = free_port_block(1)
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "tansu.log"), "w+")
        url = f"tcp://{self.bootstrap}"
        self.proc = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        try:
            wait_until(lambda: accepts(self.port) or self.proc.poll() is not None, what="Tansu to listen")
            assert self.proc.poll() is None, self.output()
        except BaseException:
            self.stop()  # a fixture that fails here is never torn down
            raise

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def eddy(self, *args, check=True, input=None):
        """Runs an eddy command against Tansu (--bootstrap-server added)."""
        r = subprocess.run([EDDY, *args, "--bootstrap-server", self.bootstrap], input=input,
                           capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, f"eddy {' '.join(args)}: {r.stderr}"
        return r

    def stop(self):
        # Tansu does not exit on SIGTERM; nothing of it is kept.
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def tansu():
    broker = Tansu()
    yield broker
    broker.stop()


def kcat(args, library="2.0.2", input=None, timeout=60):
    """Runs kcat on Debian's librdkafka 2.0.2 or on the bundled 2.16."""
    env = dict(os.environ)
    if library == "2.16":
        env["LD_LIBRARY_PATH"] = RDK_NEW
    return subprocess.run(["kcat", *args], input=input, capture_output=True, text=True, timeout=timeout, env=env)
