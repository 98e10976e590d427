"""What every test shares: each starts as a new program would, with no served folder and no file read or written
(rnncore.files keeps what its process reads and writes); a saved checkpoint."""
import pytest
from helpers import trained

from rnncore import files, save


@pytest.fixture(autouse=True)
def a_new_program():
    files.forget()
    yield
    files.forget()


@pytest.fixture
def saved(tmp_path):
    """A checkpoint of a network trained a few steps, with its trainer's state."""
    path = tmp_path / "model.npz"
    save(path, trained().net, trained())
    return path
