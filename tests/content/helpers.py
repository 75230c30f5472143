"""Helpers for the content staff's tests: a copy of the project's data to change, and a
tracker store written by Rasa's own SQLTrackerStore from scripted conversations."""

import asyncio
import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.db import to_epoch
from seba.content.locations import Paths
from seba.content.model_store import ModelStore
from tests.servers import ROOT

PROJECT_FILES = ("data", "domain.yml", "config.yml")


def copy_project(target: Path, git: bool = False) -> Path:
    """The project's data files (data/, domain.yml, config.yml) under ``target``; with
    ``git``, as a fresh repository with one commit."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    if git:
        run_git(target, "init", "--quiet", "--initial-branch=main")
        run_git(target, "add", "--", *PROJECT_FILES)
        run_git(
            target,
            "-c",
            "user.name=Setup",
            "-c",
            "user.email=setup@example.invalid",
            "commit",
            "--quiet",
            "-m",
            "initial",
        )
    return target


def run_git(root: Path, *args: str) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout


@dataclass
class Staff:
    id: int
    username: str
    display_name: str


# --- scripted conversations ----------------------------------------------------------------------


def parse(
    text: str,
    intent: str,
    confidence: float,
    ranking: Optional[Sequence[Tuple[str, float]]] = None,
    faq: Optional[Sequence[Tuple[str, float]]] = None,
) -> Dict[str, Any]:
    """A parse result shaped like Seba's NLU writes it (``faq``: the FAQ key ranking that
    ``seba.nlu.FaqKeySelector`` stores, e.g. [("faq/delivery_time", 0.7), ...])."""
    ranked = [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])]
    data: Dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranked,
        "entities": [],
        "text": text,
    }
    if faq:
        data["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "confidence": faq[0][1],
                    "intent_response_key": faq[0][0],
                    "utter_action": f"utter_{faq[0][0]}",
                    "responses": [],
                },
                "ranking": [
                    {"id": i, "confidence": c, "intent_response_key": k}
                    for i, (k, c) in enumerate(faq)
                ],
            },
        }
    return data


class Conversation:
    """Events of one conversation, one second apart from ``start``."""

    def __init__(self, sender_id: str, start: dt.datetime) -> None:
        self.sender_id, self.moment = sender_id, start
        self.events: List[Event] = [SessionStarted(timestamp=self._tick())]

    def _tick(self) -> float:
        self.moment += dt.timedelta(seconds=1)
        return to_epoch(self.moment)

    def user(
        self, text: str, intent: str = "greet", confidence: float = 0.95, ranking=None, faq=None
    ) -> "Conversation":
        data = parse(text, intent, confidence, ranking, faq)
        self.events.append(
            UserUttered(
                text, data["intent"], [], data, timestamp=self._tick(), input_channel="telegram"
            )
        )
        return self

    def bot(self, text: str, buttons: Sequence[str] = ()) -> "Conversation":
        data = {"buttons": [{"title": b, "payload": f"/{b}"} for b in buttons]} if buttons else {}
        self.events.append(BotUttered(text, data, timestamp=self._tick()))
        return self

    def pause(self) -> "Conversation":
        self.events.append(ConversationPaused(timestamp=self._tick()))
        return self

    def resume(self) -> "Conversation":
        self.events.append(ConversationResumed(timestamp=self._tick()))
        return self

    def now(self) -> dt.datetime:
        """The conversation's clock (for a ticket created right now)."""
        self.moment += dt.timedelta(milliseconds=500)
        return self.moment


def store(db: Path, conversations: Sequence[Conversation]) -> str:
    """Save the conversations with Rasa's SQL tracker store; returns the SQLAlchemy URL."""
    tracker_store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    for conversation in conversations:
        tracker = DialogueStateTracker(conversation.sender_id, [])
        for event in conversation.events:
            tracker.update(event)
        asyncio.run(tracker_store.save(tracker))
    tracker_store.engine.dispose()
    return f"sqlite:///{db}"


def promoted_b(paths: Paths, tmp_path: Path) -> Tuple[ModelStore, Dict[str, Any], Dict[str, Any]]:
    """A model store with the live model kept as A and a retrained B (scored, started by
    mita) promoted over it: (store, a, b)."""
    store = ModelStore(paths)
    a = store.keep_live()
    source = tmp_path / "b.tar.gz"
    source.write_bytes(b"model B")
    b = store.keep(
        source,
        source="retrain",
        started_by="mita",
        scores={
            "bn": {
                "examples": 10,
                "intent_accuracy": 0.9,
                "oos_detected": 0.5,
                "oos_examples": 2,
                "in_scope_rejected": 0.125,
                "in_scope_examples": 8,
            }
        },
    )
    store.activate(b["id"], "mita", "promote")
    return store, a, b
