"""``make check-content``: Rasa's data validation plus the content checks Rasa lacks.

    python -m seba.content.check [--root DIR] [--json] [--no-rasa] [--lang bn|en]

Exit 0 when there is no error (warnings allowed), 1 when there are errors, 2 on bad
usage. ``run_checks(root)`` is the same from Python (the retrain gate checks a candidate
copy of the project this way). What each check means: docs/content-guide.en.md.
"""

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from seba import PROJECT_ROOT
from seba.content import checks_nlu, checks_responses, checks_shop_values, checks_stories
from seba.content import rasa_validate as rasa_check
from seba.content.index import Index, build_index
from seba.content.limits import ACTION_VALUES, DEFAULT_MAX_CHARS
from seba.content.problems import ERROR, WARNING, Problem, bn, error, visible
from seba.content.project import Loc, Project, line_of, load_project

__all__ = ["Problem", "run_checks", "main"]


def _lookup(index: Index, project: Project) -> Callable[[str], Optional[Loc]]:
    stories = {}  # "story:<name>" -> where that story or rule starts
    for rel, block in checks_stories.blocks(project):
        title = block.get("story", block.get("rule"))
        stories.setdefault(f"story:{title}", (rel, line_of(block)))

    def find(name: str) -> Optional[Loc]:
        if name.startswith("story:"):
            return stories.get(name)
        for table in (
            index.intents,
            index.actions,
            index.entities,
            index.slot_locs,
            index.form_locs,
        ):
            if name in table:
                return table[name]
        if name in index.responses:
            return index.responses[name].file, index.responses[name].line
        if name in index.blocks:
            return index.blocks[name][0]
        return None

    return find


def _crashed(name: str, exc: Exception) -> Problem:
    what = visible(f"{type(exc).__name__}: {exc}")[:200]
    return error(
        "check_failed",
        ".",
        None,
        f"The {name} check could not finish ({what}).",
        f"«{name}» যাচাইটি শেষ করা যায়নি ({what})।",
        "Fix the other problems first; if this stays, tell a developer (it is a bug in the "
        "checks).",
        "আগে অন্য সমস্যাগুলো ঠিক করুন; এরপরও থাকলে ডেভেলপারকে জানান (এটি যাচাইয়ের প্রোগ্রামের ভুল)।",
    )


def _checks(root: Path, rasa_validate: bool, timings: Dict[str, float]) -> List[Problem]:
    started = time.perf_counter()
    project = load_project(root)
    index = build_index(project)
    settings, shop_problems = checks_shop_values.load_shop_settings(project)
    problems = project.problems + index.problems + shop_problems
    max_chars = settings.max_message_chars if settings else DEFAULT_MAX_CHARS
    known = None
    if settings is not None:
        known = set(settings.template_vars("bn")) | set(index.slots) | ACTION_VALUES
    complete = not project.unreadable  # cross-file checks wait until every file reads
    steps: List[Tuple[str, Callable[[], List[Problem]]]] = [
        ("examples", lambda: checks_nlu.check_example_text(index, max_chars)),
        ("duplicates", lambda: checks_nlu.check_duplicates(index)),
        ("near duplicates", lambda: checks_nlu.check_near_duplicates(index, max_chars)),
        ("responses", lambda: checks_responses.run(index, known)),
        ("shop values", lambda: checks_shop_values.run(index, settings)),
    ]
    if complete:
        steps += [
            ("example counts", lambda: checks_nlu.check_few_examples(index)),
            ("declared names", lambda: checks_nlu.check_declared(index)),
            ("rules and stories", lambda: checks_stories.run(project, index)),
        ]
    timings["reading files"] = time.perf_counter() - started
    for name, step in steps:
        began = time.perf_counter()
        try:
            problems += step()
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            problems.append(_crashed(name, exc))
        timings[name] = time.perf_counter() - began
    if rasa_validate and complete:
        began = time.perf_counter()
        problems += rasa_check.run(Path(root), _lookup(index, project))
        timings["rasa data validate"] = time.perf_counter() - began
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line or 0, p.severity, p.check))


def run_checks(root: Path = PROJECT_ROOT, rasa_validate: bool = True) -> List[Problem]:
    """Every content problem of the project at ``root``, errors and warnings."""
    return _checks(Path(root), rasa_validate, {})


def format_problem(problem: Problem, lang: str = "en") -> str:
    where = visible(problem.file) + (f":{problem.line}" if problem.line else "")
    labels = {"bn": {ERROR: "ত্রুটি", WARNING: "সতর্কতা"}, "en": {ERROR: "error", WARNING: "warning"}}
    fix = problem.fix(lang).replace("\n", "\n      ")
    return (
        f"{where}: {labels[lang][problem.severity]} [{problem.check}]: "
        f"{problem.message(lang)} — {fix}"
    )


def summary(problems: List[Problem], lang: str = "en") -> str:
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    if lang == "bn":
        if not problems:
            return "কোনো সমস্যা পাওয়া যায়নি।"
        return f"{bn(errors)}টি ত্রুটি, {bn(warnings)}টি সতর্কতা।"
    if not problems:
        return "No problems found."
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}."


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m seba.content.check",
        description="Check the bot's content (domain.yml, data/, shop.yml) before training.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=PROJECT_ROOT,
        help="the project folder to check (default: this project)",
    )
    parser.add_argument("--json", action="store_true", help="print the problems as JSON")
    parser.add_argument(
        "--no-rasa", action="store_true", help="skip Rasa's own `rasa data validate` (about 15 s)"
    )
    parser.add_argument(
        "--lang",
        choices=("bn", "en"),
        default="en",
        help="the language of the messages (default: en)",
    )
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.print_usage(sys.stderr)
        print(
            f"{parser.prog}: error: --root {visible(str(args.root))} is not a folder",
            file=sys.stderr,
        )
        return 2
    timings: Dict[str, float] = {}
    problems = _checks(args.root, not args.no_rasa, timings)
    if args.json:
        json.dump([asdict(p) for p in problems], sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for problem in problems:
            print(format_problem(problem, args.lang))
        print(summary(problems, args.lang))
        sys.stdout.flush()
        rasa_seconds = timings.pop("rasa data validate", None)
        took = f"content checks {sum(timings.values()):.1f} s"
        if rasa_seconds is not None:
            took += f", rasa data validate {rasa_seconds:.1f} s"
        print(f"({took})", file=sys.stderr)
    return 1 if any(p.severity == ERROR for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
