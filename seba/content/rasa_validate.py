"""Rasa's own ``rasa data validate --fail-on-warnings`` on a project, as Problems.

Rasa prints its findings without file or line; a quoted name in a finding ('greet') is
looked up in the project's index to point at where that name is declared.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from seba import PROJECT_ROOT
from seba.content.limits import RASA_TIMEOUT_SECONDS
from seba.content.problems import Problem, error, visible

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Notes Rasa prints for this project's design that do not fail `--fail-on-warnings`
# (responses said by custom actions, intents set by code, the retrieval intent in domain.yml).
_EXPECTED = (
    "is not used in any story or rule",
    "is listed in the domain file, but is not found in the NLU training data",
    "duplicated intents have been found across multiple domain files: faq",
)
Lookup = Callable[[str], Optional[Tuple[str, Optional[int]]]]


def command(root: Path) -> List[str]:
    return [
        sys.executable,
        "-m",
        "rasa",
        "data",
        "validate",
        "--fail-on-warnings",
        "--domain",
        str(root / "domain.yml"),
        "--data",
        str(root / "data"),
        "--config",
        str(root / "config.yml"),
    ]


def findings(output: str) -> List[str]:
    """Rasa's warnings and errors in its output, without colours and expected notes."""
    found: List[str] = []
    last: Optional[int] = None  # the finding an indented next line continues
    for line in _ANSI.sub("", output).splitlines():
        text = None
        if "UserWarning: " in line:
            text = line.split("UserWarning: ", 1)[1]
        elif (
            re.search(r"\s(ERROR|CRITICAL)\s", line)
            or re.search(r"\sWARNING\s+rasa\.validator\s", line)
            or line.startswith(("InvalidDomain", "YamlException", "rasa.shared.exceptions"))
        ):
            text = re.sub(r"^.*?\s(ERROR|CRITICAL|WARNING)\s+\S+\s+-\s+", "", line)
        elif last is not None and line.startswith("  ") and "predicted in" in line:
            found[last] += " " + line.strip()  # a story conflict's lines
            continue
        last = None
        if text and not any(note in text for note in _EXPECTED) and text not in found:
            found.append(text.strip())
            last = len(found) - 1
    return found


def _conflict(text: str, lookup: Lookup) -> Problem:
    names = re.findall(r"predicted in '([^']*)'", text)
    loc = next((lookup(f"story:{n}") for n in names if lookup(f"story:{n}")), None)
    file, line = loc or ("data", None)
    text = visible(text)[:400]
    return error(
        "rasa_validate",
        file,
        line,
        f"Two rules or stories do different things after the same steps, so the bot cannot "
        f"learn which is right. Rasa says: {text}",
        f"একই ধাপের পরে দুটি rule বা story আলাদা কাজ করছে, তাই বট বুঝতে পারবে না কোনটি ঠিক। "
        f"Rasa জানাচ্ছে: {text}",
        "Open the rules and stories Rasa names (after 'predicted in') and make them agree: the "
        "same steps must lead to the same answer, or add a step that tells them apart.",
        "Rasa যে rule/story-গুলোর নাম দিয়েছে ('predicted in'-এর পরে) সেগুলো খুলে মিলিয়ে দিন: "
        "একই ধাপের পরে একই উত্তর হবে, নয়তো আলাদা করে চেনার মতো একটি ধাপ যোগ করুন।",
    )


def _problem(text: str, lookup: Lookup) -> Problem:
    loc = None
    if "Story structure conflict" in text:
        return _conflict(text, lookup)
    for name in re.findall(r"'([^'\s]+)'", text):
        loc = lookup(name)
        if loc:
            break
    file, line = loc or ("data", None)
    text = visible(text)[:400]
    return error(
        "rasa_validate",
        file,
        line,
        f"Rasa's own data check: {text}",
        f"Rasa-র নিজস্ব ডেটা যাচাই জানাচ্ছে: {text}",
        "Find the name Rasa quotes in domain.yml and data/, and correct it (a spelling, or an "
        "entry missing from domain.yml's lists).",
        "Rasa যে নামটি উল্লেখ করেছে সেটি domain.yml ও data/-এ খুঁজে ঠিক করুন (বানান, অথবা "
        "domain.yml-এর তালিকায় বাদ পড়া নাম)।",
    )


def run(root: Path, lookup: Lookup) -> List[Problem]:
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            command(root),
            cwd=str(root),
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=RASA_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return [
            error(
                "rasa_validate",
                "data",
                None,
                f"Rasa's own data check did not finish in {RASA_TIMEOUT_SECONDS} seconds.",
                f"Rasa-র নিজস্ব ডেটা যাচাই {RASA_TIMEOUT_SECONDS} সেকেন্ডে শেষ হয়নি।",
                "Run `make validate` to see what it is doing, or ask a developer.",
                "`make validate` চালিয়ে দেখুন কী হচ্ছে, অথবা ডেভেলপারকে জানান।",
            )
        ]
    if done.returncode == 0:
        return []
    texts = findings(done.stdout + "\n" + done.stderr)
    if not texts:
        tail = " / ".join(_ANSI.sub("", done.stderr).strip().splitlines()[-3:]) or "no output"
        texts = [f"failed (exit {done.returncode}): {tail}"]
    return [_problem(text, lookup) for text in texts]
