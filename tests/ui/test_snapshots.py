"""The main screen as a picture, at the two sizes the app promises: 120x40 and 80x24.

The network trains synchronously before the app starts (no worker, so no tokens/s or other timing on screen),
in float64, so the figures and curves do not hang on the last bit of a float32 BLAS kernel.
"""
from rnncore import TrainConfig
from rnnviz.app import RnnvizApp
from rnnviz.session import Session

STEPS = 150


def trained_app() -> RnnvizApp:
    session = Session(config=TrainConfig(dtype="float64"))
    for _ in range(STEPS):
        session.step()
    return RnnvizApp(session)


async def type_prefix(pilot):
    pilot.app.clear_notifications()  # the getting-around note a newcomer sees at start
    await pilot.press("slash", *"1 3 5 7 0 0", "escape")
    await pilot.pause()


def test_main_screen_120x40(snap_compare):
    assert snap_compare(trained_app(), terminal_size=(120, 40), run_before=type_prefix)


def test_main_screen_80x24(snap_compare):
    assert snap_compare(trained_app(), terminal_size=(80, 24), run_before=type_prefix)
