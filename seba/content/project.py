"""The checked project's files, read once with line numbers (ruamel.yaml round trip).

Reading never raises: a file that is missing, not UTF-8 or not valid YAML becomes a
``Problem`` with its line, and the checks that need it are skipped.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from seba.content.limits import EXCERPT_CHARS
from seba.content.problems import Problem, bn, error, visible

YAML_SUFFIXES = (".yml", ".yaml")
Loc = Tuple[str, Optional[int]]  # (file relative to the root, 1-based line)


def line_of(node: Any, key: Any = None, index: Optional[int] = None) -> Optional[int]:
    """1-based line of ``node`` (a mapping or list), of its ``key``, or of its item ``index``."""
    try:
        if key is not None and isinstance(node, CommentedMap):
            return node.lc.key(key)[0] + 1
        if index is not None and isinstance(node, CommentedSeq):
            return node.lc.item(index)[0] + 1
        return node.lc.line + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


@dataclass
class Doc:
    rel: str  # path relative to the root, with "/" separators
    data: Any  # the parsed YAML (CommentedMap for every file we read)


@dataclass
class Project:
    root: Path
    problems: List[Problem] = field(default_factory=list)  # reading problems
    domain: List[Doc] = field(default_factory=list)
    data: List[Doc] = field(default_factory=list)  # every YAML file under data/
    config: Optional[Doc] = None
    shop: Optional[Doc] = None
    unreadable: List[str] = field(default_factory=list)  # files that could not be read

    def docs_with(self, key: str) -> Iterator[Doc]:
        for doc in self.domain + self.data:
            if isinstance(doc.data, dict) and key in doc.data:
                yield doc


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _yaml() -> YAML:
    parser = YAML(typ="rt")
    parser.version = (1, 2)  # as Rasa reads its files
    return parser


def read_yaml(root: Path, path: Path) -> Tuple[Optional[Any], List[Problem]]:
    rel = _rel(root, path)
    name = visible(rel)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
    except UnicodeDecodeError as exc:
        return None, [
            error(
                "not_utf8",
                rel,
                raw.count(b"\n", 0, exc.start) + 1,
                f"{name} is not saved as UTF-8 text (byte {exc.start} cannot be read).",
                f"{name} ফাইলটি UTF-8 টেক্সট হিসেবে সেভ করা নেই ({bn(exc.start)} নম্বর বাইট পড়া যাচ্ছে না)।",
                "Save the file as UTF-8 in your editor (File → Save with encoding → UTF-8).",
                "এডিটরে ফাইলটি UTF-8 এনকোডিংয়ে সেভ করুন (File → Save with encoding → UTF-8)।",
            )
        ]
    except OSError as exc:
        return None, [
            error(
                "unreadable_file",
                rel,
                None,
                f"{name} cannot be read: {exc.strerror or exc}.",
                f"{name} ফাইলটি পড়া যাচ্ছে না: {exc.strerror or exc}।",
                "Check that the file exists and that you may read it.",
                "ফাইলটি আছে কি না এবং পড়ার অনুমতি আছে কি না দেখুন।",
            )
        ]
    try:
        data = _yaml().load(text)
        tagged = _first_tag(data)
        if tagged:
            return None, [_tag_problem(rel, *tagged)]
        return data, []
    except ReaderError as exc:  # a control character YAML does not allow anywhere
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = f"\\u{exc.character:04x}" if isinstance(exc.character, int) else "?"
        return None, [
            error(
                "yaml_syntax",
                rel,
                line,
                f"This line contains an invisible control character ({code}) that YAML files may "
                "not hold.",
                f"এই লাইনে একটি অদৃশ্য কন্ট্রোল ক্যারেক্টার ({code}) আছে, যা YAML ফাইলে রাখা যায় না।",
                "Delete the line and type it again by hand (do not paste it).",
                "লাইনটি মুছে নিজে আবার টাইপ করুন (কপি-পেস্ট করবেন না)।",
            )
        ]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = visible(str(exc.problem or exc.context or "invalid YAML"))
        if "duplicate key" in what:
            # ruamel's message quotes both values in full; the name alone is what staff need
            found = re.search(r'duplicate key "([^"]*)"', what)
            key = f"«{found.group(1)[:EXCERPT_CHARS]}»" if found else "a name"
            key_bn = key if found else "একটি নাম"
            return None, [
                error(
                    "yaml_syntax",
                    rel,
                    line,
                    f"The same name {key} is written twice in this block.",
                    f"একই ব্লকে {key_bn} নামটি দুবার লেখা হয়েছে।",
                    "Keep one of the two (merge their content), or rename one of them.",
                    "দুটোর একটি রাখুন (লেখা দুটো মিলিয়ে নিন), অথবা একটির নাম বদলে দিন।",
                )
            ]
        return None, [
            error(
                "yaml_syntax",
                rel,
                line,
                f"This file is not valid YAML here: {what}.",
                f"এখানে ফাইলটির YAML লেখার নিয়ম ভেঙেছে: {what}।",
                "Look at this line and the one above it: an item must start with '- ' at the same "
                "indentation as its neighbours (spaces, never tabs), and a text with ':' or '#' "
                "in it goes inside double quotes.",
                "এই লাইন আর তার আগের লাইনটি দেখুন: প্রতিটি আইটেম '- ' দিয়ে শুরু হবে, পাশের আইটেমগুলোর "
                "সমান জায়গা ছেড়ে (স্পেস দিয়ে, ট্যাব নয়); লেখায় ':' বা '#' থাকলে পুরো লেখাটি ডাবল "
                'কোটেশনের (" ") ভেতরে দিন।',
            )
        ]
    except (YAMLError, ValueError, RecursionError) as exc:
        return None, [
            error(
                "yaml_syntax",
                rel,
                None,
                f"This file is not valid YAML: {visible(str(exc))[:200]}.",
                f"ফাইলটির YAML লেখার নিয়ম ভেঙেছে: {visible(str(exc))[:200]}।",
                "Undo your last change to this file, or compare it with a file that works.",
                "এই ফাইলে শেষ যে পরিবর্তন করেছেন সেটি বাদ দিন, অথবা ঠিকঠাক চলছে এমন একটি ফাইলের "
                "সাথে মিলিয়ে দেখুন।",
            )
        ]


def _tag_of(node: Any) -> Optional[str]:
    tag = getattr(node, "tag", None)
    return getattr(tag, "value", None) if tag is not None else None


def _first_tag(node: Any, line: Optional[int] = 1) -> Optional[Tuple[str, Optional[int]]]:
    """The first YAML tag (!!python/..., !foo) in the tree, with its line. Standard tags
    (!!str, !!int) are resolved by the parser and never remain; Rasa refuses the rest."""
    if _tag_of(node):
        return str(_tag_of(node)), line
    children: List[Tuple[Any, Optional[int]]] = []
    if isinstance(node, CommentedMap):
        children = [(value, node.lc.key(key)[0] + 1) for key, value in node.items()]
    elif isinstance(node, CommentedSeq):
        children = [(value, node.lc.item(i)[0] + 1) for i, value in enumerate(node)]
    for child, child_line in children:
        found = _first_tag(child, child_line)
        if found:
            return found
    return None


def _tag_problem(rel: str, tag: str, line: Optional[int]) -> Problem:
    shown = visible(tag)[:EXCERPT_CHARS]
    return error(
        "yaml_syntax",
        rel,
        line,
        f"This line holds a YAML tag ({shown}), which training files may not use.",
        f"এই লাইনে একটি YAML ট্যাগ ({shown}) আছে, যা ট্রেনিংয়ের ফাইলে রাখা যায় না।",
        "Delete the word that starts with '!'; if it is part of the text, put the whole text "
        "in double quotes.",
        "'!' দিয়ে শুরু হওয়া শব্দটি মুছে দিন; এটা লেখারই অংশ হলে পুরো লেখাটি ডাবল কোটেশনের (\" \") ভেতরে দিন।",
    )


def _not_a_mapping(rel: str) -> Problem:
    return error(
        "bad_structure",
        rel,
        1,
        f"{visible(rel)} must be a YAML mapping (lines like 'version: \"3.1\"', 'nlu:', "
        "'responses:'), but it holds something else or nothing.",
        f"{visible(rel)} ফাইলটি 'version: \"3.1\"', 'nlu:', 'responses:' ধরনের লাইন দিয়ে "
        "সাজানো থাকার কথা, কিন্তু এতে অন্য কিছু আছে অথবা ফাঁকা।",
        "Compare the top of the file with another file of the same kind and restore it.",
        "একই ধরনের আরেকটি ফাইলের শুরুর অংশের সাথে মিলিয়ে ঠিক করুন।",
    )


def _missing(rel: str) -> Problem:
    return error(
        "missing_file",
        rel,
        None,
        f"{visible(rel)} is missing.",
        f"{visible(rel)} ফাইলটি নেই।",
        "Restore the file (git checkout -- <file>), or check that you are in the project folder.",
        "ফাইলটি ফিরিয়ে আনুন (git checkout -- <ফাইল>), অথবা প্রজেক্টের ফোল্ডারে আছেন কি না দেখুন।",
    )


def _outside(root: Path, path: Path) -> Problem:
    return error(
        "outside_project",
        _rel(root, path),
        None,
        f"{visible(_rel(root, path))} is a link to a file outside the project; it is not read.",
        f"{visible(_rel(root, path))} প্রজেক্টের বাইরের একটি ফাইলের লিংক, তাই এটি পড়া হয়নি।",
        "Put the file itself in the project instead of a link (training must not read files "
        "from elsewhere on the server).",
        "লিংকের বদলে ফাইলটিই প্রজেক্টে রাখুন (ট্রেনিংয়ের সময় সার্ভারের অন্য জায়গার ফাইল পড়া যাবে না)।",
    )


def _load(project: Project, path: Path, required: bool = True) -> Optional[Doc]:
    rel = _rel(project.root, path)
    if not path.is_file():
        if required:
            project.problems.append(_missing(rel))
            project.unreadable.append(rel)
        return None
    try:  # a symlink out of the project (say, to var/secrets.env) is never read
        path.resolve().relative_to(project.root.resolve())
    except ValueError:
        project.problems.append(_outside(project.root, path))
        project.unreadable.append(rel)
        return None
    data, problems = read_yaml(project.root, path)
    project.problems += problems
    if problems:
        project.unreadable.append(rel)
        return None
    if not isinstance(data, CommentedMap):
        project.problems.append(_not_a_mapping(rel))
        project.unreadable.append(rel)
        return None
    return Doc(rel, data)


def _yaml_files(folder: Path) -> List[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in YAML_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def load_project(root: Path) -> Project:
    root = Path(root)
    project = Project(root=root)
    domain = root / "domain.yml"
    if domain.is_dir() or (not domain.exists() and (root / "domain").is_dir()):
        folder = domain if domain.is_dir() else root / "domain"
        project.domain = [d for d in (_load(project, p) for p in _yaml_files(folder)) if d]
    else:
        doc = _load(project, domain)
        project.domain = [doc] if doc else []
    data = root / "data"
    if data.is_dir():
        project.data = [d for d in (_load(project, p) for p in _yaml_files(data)) if d]
    else:
        project.problems.append(_missing("data"))
        project.unreadable.append("data")
    project.config = _load(project, root / "config.yml")
    project.shop = _load(project, root / "shop.yml")
    return project


def mapping_items(node: Any) -> Iterator[Tuple[Any, Any]]:
    return iter(node.items()) if isinstance(node, dict) else iter(())


def seq_items(node: Any) -> Iterator[Tuple[int, Any]]:
    return enumerate(node) if isinstance(node, list) else iter(())


def names_in(node: Any) -> Iterator[Tuple[str, Optional[int]]]:
    """Names of a domain list (intents, entities, actions): 'x' or {'x': {...}} items."""
    for index, item in seq_items(node):
        if isinstance(item, str):
            yield item, line_of(node, index=index)
        elif isinstance(item, dict):
            for name in item:
                yield str(name), line_of(node, index=index)
