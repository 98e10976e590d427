import threading
import time

import pytest

from rnnviz.app import RnnvizApp
from rnnviz.session import Session

SPEED = 50  # steps/s: the process stays mostly idle, so Pilot's wait-for-idle after each key returns at once


@pytest.fixture
def app():
    """The real app on the toy data with a small network (each step well under a millisecond), paced."""
    return RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)


async def wait_until(pilot, condition, timeout=10.0):
    """Let the app run until `condition()` holds; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


def training_threads():
    return [t for t in threading.enumerate() if t.name == "rnnviz-train"]
