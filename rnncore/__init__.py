"""rnncore: a small, readable, fast recurrent network in NumPy."""
from . import datasets
from .cells import GRU, LSTM, RNN
from .checkpoint import Checkpoint, CheckpointError, load, save
from .datasets import Dataset, Vocab
from .layers import Dense, Embedding
from .network import Network
from .trainer import StepEvent, TrainConfig, Trainer

__all__ = ["Checkpoint", "CheckpointError", "Dataset", "Dense", "Embedding", "GRU", "LSTM", "Network", "RNN",
           "StepEvent", "TrainConfig", "Trainer", "Vocab", "datasets", "load", "save"]
