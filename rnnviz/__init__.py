"""rnnviz: watch a recurrent network learn, in your terminal."""
import os

# The app trains small matrices in one thread while another draws the screen. A multi-threaded BLAS
# then fights both for the cores and runs 5-10x slower on a busy machine, so one BLAS thread is the
# default (set before NumPy loads; an explicit OPENBLAS_NUM_THREADS etc. still wins).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
