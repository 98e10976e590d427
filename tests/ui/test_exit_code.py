"""`rnnviz` ends with a non-zero status when an unexpected exception ends the app, 0 when the user quits."""
import pytest

import rnnviz.app
from rnnviz.__main__ import main


def run_headless(monkeypatch, on_mount):
    class Scripted(rnnviz.app.RnnvizApp):
        def on_mount(self):
            on_mount(self)

        def run(self, **kwargs):
            return super().run(headless=True, **kwargs)

    monkeypatch.setattr(rnnviz.app, "RnnvizApp", Scripted)
    main(["--data", "toy", "--embed", "4", "--layers", "rnn:4"])


def test_an_exception_that_ends_the_app_exits_non_zero(monkeypatch):
    def crash(app):
        raise RuntimeError("an unexpected bug")

    with pytest.raises(SystemExit) as ended:
        run_headless(monkeypatch, crash)
    assert ended.value.code == 1


def test_quitting_exits_zero(monkeypatch):
    run_headless(monkeypatch, lambda app: app.exit())

