"""How much of its pace a served app's training takes: all of it, until the machine is saturated.

A class runs one app per browser tab on one machine (`rnnviz --serve`). When the tabs ask for more than the cores
give, every thread waits in the kernel's run queue, each app's screen with the others: a key takes seconds to
show. So each served app watches how long its own threads were ready to run but waited for a core (the kernel's
run delay, /proc/self/task/*/schedstat), and its training loop takes a share of its pace: cut by SLOWER when its
threads waited more than WAIT_HIGH of the last CHECK_EVERY seconds, raised by FASTER when they waited less than
WAIT_LOW. Apps that wait in the same queues cut and raise alike, so they settle on the same share (additive
increase, multiplicative decrease, as TCP's flows share a link): fair, whatever pace each asked for. A step less
often is also a redraw less often (the charts redraw only after new steps), and the redraws are most of what a
training app costs.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

CHECK_EVERY = 1.0  # seconds between two looks at the run delay
WAIT_HIGH = 0.10  # seconds waited for a core, summed over the app's threads, per second: saturated above this
WAIT_LOW = 0.03  # ... and room to spare below this
SLOWER = 0.7  # what the share is multiplied by when saturated
FASTER = 0.1  # what is added to it when there is room, up to 1
LEAST = 0.05  # the smallest share: 1 step/s at the default pace, and the charts still move


def run_delay() -> float | None:
    """Seconds this process's threads have waited for a core since they started; None where the kernel does not
    say (not Linux)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    waited = 0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/schedstat") as stats:  # time on a core, time waiting, time slices
                waited += int(stats.read().split()[1])
        except (OSError, IndexError, ValueError):  # a thread that ended meanwhile; a kernel without the counters
            continue
    return waited / 1e9


class FairShare:
    """The share (LEAST to 1) of its pace a training loop takes, from how long the app's threads waited."""

    def __init__(self, waited: Callable[[], float | None] = run_delay, clock: Callable[[], float] = time.monotonic):
        self.waited, self.clock = waited, clock
        self.share = 1.0
        self._since, self._waited = clock(), waited()

    def now(self) -> float:
        """The share, looked at again if CHECK_EVERY seconds have passed since the last look."""
        elapsed = self.clock() - self._since
        if elapsed < CHECK_EVERY or self._waited is None:
            return self.share
        waited = self.waited()
        if waited is None:
            return self.share
        busy = (waited - self._waited) / elapsed
        if busy > WAIT_HIGH:
            self.share = max(LEAST, self.share * SLOWER)
        elif busy < WAIT_LOW:
            self.share = min(1.0, self.share + FASTER)
        self._since, self._waited = self.clock(), waited
        return self.share
