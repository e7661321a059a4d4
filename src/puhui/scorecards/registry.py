"""The model registry: artifacts and reports by model id and version, and a champion pointer.

:class:`ModelRegistry` is the interface; :class:`FileModelRegistry` keeps everything in a
directory (``var/models`` by default), one folder per version::

    <root>/<model_id>/<version>/artifact.json     the model: a scorecard (ScorecardArtifact JSON)
                                                  or a challenger (GbmArtifact, puhui.gbm)
                                artifact.sha256   sha256 of its canonical form, checked on load
                                report.json       the validation report (numbers)
                                report.html       the validation report (page)
    <root>/<model_id>/champion.json               {"version", "promoted_at", "history": [...]}

Versions are immutable once saved. A database-backed registry can implement the same
interface later.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from puhui.scorecards.artifact import FORMAT as SCORECARD_FORMAT
from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.errors import InvalidArtifact, ModelNotFound, ModelVersionExists
from puhui.scorecards.gbm import FORMAT as GBM_FORMAT
from puhui.scorecards.gbm import GbmArtifact
from puhui.scorecards.validation import ValidationReport

DEFAULT_ROOT = Path("var/models")
ModelArtifact = ScorecardArtifact | GbmArtifact


def artifact_from_json(text: str | bytes) -> ModelArtifact:
    """A scorecard or a challenger, by the document's ``format``."""
    try:
        fmt = json.loads(text).get("format")
    except (json.JSONDecodeError, AttributeError) as exc:
        raise InvalidArtifact(reason=f"not a JSON object: {exc}") from exc
    if fmt == GBM_FORMAT:
        return GbmArtifact.from_json(text)
    if fmt == SCORECARD_FORMAT:
        return ScorecardArtifact.from_json(text)
    raise InvalidArtifact(reason=f"unknown format {fmt!r}")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ChampionRecord:
    model_id: str
    version: str
    promoted_at: datetime
    promoted_by: str | None
    reason: str


class ModelRegistry(Protocol):
    def save(
        self,
        artifact: ModelArtifact,
        *,
        report: ValidationReport | None = None,
        report_html: str | None = None,
    ) -> None: ...

    def load(self, model_id: str, version: str) -> ModelArtifact: ...

    def load_report(self, model_id: str, version: str) -> dict[str, Any] | None: ...

    def models(self) -> list[str]: ...

    def versions(self, model_id: str) -> list[str]: ...

    def promote(
        self,
        model_id: str,
        version: str,
        *,
        at: datetime,
        by: str | None = None,
        reason: str = "",
    ) -> ChampionRecord: ...

    def champion(self, model_id: str) -> ChampionRecord | None: ...

    def load_champion(self, model_id: str) -> ModelArtifact: ...


def _check_name(value: str, what: str) -> str:
    if not _NAME.match(value) or value in {".", ".."}:
        raise ValueError(f"{what} {value!r}: use letters, digits, '.', '_' or '-' (max 64)")
    return value


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class FileModelRegistry:
    """A :class:`ModelRegistry` on the file system."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    def version_dir(self, model_id: str, version: str) -> Path:
        return self.root / _check_name(model_id, "model id") / _check_name(version, "version")

    def save(
        self,
        artifact: ModelArtifact,
        *,
        report: ValidationReport | None = None,
        report_html: str | None = None,
    ) -> None:
        folder = self.version_dir(artifact.model_id, artifact.version)
        if (folder / "artifact.json").exists():
            raise ModelVersionExists(model_id=artifact.model_id, version=artifact.version)
        folder.mkdir(parents=True, exist_ok=True)
        if report is not None:
            _write_atomic(
                folder / "report.json",
                json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str),
            )
        if report_html is not None:
            _write_atomic(folder / "report.html", report_html)
        _write_atomic(folder / "artifact.sha256", artifact.content_hash() + "\n")
        _write_atomic(folder / "artifact.json", artifact.to_json())  # last: marks it complete

    def load(self, model_id: str, version: str) -> ModelArtifact:
        folder = self.version_dir(model_id, version)
        path = folder / "artifact.json"
        if not path.exists():
            raise ModelNotFound(model_id, version)
        artifact = artifact_from_json(path.read_text(encoding="utf-8"))
        digest_file = folder / "artifact.sha256"
        if digest_file.exists():
            expected = digest_file.read_text(encoding="utf-8").strip()
            if artifact.content_hash() != expected:
                raise InvalidArtifact(reason=f"{path} does not match its sha256")
        if (artifact.model_id, artifact.version) != (model_id, version):
            raise InvalidArtifact(reason=f"{path} holds {artifact.model_id} {artifact.version}")
        return artifact

    def load_report(self, model_id: str, version: str) -> dict[str, Any] | None:
        path = self.version_dir(model_id, version) / "report.json"
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def report_html_path(self, model_id: str, version: str) -> Path | None:
        path = self.version_dir(model_id, version) / "report.html"
        return path if path.exists() else None

    def models(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def versions(self, model_id: str) -> list[str]:
        folder = self.root / _check_name(model_id, "model id")
        if not folder.exists():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "artifact.json").exists())

    def promote(
        self,
        model_id: str,
        version: str,
        *,
        at: datetime,
        by: str | None = None,
        reason: str = "",
    ) -> ChampionRecord:
        """Make ``version`` the champion of ``model_id``; the history keeps every promotion."""
        self.load(model_id, version)  # must exist and be intact
        path = self.root / model_id / "champion.json"
        history: list[dict[str, Any]] = []
        if path.exists():
            history = list(json.loads(path.read_text(encoding="utf-8")).get("history", []))
        entry = {"version": version, "promoted_at": _iso(at), "promoted_by": by, "reason": reason}
        history.append(entry)
        _write_atomic(path, json.dumps({**entry, "history": history}, ensure_ascii=False, indent=2))
        return ChampionRecord(model_id, version, at, by, reason)

    def champion(self, model_id: str) -> ChampionRecord | None:
        path = self.root / _check_name(model_id, "model id") / "champion.json"
        if not path.exists():
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
        return ChampionRecord(
            model_id=model_id,
            version=str(d["version"]),
            promoted_at=datetime.fromisoformat(str(d["promoted_at"]).replace("Z", "+00:00")),
            promoted_by=d.get("promoted_by"),
            reason=str(d.get("reason", "")),
        )

    def load_champion(self, model_id: str) -> ModelArtifact:
        record = self.champion(model_id)
        if record is None:
            raise ModelNotFound(model_id, "champion")
        return self.load(model_id, record.version)
