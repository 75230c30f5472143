"""The change log and the review decisions on PostgreSQL (the handoff database in
deploy/): the h0006 tables migrate up and down, of many staff deciding one message at
once exactly one wins, and a change is recorded and undone with its author."""

import threading

import pytest
from sqlalchemy import inspect

from handoff import agents, migrate
from handoff.db import get_engine
from seba.content import changes, decisions
from seba.content.files import ContentError
from tests.content.helpers import copy_project
from tests.handoff.helpers import PASSWORD


def test_h0006_migrates_up_and_down_on_postgres(pg_handoff_url):
    tables = set(inspect(get_engine(pg_handoff_url)).get_table_names())
    assert {"handoff_content_changes", "handoff_review_decisions"} <= tables
    migrate.downgrade(pg_handoff_url, "h0005")
    tables = set(inspect(get_engine(pg_handoff_url)).get_table_names())
    assert "handoff_content_changes" not in tables and "handoff_review_decisions" not in tables
    migrate.upgrade(pg_handoff_url)
    assert migrate.current_revision(pg_handoff_url) == migrate.head_revision()


def test_of_many_staff_deciding_one_message_at_once_one_wins(pg_handoff_url):
    staff = [
        agents.create_agent(f"staff{n}", f"Staff {n}", PASSWORD, role="content", url=pg_handoff_url)
        for n in range(6)
    ]
    key = decisions.key_of("parcel er box ta venge geche")
    outcomes, start = [], threading.Barrier(len(staff))

    def decide(person):
        start.wait()
        try:
            decisions.claim(
                key, "parcel er box ta venge geche", "ignored", None, person, url=pg_handoff_url
            )
            outcomes.append("won")
        except decisions.AlreadyDecided as exc:
            outcomes.append(exc.decision.author)

    threads = [threading.Thread(target=decide, args=(p,)) for p in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes).count("won") == 1 and len(outcomes) == len(staff)
    winner = decisions.get(key, url=pg_handoff_url).author
    assert all(o in ("won", winner) for o in outcomes)


def test_a_change_is_recorded_and_undone_on_postgres(tmp_path, pg_handoff_url):
    from seba.content import training_files as tf
    from seba.content.files import edit_lock

    root = copy_project(tmp_path / "project")
    original = (root / "data/nlu/general.yml").read_bytes()
    mita = agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=pg_handoff_url)
    with edit_lock(root):
        change = changes.make(
            root,
            mita,
            "label",
            "Labelled “kew achen vai?” as greet",
            [lambda: tf.add_example(root, "greet", "kew achen vai?")],
            url=pg_handoff_url,
        )
    assert change.author == "মিতা" and change.files == ["data/nlu/general.yml"]
    assert change.commit is None and "not a git repository" in change.commit_note
    undo = changes.revert(root, mita, change.id, url=pg_handoff_url)
    assert undo.reverts_id == change.id
    assert changes.get_change(change.id, url=pg_handoff_url).reverted_by_id == undo.id
    assert (root / "data/nlu/general.yml").read_bytes() == original
    with pytest.raises(ContentError, match="already undone"):
        changes.revert(root, mita, change.id, url=pg_handoff_url)
