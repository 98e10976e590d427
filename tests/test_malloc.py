"""glibc's malloc tuned where rnncore trains: not at import, at a Trainer's first step, and then serving large
arrays again from the memory it kept."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_malloc_keeps_freed_memory_unless_told_to_leave_it(monkeypatch):
    from rnncore.budget import keep_freed_memory
    assert keep_freed_memory() is True  # glibc, as on every machine this runs on
    monkeypatch.setenv("RNNCORE_MALLOC", "system")
    assert keep_freed_memory() is False


MALLOC_TOLD = "from rnncore import budget; print(budget._tell_glibc.cache_info().currsize, end=' ')"


@pytest.mark.parametrize("environment, says", [({}, "0 1"), ({"RNNCORE_MALLOC": "system"}, "0 0")])
def test_importing_rnncore_leaves_malloc_alone_and_a_trainer_tunes_it_at_its_first_step(environment, says):
    script = (f"import rnncore; {MALLOC_TOLD}; from test_trainer import make; trainer = make(); "
              f"trainer.net.loss_and_grads(*next(trainer.data.eval_batches())); {MALLOC_TOLD}; trainer.train_step(); "
              f"{MALLOC_TOLD}")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parent,
                          env={**os.environ, **environment}, check=True)
    assert done.stdout == f"0 {says} "  # after the import, after a pass outside a Trainer, after a Trainer's step


FAULTS_OF_A_FRESH_ARRAY = """
import resource, sys, numpy as np
from rnncore import keep_freed_memory
if sys.argv[1] == "tuned":
    keep_freed_memory()
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(1 << 24, np.float32)  # 64 MB, as an LSTM's gates at (256, 64, 256): above glibc's largest mmap threshold
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults()
print(faults())
"""


@pytest.mark.parametrize("malloc, most", [("tuned", 8), ("system", None)])
def test_tuned_malloc_serves_a_large_array_again_from_memory_it_kept(malloc, most):
    done = subprocess.run([sys.executable, "-c", FAULTS_OF_A_FRESH_ARRAY, malloc], capture_output=True, text=True,
                          check=True)
    faults = int(done.stdout)
    assert faults < most if most else faults >= 32  # untuned, each of its pages (2 MB or 4 kB) is faulted in again
