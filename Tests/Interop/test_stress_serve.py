"""The kill -9 campaign (stress_serve.py) in short: 10 trials of one SIGKILL each, with brokers
stopped, killed and started meanwhile, one at a time (the controller quorum keeps its majority);
`scripts/stress-serve` runs 1,000 or more, with two brokers down at a time as well."""
import os
import time

from stress_serve import run


def test_acknowledged_records_survive_sigkill_of_the_server():
    first = int(os.environ.get("EDDY_STRESS_FIRST_SEED", int(time.time()) % 100000 * 100))
    totals, failures = run(10, first, cycles=1, max_down=1)
    assert failures == {}, f"failing seeds (replay with scripts/stress-serve 1 SEED): {failures}"
    assert totals["kills"] == 10 and totals["acknowledged"] > 0, totals
