"""The live model and the models kept for going back to them.

The live model is one file, ``models/seba.tar.gz`` (``Paths.live_model``): Rasa starts from
it and ``seba.model_server`` serves it to every worker, so replacing it (atomically:
a copy next to it, then ``os.replace``) *is* the hot-swap, and a restart keeps the choice.

Every model that was live, or passed the gate, is kept in ``var/models/<id>.tar.gz`` with
its SHA-256 in ``var/models/registry.json``: who trained it, when, its held-out scores,
and every time it was put live (promotion, rollback). Putting a kept model live checks the
file against its recorded SHA-256 first: a file that was changed on disk (a forged or
damaged model) is refused. Model ids come from the registry only, never a path.
The newest ``KEEP`` files are kept, and always the live one and the one before it.
"""

import datetime as dt
import fcntl
import json
import os
import re
import shutil
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

from seba.content import N_, Refusal
from seba.content.locations import Paths
from seba.model_server import file_fingerprint

KEEP = 5
_SHA_CACHE: Dict[tuple, str] = {}
_MODEL_IDS: Dict[str, str] = {}  # file SHA-256 -> Rasa's model_id
_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}")


def rasa_model_id(path: "os.PathLike[str]") -> Optional[str]:
    """The ``model_id`` Rasa gave the model when it was trained (its ``metadata.json``):
    what Rasa's ``GET /status`` reports for the model it is answering with."""
    import tarfile

    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if member.isfile() and member.name.lstrip("/") == "metadata.json":
                    data = json.load(archive.extractfile(member))  # type: ignore[arg-type]
                    return str(data.get("model_id") or "") or None
    except (OSError, tarfile.TarError, ValueError):
        return None
    return None


class ModelRefused(Refusal):
    """A model cannot be put live; the message says why in plain words."""


def now_text() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def write_json(path: "os.PathLike[str]", data: Any) -> None:
    """Whole or not at all: readers never see half a file."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def replace_file(source: "os.PathLike[str]", target: "os.PathLike[str]") -> None:
    """Copy ``source`` over ``target`` atomically (a fresh mtime, so ``make`` sees it new)."""
    tmp = f"{target}.tmp{os.getpid()}"
    shutil.copyfile(source, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


class ModelStore:
    def __init__(self, paths: Optional[Paths] = None) -> None:
        self.paths = paths or Paths.from_env()
        self.dir = self.paths.models_dir
        self.registry = self.dir / "registry.json"

    # --- the registry, read and changed under one lock ------------------------------------------

    def _read(self) -> Dict[str, Any]:
        try:
            data = json.loads(self.registry.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            data = {}
        data.setdefault("models", [])
        data.setdefault("activations", [])
        return data

    @contextmanager
    def _changing(self) -> Iterator[Dict[str, Any]]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            write_json(self.registry, data)

    def file_of(self, entry: Dict[str, Any]) -> "os.PathLike[str]":
        return self.dir / f"{entry['id']}.tar.gz"

    def live_sha(self) -> Optional[str]:
        """SHA-256 of the live model (remembered while the file is unchanged)."""
        try:
            st = os.stat(self.paths.live_model)
            key = (str(self.paths.live_model), st.st_ino, st.st_size, st.st_mtime_ns)
            if key not in _SHA_CACHE:
                _SHA_CACHE.clear()
                _SHA_CACHE[key] = file_fingerprint(self.paths.live_model)
            return _SHA_CACHE[key]
        except FileNotFoundError:
            return None

    # --- reading ---------------------------------------------------------------------------------

    def entries(self) -> List[Dict[str, Any]]:
        return self._read()["models"]

    def get(self, model_id: str) -> Optional[Dict[str, Any]]:
        if not _ID.fullmatch(model_id or ""):
            return None
        return next((m for m in self.entries() if m["id"] == model_id), None)

    def by_sha(self, sha: Optional[str]) -> Optional[Dict[str, Any]]:
        return next((m for m in self.entries() if sha and m["sha256"] == sha), None)

    def live_model_id(self) -> Optional[str]:
        """Rasa's ``model_id`` of the live model (remembered per file contents)."""
        sha = self.live_sha()
        if sha is None:
            return None
        if sha not in _MODEL_IDS:
            _MODEL_IDS[sha] = rasa_model_id(self.paths.live_model) or ""
        return _MODEL_IDS[sha] or None

    def live_entry(self) -> Optional[Dict[str, Any]]:
        return self.by_sha(self.live_sha())

    def previous(self) -> Optional[Dict[str, Any]]:
        """The model that was live before the live one (the rollback target), if kept."""
        data = self._read()
        live = self.by_sha(self.live_sha())
        models = {m["id"]: m for m in data["models"]}
        for activation in reversed(data["activations"]):
            entry = models.get(activation["model_id"])
            if (
                entry
                and (live is None or entry["id"] != live["id"])
                and os.path.exists(self.file_of(entry))
            ):
                return entry
        return None

    def history(self) -> List[Dict[str, Any]]:
        """Kept models, newest first, each with when it was last put live and by whom."""
        data = self._read()
        live_sha = self.live_sha()
        rows = []
        for entry in reversed(data["models"]):
            went_live = [a for a in data["activations"] if a["model_id"] == entry["id"]]
            rows.append(
                {
                    **entry,
                    "live": entry["sha256"] == live_sha,
                    "kept": os.path.exists(self.file_of(entry)),
                    "last_live": went_live[-1] if went_live else None,
                }
            )
        return rows

    def activations(self) -> List[Dict[str, Any]]:
        return self._read()["activations"]

    # --- changing --------------------------------------------------------------------------------

    def keep(
        self,
        path: "os.PathLike[str]",
        *,
        source: str,
        started_by: str = "",
        job_id: str = "",
        scores: Optional[Dict[str, Any]] = None,
        trained_at: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Keep a copy of the model file at ``path``; the same file twice is one entry."""
        sha = file_fingerprint(path)
        with self._changing() as data:
            for entry in data["models"]:
                if entry["sha256"] == sha:
                    if scores and not entry.get("scores"):
                        entry["scores"] = scores
                    if not os.path.exists(self.file_of(entry)):
                        replace_file(path, self.file_of(entry))
                    return entry
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            entry = {
                "id": f"{stamp}-{sha[:8]}",
                "sha256": sha,
                "source": source,
                "started_by": started_by,
                "job_id": job_id,
                "trained_at": trained_at or now_text(),
                "scores": scores,
            }
            replace_file(path, self.file_of(entry))
            data["models"].append(entry)
            return entry

    def keep_live(self) -> Optional[Dict[str, Any]]:
        """The live model's entry; a live model not kept yet (``make train``) is kept now."""
        sha = self.live_sha()
        if sha is None:
            return None
        entry = self.by_sha(sha)
        if entry is None:
            when = dt.datetime.fromtimestamp(os.stat(self.paths.live_model).st_mtime)
            entry = self.keep(
                self.paths.live_model,
                source="make train",
                trained_at=when.isoformat(timespec="seconds"),
            )
        if not any(a["model_id"] == entry["id"] for a in self.activations()):
            with self._changing() as data:
                data["activations"].append(
                    {"model_id": entry["id"], "by": "", "at": now_text(), "kind": "found"}
                )
        return entry

    def set_scores(self, sha: str, scores: Dict[str, Any]) -> None:
        with self._changing() as data:
            for entry in data["models"]:
                if entry["sha256"] == sha:
                    entry["scores"] = scores

    def activate(self, model_id: str, by: str, kind: str) -> Dict[str, Any]:
        """Put a kept model live (``kind``: promote / rollback); every worker loads it within
        seconds (``seba.model_server``). ``ModelRefused`` says why not."""
        entry = self.get(model_id)
        if entry is None:
            raise ModelRefused(N_("That model is not one of the kept models."))
        path = self.file_of(entry)
        try:
            sha = file_fingerprint(path)
        except FileNotFoundError:
            raise ModelRefused(N_("That model's file is no longer kept on the server.")) from None
        if sha != entry["sha256"]:
            raise ModelRefused(
                N_(
                    "That model's file was changed on the server after it was "
                    "checked, so it will not be used. Retrain instead."
                )
            )
        self.keep_live()  # the model going out stays one click away
        with self._changing() as data:
            replace_file(path, self.paths.live_model)
            data["activations"].append(
                {"model_id": entry["id"], "by": by, "at": now_text(), "kind": kind}
            )
            self._prune(data)
        return entry

    def _prune(self, data: Dict[str, Any]) -> None:
        live = self.live_sha()
        recent = {a["model_id"] for a in data["activations"][-2:]}
        kept = [m for m in data["models"] if os.path.exists(self.file_of(m))]
        for entry in kept[:-KEEP]:
            if entry["sha256"] != live and entry["id"] not in recent:
                os.unlink(self.file_of(entry))
