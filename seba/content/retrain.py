"""Retrain the bot from the project's data, behind a gate, and put it live without a restart.

    python -m seba.content.retrain start [--by NAME] [--no-go-live]  # the console's button
    python -m seba.content.retrain run JOB_ID                  # the job process itself
    python -m seba.content.retrain status                      # the latest jobs
    python -m seba.content.retrain score MODEL OUT.json        # held-out scores, counted

A job (``seba.content.jobs``), step by step, its progress in its status file:

1. **copy** the training inputs (config.yml, domain.yml, data/, shop.yml) into the job's
   workspace, so an edit made by staff while it trains cannot end up half in the model;
2. **checks**: ``make check-content``'s checks on the workspace (``content_problems``);
   any error refuses the candidate with the check's own words and fix;
3. **train** a candidate: ``rasa train --skip-validation`` on the workspace (step 2 validated
   it), seeded (config.yml), with the project's caches (Rasa's ``.rasa/cache``, the parsed
   files' ``seba.importer``, the e5 embeddings'): after one new example under 30 s;
4. **conversations**: ``rasa test core`` with tests/conversations/ on the candidate; a failed
   story is reported by its name, what the customer said and what the bot did instead;
5. **held-out**: both the candidate and the live model are scored on tests/nlu/heldout/
   (the live model's scores are kept with it), and ``seba.content.gate`` compares them;
6. **promote**: only now is the candidate kept and put live (``ModelStore.activate``), unless
   the job was started to be tried first (then the page offers "Put it live").
A candidate that fails any step never touches the live model.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from seba.content import N_, gate
from seba.content.jobs import (
    FAILED,
    PASSED,
    PROMOTED,
    REFUSED,
    STEP_LABELS,
    STEP_LABELS_BN,
    STEPS,
    Jobs,
)
from seba.content.locations import Paths
from seba.content.model_store import ModelRefused, ModelStore, now_text, write_json
from seba.text import to_bengali_digits

TRAINING_INPUTS = ["config.yml", "domain.yml", "data", "shop.yml"]
DEFAULT_TRAIN_SECONDS = 40.0
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}


KEEPS_BN = "বট আগের মডেল দিয়েই উত্তর দিচ্ছে।"


class StepFailed(Exception):
    """The candidate is refused at this step; ``problems`` say why in plain words."""

    def __init__(
        self, state: str, message: str, message_bn: str, problems: List[Dict[str, str]]
    ) -> None:
        super().__init__(message)
        self.state, self.message, self.message_bn = state, message, message_bn
        self.problems = problems


def problem(title: str, detail: str = "", fix: str = "", **bangla: str) -> Dict[str, str]:
    """A reason shown on the page: ``title``/``detail``/``fix`` in English, and the same
    with ``_bn`` in Bangla (``title_bn=``, ``detail_bn=``, ``fix_bn=``)."""
    return {"title": title, "detail": detail, "fix": fix, **bangla}


# --- the content checks (make check-content), behind one function ----------------------------

#: Said on the page when ``seba.content.check`` is not part of this installation.
CHECKS_MISSING = problem(
    "Only Rasa's own data validation ran",
    "The content checks (make check-content) are not installed on this server, so the "
    "training data was checked with rasa data validate only.",
    "Nothing to do for this retrain; ask the developers to install the content checks.",
    title_bn="শুধু Rasa-র নিজের ডেটা যাচাই চলেছে",
    detail_bn="এই সার্ভারে কনটেন্ট যাচাই (make check-content) নেই, তাই ট্রেনিং ডেটা শুধু "
    "rasa data validate দিয়ে যাচাই করা হয়েছে।",
    fix_bn="এই ট্রেইনের জন্য কিছু করতে হবে না; কনটেন্ট যাচাই চালু করতে ডেভেলপারদের বলুন।",
)


def content_problems(root: Path, timeout: float = 600) -> Tuple[List[Dict[str, Any]], bool]:
    """(problems, whether the content checks ran) for the project at ``root``: dicts with
    check, severity, file, line, message_en/_bn, fix_en/_bn.

    ``seba.content.check.run_checks(root)`` (``make check-content``, which includes Rasa's
    ``rasa data validate``) when it is installed; else ``rasa data validate`` alone."""
    try:
        from seba.content.check import run_checks  # type: ignore[import-not-found]
    except ImportError:
        run_checks = None
    if run_checks is not None:
        try:
            return [_as_dict(p) for p in run_checks(Path(root))], True
        except Exception as error:  # noqa: BLE001 - a broken check refuses, never waves through
            return [
                {
                    "check": "content checks",
                    "severity": "error",
                    "file": "",
                    "line": None,
                    "message_en": f"The content checks could not finish ({type(error).__name__}).",
                    "message_bn": "কনটেন্ট যাচাই শেষ করা যায়নি।",
                    "fix_en": "Tell the developers; the job's job.log has the details.",
                    "fix_bn": "ডেভেলপারদের জানান; বিস্তারিত job.log-এ আছে।",
                }
            ], True
    env = {**os.environ, **QUIET_ENV}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--data",
            str(root / "data"),
            "--domain",
            str(root / "domain.yml"),
            "--config",
            str(root / "config.yml"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return ([_validate_failure("rasa data validate", done)] if done.returncode else []), False


def _as_dict(found: Any) -> Dict[str, Any]:
    if isinstance(found, dict):
        return found
    keys = ("check", "severity", "file", "line", "message_en", "message_bn", "fix_en", "fix_bn")
    return {key: getattr(found, key, None) for key in keys}


def _validate_failure(check: str, done: subprocess.CompletedProcess) -> Dict[str, Any]:
    lines = [ln.strip() for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    wanted = [
        ln
        for ln in lines
        if re.search(r"error|invalid|failed|not found|exception", ln, re.I) and "Warning" not in ln
    ]
    detail = "\n".join((wanted or lines)[-6:])[-1500:]
    return {
        "check": check,
        "severity": "error",
        "file": "",
        "line": None,
        "message_en": "Rasa could not read the training data or the domain.",
        "message_bn": "Rasa ট্রেনিং ডেটা বা ডোমেইন পড়তে পারেনি।",
        "fix_en": "Undo the latest change, or correct the file named below, then "
        "retrain. Details: " + detail,
        "fix_bn": "সর্বশেষ পরিবর্তনটি বাতিল করুন, অথবা নিচে যে ফাইলের নাম আছে সেটি ঠিক "
        "করুন, তারপর আবার ট্রেইন করুন।",
    }


def check_problems_as_reasons(found: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    out = []
    for p in found:
        if p.get("severity", "error") != "error":
            continue
        where = p.get("file") or ""
        check = p.get("check") or "content"
        title_bn = f"«{check}» যাচাইয়ে ভুল পাওয়া গেছে"
        if where:
            title_bn += f": {where}" + (
                f", {to_bengali_digits(str(p['line']))} নম্বর লাইন" if p.get("line") else ""
            )
        if where and p.get("line"):
            where += f", line {p['line']}"
        out.append(
            problem(
                f"Check “{check}” failed" + (f" in {where}" if where else ""),
                p.get("message_en") or "",
                p.get("fix_en") or "",
                title_bn=title_bn,
                detail_bn=p.get("message_bn") or "",
                fix_bn=p.get("fix_bn") or "",
            )
        )
    return out


# --- the conversation tests ------------------------------------------------------------------


def failed_stories(text: str, bot_text: Callable[[str], str]) -> List[Dict[str, str]]:
    """Plain-word problems from Rasa's failed_test_stories.yml: the story, what the customer
    said last (or the intent the story gives, when it has no text), what the bot should have
    done and what it did. Only a story's first mistake: the rest follow from it."""
    out: List[Dict[str, str]] = []
    story, said, pending_user, reported = "", "", False, False
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"- story:\s*(.+?)(\s*\([^()]*\.ya?ml\))?$", line)
        if m:
            story, said, reported = m.group(1).strip().strip("'\""), "", False
            continue
        if reported:
            continue
        m = re.match(r"- intent:\s*([^\s#]+)", line)  # a step without the customer's text
        if m:
            said = f"({m.group(1)})"
        if pending_user and line and not line.startswith(("-", "#")) and ":" not in line[:12]:
            said, pending_user = line.split("  #")[0].strip(), False
            continue
        if re.match(r"-?\s*user:\s*\|", line):
            pending_user = True
            continue
        m = re.match(r"-?\s*user:\s*(.+)", line)
        if m:
            said = m.group(1).split("  #")[0].strip().strip("'\"")
        m = re.search(r"#\s*predicted:\s*(.+)$", line)
        if not m:
            continue
        predicted = m.group(1).strip()
        expected = re.sub(r"\s*#.*$", "", line).lstrip("- ").strip()
        reported = True
        if expected.startswith("action:"):
            did = predicted.split()[0]
            words = bot_text(did)
            should = expected.split(":", 1)[1].strip()
            out.append(
                problem(
                    f"Conversation test “{story}” failed",
                    f"After {_customer(said)}, the bot should have done "
                    f"{should} but did {did}" + (f", saying: “{words}”" if words else "") + ".",
                    "Look at the examples you changed: one of them may now look like this "
                    "message. Move or remove it, then retrain.",
                    title_bn=f"কথোপকথনের পরীক্ষা «{story}» পাস করেনি",
                    detail_bn=f"{_customer(said, 'bn')} পর বটের {should} করার কথা, কিন্তু করেছে {did}।",
                    fix_bn="আপনি যে উদাহরণগুলো বদলেছেন সেগুলো দেখুন: কোনোটি হয়তো এখন এই বার্তার "
                    "মতো দেখাচ্ছে। সেটি সরিয়ে বা মুছে দিয়ে আবার ট্রেইন করুন।",
                )
            )
        else:
            intent = predicted.split(":", 1)[0].strip()
            should = expected.split(":", 1)[-1].strip()
            out.append(
                problem(
                    f"Conversation test “{story}” failed",
                    f"The customer's message “{said}” should be understood as {should}, but the "
                    f"new model understood {intent}.",
                    f"An example under {intent} may be too close to this message: move it to "
                    "the right intent or reword it, then retrain.",
                    title_bn=f"কথোপকথনের পরীক্ষা «{story}» পাস করেনি",
                    detail_bn=f"গ্রাহকের বার্তা «{said}» {should} হিসেবে বোঝার কথা, কিন্তু নতুন "
                    f"মডেল বুঝেছে {intent}।",
                    fix_bn=f"{intent}-এর কোনো উদাহরণ হয়তো এই বার্তার খুব কাছাকাছি: সেটি ঠিক "
                    "ইনটেন্টে সরান বা অন্যভাবে লিখুন, তারপর আবার ট্রেইন করুন।",
                )
            )
    return out


def _customer(said: str, lang: str = "en") -> str:
    """The customer's turn: their words, or "(intent)" when the test story gives none."""
    if said.startswith("(") and said.endswith(")"):
        return (
            f"গ্রাহকের {said[1:-1]} বার্তার"
            if lang == "bn"
            else f"a customer message understood as {said[1:-1]}"
        )
    return f"গ্রাহক «{said}» লেখার" if lang == "bn" else f"the customer wrote “{said}”"


def response_text(domain_file: Path) -> Callable[[str], str]:
    import yaml

    try:
        responses = (yaml.safe_load(domain_file.read_text("utf-8")) or {}).get("responses") or {}
    except (OSError, yaml.YAMLError):
        responses = {}

    def text(name: str) -> str:
        variants = responses.get(name) or []
        english = [v for v in variants if isinstance(v, dict) and v.get("condition")]
        chosen = (english or variants or [{}])[0]
        return str(chosen.get("text") or "")[:200] if isinstance(chosen, dict) else ""

    return text


# --- held-out scores -------------------------------------------------------------------------


def score_model(model: str, root: Optional[Path] = None) -> Dict[str, Any]:
    """``seba.evaluation``'s report per variety, with the counts the gate compares."""
    import asyncio

    from seba import evaluation

    root = root or Paths.from_env().root
    examples = evaluation.load_heldout(root / "tests" / "nlu" / "heldout")
    asyncio.run(evaluation.predict(model, examples))
    report: Dict[str, Any] = {}
    for variety, rows in list(examples.items()) + [
        ("all", [r for rs in examples.values() for r in rs])
    ]:
        s = evaluation.score(rows)
        s.pop("errors", None)
        s["oos_examples"] = sum(r["intent"] == "out_of_scope" for r in rows)
        s["in_scope_examples"] = sum(r["intent"] != "out_of_scope" for r in rows)
        report[variety] = s
    return report


# --- the job ---------------------------------------------------------------------------------


class Runner:
    def __init__(self, job_id: str, paths: Optional[Paths] = None) -> None:
        self.paths = paths or Paths.from_env()
        self.jobs = Jobs(self.paths)
        self.store = ModelStore(self.paths)
        self.job_dir = self.jobs.job_dir(job_id)
        self.workspace = self.job_dir / "workspace"
        self.candidate = self.job_dir / "candidate.tar.gz"
        status = self.jobs.read(job_id)
        if status is None:
            raise SystemExit(f"no such job: {job_id}")
        self.status = status
        self._lock = threading.Lock()

    # progress -----------------------------------------------------------------------------------

    def _save(self, **changes: Any) -> None:
        with self._lock:
            self.status.update(changes)
            self.jobs.write(self.status)

    def step(self, key: str, fraction: float = 0.0, message: Optional[str] = None) -> None:
        start, end = next((s, e) for k, _, s, e in STEPS if k == key)
        self._save(
            step=key,
            step_label=STEP_LABELS[key],
            step_label_bn=STEP_LABELS_BN[key],
            percent=int(start + (end - start) * min(max(fraction, 0.0), 0.99)),
            message=message or STEP_LABELS[key] + "…",
            message_bn=STEP_LABELS_BN[key] + "…",
        )

    def _command(
        self,
        key: str,
        cmd: List[str],
        log_name: str,
        timing: str,
        default: float,
        timeout: float = 1800,
    ) -> subprocess.CompletedProcess:
        """Run a step's command; its bar moves with the time it usually takes, and the
        status file is written every 2 s (the heartbeat that says the job is alive)."""
        started = time.monotonic()
        expected = self._timing(timing, default)
        with open(self.job_dir / log_name, "w") as log:
            process = subprocess.Popen(
                cmd,
                cwd=self.paths.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **QUIET_ENV, "RASA_CACHE_DIRECTORY": str(self.paths.rasa_cache)},
            )
            while True:
                try:
                    process.wait(timeout=2)
                    break
                except subprocess.TimeoutExpired:
                    elapsed = time.monotonic() - started
                    if elapsed > timeout:
                        process.kill()
                        process.wait()
                        break
                    # approaches the end without reaching it: it never stands still, never lies
                    self.step(key, 1 - 0.5 ** (elapsed / max(expected, 1.0)))
        text = (self.job_dir / log_name).read_text("utf-8", "replace")
        if process.returncode == 0:  # the next bar of this step moves at this pace
            self._timing(timing, expected, time.monotonic() - started)
        return subprocess.CompletedProcess(cmd, process.returncode, text, "")

    def _timing(self, name: str, default: float, value: Optional[float] = None) -> float:
        path = self.paths.retrain_dir / "timings.json"
        try:
            timings = json.loads(path.read_text())
        except (OSError, ValueError):
            timings = {}
        if value is not None:
            timings[name] = value
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(path, timings)
        return float(timings.get(name) or default)

    # the steps ------------------------------------------------------------------------------------

    def copy_inputs(self) -> None:
        self.step("copy")
        if self.workspace.exists():
            shutil.rmtree(self.workspace)
        self.workspace.mkdir(parents=True)
        for name in TRAINING_INPUTS:
            source = self.paths.root / name
            if source.is_dir():
                shutil.copytree(source, self.workspace / name)
            elif source.exists():
                shutil.copy2(source, self.workspace / name)

    def run_checks(self) -> None:
        self.step("checks")
        found, complete = content_problems(self.workspace)
        if not complete:
            self._save(notes=[CHECKS_MISSING])
        reasons = check_problems_as_reasons(found)
        if reasons:
            raise StepFailed(
                REFUSED,
                "The content checks found mistakes, so nothing was "
                "trained and the bot keeps its current model.",
                "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে, তাই কিছু ট্রেইন করা হয়নি; " + KEEPS_BN,
                reasons,
            )

    def train(self) -> None:
        self.step("train")
        ws, out = self.workspace, self.job_dir / "model"
        done = self._command(
            "train",
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "--config",
                str(ws / "config.yml"),
                "--domain",
                str(ws / "domain.yml"),
                "--data",
                str(ws / "data"),
                "--out",
                str(out),
                "--fixed-model-name",
                "candidate",
                # The checks step ran `rasa data validate --fail-on-warnings` on these very
                # files (content_problems): validating again was ~6 s of a retrain (bench/notes.md).
                "--skip-validation",
                "--quiet",
            ],
            "train.log",
            "train",
            DEFAULT_TRAIN_SECONDS,
        )
        model = out / "candidate.tar.gz"
        if done.returncode != 0 or not model.exists():
            tail = "\n".join(done.stdout.strip().splitlines()[-8:])
            raise StepFailed(
                FAILED,
                "Training stopped with an error; the bot keeps its current model.",
                "ট্রেনিং একটি ত্রুটিতে থেমে গেছে; " + KEEPS_BN,
                [
                    problem(
                        "Training failed",
                        tail[-1500:],
                        "Tell the developers; the whole log is in the job's train.log.",
                        title_bn="ট্রেনিং হয়নি",
                        fix_bn="ডেভেলপারদের জানান; পুরো লগ train.log-এ আছে।",
                    )
                ],
            )
        os.replace(model, self.candidate)

    def conversation_tests(self) -> None:
        self.step("conversations")
        out = self.job_dir / "conversations"
        done = self._command(
            "conversations",
            [
                sys.executable,
                "-m",
                "rasa",
                "test",
                "core",
                "--stories",
                str(self.paths.root / "tests" / "conversations"),
                "--fail-on-prediction-errors",
                "--model",
                str(self.candidate),
                "--out",
                str(out),
            ],
            "conversations.log",
            "conversations",
            60,
        )
        failed = out / "failed_test_stories.yml"
        text = failed.read_text("utf-8") if failed.exists() else ""
        if done.returncode == 0 and "None of the test stories failed" in text:
            return
        reasons = failed_stories(text, response_text(self.workspace / "domain.yml"))
        if not reasons:
            tail = "\n".join(done.stdout.strip().splitlines()[-6:])
            reasons = [
                problem(
                    "The conversation tests could not run",
                    tail[-1500:],
                    "Tell the developers; the log is in conversations.log.",
                    title_bn="কথোপকথনের পরীক্ষাগুলো চালানো যায়নি",
                    fix_bn="ডেভেলপারদের জানান; লগ conversations.log-এ আছে।",
                )
            ]
        raise StepFailed(
            REFUSED,
            "The new model failed conversation tests, so the bot keeps its current model.",
            "নতুন মডেলটি কথোপকথনের পরীক্ষায় পাস করেনি, তাই " + KEEPS_BN,
            reasons,
        )

    def _score(self, model: Path, name: str) -> Dict[str, Any]:
        out = self.job_dir / f"{name}.scores.json"
        done = self._command(
            "heldout",
            [sys.executable, "-m", "seba.content.retrain", "score", str(model), str(out)],
            f"{name}.score.log",
            "score",
            60,
        )
        if done.returncode != 0 or not out.exists():
            raise StepFailed(
                FAILED,
                "The held-out messages could not be scored; nothing changed.",
                "যাচাইয়ের বার্তাগুলোতে মডেলটি মাপা যায়নি; কিছুই বদলায়নি।",
                [problem("Scoring failed", done.stdout[-1500:], title_bn="মাপা যায়নি")],
            )
        return json.loads(out.read_text("utf-8"))

    def heldout(self) -> Dict[str, Any]:
        self.step("heldout")
        live = self.store.keep_live()
        live_scores = (live or {}).get("scores")
        if live and not live_scores:
            live_scores = self._score(self.paths.live_model, "live")
            self.store.set_scores(live["sha256"], live_scores)
        candidate_scores = self._score(self.candidate, "candidate")
        self._save(
            scores={"candidate": candidate_scores, "live": live_scores},
            live_sha=(live or {}).get("sha256"),
        )
        reasons = gate.compare(candidate_scores, live_scores or {})
        if reasons:
            reasons_bn = gate.compare(candidate_scores, live_scores or {}, lang="bn")
            raise StepFailed(
                REFUSED,
                "The new model understands the held-out messages worse "
                "than the live one, so the bot keeps its current model.",
                "নতুন মডেলটি যাচাইয়ের বার্তাগুলো চালু মডেলের চেয়ে কম বুঝছে, তাই " + KEEPS_BN,
                [
                    problem(
                        "Worse on held-out messages",
                        r,
                        "Look at the examples you added or moved in this "
                        "variety: one may be too close to another intent's.",
                        title_bn="যাচাইয়ের বার্তায় আগের চেয়ে খারাপ",
                        detail_bn=r_bn,
                        fix_bn="এই ভাষায় আপনি যে উদাহরণ যোগ করেছেন বা সরিয়েছেন "
                        "সেগুলো দেখুন: কোনোটি হয়তো অন্য ইনটেন্টের খুব "
                        "কাছাকাছি।",
                    )
                    for r, r_bn in zip(reasons, reasons_bn, strict=True)
                ],
            )
        return candidate_scores

    def finish(self, scores: Dict[str, Any]) -> None:
        entry = self.store.keep(
            self.candidate,
            source="retrain",
            started_by=self.status.get("started_by", ""),
            job_id=self.status["id"],
            scores=scores,
        )
        self._save(model_id=entry["id"])
        if not self.status.get("go_live"):
            self._save(
                state=PASSED,
                percent=100,
                finished_at=now_text(),
                message=("The new model passed every check. Try it below, then put it live."),
                message_bn="নতুন মডেলটি সব যাচাইয়ে পাস করেছে। নিচে চালিয়ে দেখুন, তারপর চালু করুন।",
            )
            return
        self.step("promote")
        promote(self.store, self.status, self.status.get("started_by", ""))
        self._save(
            state=PROMOTED,
            percent=100,
            finished_at=now_text(),
            message=(
                "The new model passed every check and is live: the bot answers with it within "
                "a few seconds."
            ),
            message_bn="নতুন মডেলটি সব যাচাইয়ে পাস করেছে এবং চালু হয়েছে: "
            "কয়েক সেকেন্ডের মধ্যে বট এটি দিয়েই উত্তর দেবে।",
        )

    def run(self) -> int:
        self._save(pid=os.getpid())
        try:
            self.copy_inputs()
            self.run_checks()
            self.train()
            self.conversation_tests()
            self.finish(self.heldout())
            return 0
        except StepFailed as failure:
            self._save(
                state=failure.state,
                finished_at=now_text(),
                message=failure.message,
                message_bn=failure.message_bn,
                problems=failure.problems,
            )
        except Exception as error:  # noqa: BLE001 - the page must say something
            traceback.print_exc()
            self._save(
                state=FAILED,
                finished_at=now_text(),
                message=(
                    "The retrain stopped with an unexpected error; the bot keeps its current model."
                ),
                message_bn="অপ্রত্যাশিত একটি ত্রুটিতে ট্রেইন থেমে গেছে; " + KEEPS_BN,
                problems=[
                    problem(
                        "Unexpected error",
                        f"{type(error).__name__}: {error}"[:500],
                        "Tell the developers; the job's job.log has the details.",
                        title_bn="অপ্রত্যাশিত ত্রুটি",
                        fix_bn="ডেভেলপারদের জানান; বিস্তারিত job.log-এ আছে।",
                    )
                ],
            )
        return 1


def promote(store: ModelStore, status: Dict[str, Any], by: str) -> Dict[str, Any]:
    """Put a job's passed candidate live, if the live model is still the one it was
    compared with (else a rollback happened meanwhile: the comparison no longer holds)."""
    if status.get("state") not in (PASSED, "running") or not status.get("model_id"):
        raise ModelRefused(N_("Only a new model that passed every check can be put live."))
    if status.get("live_sha") and store.live_sha() != status["live_sha"]:
        raise ModelRefused(
            N_(
                "The live model changed after this one was checked against it. "
                "Retrain to check it against the model that is live now."
            )
        )
    return store.activate(status["model_id"], by, "promote")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seba.content.retrain")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start")
    start.add_argument("--by", default=os.environ.get("USER", "cli"))
    start.add_argument("--no-go-live", action="store_true")
    sub.add_parser("run").add_argument("job_id")
    sub.add_parser("status")
    score = sub.add_parser("score")
    score.add_argument("model")
    score.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "run":
        return Runner(args.job_id).run()
    if args.command == "score":
        import logging

        import structlog

        from seba import runtime

        # Parse as the running server does (Seba's sequential graph runner, not dask per
        # message): the same answers, several times faster.
        runtime.install()

        logging.getLogger("rasa").setLevel(logging.WARNING)
        # Rasa 3.6 logs every parse through structlog at debug level unless configured.
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        Path(args.out).write_text(json.dumps(score_model(args.model)), encoding="utf-8")
        return 0
    jobs = Jobs()
    if args.command == "start":
        job, new = jobs.start(args.by, go_live=not args.no_go_live)
        print(("started " if new else "already training: ") + job["id"])
        return 0 if new else 1
    for job in jobs.recent():
        print(f"{job['id']}  {job['state']:<11} {job['percent']:>3}%  {job.get('message', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
