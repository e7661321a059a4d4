"""The champion scorecard, loaded once per process and scored in pure Python.

The champion of model `sme-pd` in the model registry (`<var_dir>/models`, see
`puhui.scorecards.registry`) is used when there is one; otherwise the baseline artifact shipped with
the package (`baseline/sme-pd.json`, trained with `puhui model train --world-enterprises 20000
--seed 1`) so that a fresh install and the demo decide out of the box. The artifact is cached
per process and reloaded only when the registry's champion pointer changes. An artifact trained
on another feature-set version is refused (`ModelUnavailable`, 503): its bins would not mean the
same thing.

The challenger (`CHALLENGER_MODEL_ID`, a LightGBM `GbmArtifact` in the same registry) is loaded
the same way but has no baseline: `challenger_store(...).available()` is False until one is
promoted. The policy's `models` field says which of the two decides and which shadows
(`puhui.decisioning.model_choice.ModelChoice`); `pipeline.score_for` scores both when asked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from puhui.decisioning.errors import ModelUnavailable
from puhui.decisioning.features import FEATURE_SET_VERSION
from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.errors import InvalidArtifact, ModelNotFound
from puhui.scorecards.registry import FileModelRegistry, ModelArtifact

MODEL_ID = "sme-pd"
CHALLENGER_MODEL_ID = "sme-pd-challenger"
BASELINE_PATH = Path(__file__).parent / "baseline" / "sme-pd.json"


@dataclass(frozen=True)
class LoadedModel:
    artifact: ModelArtifact
    source: str  # "registry" or "baseline"

    @property
    def model_id(self) -> str:
        return self.artifact.model_id

    @property
    def version(self) -> str:
        return self.artifact.version


class ModelStore:
    """Hands out the champion artifact of one model id; thread-safe, cached."""

    def __init__(
        self, registry_root: Path | None, model_id: str = MODEL_ID, *, baseline: bool = True
    ) -> None:
        self.registry_root = registry_root
        self.model_id = model_id
        self.baseline = baseline
        self._lock = threading.Lock()
        self._key: tuple[str, float] | None = None
        self._loaded: LoadedModel | None = None

    def _pointer(self) -> Path | None:
        if self.registry_root is None:
            return None
        path = self.registry_root / self.model_id / "champion.json"
        return path if path.exists() else None

    def available(self) -> bool:
        """A champion can be handed out (promoted in the registry, or a shipped baseline)."""
        return self.baseline or self._pointer() is not None

    def champion(self) -> LoadedModel:
        pointer = self._pointer()
        key = (str(pointer), pointer.stat().st_mtime) if pointer else ("baseline", 0.0)
        loaded = self._loaded
        if loaded is not None and self._key == key:
            return loaded
        with self._lock:
            if self._loaded is not None and self._key == key:
                return self._loaded
            self._loaded = self._load(pointer)
            self._key = key
            return self._loaded

    def _load(self, pointer: Path | None) -> LoadedModel:
        try:
            if pointer is not None and self.registry_root is not None:
                artifact = FileModelRegistry(self.registry_root).load_champion(self.model_id)
                loaded = LoadedModel(artifact, "registry")
            elif not self.baseline:
                raise ModelNotFound(self.model_id, "champion")
            else:
                loaded = LoadedModel(baseline_artifact(), "baseline")
        except (ModelNotFound, InvalidArtifact, OSError, ValueError) as exc:
            raise ModelUnavailable(model_id=self.model_id) from exc
        trained_on = loaded.artifact.training.get("feature_set_version")
        if trained_on is not None and trained_on != FEATURE_SET_VERSION:
            # trained on other feature definitions: its bins would mean something else
            raise ModelUnavailable(model_id=self.model_id)
        return loaded


_baseline: ScorecardArtifact | None = None
_baseline_lock = threading.Lock()


def baseline_artifact() -> ScorecardArtifact:
    global _baseline
    if _baseline is None:
        with _baseline_lock:
            if _baseline is None:
                _baseline = ScorecardArtifact.from_json(BASELINE_PATH.read_text(encoding="utf-8"))
    return _baseline


_stores: dict[str, ModelStore] = {}
_stores_lock = threading.Lock()


def store_for(registry_root: Path | None, model_id: str = MODEL_ID) -> ModelStore:
    """One store per registry directory and model id per process."""
    key = f"{registry_root}|{model_id}"
    store = _stores.get(key)
    if store is None:
        with _stores_lock:
            store = _stores.setdefault(
                key, ModelStore(registry_root, model_id, baseline=model_id == MODEL_ID)
            )
    return store


def challenger_store(models: ModelStore) -> ModelStore:
    """The challenger's store beside a champion store (same registry directory)."""
    return store_for(models.registry_root, CHALLENGER_MODEL_ID)


_shadow_cache: dict[str, tuple[float, LoadedModel | None]] = {}


def shadow_candidate(models: ModelStore) -> LoadedModel | None:
    """The retrained candidate in its shadow period (`<registry>/<model_id>/shadow.json`,
    written by `model_ops.approve_candidate`), or None. It is scored on every decision as the
    role `candidate` and decides nothing; an unreadable one is skipped (a shadow never stops
    a decision)."""
    if models.registry_root is None:
        return None
    path = models.registry_root / models.model_id / "shadow.json"
    if not path.exists():
        return None
    key = str(path)
    mtime = path.stat().st_mtime
    cached = _shadow_cache.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    loaded: LoadedModel | None
    try:
        import json

        version = str(json.loads(path.read_text(encoding="utf-8"))["version"])
        artifact = FileModelRegistry(models.registry_root).load(models.model_id, version)
        loaded = LoadedModel(artifact, "registry")
    except (ModelNotFound, InvalidArtifact, OSError, ValueError, KeyError):
        loaded = None
    _shadow_cache[key] = (mtime, loaded)
    return loaded
