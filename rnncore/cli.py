"""The `rnncore` command: toy, train, predict and generate.

Every bad argument ends as one line on stderr and exit code 2; Ctrl+C as
exit code 130. This is the only module of rnncore that prints.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from rich.bar import Bar
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import datasets, toyrun
from .checkpoint import CheckpointError, check_can_save, load, save
from .cli_args import UsageError, build_parser, settings_error
from .config import ModelConfig, SettingError, TrainConfig
from .layers import Embedding
from .network import Network
from .spec import parse_layers
from .trainer import StepEvent, Trainer
from .vocab import glyph

EXIT_DIVERGED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
def main(argv=None) -> int:
    out, err = Console(highlight=False, emoji=False), Console(stderr=True, highlight=False, emoji=False)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("choose a command: toy, train, predict or generate (see rnncore --help)")
        return COMMANDS[args.command](args, out, err)
    except SystemExit as e:  # --help and --version end here
        return e.code if isinstance(e.code, int) else 0
    except (UsageError, ValueError, CheckpointError) as e:
        say(err, f"rnncore: error: {e}".replace("\n", " "))
        return EXIT_USAGE
    except OSError as e:  # e.g. a checkpoint that cannot be written
        say(err, f"rnncore: error: {e.filename or ''}: {e.strerror or e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say(err, "rnncore: interrupted")
        return EXIT_INTERRUPTED


def say(console: Console, line: str):
    """One plain line: no markup (log lines start with `[develop]`), no wrapping."""
    console.print(line, markup=False, soft_wrap=True)


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


# --- train -------------------------------------------------------------------
@dataclass
class RunLog:
    started: float  # perf_counter at the first step
    first_step: int  # trainer step before this run
    tokens: int = 0
    last: StepEvent | None = None
    accuracy: float | None = None  # of the latest evaluation
    saved: str | None = None  # "PATH (step N)" of the last checkpoint this run wrote
    saved_at: int | None = None  # ... and its step
    reported: float = float("-inf")  # step of the last evaluation printed

    def record(self, event: StepEvent):
        self.tokens += event.tokens
        self.last = event
        if event.eval_accuracy is not None:
            self.accuracy = event.eval_accuracy

    def fields(self) -> dict:
        return {"step": self.last.step, "cost": figure(self.last.loss), "acc": figure(self.accuracy),
                "rate": f"{self.rate():,.0f}"}

    def rate(self) -> float:
        return self.tokens / max(time.perf_counter() - self.started, 1e-9)

    def summary(self, trainer: Trainer) -> str:
        cost, epoch = (figure(self.last.loss), self.last.epoch) if self.last else ("-", trainer.epoch)
        return (f"trained {trainer.step - self.first_step} steps (now step {trainer.step}, epoch {epoch:.1f}) "
                f"in {time.perf_counter() - self.started:.2f}s: cost={cost}, accuracy={figure(self.accuracy)}, "
                f"{self.rate():,.0f} tokens/s")


def figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def run_train(args, out, err) -> int:
    check_save_path(args)
    saved = load(args.load) if args.load else None
    data = training_data(args.data, saved, args.load)
    trainer = make_trainer(args, data, saved)
    net = trainer.net
    say(out, f"data {data.name}: vocabulary of {len(data.vocab)}, {data.n_eval_targets():,} eval targets; "
             + (f"best possible: accuracy {data.optimum.accuracy:.4f}, cost {data.optimum.loss:.4f}"
                if data.optimum else "no known optimum (a text file)"))
    say(out, f"network {net.describe()}, {net.n_params():,} parameters, starting at step {trainer.step}")
    return train_loop(args, trainer, out, err)


def check_save_path(args):
    """Before training rather than after it: a bad --save would lose the run."""
    if args.save_every and not args.save:
        raise UsageError("--save-every needs --save PATH")
    if not args.save:
        return
    if Path(args.save).is_dir():
        raise UsageError(f"--save {args.save}: is a directory; give the path of a file")
    if not Path(args.save).parent.is_dir():
        raise UsageError(f"--save {args.save}: the directory {Path(args.save).parent} does not exist")
    try:
        check_can_save(args.save)  # a read-only directory, a device, a FIFO: refused before the first step
    except OSError as e:
        raise UsageError(f"--save {args.save}: cannot write there ({e.strerror})") from None


def training_data(name: str | None, saved, path: str | None):
    """--data if given, else the data the checkpoint was trained on, else the default."""
    if name or saved is None:
        return datasets.load(name or ModelConfig().data)
    if saved.data is None:
        raise UsageError(f"{path} does not say which data it was trained on (an older checkpoint); give --data")
    try:
        return datasets.from_source(saved.data)
    except ValueError as e:
        raise UsageError(f"{path} was trained on data that cannot be made again: {e}; give --data") from None


def make_trainer(args, data, saved) -> Trainer:
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    if saved is None:
        model, config = model_config(args), checked(TrainConfig, **given)
        layers = [Embedding(model.embed), *parse_layers(model.layers)]
        return Trainer(Network(len(data.vocab), layers, seed=config.seed, dtype=config.dtype), data, config)
    if args.embed is not None or args.layers is not None:
        raise UsageError("--embed and --layers come from the checkpoint when resuming with --load")
    if saved.vocab.symbols != data.vocab.symbols:
        raise UsageError(f"{args.load} was trained on another vocabulary than --data {args.data}")
    trainer = Trainer(saved.net, data, state=saved.trainer_state)
    checked(trainer.configure, **given)  # options given now override the saved ones
    return trainer


def model_config(args) -> ModelConfig:
    given = {k: v for k in ("embed", "layers") if (v := getattr(args, k)) is not None}
    try:
        return checked(ModelConfig, **given)
    except ValueError as e:  # a layer spec's error names the bad part
        raise UsageError(f"--layers: {e}") from None


def checked(make, **values):
    """`make(**values)`, a setting's error named by its option: `--batch-size must be ...`."""
    try:
        return make(**values)
    except SettingError as e:
        raise settings_error(e) from None


def train_loop(args, trainer, out, err) -> int:
    log = RunLog(time.perf_counter(), trainer.step)
    try:
        with progress_bar(out) as bar:
            task = bar.add_task("train", total=args.steps, step=trainer.step, cost="-", acc="-", rate="0")
            for event in itertools.islice(trainer.steps(), args.steps):
                log.record(event)
                bar.update(task, advance=1, **log.fields())
                report(bar.console, event, trainer.data.optimum, log, args.report_every)
                if event.diverged:
                    return stop_diverged(args, trainer, log, event, err)
                if args.save and args.save_every and event.step % args.save_every == 0:
                    write_checkpoint(args.save, trainer, log)
        if args.save and log.saved_at != trainer.step:
            write_checkpoint(args.save, trainer, log)
    except KeyboardInterrupt:
        # Not saved now: the interrupted step may have updated only some of the weights.
        say(out, log.summary(trainer))
        say(err, f"interrupted at step {trainer.step}; {last_checkpoint(args, log)}")
        return EXIT_INTERRUPTED
    say(out, log.summary(trainer) + (f"; saved {args.save}" if args.save else ""))
    return 0


def stop_diverged(args, trainer, log, event, err) -> int:
    """The cost exploded: go back to the last good weights, keep them if asked to save, and say so."""
    good = trainer.rollback()
    if args.save:
        write_checkpoint(args.save, trainer, log)
    say(err, f"rnncore: the cost exploded at step {event.step} (lr {event.lr:g}); rolled back to the weights of "
             f"step {good}; {last_checkpoint(args, log)}; try a lower --lr or --clip")
    return EXIT_DIVERGED


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("step {task.fields[step]}"), BarColumn(), TextColumn("cost {task.fields[cost]}"),
                    TextColumn("accuracy {task.fields[acc]}"), TextColumn("{task.fields[rate]} tokens/s"),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def report(console: Console, event: StepEvent, optimum, log: RunLog, every: int):
    """An evaluation's line when `every` steps have passed since the last one printed."""
    if event.eval_accuracy is not None and event.step >= log.reported + every:
        log.reported = event.step
        say(console, f"[develop] step={event.step}, accuracy={event.eval_accuracy:.4f} "
                     f"({of_best(event.eval_accuracy, optimum)}), avg_cost={event.eval_cost:.4f}")
    if event.skipped:
        say(console, f"[warn] step={event.step}: the loss or the gradients were not finite; step skipped")


def of_best(accuracy: float, optimum) -> str:
    return f"{accuracy / optimum.accuracy:.1%} of best" if optimum else "no known optimum"


def write_checkpoint(path, trainer, log):
    save(path, trainer.net, trainer)
    log.saved, log.saved_at = f"{path} (step {trainer.step})", trainer.step


def last_checkpoint(args, log) -> str:
    if log.saved:
        return f"the last checkpoint is {log.saved}"
    if args.load:
        return f"no checkpoint saved by this run; {args.load} is unchanged"
    return "no checkpoint was saved" + ("" if args.save else " (use --save PATH --save-every K)")


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
    out.print(Text(saved.vocab.text(ids), style="bold") + Text(gap + saved.vocab.text(new)), soft_wrap=True)
    return 0


def parse_prefix(vocab, text) -> list[int]:
    try:
        ids = vocab.parse(text)
    except ValueError as e:
        raise UsageError(f"prefix {text!r}: {e}") from None
    if not ids:
        raise UsageError("the prefix is empty; give at least one symbol, e.g. 1357")
    return ids


COMMANDS = {"toy": run_toy, "train": run_train, "predict": run_predict, "generate": run_generate}
