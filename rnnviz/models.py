"""The model a user asks for, from typed text, and the data it names; no Textual."""
from __future__ import annotations

from rnncore import ModelConfig, Network, SettingError, TrainConfig, datasets, format_layers, parse_layers
from rnncore.tasks import TASKS

# the tasks the app lists: every built-in task, and the parameters the README and the lessons use
DATA_CHOICES = ("parity", "parity:8", "parity:16", "parity:64", "xor", "letters", "anbn", "anbn:30", "digits", "toy")


def is_task(name: str) -> bool:
    """Whether `name` names a built-in task (`parity`, `parity:64`, even with a bad parameter), not a file."""
    return name.partition(":")[0].strip() in TASKS


def task_about(name: str) -> str:
    """What a task of DATA_CHOICES is, in one line: "the same, GAP 8" for a parameter beside the default's."""
    base, _, value = name.partition(":")
    task = TASKS[base]
    if value:
        return f"the same, {task.param} {value}"
    return task.about + (f"; {task.param} {task.default}" if task.param else "")


def model_of(data: str, net: Network) -> ModelConfig:
    """The model a network was built as, on `data`."""
    embedding, *stack = [layer for _, layer in net.layers]
    return ModelConfig(data, embedding.dim, format_layers(stack))


def read_model(data: str, embed: str, layers: str, seed: str) -> tuple[ModelConfig, int]:
    """A model and seed from typed texts (the Model panel's, the command line's); SettingError says why not."""
    model = ModelConfig(data, ModelConfig.parse("embed", embed), layers)
    if not any(layer.recurrent for layer in parse_layers(layers)):
        why = "add a recurrent layer: rnnviz shows recurrent networks"
        raise SettingError("layers", "layers", ModelConfig.describe("layers")["rule"], layers, why)
    return model, TrainConfig(seed=TrainConfig.parse("seed", seed)).seed


def load_data(name: str):
    """A built-in task or a UTF-8 text file; ValueError says what is wrong."""
    return datasets.load(name)


def check_data(name: str) -> None:
    """What `load_data` would refuse, found quickly: of a text file only the start is read."""
    datasets.check(name)
