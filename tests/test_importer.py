"""seba.importer: Rasa's file importer with each file's parse remembered by its content."""

import shutil
import sqlite3
import warnings

import pytest
from rasa.shared.exceptions import YamlException
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data import loading

from seba import PROJECT_ROOT
from seba.importer import CachedFileImporter, ParseCache

NLU = """version: "3.1"
nlu:
- intent: {intent}
  examples: |
    - {text}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    fresh = ParseCache(tmp_path / "parse-cache.sqlite")
    monkeypatch.setattr(CachedFileImporter, "cache", fresh)
    return fresh


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "data" / "nlu").mkdir(parents=True)
    shutil.copyfile(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    shutil.copyfile(PROJECT_ROOT / "config.yml", root / "config.yml")
    (root / "data" / "nlu" / "a.yml").write_text(
        NLU.format(intent="greet", text="আসসালামু আলাইকুম"), encoding="utf-8"
    )
    (root / "data" / "nlu" / "b.yml").write_text(
        NLU.format(intent="thank", text="dhonnobad vai"), encoding="utf-8"
    )
    shutil.copyfile(PROJECT_ROOT / "data" / "rules.yml", root / "data" / "rules.yml")
    return root


def _importers(root):
    args = (str(root / "config.yml"), str(root / "domain.yml"), [str(root / "data")])
    return CachedFileImporter(*args), RasaFileImporter(*args)


def _count_parses(monkeypatch):
    parsed = []
    real = loading.load_data

    def counting(path, language="en"):
        parsed.append(path)
        return real(path, language)

    monkeypatch.setattr(loading, "load_data", counting)
    return parsed


def test_config_yml_uses_the_cached_importer():
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"), ["data"]
    )
    inner = importer.importer._importer._importers  # E2E(ResponsesSync(Combined([...])))
    assert [type(i) for i in inner] == [CachedFileImporter]


def test_it_reads_what_rasas_own_importer_reads(cache):
    ours, rasas = _importers(PROJECT_ROOT)
    assert ours.get_nlu_data("bn").nlu_as_json() == rasas.get_nlu_data("bn").nlu_as_json()
    assert ours.get_domain().as_dict() == rasas.get_domain().as_dict()
    assert ours.get_stories().fingerprint() == rasas.get_stories().fingerprint()
    # ... and the same again from the cache
    assert ours.get_nlu_data("bn").nlu_as_json() == rasas.get_nlu_data("bn").nlu_as_json()
    assert ours.get_domain().as_dict() == rasas.get_domain().as_dict()
    assert ours.get_stories().fingerprint() == rasas.get_stories().fingerprint()


def test_an_unchanged_project_is_parsed_once_even_by_a_new_process(project, cache, monkeypatch):
    parsed = _count_parses(monkeypatch)
    ours, _ = _importers(project)
    first = ours.get_nlu_data().nlu_as_json()
    assert len(parsed) == 2
    assert ours.get_nlu_data().nlu_as_json() == first
    # A new process: nothing in memory, the SQLite file only.
    monkeypatch.setattr(CachedFileImporter, "cache", ParseCache(cache.path))
    assert _importers(project)[0].get_nlu_data().nlu_as_json() == first
    assert len(parsed) == 2


def test_a_changed_file_is_the_only_one_parsed_again(project, cache, monkeypatch):
    parsed = _count_parses(monkeypatch)
    ours, _ = _importers(project)
    ours.get_nlu_data()
    (project / "data" / "nlu" / "b.yml").write_text(
        NLU.format(intent="thank", text="onek dhonnobad"), encoding="utf-8"
    )
    texts = [m.get("text") for m in ours.get_nlu_data().training_examples]
    assert "onek dhonnobad" in texts and "dhonnobad vai" not in texts
    assert [p.rsplit("/", 1)[-1] for p in parsed] == ["a.yml", "b.yml", "b.yml"]


def test_a_changed_domain_is_read_again(project, cache):
    ours, _ = _importers(project)
    assert "ধন্যবাদ, আবার আসবেন" not in str(ours.get_domain().responses)
    domain = (project / "domain.yml").read_text(encoding="utf-8")
    (project / "domain.yml").write_text(
        domain.replace(
            "responses:\n", 'responses:\n  utter_bench_new:\n  - text: "ধন্যবাদ, আবার আসবেন"\n', 1
        ),
        encoding="utf-8",
    )
    assert "utter_bench_new" in ours.get_domain().responses


def test_every_read_hands_out_its_own_copy(project, cache):
    ours, _ = _importers(project)
    data = ours.get_nlu_data()
    data.training_examples[0].set("text", "changed by a caller")
    data.training_examples.clear()
    again = ours.get_nlu_data()
    assert len(again.training_examples) == 2
    assert "changed by a caller" not in [m.get("text") for m in again.training_examples]


def test_a_files_warnings_are_shown_on_every_read(project, cache):
    # rasa data validate --fail-on-warnings and the content checks read these warnings: a
    # remembered parse must not hide a finding about the file.
    (project / "data" / "nlu" / "c.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: goodbye\n  examples: ""\n', encoding="utf-8"
    )
    for reader in (_importers(project)[0], _importers(project)[0]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader.get_nlu_data()
        found = [str(w.message) for w in caught]
        assert any("Intent 'goodbye' has no examples" in m for m in found), found


def test_a_file_that_does_not_parse_fails_every_time(project, cache):
    (project / "data" / "nlu" / "a.yml").write_text("nlu: [unclosed", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(YamlException):
            _importers(project)[0].get_nlu_data()


def test_a_broken_cache_file_costs_a_parse_not_the_training(project, tmp_path, monkeypatch):
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setattr(CachedFileImporter, "cache", ParseCache(broken))
    texts = [m.get("text") for m in _importers(project)[0].get_nlu_data().training_examples]
    assert sorted(texts) == ["dhonnobad vai", "আসসালামু আলাইকুম"]


def test_an_entry_from_an_older_format_is_parsed_again(project, cache, monkeypatch):
    ours, _ = _importers(project)
    ours.get_nlu_data()
    with sqlite3.connect(cache.path) as connection:
        connection.execute("UPDATE parses SET value = ?", [b"not a pickle"])
    monkeypatch.setattr(CachedFileImporter, "cache", ParseCache(cache.path))
    texts = [m.get("text") for m in _importers(project)[0].get_nlu_data().training_examples]
    assert sorted(texts) == ["dhonnobad vai", "আসসালামু আলাইকুম"]


def test_rasas_two_languages_share_one_parse_of_a_yaml_file(project, cache, monkeypatch):
    # Rasa's importers ask for the NLU data in "en" and in config.yml's "bn".
    parsed = _count_parses(monkeypatch)
    ours, _ = _importers(project)
    assert ours.get_nlu_data("en").nlu_as_json() == ours.get_nlu_data("bn").nlu_as_json()
    assert len(parsed) == 2


def test_the_disk_keeps_only_the_newest_parses(cache, monkeypatch):
    monkeypatch.setattr("seba.importer.DISK_ENTRIES", 3)
    for n in range(5):
        cache.load(f"key-{n}", lambda n=n: n)
    with sqlite3.connect(cache.path) as connection:
        kept = sorted(k for (k,) in connection.execute("SELECT key FROM parses"))
    assert kept == ["key-2", "key-3", "key-4"]


def test_a_copy_of_the_project_elsewhere_is_read_from_the_cache(project, cache, monkeypatch):
    # The console's retrain copies the data into a new workspace for every job: the same
    # bytes elsewhere are not parsed again, and what the parse says names the copy's files.
    (project / "data" / "empty_rule.yml").write_text(
        'version: "3.1"\nrules:\n- rule: nothing yet\n  steps: []\n', encoding="utf-8"
    )
    ours, rasas = _importers(project)
    ours.get_nlu_data(), ours.get_domain(), ours.get_stories()
    nlu, domain = rasas.get_nlu_data().nlu_as_json(), rasas.get_domain().as_dict()
    copy = project.parent / "workspace"
    shutil.copytree(project, copy)
    rasas_stories = RasaFileImporter(
        str(copy / "config.yml"), str(copy / "domain.yml"), [str(copy / "data")]
    ).get_stories()
    parsed = _count_parses(monkeypatch)
    stories_read = []
    real_stories = RasaFileImporter.get_stories
    monkeypatch.setattr(
        RasaFileImporter,
        "get_stories",
        lambda self, *a: stories_read.append(1) or real_stories(self, *a),
    )
    theirs = _importers(copy)[0]
    assert theirs.get_nlu_data().nlu_as_json() == nlu
    assert theirs.get_domain().as_dict() == domain
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stories = theirs.get_stories()
    assert parsed == [] and stories_read == []
    sources = {step.source_name for step in stories.story_steps}
    assert sources == {str(copy / "data" / "rules.yml")}
    assert sources == {step.source_name for step in rasas_stories.story_steps}
    found = [str(w.message) for w in caught if "has no steps" in str(w.message)]
    assert found and all(str(copy / "data") in m and str(project) not in m for m in found)
