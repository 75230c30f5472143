"""The training cache: one SQLite file, one table per kind of value, read in chunks."""

from seba.nlu.training_cache import KeyedTable


def test_a_table_returns_what_was_put_across_instances_and_chunks(tmp_path):
    path = tmp_path / "cache.sqlite"
    readings: KeyedTable[str] = KeyedTable("readings", "reading", path)
    values = {KeyedTable.key("v1", str(n)): f"reading {n}" for n in range(1_234)}
    readings.put_many(values)

    again: KeyedTable[str] = KeyedTable("readings", "reading", path)
    asked = list(values) + [KeyedTable.key("v1", "never put")]
    assert again.get_many(asked) == values  # more keys than one statement takes


def test_kinds_share_the_file_but_not_their_keys(tmp_path):
    path = tmp_path / "cache.sqlite"
    readings: KeyedTable[str] = KeyedTable("readings", "reading", path)
    vectors: KeyedTable[bytes] = KeyedTable("embeddings", "vector", path)
    key = KeyedTable.key("same text")
    readings.put_many({key: "পড়া"})
    vectors.put_many({key: b"\x00\x01"})
    assert readings.get_many([key]) == {key: "পড়া"}
    assert vectors.get_many([key]) == {key: b"\x00\x01"}
    assert KeyedTable.key("v1", "a") != KeyedTable.key("v2", "a")
