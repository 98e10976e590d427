"""What every test shares: each starts as a new program would, with no served folder and no file read or written
(rnncore.files keeps what its process reads and writes)."""
import pytest

from rnncore import files


@pytest.fixture(autouse=True)
def a_new_program():
    files.forget()
    yield
    files.forget()
