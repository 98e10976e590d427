"""How long each built-in lesson's steps take to learn, in training steps, on several seeds.

Each lesson is followed headless as a learner would (rnnviz.tutor.follow: the keys each step names, then waiting for
its condition), training at full speed, from `rnnviz --lesson NAME --seed SEED`. For each step that waits on
training it prints the training steps its condition took from the step's start, per seed, beside the budget the
lesson states; "-" is a step not met within twice its budget. The steps do not depend on the machine's load, except
for a condition on the reach, which the Reach view measures at its redraws.

    OPENBLAS_NUM_THREADS=1 python benchmarks/lessons.py [--lessons memory xor] [--seeds 0 1 2 3 4]
"""
from __future__ import annotations

import argparse
import asyncio
from functools import partial

from rnnviz.__main__ import checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.lesson import built_in
from rnnviz.tutor import follow


async def steps_taken(name: str, seed: int) -> list[int | None]:
    args = checked_args(["--lesson", name, "--seed", str(seed)])
    app = RnnvizApp(start=partial(lab_from_args, args), lesson=args.lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.lesson is None:
            await pilot.pause(0.05)
        app.set_speed(0)
        return await follow(pilot)


def main() -> None:
    lessons = {lesson.name: lesson for lesson in built_in()}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="+", default=list(lessons), choices=list(lessons))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    print("| lesson | step | budget | steps taken, seeds " + " ".join(map(str, args.seeds)) + " |")
    print("|---|---|--:|--:|")
    for name in args.lessons:
        taken = [asyncio.run(steps_taken(name, seed)) for seed in args.seeds]
        for index, step in enumerate(lessons[name].steps):
            if step.budget:
                shown = " ".join("-" if t[index] is None else str(t[index]) for t in taken)
                print(f"| {name} | {index + 1}. {step.title} | {step.budget} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
