"""`rnncore train`: a run with a progress bar, its evaluations, checkpoints, record and metrics log."""
from __future__ import annotations

import csv
import itertools
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from . import datasets, files
from .checkpoint import load, save
from .cli_args import UsageError, say, settings_error
from .config import ModelConfig, SettingError, TrainConfig
from .layers import Embedding
from .network import Network
from .reach import Reach
from .record import CSV_COLUMNS, Recorder, digest
from .spec import format_layers, parse_layers
from .threads import blas_threads, use_threads
from .trainer import StepEvent, Trainer

EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 130


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
    reach: Reach | None = None  # the latest reach measured, for a task that has one

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
                + (f"reach={reach_words(self.reach)}, " if self.reach else "") + f"{self.rate():,.0f} tokens/s")


def reach_words(reach: Reach) -> str:
    """'21 of 100 (trained up to 10)': the largest n right, how far it was measured, and the training range."""
    return f"{reach.largest} of {reach.up_to} (trained up to {reach.trained})"


def figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def run_train(args, out, err) -> int:
    if args.save_every and not args.save:
        raise UsageError("--save-every needs --save PATH")
    saved = load(args.load) if args.load else None
    data = training_data(args.data, saved, args.load)
    plan_outputs(args)
    if args.reach is not None:
        try:
            data.check_reach(args.reach)
        except ValueError as e:
            raise UsageError(f"--reach {args.reach}: {e}") from None
    trainer = make_trainer(args, data, saved)
    net = trainer.net
    say(out, f"data {data.name}: vocabulary of {len(data.vocab)}, {data.n_eval_targets():,} eval targets; "
             + (f"best possible: accuracy {data.optimum.accuracy:.4f}, cost {data.optimum.loss:.4f}"
                if data.optimum else "no known optimum (a text file)"))
    say(out, f"network {net.describe()}, {net.n_params():,} parameters, starting at step {trainer.step}; "
             + use_threads([net], args.threads))
    with Outputs(args, trainer, saved) as outputs:
        return train_loop(args, trainer, out, err, outputs)


class Outputs:
    """What a run writes as it goes besides checkpoints: a record (--record) and a metrics log (--log)."""

    def __init__(self, args, trainer: Trainer, saved=None):
        self.recorder = Recorder(args.record, blas_threads()) if args.record else None
        self._log_file = files.open_output(args.log, "csv") if args.log else None
        self.metrics = csv.writer(self._log_file) if self._log_file else None
        if self.metrics:
            self.metrics.writerow(CSV_COLUMNS)
        if self.recorder:
            self._record_start(args, trainer, saved)

    def _record_start(self, args, trainer: Trainer, saved) -> None:
        net = trainer.net
        stack = format_layers(layer for _, layer in net.layers[1:])
        model = ModelConfig(trainer.data.name, net.layers[0][1].dim, stack)
        config = saved.config if saved and saved.config else trainer.config
        self.recorder.event("start", 0, 0, data=trainer.data.source, model=asdict(model), config=asdict(config))
        if args.load:
            self.recorder.event("load", 0, 0, path=str(Path(args.load).resolve()),
                                sha256=files.digest(args.load, "checkpoint"))
            if trainer.config != config:
                changes = {k: v for k, v in asdict(trainer.config).items() if asdict(config)[k] != v}
                self.recorder.event("configure", 0, trainer.step, changes=changes)

    def step(self, event: StepEvent, trainer: Trainer, reach: Reach | None) -> None:
        if self.recorder:
            self.recorder.stepped(0, event.step, trainer.net.params)
        if self.metrics:
            self.metrics.writerow([0, event.step, event.loss, _blank(event.eval_cost), _blank(event.eval_accuracy),
                                   _blank(event.eval_memory_use), reach.largest if reach else "", event.lr, ""])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._log_file:
            self._log_file.close()
        if self.recorder:
            self.recorder.close()


def _blank(value):
    return "" if value is None else value


OUTPUTS = (("save", "checkpoint"), ("record", "record"), ("log", "csv"))  # option, what it writes


def plan_outputs(args) -> None:
    """Before training rather than after it (a bad --save would lose the run): each output's place, and none of
    them the same file as an input (--load, --data) or as another output."""
    for option, kind in OUTPUTS:
        path = getattr(args, option)
        if not path:
            continue
        if Path(path).is_dir():
            raise UsageError(f"--{option} {path}: is a directory; give the path of a file")
        if not Path(path).parent.is_dir():
            raise UsageError(f"--{option} {path}: the directory {Path(path).parent} does not exist")
        try:
            files.plan_output(path, kind)  # a read-only directory, a device, a FIFO, an input: refused here
        except files.FileError as e:
            raise UsageError(f"--{option} {e}") from None
        except OSError as e:
            raise UsageError(f"--{option} {path}: cannot write there ({e.strerror})") from None


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


def train_loop(args, trainer, out, err, outputs: Outputs) -> int:
    log = RunLog(time.perf_counter(), trainer.step)
    try:
        with progress_bar(out) as bar:
            task = bar.add_task("train", total=args.steps, step=trainer.step, cost="-", acc="-", rate="0")
            for event in itertools.islice(trainer.steps(), args.steps):
                log.record(event)
                reach = measure_reach(trainer, event, log, args)
                outputs.step(event, trainer, reach)
                bar.update(task, advance=1, **log.fields())
                report(bar.console, event, trainer.data.optimum, log, args.report_every)
                if event.diverged:
                    return stop_diverged(args, trainer, log, event, err, outputs)
                if args.save and args.save_every and event.step % args.save_every == 0:
                    write_checkpoint(args.save, trainer, log)
        if args.save and log.saved_at != trainer.step:
            write_checkpoint(args.save, trainer, log)
        if outputs.recorder:
            outputs.recorder.event("end", 0, trainer.step, sha256=digest(trainer.net.params))
    except KeyboardInterrupt:
        # Not saved now: the interrupted step may have updated only some of the weights.
        say(out, log.summary(trainer))
        say(err, f"interrupted at step {trainer.step}; {last_checkpoint(args, log)}")
        return EXIT_INTERRUPTED
    say(out, log.summary(trainer) + (f"; saved {args.save}" if args.save else ""))
    return 0


def stop_diverged(args, trainer, log, event, err, outputs: Outputs) -> int:
    """The cost exploded: go back to the last good weights, keep them if asked to save, and say so."""
    good = trainer.rollback()
    if outputs.recorder:
        outputs.recorder.event("rollback", 0, trainer.step)
        outputs.recorder.event("end", 0, trainer.step, sha256=digest(trainer.net.params))
    if args.save:
        write_checkpoint(args.save, trainer, log)
    say(err, f"rnncore: the cost exploded at step {event.step} (lr {event.lr:g}); rolled back to the weights of "
             f"step {good}; {last_checkpoint(args, log)}; try a lower --lr or --clip")
    return EXIT_DIVERGED


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("step {task.fields[step]}"), BarColumn(), TextColumn("cost {task.fields[cost]}"),
                    TextColumn("accuracy {task.fields[acc]}"), TextColumn("{task.fields[rate]} tokens/s"),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def reported(event: StepEvent, log: RunLog, every: int) -> bool:
    """Whether this step's evaluation is printed: `every` steps have passed since the last one printed."""
    return event.eval_accuracy is not None and event.step >= log.reported + every


def measure_reach(trainer: Trainer, event: StepEvent, log: RunLog, args) -> Reach | None:
    """The reach, for a task that has one, at an evaluation printed and at the last step (not at every one:
    it costs some ten steps of training)."""
    if trainer.data.reach_probe is None:
        return None
    if reported(event, log, args.report_every) or event.step == log.first_step + args.steps:
        log.reach = trainer.data.reach(trainer.net, args.reach)
        return log.reach
    return None


def report(console: Console, event: StepEvent, optimum, log: RunLog, every: int):
    """An evaluation's line when `every` steps have passed since the last one printed, with the reach."""
    if reported(event, log, every):
        log.reported = event.step
        say(console, f"[develop] step={event.step}, accuracy={event.eval_accuracy:.4f} "
                     f"({of_best(event.eval_accuracy, optimum)}), avg_cost={event.eval_cost:.4f}"
                     + (f", reach={reach_words(log.reach)}" if log.reach else ""))
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


