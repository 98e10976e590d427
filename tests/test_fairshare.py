"""A served app's training gives way on a saturated machine (rnnviz/fairshare.py): the share it takes of its pace
falls while its threads wait for a core and comes back when they do not; the loop then steps and reports less."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from rnnviz import fairshare
from rnnviz.fairshare import CHECK_EVERY, FASTER, LEAST, SLOWER, WAIT_HIGH, WAIT_LOW, FairShare
from rnnviz.session import Session
from rnnviz.worker import POST_EVERY, Trained, TrainingLoop

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


class Machine:
    """A clock and a run delay that the test moves: `wait(w)` passes CHECK_EVERY seconds in which the app's
    threads waited `w` of each second."""

    def __init__(self):
        self.time = self.waited = 0.0

    def wait(self, share_of_a_second):
        self.time += CHECK_EVERY
        self.waited += share_of_a_second * CHECK_EVERY


def fair_share(machine, share=1.0):
    fair = FairShare(lambda: machine.waited, lambda: machine.time)
    fair.share = share
    return fair


def test_the_share_falls_while_the_threads_wait_and_comes_back_when_they_do_not():
    machine = Machine()
    fair = fair_share(machine)
    machine.wait(WAIT_HIGH * 3)
    assert fair.now() == pytest.approx(SLOWER)
    machine.wait(WAIT_HIGH * 3)
    assert fair.now() == pytest.approx(SLOWER**2)
    for _ in range(50):
        machine.wait(1.0)
        fair.now()
    assert fair.share == LEAST  # never below: the learner still sees the network learn
    machine.wait((WAIT_LOW + WAIT_HIGH) / 2)  # between the two: held
    assert fair.now() == LEAST
    machine.wait(WAIT_LOW / 2)
    assert fair.now() == pytest.approx(LEAST + FASTER)
    for _ in range(20):
        machine.wait(0.0)
        fair.now()
    assert fair.share == 1.0


def test_the_share_is_looked_at_again_only_every_check():
    machine = Machine()
    fair = fair_share(machine)
    machine.time += CHECK_EVERY / 2
    machine.waited += 10.0  # a long wait, but too recent to judge
    assert fair.now() == 1.0
    machine.time += CHECK_EVERY / 2
    assert fair.now() == pytest.approx(SLOWER)


def test_apps_that_wait_alike_settle_on_the_same_share_whatever_they_started_from():
    """Additive increase, multiplicative decrease: the gap between two apps shrinks at every cut."""
    machine = Machine()
    apps = [fair_share(machine, 1.0), fair_share(machine, LEAST)]
    for _ in range(60):
        machine.wait(WAIT_HIGH * 2 if sum(app.share for app in apps) > 1.0 else 0.0)  # the machine holds one share
        for app in apps:
            app.now()
    assert abs(apps[0].share - apps[1].share) < 0.05


def test_without_the_kernels_counters_the_share_stays_whole():
    machine = Machine()
    fair = FairShare(lambda: None, lambda: machine.time)
    machine.wait(1.0)
    assert fair.now() == 1.0


def test_the_run_delay_counts_the_time_a_thread_waited_for_a_core():
    """Two busy processes on one core: each waits about half the time. (Other load only adds to the wait.)"""
    script = textwrap.dedent("""
        import os, time
        from rnnviz.fairshare import run_delay
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        rival = os.fork()
        if rival == 0:
            end = time.monotonic() + 1.5
            while time.monotonic() < end: pass
            os._exit(0)
        before, end = run_delay(), time.monotonic() + 1.0
        while time.monotonic() < end: pass
        print(run_delay() - before)
        os.waitpid(rival, 0)
    """)
    waited = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert float(waited.stdout) > 0.25


# --- the training loop, with a share ------------------------------------------------------------------------
class Held:
    """A FairShare that stays where the test puts it."""

    def __init__(self, share):
        self.share = share

    def now(self):
        return self.share


@pytest.mark.parametrize(("speed", "took", "least"), [(10, 0.0, 0.4), (0, 0.05, 0.2)])
def test_a_step_waits_one_over_the_share_longer(speed, took, least):
    """At 10 steps/s and a share of 0.25, a step every 0.4 s; as fast as it goes, a 0.05 s step then 0.15 s idle."""
    loop = TrainingLoop(lab=None, post=lambda message: None, speed=speed)
    loop.running, loop.fair = True, Held(0.25)
    started = time.perf_counter() - took
    assert loop._pace(started) == 0.25
    assert time.perf_counter() - started >= least - 0.01


async def test_a_saturated_served_app_steps_and_redraws_less(tmp_path):
    from rnnviz.app import RnnvizApp

    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=40, root=str(tmp_path))
    app.loop.fair = Held(0.2)
    posted, post = [], app.loop.post
    app.loop.post = lambda message: (posted.append(message), post(message))
    async with app.run_test() as pilot:
        started = time.perf_counter()
        app.action_start()
        await pilot.pause(1.5)
        await app.stop_training()
        seconds = time.perf_counter() - started
    reports = [m for m in posted if isinstance(m, Trained)]
    assert 1 <= app.session.trainer.step <= seconds * 40 * 0.2 + 1  # 8 steps/s, not 40
    assert 1 <= len(reports) <= seconds / (POST_EVERY / 0.2) + 1  # a report every 0.5 s, not every 0.1 s


def test_only_a_served_app_gives_way(monkeypatch):
    """The terminal app keeps the pace its user asked for, whatever else runs on the machine."""
    started = []
    monkeypatch.setattr("rnnviz.app.RnnvizApp.run", lambda app: started.append(app.loop.fair))
    monkeypatch.setattr("rnnviz.__main__.end_with_server", lambda: None)
    from rnnviz.__main__ import main

    main(["--data", "toy"])
    main(["--data", "toy", "--served-from", os.getcwd()])
    assert started[0] is None and isinstance(started[1], FairShare)
    assert fairshare.run_delay() is not None  # Linux: the counters are there
