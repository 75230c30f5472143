"""The live model file and the kept models (seba.content.model_store): atomic swaps, the
previous model one step back, and files changed on disk refused. Small byte files stand in
for models: the store never unpacks them."""

import os

import pytest

from seba.content.locations import Paths
from seba.content.model_store import KEEP, ModelRefused, ModelStore
from seba.model_server import file_fingerprint


@pytest.fixture
def store(tmp_path):
    paths = Paths(
        root=tmp_path,
        live_model=tmp_path / "models" / "seba.tar.gz",
        models_dir=tmp_path / "var" / "models",
        retrain_dir=tmp_path / "var" / "rt",
    )
    paths.live_model.parent.mkdir(parents=True)
    paths.live_model.write_bytes(b"model A")
    return ModelStore(paths)


def candidate(tmp_path, content: bytes):
    path = tmp_path / f"cand-{len(content)}-{content[-1]}.tar.gz"
    path.write_bytes(content)
    return path


def test_promote_then_roll_back_and_forward(store, tmp_path):
    first = store.keep_live()
    assert first["source"] == "make train" and store.previous() is None
    b = store.keep(
        candidate(tmp_path, b"model B"), source="retrain", started_by="mita", scores={"bn": {}}
    )
    store.activate(b["id"], "mita", "promote")
    assert store.paths.live_model.read_bytes() == b"model B"
    assert store.live_entry()["id"] == b["id"]
    assert store.previous()["id"] == first["id"]

    store.activate(store.previous()["id"], "boss", "rollback")
    assert store.paths.live_model.read_bytes() == b"model A"
    assert store.previous()["id"] == b["id"]  # and back again is one click too
    kinds = [(a["model_id"], a["kind"], a["by"]) for a in store.activations()]
    assert kinds == [
        (first["id"], "found", ""),
        (b["id"], "promote", "mita"),
        (first["id"], "rollback", "boss"),
    ]
    history = store.history()
    assert [row["live"] for row in history] == [False, True]
    assert history[0]["started_by"] == "mita"


def test_a_kept_file_changed_on_disk_is_refused_and_nothing_changes(store, tmp_path):
    store.keep_live()
    b = store.keep(candidate(tmp_path, b"model B"), source="retrain")
    with open(store.file_of(b), "wb") as f:
        f.write(b"forged model")  # same id, other bytes
    with pytest.raises(ModelRefused, match="changed on the server"):
        store.activate(b["id"], "mita", "promote")
    assert store.paths.live_model.read_bytes() == b"model A"


@pytest.mark.parametrize(
    "model_id",
    ["../../var/secrets.env", "", "x" * 300, "20250101-000000-deadbeef/../../x", "/etc/passwd"],
)
def test_model_ids_come_from_the_registry_only(store, model_id):
    with pytest.raises(ModelRefused, match="not one of the kept models"):
        store.activate(model_id, "mita", "rollback")
    assert store.get(model_id) is None


def test_the_same_file_is_kept_once_and_old_files_are_pruned(store, tmp_path):
    store.keep_live()
    ids = []
    for n in range(KEEP + 3):
        entry = store.keep(
            candidate(tmp_path, b"model " + bytes([65 + n + 1]) * (n + 1)), source="retrain"
        )
        assert (
            store.keep(
                candidate(tmp_path, b"model " + bytes([65 + n + 1]) * (n + 1)), source="retrain"
            )["id"]
            == entry["id"]
        )
        store.activate(entry["id"], "mita", "promote")
        ids.append(entry["id"])
    kept = [m for m in store.history() if m["kept"]]
    assert len(kept) == KEEP
    assert store.live_entry()["id"] == ids[-1] and store.previous()["id"] == ids[-2]
    assert os.path.exists(store.file_of(store.previous()))


def test_the_live_file_is_replaced_whole(store, tmp_path):
    b = store.keep(candidate(tmp_path, b"model B" * 1000), source="retrain")
    inode = os.stat(store.paths.live_model).st_ino
    store.activate(b["id"], "mita", "promote")
    assert os.stat(store.paths.live_model).st_ino != inode  # a rename, not a rewrite in place
    assert file_fingerprint(store.paths.live_model) == b["sha256"]
    assert not list(store.paths.live_model.parent.glob("*.tmp*"))
