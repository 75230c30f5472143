"""The NLU training files (``data/nlu/*.yml``) as content staff change them from the console.

- ``labels(root)``: what a message may be labelled with: every intent that has examples
  (not ``nlu_fallback``), FAQ questions as ``faq/<key>``;
- ``intent_file(root, label)``: the file that already holds that intent's examples (the
  FAQ keys' is ``data/nlu/faq.yml``);
- ``add_example`` / ``remove_example``: one example line in, or exactly that line out again.

Writing goes through ruamel.yaml's round trip (``seba.content.files``), so the file keeps
its comments, order and styles, and every write is checked before it replaces the file:
the new file must differ from the old one by exactly the one line, and Rasa's own reader
must read the example back unchanged from it. Otherwise nothing is written.

Where in the block: each block lists Bangla, then English, then Banglish examples (the
comment at the top of each file). A new example goes after the last example of its own
variety (``seba.language.detect_variety``); when the block has none of that variety, before
the first example of a later one; else at the end.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX, replace_entities
from ruamel.yaml.scalarstring import LiteralScalarString

from seba import inbound
from seba.content import N_
from seba.content.files import (
    ContentError,
    Edit,
    dump,
    inside,
    load,
    one_line,
    read_text,
)
from seba.language import detect_variety
from seba.text import to_ascii_digits

NLU_DIR = "data/nlu"
FAQ_FILE = "data/nlu/faq.yml"
FAQ = "faq"
NOT_LABELS = {"nlu_fallback"}
VARIETY_ORDER = {"bn": 0, "en": 1, "banglish": 2}


@dataclass(frozen=True)
class IntentBlock:
    label: str  # "greet", "faq/delivery_time"
    file: str  # relative to the root, e.g. "data/nlu/general.yml"
    examples: Tuple[str, ...]  # as written (entity mark-up included)


# --- what there is ----------------------------------------------------------------------------


def nlu_files(root: Path) -> List[Path]:
    folder = Path(root) / NLU_DIR
    return sorted(p for p in folder.glob("*.yml") if p.is_file()) if folder.is_dir() else []


def _example_lines(block_text: str) -> List[str]:
    return [line[1:].strip() for line in str(block_text).splitlines() if line.startswith("-")]


@functools.lru_cache(maxsize=64)
def _file_blocks(path: str, _mtime_ns: int, _size: int) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    # Reading only: PyYAML's C loader (the round trip is ~10x slower and keeps nothing we
    # need here). Cached per file version.
    data = yaml.load(read_text(Path(path)), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    blocks = []
    for item in (data or {}).get("nlu") or [] if isinstance(data, dict) else []:
        label = item.get("intent") if isinstance(item, dict) else None
        if isinstance(label, str):
            blocks.append((label, tuple(_example_lines(item.get("examples") or ""))))
    return tuple(blocks)


def intent_blocks(root: Path) -> Dict[str, IntentBlock]:
    """Every intent block of the NLU files, by label (the first file that has it wins)."""
    blocks: Dict[str, IntentBlock] = {}
    for path in nlu_files(root):
        stat = path.stat()
        relative = path.relative_to(Path(root)).as_posix()
        for label, examples in _file_blocks(str(path), stat.st_mtime_ns, stat.st_size):
            blocks.setdefault(label, IntentBlock(label, relative, examples))
    return blocks


def labels(root: Path) -> List[str]:
    """Intents and FAQ keys a message may be labelled with, in file order."""
    return [label for label in intent_blocks(root) if label not in NOT_LABELS]


def faq_keys(root: Path) -> List[str]:
    return [label.split("/", 1)[1] for label in labels(root) if label.startswith(FAQ + "/")]


def intent_file(root: Path, label: str) -> str:
    """The file (relative to ``root``) that holds ``label``'s examples; refused for a label
    that has none (typos, made-up names, paths)."""
    block = intent_blocks(root).get(label)
    if block is None or label in NOT_LABELS:
        raise ContentError(
            N_("“%(label)s” is not an intent or FAQ of the bot. Pick one from the list."),
            label=label[:80],
        )
    if label.startswith(FAQ + "/") and block.file != FAQ_FILE:
        raise ContentError(
            N_("%(label)s is written in %(file)s, not in %(faqs)s."),
            label=label,
            file=block.file,
            faqs=FAQ_FILE,
        )
    return block.file


# --- comparing texts --------------------------------------------------------------------------

_DROP = {"\u200c", "\u200d"}  # zero-width (non-)joiner: typed or not, the same word


def plain(example: str) -> str:
    """An example's text without entity mark-up: ``[10456](order_number)`` -> ``10456``."""
    try:
        return replace_entities(example)
    except Exception:  # noqa: BLE001 - broken mark-up: compare it as written
        return example


def normalised(text: str) -> str:
    """The form two messages are "the same" in: cleaned and on one line, case-folded,
    Bengali digits as ASCII and every number as ``#``, punctuation, symbols and
    zero-width joiners dropped, one space between words."""
    text = to_ascii_digits(one_line(text)).casefold()
    kept = []
    for ch in text:
        if ch in _DROP:
            continue
        category = unicodedata.category(ch)
        kept.append(" " if category[0] in "PSZ" else ch)
    words = re.sub(r"\d+", "#", "".join(kept)).split()
    return " ".join(words)


def example_owner(root: Path, text: str) -> Optional[str]:
    """The label that already has an example the same as ``text`` (normalised), if any."""
    wanted = normalised(text)
    for block in intent_blocks(root).values():
        if any(normalised(plain(example)) == wanted for example in block.examples):
            return block.label
    return None


def example_text(text: str) -> str:
    """``text`` as it can be written as an example, or ContentError saying why not."""
    line = one_line(text)
    if not line:
        raise ContentError(N_("The example is empty."))
    limit = inbound.max_chars()
    if len(line) > limit:
        raise ContentError(
            N_(
                "The example is longer than %(limit)s characters; customers' "
                "messages that long are never read by the bot."
            ),
            limit=limit,
        )
    if line.startswith("/"):
        raise ContentError(
            N_("An example cannot start with “/”: that is how buttons send commands to the bot.")
        )
    if ENTITY_REGEX.search(line):
        raise ContentError(
            N_(
                "The example contains [text](name) or [text]{…}, which the "
                "training files read as entity mark-up. Write it without the "
                "brackets."
            )
        )
    return line


# --- writing ----------------------------------------------------------------------------------


def _position(examples: List[str], text: str) -> int:
    """Where ``text`` goes in a block (see the module docstring)."""
    varieties = [detect_variety(plain(e)) for e in examples]
    mine = detect_variety(text)
    if mine in VARIETY_ORDER:
        same = [i for i, v in enumerate(varieties) if v == mine]
        if same:
            return same[-1] + 1
        later = [
            i
            for i, v in enumerate(varieties)
            if v in VARIETY_ORDER and VARIETY_ORDER[v] > VARIETY_ORDER[mine]
        ]
        if later:
            return later[0]
    return len(examples)


def _block(data, label: str):
    for item in data.get("nlu") or []:
        if hasattr(item, "get") and item.get("intent") == label:
            return item
    raise ContentError(
        N_("%(label)s has no examples block any more (changed meanwhile?)."), label=label
    )


def _raw_lines(block) -> List[str]:
    """The block's lines, each ending in a newline (``_rewrite`` puts the ending back)."""
    value = str(block.get("examples") or "")
    return [line if line.endswith("\n") else line + "\n" for line in value.splitlines(True)]


def _example_at(raw: List[str]) -> List[int]:
    """The indices in ``raw`` of the example lines (others: stray text Rasa skips)."""
    return [i for i, line in enumerate(raw) if line.startswith("-")]


def _rewrite(block, raw: List[str]) -> None:
    old = block["examples"]
    value = "".join(raw)
    if not str(old).endswith("\n"):  # "|-": no newline at the end
        value = value[:-1]
    new = LiteralScalarString(value)
    comment = getattr(old, "comment", None)
    if comment is not None:
        new.comment = comment
    block["examples"] = new


def _check(path: Path, before: str, after: str, label: str, text: str, added: bool) -> None:
    """The one-line diff, and Rasa reading the file (and the example) as intended."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    longer, shorter = (new, old) if added else (old, new)
    if len(longer) != len(shorter) + 1 or not any(
        longer[:i] + longer[i + 1 :] == shorter and longer[i].strip() == f"- {text}"
        for i in range(len(longer))
    ):
        raise ContentError(
            f"Could not change {path.name} safely (the file would change in "
            "more than one line); nothing was written."
        )
    try:
        data = RasaYAMLReader().reads(after)
    except Exception as exc:  # noqa: BLE001 - any failure means: do not write it
        raise ContentError(
            f"{path.name} would not load any more ({exc}); nothing was written."
        ) from exc
    found = [
        m.get("text")
        for m in data.intent_examples
        if (m.get("intent_response_key") or m.get("intent")) == label
    ]
    if (text in found) != added:
        raise ContentError(
            f"Rasa would not read the example as written in {path.name}; nothing was written."
        )


def add_example(root: Path, label: str, text: str) -> Edit:
    """``text`` as a new example of ``label`` in its file (not written yet: see
    ``files.perform``), or ContentError saying why not."""
    relative = intent_file(root, label)
    line = example_text(text)
    owner = example_owner(root, line)
    if owner is not None:
        raise ContentError(N_("The bot already has this example, under %(owner)s."), owner=owner)
    path = inside(root, relative)
    before = read_text(path)
    data = load(before)
    block = _block(data, label)
    raw = _raw_lines(block)
    at = _example_at(raw)
    position = _position([raw[i][1:].strip() for i in at], line)
    raw.insert(at[position - 1] + 1 if position else (at[0] if at else len(raw)), f"- {line}\n")
    _rewrite(block, raw)
    after = dump(data)
    _check(path, before, after, label, line, added=True)
    return Edit(
        relative,
        before,
        after,
        {"op": "add_example", "file": relative, "label": label, "text": line},
    )


def remove_example(root: Path, label: str, text: str) -> Edit:
    """Exactly that example line out of ``label``'s block again (undo)."""
    relative = intent_file(root, label)
    path = inside(root, relative)
    before = read_text(path)
    data = load(before)
    block = _block(data, label)
    raw = _raw_lines(block)
    at = [i for i in _example_at(raw) if raw[i][1:].strip() == text]
    if not at:
        raise ContentError(
            N_(
                "“%(text)s” is no longer an example of %(label)s (removed or "
                "changed meanwhile); nothing to undo."
            ),
            text=text[:80],
            label=label,
        )
    if len(_example_at(raw)) == 1:
        raise ContentError(
            N_("That is the last example of %(label)s; an intent needs examples."), label=label
        )
    del raw[at[-1]]
    _rewrite(block, raw)
    after = dump(data)
    _check(path, before, after, label, text, added=False)
    return Edit(
        relative,
        before,
        after,
        {"op": "remove_example", "file": relative, "label": label, "text": text},
    )
