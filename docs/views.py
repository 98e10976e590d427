"""Draw the README's pictures of the insight views: `python docs/views.py [--text PATH]` writes docs/view-*.svg.

Each view is shown on the task where it teaches most, after training there (synchronously, in float64, so the
pictures do not hang on the last bit of a BLAS kernel), at 120x40 with the app's own `save_screenshot`:
- cost by position on xor, for an eval sequence: Elman's figure, the XOR bit near zero, the others near ln 2;
- how far back on parity, after `1 3 5 7 0 0 0`: the digits before the zeros, carried across them;
- the state map on letters, the path of `b a d i i g u u u` across it;
- a unit on text: the held-out passage of a text file (by default the README), the unit that varies most.
A task this checkout does not know (the memory tasks came on another branch) is replaced by its stand-in, toy or
digits, and the script says so; a prefix the data cannot read is replaced by the data's own example.
"""
from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass, replace
from pathlib import Path

from rnncore import TrainConfig
from rnnviz.app import RnnvizApp
from rnnviz.session import Session

HERE = Path(__file__).parent
SIZE = (120, 40)


@dataclass(frozen=True)
class Picture:
    file: str
    key: str  # the view's key
    data: str
    stand_in: str  # the data to use if this checkout lacks `data`
    steps: int
    prefix: str = ""
    layers: str = "rnn:64"
    keys: tuple = ()  # pressed once the view is open


PICTURES = [
    Picture("view-cost.svg", "o", "xor", "digits", 600),
    Picture("view-back.svg", "b", "parity", "toy", 600, "1 3 5 7 0 0 0"),
    Picture("view-map.svg", "m", "letters", "digits", 600, "b a d i i g u u u"),
    Picture("view-unit.svg", "u", "", "", 2000, layers="rnn:128", keys=("v",)),  # data: the text, from --text
]


def trained(picture: Picture) -> Session:
    """A session on the picture's data (or its stand-in), trained for its steps."""
    try:
        session = Session(config=TrainConfig(dtype="float64"), data=picture.data, layers=picture.layers)
    except ValueError:
        print(f"{picture.file}: no {picture.data!r} here; {picture.stand_in!r} stands in for it")
        session = Session(config=TrainConfig(dtype="float64"), data=picture.stand_in, layers=picture.layers)
    for _ in range(picture.steps):
        session.step()
    return session


def readable(session: Session, prefix: str) -> str:
    """`prefix` if the data's vocabulary reads it, else the data's example."""
    try:
        session.vocab.parse(prefix)
    except ValueError:
        return session.example
    return prefix


async def draw(picture: Picture) -> None:
    session = trained(picture)
    app = RnnvizApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix").value = readable(session, picture.prefix) if picture.prefix else ""
        await pilot.pause()
        await pilot.press(picture.key, *picture.keys)
        await pilot.pause(0.5)
        app.save_screenshot(filename=picture.file, path=str(HERE))
    print(f"wrote {HERE / picture.file}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default=os.path.relpath(HERE.parent / "README.md"), help="the unit view's text")
    args = parser.parse_args()
    for picture in PICTURES:
        asyncio.run(draw(picture if picture.data else replace(picture, data=args.text, stand_in=args.text)))


if __name__ == "__main__":
    main()
