"""Thread settings of the served processes (the Rasa server and the action server).

A served process answers on one event loop. A second BLAS thread does not make a message's
small matrix products faster: OpenBLAS's worker spins between them, about 40% of a core on a
2-core machine, taken from the other processes (bench/notes.md). Training (``rasa train``) is
not affected: it keeps BLAS's own default.
"""

import os

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread() -> None:
    """One BLAS / OpenMP thread, unless the environment says otherwise. Must run before
    numpy is first imported (the libraries read it when they load)."""
    for variable in VARIABLES:
        os.environ.setdefault(variable, "1")
