"""rnncore: a small, readable, fast recurrent network in NumPy."""
from . import datasets, files
from .budget import keep_freed_memory
from .cells import GRU, LSTM, RNN
from .checkpoint import Checkpoint, CheckpointError, load, save
from .config import ModelConfig, SettingError, TrainConfig
from .datasets import Dataset, Optimum
from .layers import MAX_SIZE, Dense, Embedding
from .network import Network, Run
from .reach import Reach
from .recurrence import gate_saturation, gradient_through_time, jacobian_norms, recurrent_spectrum
from .spec import format_layers, parse_layers
from .stack import MAX_LAYERS, STACKABLE
from .trainer import StepEvent, Trainer
from .vocab import Vocab, glyph

__all__ = ["GRU", "LSTM", "MAX_LAYERS", "MAX_SIZE", "RNN", "STACKABLE", "Checkpoint", "CheckpointError", "Dataset",
           "Dense", "Embedding", "ModelConfig", "Network", "Optimum", "Reach", "Run", "SettingError", "StepEvent",
           "TrainConfig", "Trainer", "Vocab", "datasets", "files", "format_layers", "gate_saturation", "glyph",
           "gradient_through_time", "jacobian_norms", "keep_freed_memory", "load", "parse_layers", "recurrent_spectrum",
           "save"]
