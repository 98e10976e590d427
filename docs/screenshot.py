"""Draw the README's picture: `python docs/screenshot.py` writes docs/rnnviz.svg.

The network trains synchronously on the default digits task, with a learning-rate
change half way (it shows as a marker on the charts), then `1 3 5` is typed.
"""
import asyncio
from pathlib import Path

from rnnviz.app import RnnvizApp
from rnnviz.session import Session

STEPS, LR_CHANGE_AT = 300, 150


async def main() -> None:
    session = Session()
    for step in range(STEPS):
        if step == LR_CHANGE_AT:
            session.configure("lr", "0.003")
        session.step()
    app = RnnvizApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"1 3 5", "escape")
        await pilot.pause()
        app.save_screenshot(filename="rnnviz.svg", path=str(Path(__file__).parent))


if __name__ == "__main__":
    asyncio.run(main())
