"""A run saved to a checkpoint and taken back from one, its charts with it. Mixed into Session, which provides
`lock`, `net`, `trainer`, `data`, `vocab`, `model`, `history` and the rest; no Textual."""
from __future__ import annotations

from pathlib import Path

from rnncore import CheckpointError, Trainer, datasets, files, load, save

from .history import History
from .models import model_of


class Checkpoints:
    def save(self, path) -> None:
        """Write the run to a checkpoint. Its figures are taken again first, so that the header and the charts
        show the eval of the weights saved (the last evaluation may be some steps older): a load shows the same."""
        with self.lock:
            self._use_wanted()
            evaluation = self.trainer.evaluation()
            self.accuracy, self.eval_cost = evaluation[:2]
            self.history.evaluated(self.trainer.step, evaluation)
            try:
                save(path, self.net, self.trainer, self.vocab, history=self.history.saved())
            except OSError as e:
                raise CheckpointError(f"{path}: cannot write ({e.strerror})") from None
            self.saved_step = self.trainer.step

    def load(self, path, keep_data: bool = False) -> None:
        """Take the network, its training state and its data from a checkpoint (with `keep_data`, the current
        data, if it has the same symbols); a CheckpointError (which says what is wrong, a data file gone or
        changed included) leaves everything as it was."""
        checkpoint = load(path)
        name, data = self._data_of(checkpoint, path, keep_data)
        try:
            trainer = Trainer(checkpoint.net, data, self.config, state=checkpoint.trainer_state)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"{path}: the saved training state does not fit ({e})") from None
        self.note("load", path=str(Path(path).resolve()), sha256=files.digest(path, "checkpoint"))
        with self.lock:
            self.net, self.trainer, self.data, self.vocab = checkpoint.net, trainer, data, data.vocab
            self.wanted = trainer.config
            self.model = model_of(name, checkpoint.net)
            self._forget()
            if checkpoint.history is not None:  # the charts as they were when it was saved
                self._restore(checkpoint.history)

    def _restore(self, charts: dict) -> None:
        self.history = History.restored(charts)
        self.memory_found_at = next((step for step, label in charts["markers"] if label == "memory found"), None)

    def _data_of(self, checkpoint, path, keep_data) -> tuple[str, object]:
        """(name, data set) the checkpoint was trained on: as it says, or (an older file) the current data."""
        source = checkpoint.data
        if source is None or source == self.data.source or keep_data:
            if checkpoint.vocab.symbols != self.vocab.symbols:
                raise CheckpointError(f"{path}: its vocabulary ({len(checkpoint.vocab)} symbols) is not the one of "
                                      f"the data {self.model.data!r}; start rnnviz with the data it was trained on")
            return self.model.data, self.data
        try:
            data = datasets.from_source(source)
        except ValueError as e:
            raise CheckpointError(f"{path}: its data cannot be made again ({e})") from None
        return source.get("name") or source["path"], data
