"""Who changed what, and when — and undoing it.

Every change content staff make from the console (a labelled or ignored message, an edited
answer, a new FAQ, an undo) is one row of ``handoff_content_changes`` in the handoff
database: the account and its name at the time, when, a summary in plain words, and the
operations it made (JSON: ``{"op": "add_example", "file", "label", "text"}`` ...), which
are enough to undo it exactly. The console's "Changes" list reads these rows.

Where the content root is a git repository (the root is the repository's top level) and
git is installed, each change is also a commit of exactly the files it changed (``git add
-- <files>``, ``git commit -- <files>``; never ``-A``), with the staff member as the author
and "Seba console" as the committer. Without git, or when the commit fails (a hook said no,
the index is locked), the change still happens and the row says why there is no commit.

Undo (``revert``) applies the inverse operations, under the same lock and checks as the
change, records itself as a change (``kind`` "revert") and marks the original undone. An
undo cannot be undone: make the change again.
"""

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select, update

from handoff.db import as_local, session_scope
from handoff.models import ContentChange
from seba.content import N_, decisions
from seba.content.files import ContentError, Edit, edit_lock, one_line, perform

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 60
COMMITTER = ("Seba console", "console@seba.invalid")

# name -> (plan(root, op) -> Edit, inverse(op) -> op); registered by the modules that own
# the files (seba.content.training_files here, answers and FAQs in their modules).
FILE_OPS: Dict[
    str, Tuple[Callable[[Path, Dict[str, Any]], Edit], Callable[[Dict[str, Any]], Dict[str, Any]]]
] = {}


def register(
    name: str,
    plan: Callable[[Path, Dict[str, Any]], Edit],
    inverse: Callable[[Dict[str, Any]], Dict[str, Any]],
) -> None:
    FILE_OPS[name] = (plan, inverse)


def _register_examples() -> None:
    from seba.content import training_files as tf

    register(
        "add_example",
        lambda root, op: tf.add_example(root, op["label"], op["text"]),
        lambda op: {**op, "op": "remove_example"},
    )
    register(
        "remove_example",
        lambda root, op: tf.remove_example(root, op["label"], op["text"]),
        lambda op: {**op, "op": "add_example"},
    )


_register_examples()


@dataclass(frozen=True)
class ChangeView:
    id: int
    created_at: dt.datetime
    username: str
    author: str
    kind: str
    summary: str
    operations: List[Dict[str, Any]]
    files: List[str]
    commit: Optional[str]
    commit_note: Optional[str]
    reverts_id: Optional[int]
    reverted_by_id: Optional[int]

    @property
    def revertable(self) -> bool:
        return self.kind != "revert" and self.reverted_by_id is None


def _view(row: ContentChange) -> ChangeView:
    return ChangeView(
        row.id,
        row.created_at,
        row.username,
        row.author,
        row.kind,
        row.summary,
        json.loads(row.operations),
        json.loads(row.files),
        row.commit,
        row.commit_note,
        row.reverts_id,
        row.reverted_by_id,
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- the change log -----------------------------------------------------------------------------


def record(
    staff,
    kind: str,
    summary: str,
    operations: Sequence[Dict[str, Any]],
    files: Sequence[str],
    now: Optional[dt.datetime] = None,
    reverts_id: Optional[int] = None,
    url: Optional[str] = None,
) -> ChangeView:
    with session_scope(url) as session:
        row = ContentChange(
            created_at=as_local(now),
            agent_id=staff.id,
            username=staff.username,
            author=staff.display_name,
            kind=kind,
            summary=summary,
            operations=_dumps(list(operations)),
            files=_dumps(sorted(set(files))),
            reverts_id=reverts_id,
        )
        session.add(row)
        session.flush()
        if reverts_id is not None:
            marked = session.execute(
                update(ContentChange)
                .where(ContentChange.id == reverts_id, ContentChange.reverted_by_id.is_(None))
                .values(reverted_by_id=row.id)
            ).rowcount
            if not marked:
                raise ContentError(N_("That change was undone meanwhile."))
        return _view(row)


def set_commit(
    change_id: int, commit: Optional[str], note: Optional[str], url: Optional[str] = None
) -> None:
    with session_scope(url) as session:
        session.execute(
            update(ContentChange)
            .where(ContentChange.id == change_id)
            .values(commit=commit, commit_note=note)
        )


def get_change(change_id: int, url: Optional[str] = None) -> Optional[ChangeView]:
    with session_scope(url) as session:
        row = session.get(ContentChange, change_id)
        return _view(row) if row else None


def list_changes(limit: int = 100, url: Optional[str] = None) -> List[ChangeView]:
    with session_scope(url) as session:
        rows = session.execute(
            select(ContentChange).order_by(ContentChange.id.desc()).limit(limit)
        ).scalars()
        return [_view(row) for row in rows]


# --- git ------------------------------------------------------------------------------------------


def _git_env() -> Dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_")
    }  # a GIT_DIR of the console's own must not leak in
    env.update(
        GIT_COMMITTER_NAME=COMMITTER[0],
        GIT_COMMITTER_EMAIL=COMMITTER[1],
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def _git(git: str, root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [git, "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=_git_env(),
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )


def _person(name: str) -> str:
    return re.sub(r"[<>\n\r\x00]", "", name).strip() or "Content staff"


def git_commit(
    root: Path, files: Sequence[str], staff, message: str
) -> Tuple[Optional[str], Optional[str]]:
    """(commit id, None), or (None, why there is no commit)."""
    git = shutil.which("git")
    if git is None:
        return None, "git is not installed: recorded in the console's change list only."
    root = Path(root).resolve()
    try:
        top = _git(git, root, "rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return None, "not a git repository: recorded in the console's change list only."
        added = _git(git, root, "add", "--", *files)
        if added.returncode != 0:
            return None, f"git add failed: {one_line(added.stderr)[:300]}"
        author = f"{_person(staff.display_name)} <{staff.username}@console.seba.invalid>"
        done = _git(git, root, "commit", "--quiet", "-m", message, "--author", author, "--", *files)
        if done.returncode != 0:
            why = one_line(done.stderr or done.stdout)[:300] or f"exit code {done.returncode}"
            return None, f"git commit failed: {why}"
        head = _git(git, root, "rev-parse", "HEAD")
        return head.stdout.strip() or None, None
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git did not work: {exc}"


def _commit(root: Path, change: ChangeView, staff, url: Optional[str]) -> ChangeView:
    if not change.files:
        return change
    message = (
        f"{change.summary}\n\nFrom the Seba console by {_person(staff.display_name)} "
        f"({staff.username}), change {change.id}.\n"
    )
    commit, note = git_commit(root, change.files, staff, message)
    if note:
        logger.info("content change %s not committed: %s", change.id, note)
    set_commit(change.id, commit, note, url=url)
    return get_change(change.id, url=url) or change


# --- making and undoing changes -----------------------------------------------------------------


def make(
    root: Path,
    staff,
    kind: str,
    summary: str,
    steps: Sequence[Callable[[], Edit]],
    extra_ops: Sequence[Dict[str, Any]] = (),
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> ChangeView:
    """Write the steps' edits, record the change, commit it. Call under ``edit_lock``."""
    edits = perform(root, steps)
    try:
        change = record(
            staff,
            kind,
            summary,
            [e.op for e in edits] + list(extra_ops),
            [e.file for e in edits],
            now=now,
            url=url,
        )
    except BaseException:
        for edit in reversed(edits):  # not recorded: not done
            perform(root, [lambda e=edit: Edit(e.file, e.after, e.before, {})])
        raise
    return _commit(root, change, staff, url)


def revert(
    root: Path, staff, change_id: int, now: Optional[dt.datetime] = None, url: Optional[str] = None
) -> ChangeView:
    """Undo a change: its inverse operations, recorded as a change of its own."""
    from seba.content import answers, faqs  # noqa: F401 - register their operations

    with edit_lock(root):
        change = get_change(change_id, url=url)
        if change is None:
            raise ContentError(N_("There is no such change."))
        if change.kind == "revert":
            raise ContentError(N_("An undo cannot be undone. Make the change again instead."))
        if change.reverted_by_id is not None:
            by = get_change(change.reverted_by_id, url=url)
            if by is None:
                raise ContentError(N_("That change was already undone."))
            raise ContentError(
                N_("That change was already undone by %(who)s at %(time)s."),
                who=by.author,
                time=f"{by.created_at:%H:%M}",
            )
        steps, extra = [], []
        for op in reversed(change.operations):
            if op.get("op") in FILE_OPS:
                back = FILE_OPS[op["op"]][1](op)  # the inverse operation, planned by its own op
                steps.append(lambda plan=FILE_OPS[back["op"]][0], back=back: plan(root, back))
            elif op.get("op") == "review":
                extra.append({**op, "op": "review_undone"})
        summary = f"Undo: {change.summary}"
        edits = perform(root, steps)
        try:
            undo = record(
                staff,
                "revert",
                summary,
                [e.op for e in edits] + extra,
                [e.file for e in edits],
                now=now,
                reverts_id=change.id,
                url=url,
            )
        except BaseException:
            for edit in reversed(edits):
                perform(root, [lambda e=edit: Edit(e.file, e.after, e.before, {})])
            raise
        for op in extra:
            decisions.forget(op["key"], url=url)
        return _commit(root, undo, staff, url)
