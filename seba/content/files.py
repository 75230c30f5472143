"""Reading and writing the project's data files for the console: round-trip YAML, one-line
texts, atomic writes under one lock.

Every change content staff make goes through here:

- ``round_trip()``: ruamel.yaml's round-trip loader/dumper (the version Rasa pins), set up so
  that loading and dumping an unchanged file of ours gives back the same bytes: quotes kept,
  no re-wrapping of long lines, emoji written as themselves (ruamel escapes characters
  outside the Basic Multilingual Plane in double-quoted strings; ``_Emitter`` fixes that),
  ``null`` kept as ``null``;
- ``one_line(text)``: what a typed text may be when it becomes an example or an answer;
- ``edit_lock(root)``: one writer at a time, across threads and console processes;
- ``write_atomic``: the new content replaces the file in one step (never half a file).
"""

import contextlib
import fcntl
import io
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Sequence, Union

from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.representer import RoundTripRepresenter

from seba import inbound
from seba.content import N_, Refusal


class ContentError(Refusal, ValueError):
    """A change that is refused; the message says why in plain words (shown to staff)."""


# --- ruamel.yaml, byte for byte -----------------------------------------------------------------


class _Emitter(Emitter):
    """ruamel's emitter, writing characters above U+FFFF (emoji) as themselves in
    double-quoted strings instead of ``\\U0001F60A`` escapes (as PyYAML and ruamel's own
    plain and single-quoted styles already do)."""

    def write_double_quoted(self, text: Any, split: bool = True) -> None:
        marker = "\ue000"  # a private-use character: never in our files
        wide = [ch for ch in text if ord(ch) > 0xFFFF]
        if not wide or marker in text:
            return super().write_double_quoted(text, split)
        # The base class writes the text with a placeholder (one character, like the emoji,
        # so its column count stays right) into a buffer; the emoji go back in.
        stream, encoding = self._stream, self.encoding
        self._stream, self.encoding = io.StringIO(), None
        try:
            super().write_double_quoted(text.translate({ord(ch): marker for ch in wide}), split)
            written = self._stream.getvalue()
        finally:
            self._stream, self.encoding = stream, encoding
        chars = iter(wide)
        written = re.sub(marker, lambda _m: next(chars), written)
        self.stream.write(written.encode(encoding) if encoding else written)


class _Representer(RoundTripRepresenter):
    pass


_Representer.add_representer(
    type(None), lambda self, _data: self.represent_scalar("tag:yaml.org,2002:null", "null")
)


def round_trip() -> YAML:
    yaml = YAML()  # round-trip ("rt") mode: comments, order and styles are kept
    yaml.Emitter = _Emitter
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never re-wrap a long line
    yaml.allow_unicode = True
    return yaml


def load(text: str) -> Any:
    return round_trip().load(text)


def dump(data: Any) -> str:
    out = io.StringIO()
    round_trip().dump(data, out)
    return out.getvalue()


# --- typed texts --------------------------------------------------------------------------------

# Characters YAML may not hold (YAML 1.2 "printable"), and lone surrogates.
_NOT_PRINTABLE = re.compile(
    "[^\t\n\r\u0020-\u007e\u0085\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Everything str.splitlines() breaks a line at (Rasa reads examples with it), and tabs.
_BREAKS = re.compile("[\t\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]")
_SPACES = re.compile(" {2,}")


def one_line(text: Any) -> str:
    """``text`` as one clean line: cleaned like ``seba.inbound`` does for customers'
    messages (control characters, bidi marks and overrides, byte-order marks removed;
    zero-width joiners kept), what YAML cannot hold removed, line breaks and tabs made
    spaces, runs of spaces made one, and the ends stripped."""
    cleaned = inbound.clean(str(text or ""))
    cleaned = _NOT_PRINTABLE.sub("", cleaned)
    cleaned = _BREAKS.sub(" ", cleaned)
    return _SPACES.sub(" ", cleaned).strip()


# --- files ----------------------------------------------------------------------------------------


def inside(root: Path, relative: Union[str, Path]) -> Path:
    """``root / relative``, refused unless it stays inside ``root`` (no ``..``, no absolute
    paths, no symlinks out)."""
    root = Path(root).resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise ContentError(N_("%(file)s: not a file of this project."), file=relative)
    return path


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_text(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:  # keep the file's own line ends
        return f.read()


_thread_lock = threading.Lock()


@contextlib.contextmanager
def edit_lock(root: Path) -> Iterator[None]:
    """One change to the data files at a time: a thread lock in this process and an
    ``flock`` on ``var/content-edit.lock`` for other console processes."""
    lock_dir = Path(root) / "var"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(lock_dir / "content-edit.lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- changes made of edits ------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One file's new content, and the operation that made it (recorded with the change,
    so that the change can be undone)."""

    file: str  # relative to the root, "data/nlu/faq.yml"
    before: str
    after: str
    op: Dict[str, Any]


def perform(root: Path, steps: Sequence[Callable[[], Edit]]) -> List[Edit]:
    """Plan and write each step in turn (a step sees the files as the earlier ones left
    them). If one is refused or fails, the files written so far get their old content
    back: a change happens whole or not at all. Call under ``edit_lock``."""
    done: List[Edit] = []
    try:
        for step in steps:
            edit = step()
            path = inside(root, edit.file)
            if read_text(path) != edit.before:
                raise ContentError(
                    N_("%(file)s changed meanwhile; nothing was written."), file=edit.file
                )
            write_atomic(path, edit.after)
            done.append(edit)
    except BaseException:
        for edit in reversed(done):
            write_atomic(inside(root, edit.file), edit.before)
        raise
    return done
