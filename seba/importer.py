"""Rasa's file importer, parsing each training file once per content.

``rasa train`` reads the same files several times: in one training with Seba's data, the
domain twice, the NLU files three times (Rasa's wrappers ask for them in two languages and
from two places) and the stories once — about 10 s of YAML parsing and schema checks, a
quarter of a retrain after one new example. This importer keeps what each read produced,
pickled, keyed by the files' exact bytes (and Rasa's version), in memory and in
``.rasa/seba-parse-cache.sqlite``; every read hands out a fresh copy, so a caller that
changes what it got (the tokenizer does) changes nothing for the next one. A retrain after
one new FAQ example parses only the file that changed — also in a copy of the project
elsewhere (the console's retrain copies the data into a new workspace for every job): the
keys hold the files' bytes, not their paths, and what a parse says about its files (the
stories' source names, the warnings) is said with the paths they are read from now.

What is read, and how, is Rasa's own (``RasaFileImporter``): only the parsing is remembered.
The warnings a parse gave (Rasa's findings about a file) are kept with it and shown again on
every read, so ``rasa data validate --fail-on-warnings`` and the content checks see the same
findings whether the file was parsed or remembered. A file that fails to parse is not kept.

The cache file is trusted as the models are (both are unpickled): it lives in the project's
``.rasa/`` (or ``SEBA_PARSE_CACHE``), written only by this installation's own trainings.

config.yml: ``importers: [{name: seba.importer.CachedFileImporter}]``
"""

import hashlib
import logging
import os
import pickle
import sqlite3
import threading
import time
import warnings
from collections import OrderedDict
from contextlib import closing
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Text, Tuple, Type, TypeVar

import rasa
import rasa.shared.utils.io
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data import loading
from rasa.shared.nlu.training_data.training_data import TrainingData

from seba import PROJECT_ROOT

logger = logging.getLogger(__name__)

#: Change when what is cached (or how it is made) changes: old entries are then never read.
FORMAT = "3"
#: Parse results kept in memory (the newest; a long-lived process sees many versions).
MEMORY_ENTRIES = 64
#: Parse results kept on disk: the most recently written; older ones are parsed again.
DISK_ENTRIES = 256
T = TypeVar("T")


class ParseCache:
    """Pickled parse results by key: a dict in memory in front of one SQLite file."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = Path(
            path
            or os.environ.get("SEBA_PARSE_CACHE")
            or PROJECT_ROOT / ".rasa" / "seba-parse-cache.sqlite"
        )
        self._memory: "OrderedDict[str, bytes]" = OrderedDict()
        # Reentrant: a parse may read through the cache (the stories read the domain).
        self._lock = threading.RLock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS parses "
            "(key TEXT PRIMARY KEY, value BLOB NOT NULL, written REAL NOT NULL)"
        )
        return connection

    def _get(self, key: str) -> Optional[bytes]:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        try:
            with closing(self._connect()) as connection:
                row = connection.execute("SELECT value FROM parses WHERE key = ?", [key]).fetchone()
        except sqlite3.Error as error:  # a broken cache costs a parse, never a training
            logger.warning("Parse cache %s unreadable (%s); parsing.", self.path, error)
            return None
        return row[0] if row else None

    def _put(self, key: str, value: bytes) -> None:
        self._memory[key] = value
        while len(self._memory) > MEMORY_ENTRIES:
            self._memory.popitem(last=False)
        try:
            with closing(self._connect()) as connection, connection:
                connection.execute(
                    "INSERT OR REPLACE INTO parses (key, value, written) VALUES (?, ?, ?)",
                    [key, value, time.time()],
                )
                connection.execute(
                    "DELETE FROM parses WHERE key NOT IN "
                    "(SELECT key FROM parses ORDER BY written DESC LIMIT ?)",
                    [DISK_ENTRIES],
                )
        except sqlite3.Error as error:
            logger.warning("Parse cache %s not writable (%s).", self.path, error)

    def load(
        self,
        key: str,
        parse: Callable[[], T],
        paths: Sequence[str] = (),
        relocate: Optional[Callable[[T, Dict[str, str]], None]] = None,
    ) -> T:
        """A fresh copy of what ``parse()`` returned for ``key`` (parsing only if unknown),
        with the warnings the parse gave shown again: they are findings about the files
        (``rasa data validate --fail-on-warnings`` and the content checks read them).
        ``paths`` are the files read, in the key's order: if the copy was parsed from files
        elsewhere, its warnings name these instead, and ``relocate(value, {old: new})``
        renames them in the value."""
        paths = [str(p) for p in paths]
        with self._lock:
            blob = self._get(key)
            if blob is not None:
                try:
                    value, found, parsed_from = pickle.loads(blob)
                except Exception as error:  # noqa: BLE001 - e.g. written by another Rasa
                    logger.warning("Parse cache entry unreadable (%s); parsing.", error)
                else:
                    moved = {
                        old: new for old, new in zip(parsed_from, paths, strict=False) if old != new
                    }
                    if moved and relocate is not None:
                        relocate(value, moved)
                    _replay(found, moved)
                    return value
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = parse()
            found = [
                (str(w.message), w.category)
                for w in caught
                if issubclass(w.category, (UserWarning, FutureWarning))
            ]
            blob = pickle.dumps((value, found, paths), protocol=pickle.HIGHEST_PROTOCOL)
            self._put(key, blob)
            _replay(found)
            return pickle.loads(blob)[0]


def _replay(found: List[Tuple[str, Type[Warning]]], moved: Optional[Dict[str, str]] = None) -> None:
    for message, category in found:
        for old, new in (moved or {}).items():
            message = message.replace(old, new)
        rasa.shared.utils.io.raise_warning(message, category)


_CACHE = ParseCache()


def content_key(kind: str, paths: Iterable[Text], *extra: object) -> str:
    """A key for ``kind`` parsed from ``paths``: their exact bytes (a folder: every file
    under it, with its name inside the folder), Rasa's version and ``extra`` (arguments of
    the read). Not where they are: a copy of the files elsewhere has the same key."""
    digest = hashlib.sha256(f"{FORMAT}\x00{rasa.__version__}\x00{kind}".encode())
    for extra_value in extra:
        digest.update(f"\x00{extra_value!r}".encode())
    for path in paths:
        root = Path(path)
        files = _files(root)
        for file in files:
            inside = file.relative_to(root).as_posix() if file != root else ""
            digest.update(b"\x00file:" + inside.encode() + b"\x00")
            digest.update(file.read_bytes())
        if not files:
            digest.update(b"\x00missing")
    return digest.hexdigest()


def _language(path: Text, language: Optional[Text]) -> Optional[Text]:
    """The language as far as it changes a parse: Rasa's YAML reader does not read it (and
    Rasa's importers ask in two languages), so a YAML file is parsed once for both."""
    return None if str(path).endswith((".yml", ".yaml")) else language


def _files(path: Path) -> List[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return []


class CachedFileImporter(RasaFileImporter):
    """``RasaFileImporter`` with its parsing remembered by content (see the module)."""

    cache = _CACHE

    def get_domain(self) -> Domain:
        if not self._domain_path:
            return super().get_domain()
        return self.cache.load(
            content_key("domain", [self._domain_path]), super().get_domain, [self._domain_path]
        )

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        if exclusion_percentage:  # a random share left out: nothing to remember
            return super().get_stories(exclusion_percentage)
        # Stories are read against the domain (slots, entities), so it is part of the key.
        paths = [*([self._domain_path] if self._domain_path else []), *self._story_files]
        return self.cache.load(
            content_key("stories", paths),
            lambda: super(CachedFileImporter, self).get_stories(exclusion_percentage),
            paths,
            _relocate_stories,
        )

    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        # Each file by its content, so one changed file is the only one parsed; and the
        # merged whole by theirs, so an unchanged project costs one unpickling (Rasa's
        # merge deep-copies every example).
        keys = [content_key("nlu", [path], _language(path, language)) for path in self._nlu_files]
        whole = hashlib.sha256("\x00".join(["nlu-merged", *keys]).encode()).hexdigest()

        def merged() -> TrainingData:
            parts = [
                self.cache.load(key, lambda path=path: loading.load_data(path, language), [path])
                for key, path in zip(keys, self._nlu_files, strict=True)
            ]
            return TrainingData().merge(*parts)

        return self.cache.load(whole, merged, self._nlu_files)


def _relocate_stories(stories: StoryGraph, moved: Dict[str, str]) -> None:
    """The stories' steps name the file they were read from (Rasa's validation says it)."""
    for step in stories.story_steps:
        step.source_name = moved.get(step.source_name, step.source_name)
