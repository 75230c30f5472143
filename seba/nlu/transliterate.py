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
from typing import Optional

from seba.language import BANGLISH, detect_variety
from seba.nlu import e5

CACHE_SIZE = 4096


@functools.lru_cache(maxsize=CACHE_SIZE)
def bengali_script(text: str) -> Optional[str]:
    """``text`` in Bengali script when it is Banglish; None for English, Bangla and the rest."""
    if detect_variety(text) != BANGLISH:
        return None
    import avro  # on first use: the package builds its rule tables at import

    # Only what e5 reads of it: the rules cost ~0.07 ms a character, and a stranger's
    # 10,000-character message would hold the event loop for a second.
    return avro.parse(e5.bounded(text))
