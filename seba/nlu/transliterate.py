"""Banglish read in Bengali script, for the e5 embedding and the n-grams.

e5 learned Bangla from Bengali script: to it "amar order ta kobe pabo" is a string of
half-English words, and Banglish questions that mean the same land far apart in its space.
Avro's phonetic rules (the ``avro.py`` package; Avro is the layout most Bangladeshis type
Bangla with, so its rules are how Banglish is spelled) write it back in the script e5 knows:
"vai amar order ta kobe pabo?" becomes "ভাই আমার অর্ডার তা কবে পাব?". The classifier embeds a
Banglish message both ways and takes the mean (``LinearIntentClassifier``'s
``e5_banglish_both_scripts``): the Bengali-script reading lies near its Bangla twins, the Latin
one keeps what e5 knows of English loanwords and of Banglish as written. The n-grams read
both readings together (``ngrams_banglish_both_scripts``), so the words of the Bangla
training examples count for a Banglish message too.

Only text that ``seba.language.detect_variety`` reads as Banglish is transliterated: English
would become nonsense in Bengali script, and Bangla is in it already.
"""

import functools
import importlib.metadata
import logging
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from seba.language import BANGLISH, detect_variety
from seba.nlu import e5
from seba.nlu.training_cache import KeyedTable

logger = logging.getLogger(__name__)

CACHE_SIZE = 4096


def _avro(text: str) -> str:
    import avro  # on first use: the package builds its rule tables at import

    # Only what e5 reads of it: the rules cost ~0.07 ms a character, and a stranger's
    # 10,000-character message would hold the event loop for a second.
    return avro.parse(e5.bounded(text))


@functools.lru_cache(maxsize=CACHE_SIZE)
def bengali_script(text: str) -> Optional[str]:
    """``text`` in Bengali script when it is Banglish; None for English, Bangla and the rest."""
    if detect_variety(text) != BANGLISH:
        return None
    return _avro(text)


class ReadingCache:
    """The training examples' readings across trainings, beside their e5 embeddings (a table
    of ``training_cache``). Avro's rules take ~3 ms a message: 7 s for the ~2,500 Banglish
    examples, which every retrain would pay again for one new example."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self._table: KeyedTable[str] = KeyedTable("readings", "reading", path)
        self.path = self._table.path
        self._version = importlib.metadata.version("avro.py")

    def key(self, text: str) -> str:
        return KeyedTable.key(f"avro.py {self._version}", e5.bounded(text))

    def get_many(self, texts: Iterable[str]) -> Dict[str, str]:
        keys = {self.key(t): t for t in texts}
        return {keys[key]: reading for key, reading in self._table.get_many(keys).items()}

    def put_many(self, readings: Dict[str, str]) -> None:
        self._table.put_many({self.key(t): r for t, r in readings.items()})


def bengali_script_many(
    texts: List[str], cache: Optional[ReadingCache] = None
) -> List[Optional[str]]:
    """``bengali_script`` of each text; with ``cache`` (training), known readings are read
    from it and the new ones computed and stored."""
    if cache is None:
        return [bengali_script(t) for t in texts]
    banglish = [t for t in dict.fromkeys(texts) if detect_variety(t) == BANGLISH]
    known = cache.get_many(banglish)
    new = {t: _avro(t) for t in banglish if t not in known}
    cache.put_many(new)
    logger.info(
        "Banglish readings: %d from the cache (%s), %d computed", len(known), cache.path, len(new)
    )
    known.update(new)
    return [known.get(t) for t in texts]
