"""How many learners one `rnnviz --serve` holds: N browser tabs opened at once on one server.

For each N a fresh server (`--max-tabs N`), and N tabs of one headless Chromium, each in its own context as N
learners' browsers would be, opened together. Per N:
- first frame: seconds from a tab's navigation to the app's header in its terminal (median and slowest tab), and
  to the first thing the terminal shows (the loading screen);
- steps/s each tab gets while every tab trains at the app's pace (slowest tab and median);
- key to screen: space pressed in one tab at a time while all train, to the header saying PAUSED, then RUNNING,
  in the terminal's buffer (xterm.js draws it at its next frame, <= 16 ms later): median and 90th percentile;
- CPU (% of one core), RSS and PSS of each tab's app (median), the server's CPU (its starter's included, and
  the tabs' handovers), the browser's cores and everything's.

The browser runs on the server's cores here, where a class's browsers run on the learners' machines. So its tabs
do not draw (requestAnimationFrame does nothing): their terminals take and parse every byte, as a learner's do,
but the pixels are not drawn, which took Chromium's software WebGL over half a core at 24 tabs. `--draw` draws.

    python benchmarks/serve_load.py [--tabs 1 6 12 24] [--seconds 10] [--keys 2] [--draw] [-- APP OPTIONS]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import machine  # noqa: E402
from served import CHROMIUM_FLAGS, HOW_TO_INSTALL, READ_SCREEN, TERMINAL_TRAP, ServedApp, wait_until  # noqa: E402

VIEWPORT = {"width": 1400, "height": 860}  # as the browser test's tabs: a 170 x 50 terminal
WARM_UP = 3.0  # seconds of training before the steps are counted
KEY_GAP = 0.3  # seconds between two keys in the same tab: a person, not a burst
KEY_WAIT = 60.0  # seconds a key's effect may take to show before the round fails
OPENING = 180.0  # seconds a tab may take to show the app before the round fails
NO_DRAWING = "window.requestAnimationFrame = () => 0;"  # xterm.js draws at animation frames, and only then
WATCH = """
window.rnnvizWatch = (terminal) => {  // called by TERMINAL_TRAP with textual-serve's terminal
    const times = window.rnnvizTimes = {}, header = () => terminal.buffer.active.getLine(0).translateToString(true);
    const seen = terminal.onWriteParsed(() => {
        times.firstByte ??= performance.now();
        if (header().includes("step")) { times.firstFrame = performance.now(); seen.dispose(); }
    });
    window.rnnvizAfterKey = (pattern) => {  // ms from the next key down to the header matching `pattern`
        let pressed;
        document.addEventListener("keydown", () => { pressed = performance.now(); }, {capture: true, once: true});
        window.rnnvizKey = new Promise((resolve) => {
            const shown = terminal.onWriteParsed(() => {
                if (pressed !== undefined && new RegExp(pattern).test(header())) {
                    shown.dispose();
                    resolve(performance.now() - pressed);
                }
            });
        });
    };
};"""


@dataclass
class Round:
    tabs: int
    failed: int  # tabs whose app ended before it showed: the rest are measured
    first_byte: list[float]  # seconds, one per tab
    first_frame: list[float]
    steps_per_sec: list[float]
    key_ms: list[float]
    app_cpu: list[float]  # % of one core, one per app
    app_memory: list[tuple[float, float]]  # MB: RSS, and PSS (pages shared with the starter and the others split)
    server_cpu: float
    browser_cores: float
    cores: float  # server, apps and browser together
    load: tuple[float, float]  # 1-minute load average before and after


async def run_round(playwright, executable: str, tabs: int, args) -> Round:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        server = ServedApp(Path(folder), "--max-tabs", str(tabs), *args.app_options)
        try:
            browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            try:
                return await measure(server, browser, tabs, args, load_before)
            finally:
                await browser.close()
        finally:
            server.stop()
            wait_until(lambda: not server.app_processes(), 30, lambda: "the apps outlived their server")


async def measure(server: ServedApp, browser, tabs: int, args, load_before: float) -> Round:
    pages, opened = await open_tabs(browser, server.url, tabs, args.draw)
    pages, opened = [p for p, t in zip(pages, opened, strict=True) if t], [t for t in opened if t]  # apps that run
    for page in pages:
        await press_and_wait(page, "RUNNING")
    await asyncio.sleep(WARM_UP)
    rates, used = await training(pages, args.seconds)
    apps = server.app_processes()
    memory = [memory_mb(pid) for pid in apps]
    keys = [await press_and_wait(page, state) for _ in range(args.keys) for page in pages
            for state in ("PAUSED", "RUNNING")]
    served = {server.process.pid} | descendants(server.process.pid)  # the server, its starter, its tabs' apps
    return Round(tabs, failed=tabs - len(pages), first_byte=[t["firstByte"] / 1000 for t in opened],
                 first_frame=[t["firstFrame"] / 1000 for t in opened], steps_per_sec=rates, key_ms=keys,
                 app_cpu=[used.get(pid, 0.0) for pid in apps], app_memory=memory,
                 server_cpu=sum(v for pid, v in used.items() if pid in served and pid not in apps),
                 browser_cores=sum(v for pid, v in used.items() if pid not in served) / 100,
                 cores=sum(used.values()) / 100, load=(load_before, os.getloadavg()[0]))


async def open_tabs(browser, url: str, tabs: int, draw: bool) -> tuple[list, list[dict | None]]:
    """`tabs` pages, each in its own context, opened together; each one's times to its first bytes and frame."""
    pages = [await (await browser.new_context(viewport=VIEWPORT)).new_page() for _ in range(tabs)]
    for page in pages:
        await page.add_init_script(TERMINAL_TRAP + WATCH + ("" if draw else NO_DRAWING))
    await asyncio.gather(*(page.goto(url, timeout=OPENING * 1000) for page in pages))
    return pages, await asyncio.gather(*(first_times(page) for page in pages))


async def training(pages, seconds: float) -> tuple[list[float], dict[int, float]]:
    """Steps/s of each tab over `seconds`, and the CPU (% of a core) of every process this script started."""
    steps, cpu, started = await step_counts(pages), cpu_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    steps_after, cpu_after, seconds = await step_counts(pages), cpu_seconds(), time.perf_counter() - started
    used = {pid: 100 * (cpu_after[pid] - cpu[pid]) / seconds for pid in cpu_after.keys() & cpu.keys()}
    return [(after - before) / seconds for before, after in zip(steps, steps_after, strict=True)], used


async def first_times(page) -> dict | None:
    """Milliseconds from navigation to the first bytes and to the app's header; None if the tab's session ended
    first (its app failed: textual-serve's page then says "Session ended")."""
    await page.wait_for_function("window.rnnvizTimes?.firstFrame !== undefined || "
                                 "document.body.classList.contains('-closed')", timeout=OPENING * 1000, polling=100)
    times = await page.evaluate("window.rnnvizTimes")
    if "firstFrame" not in times:
        return None
    await page.focus(".xterm-helper-textarea")  # where xterm.js takes the keyboard
    return times


async def press_and_wait(page, state: str) -> float:
    """Milliseconds from space pressed to the header showing `state`."""
    await page.evaluate("(state) => window.rnnvizAfterKey(state)", state)
    await page.keyboard.press(" ")
    shown = await asyncio.wait_for(page.evaluate("window.rnnvizKey"), KEY_WAIT)
    await asyncio.sleep(KEY_GAP)
    return shown


async def step_counts(pages) -> list[int]:
    screens = await asyncio.gather(*(page.evaluate(READ_SCREEN) for page in pages))
    return [int(re.search(r"\bstep (\d[\d,]*)", screen).group(1).replace(",", "")) for screen in screens]


def cpu_seconds() -> dict[int, float]:
    """CPU seconds (user and system) of every process this script started, its browser and server included."""
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for pid in descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found


def descendants(root: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    found, grew = set(), {root}
    while grew:
        found |= grew
        grew = {pid for pid, parent in parents.items() if parent in grew} - found
    return found - {root}


def memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of a process, in MB (0 if it has ended)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0, 0.0
    return tuple(int(re.search(rf"^{name}:\s+(\d+)", rollup, re.MULTILINE).group(1)) / 1024 for name in ("Rss", "Pss"))


COLUMNS = ("tabs (failed)", "first frame s, median / slowest", "loading screen s, median",
           "steps/s per tab, slowest / median", "key to screen ms, median / p90", "app CPU % of a core, median",
           "server and starter CPU %", "browser cores", "cores, all", "app RSS / PSS MB, median",
           "load before / after")


def table(rounds: list[Round]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "--:|" * len(COLUMNS)]
    median, p90 = statistics.median, lambda values: percentile(values, 0.9)
    for r in rounds:
        cells = (f"{r.tabs} ({r.failed})" if r.failed else r.tabs, shown(r.first_frame, median, max),
                 shown(r.first_byte, median), shown(r.steps_per_sec, min, median),
                 shown(r.key_ms, median, p90, digits=0), shown(r.app_cpu, median, digits=0), f"{r.server_cpu:.0f}",
                 f"{r.browser_cores:.2f}", f"{r.cores:.2f}",
                 f"{shown([m[0] for m in r.app_memory], median, digits=0)} / "
                 f"{shown([m[1] for m in r.app_memory], median, digits=0)}", f"{r.load[0]:.1f} / {r.load[1]:.1f}")
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def shown(values: list[float], *statistics_of, digits: int = 1) -> str:
    """Each of `statistics_of` (median, max...) of `values`, joined by " / "; "-" when no tab gave any."""
    return " / ".join(f"{of(values):.{digits}f}" for of in statistics_of) if values else "-"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(args) -> list[Round]:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit(f"serve_load: chromium is not on the PATH: {HOW_TO_INSTALL}")
    rounds = []
    async with async_playwright() as playwright:
        for tabs in args.tabs:
            rounds.append(await run_round(playwright, executable, tabs, args))
            print(table(rounds[-1:]).splitlines()[-1], file=sys.stderr, flush=True)  # progress, row by row
    return rounds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, nargs="+", default=[1, 6, 12, 24], help="tabs per round")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds over which the steps are counted")
    parser.add_argument("--keys", type=int, default=2, help="space presses per tab and state for key to screen")
    parser.add_argument("--draw", action="store_true", help="let the tabs draw their terminals (on these cores)")
    parser.add_argument("app_options", nargs="*", help="after --: options of `rnnviz --serve` (default: none)")
    args = parser.parse_args(argv)
    print(f"serve_load: {machine()}; rnnviz --serve {' '.join(args.app_options)}".rstrip())
    print(table(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
