"""The review loop reads Rasa's real SQL tracker store and writes loadable NLU YAML."""

import datetime as dt

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from seba.review import read_events, to_yaml, unclear_messages


def _user(text, intent, confidence, ranking=None):
    parse = {"intent": {"name": intent, "confidence": confidence},
             "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, parse["intent"], [], parse)


def test_unclear_messages_are_exported_by_best_guess(tmp_path):
    db = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    events = [
        _user("আমার অর্ডার কোথায়?", "order_status", 0.97),            # understood
        _user("bikash a taka patabo kemne", "nlu_fallback", 0.3,
              [{"name": "nlu_fallback", "confidence": 0.3},
               {"name": "faq", "confidence": 0.28}]),
        _user("bikash a taka patabo kemne", "nlu_fallback", 0.3,
              [{"name": "nlu_fallback", "confidence": 0.3},
               {"name": "faq", "confidence": 0.28}]),
        _user("ক্রিকেট খেলা কয়টায়", "out_of_scope", 0.9),
        _user("size ta ki thik hobe", "product_info", 0.41),                # low confidence
        _user("/affirm", "affirm", 0.2),                                     # a button
        _user("amar number 01711000001, call den", "nlu_fallback", 0.2),    # a phone in it
    ]
    import asyncio
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", events)))

    rows = read_events(str(db), dt.datetime.now() - dt.timedelta(days=1))
    grouped = unclear_messages(rows)
    assert grouped["faq"]["bikash a taka patabo kemne"] == 2
    assert "ক্রিকেট খেলা কয়টায়" in grouped["out_of_scope"]
    assert "size ta ki thik hobe" in grouped["product_info"]
    assert all("আমার অর্ডার কোথায়?" not in c and "/affirm" not in c for c in grouped.values())
    exported = [text for c in grouped.values() for text in c]
    assert "amar number 017•••••001, call den" in exported  # masked in the export
    assert not any("01711000001" in text for text in exported)

    out = tmp_path / "inbox.yml"
    out.write_text(to_yaml(grouped, str(db)), encoding="utf-8")
    texts = {m.get("text") for m in load_data(str(out)).intent_examples}
    assert "bikash a taka patabo kemne" in texts
