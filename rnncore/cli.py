"""The `rnncore` command: toy, train, predict and generate.

Every bad argument ends as one line on stderr and exit code 2; Ctrl+C as
exit code 130. This is the only module of rnncore that prints.
"""
from __future__ import annotations

import time

import numpy as np
from rich.bar import Bar
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import files, toyrun
from .checkpoint import CheckpointError, check_can_save, load, save
from .cli_args import UsageError, build_parser, say
from .cli_train import run_train
from .record import RecordError
from .replay import Replayer, threads_to_use
from .threads import blas_threads, set_blas_threads
from .vocab import glyph, printable

EXIT_DRIFTED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
def main(argv=None) -> int:
    out, err = Console(highlight=False, emoji=False), Console(stderr=True, highlight=False, emoji=False)
    files.forget()  # a new program: it has read and written nothing yet
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("choose a command: toy, train, replay, predict or generate (see rnncore --help)")
        return COMMANDS[args.command](args, out, err)
    except SystemExit as e:  # --help and --version end here
        return e.code if isinstance(e.code, int) else 0
    except (UsageError, ValueError, CheckpointError, RecordError) as e:
        say(err, f"rnncore: error: {e}".replace("\n", " "))
        return EXIT_USAGE
    except OSError as e:  # e.g. a checkpoint that cannot be written (files.py names the file)
        say(err, f"rnncore: error: {e.filename}: {e.strerror or e}" if e.filename else f"rnncore: error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say(err, "rnncore: interrupted")
        return EXIT_INTERRUPTED


# --- toy ---------------------------------------------------------------------
def run_toy(args, out, err) -> int:
    nn = toyrun.toy_network(args.seed)
    say(out, "NN information:\n" + nn.get_detail())
    started = time.perf_counter()
    for result in toyrun.toy_epochs(nn, args.seed):
        if result.epoch:
            say(out, f"[train] epoch={result.epoch}, lr={result.lr:.5f}, avg_cost={result.train_cost:.4f}")
        say(out, f"[develop] accuracy={result.accuracy:.4f}, avg_cost={result.eval_cost:.4f}")
        if result.correct == toyrun.CEILING or result.epoch >= args.epochs:
            break
    verb = "reached the ceiling" if result.correct == toyrun.CEILING else "stopped at"
    say(out, f"{verb} {result.correct}/{result.targets} after {result.epoch} epochs: "
             f"{result.train_seconds:.3f}s of training, {time.perf_counter() - started:.3f}s in all")
    return 0


# --- predict and generate ----------------------------------------------------
def run_predict(args, out, err) -> int:
    saved = load(args.checkpoint)
    ids = parse_prefix(saved.vocab, args.prefix)
    probs = saved.net.predict_proba(ids)[-1].astype(np.float64)
    table = Table(title=Text(f"next symbol after {saved.vocab.shown(ids)}"))
    table.add_column("symbol")
    table.add_column("probability", justify="right")
    table.add_column("")
    for rank, i in enumerate(np.argsort(-probs, kind="stable")[:args.top]):
        table.add_row(Text(glyph(saved.vocab.symbols[i])), f"{probs[i]:.4f}", Bar(1, 0, probs[i], width=30),
                      style="bold green" if rank == 0 else None)
    out.print(table)
    return 0


def run_generate(args, out, err) -> int:
    saved = load(args.checkpoint)
    ids = parse_prefix(saved.vocab, args.prefix)
    rng = np.random.default_rng(args.seed)
    new = saved.net.generate(ids, args.n, temperature=args.temperature, rng=rng)
    gap = saved.vocab.separator if new else ""
    text = [printable(part, keep="\n\t") for part in (saved.vocab.text(ids), gap + saved.vocab.text(new))]
    out.print(Text(text[0], style="bold") + Text(text[1]), soft_wrap=True)
    return 0


def parse_prefix(vocab, text) -> list[int]:
    try:
        ids = vocab.parse(text)
    except ValueError as e:
        raise UsageError(f"prefix {text!r}: {e}") from None
    if not ids:
        raise UsageError("the prefix is empty; give at least one symbol, e.g. 1357")
    return ids


# --- replay ------------------------------------------------------------------
def run_replay(args, out, err) -> int:
    """Redo a record, its progress shown; exit 1 if the weights ever differed from the record's digests."""
    replayer = Replayer(args.record)
    if args.save:
        check_can_save(args.save)  # before the replay rather than after it: a bad --save would lose it
    threads, fewer = threads_to_use(replayer.header)
    if fewer:
        say(out, fewer)
    if threads and blas_threads() != threads and set_blas_threads(threads) and not fewer:
        say(out, f"using {threads} BLAS thread(s), as the recording did")
    drifts, last_run = 0, 0
    with replay_progress(out) as bar:
        task = bar.add_task("replay", total=len(replayer.events), run=0, step=0)
        for done in replayer.steps():
            last_run = done.run if done.event else last_run
            bar.update(task, advance=done.event is not None, run=done.run, step=done.trainer.step)
            if done.drifted:
                drifts += 1
                say(err, f"rnncore: run {done.run} drifted at step {done.event['step']}: its weights differ from "
                         "the record's (another machine's BLAS can round differently); going on")
    for run, trainer in sorted(replayer.trainers.items()):
        say(out, f"run {run}: step {trainer.step}, {trainer.net.describe()}")
    if args.save:
        run = last_run if args.run is None else args.run
        if run not in replayer.trainers:
            raise UsageError(f"--run {run}: the record has runs {', '.join(map(str, sorted(replayer.trainers)))}")
        save(args.save, replayer.trainers[run].net, replayer.trainers[run])
        say(out, f"saved run {run} to {args.save}")
    return EXIT_DRIFTED if drifts else 0


def replay_progress(console: Console) -> Progress:
    return Progress(TextColumn("event {task.completed:,.0f} of {task.total:,}"), BarColumn(),
                    TextColumn("run {task.fields[run]} at step {task.fields[step]:,}"), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console)


COMMANDS = {"toy": run_toy, "train": run_train, "replay": run_replay, "predict": run_predict,
            "generate": run_generate}
