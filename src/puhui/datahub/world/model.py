"""The World: a set of polars DataFrames plus the parameters that produced them.

Frames (one row per ...):

* ``enterprises``: enterprise (registry facts, application facts, chain role)
* ``people``: person (legal representatives, controllers, shareholders, spouses)
* ``relationships``: edge source -> target enterprise
* ``panel``: enterprise x observed month (tax, social security, housing fund, utilities)
* ``judicial``: lawsuit / enforcement / dishonest-debtor record
* ``bureau_accounts``: credit-bureau account of an enterprise or a legal representative
* ``bureau_inquiries``: credit-bureau inquiry
* ``registry_changes``: registration change
* ``abnormal_operations``: abnormal-operation listing
* ``outcomes``: enterprise truth (default_12m, fraud flags, latent summary) - never a feature
* ``latent``: enterprise x month health path, observed and future (truth; optional)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from puhui.datahub.world.params import WorldParams

FRAME_NAMES = (
    "enterprises",
    "people",
    "relationships",
    "panel",
    "judicial",
    "bureau_accounts",
    "bureau_inquiries",
    "registry_changes",
    "abnormal_operations",
    "outcomes",
    "latent",
)
FORMAT_VERSION = 1


@dataclass
class World:
    seed: int
    n_enterprises: int
    months: int
    as_of: date
    params: WorldParams
    enterprises: pl.DataFrame
    people: pl.DataFrame
    relationships: pl.DataFrame
    panel: pl.DataFrame
    judicial: pl.DataFrame
    bureau_accounts: pl.DataFrame
    bureau_inquiries: pl.DataFrame
    registry_changes: pl.DataFrame
    abnormal_operations: pl.DataFrame
    outcomes: pl.DataFrame
    latent: pl.DataFrame
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    @property
    def first_month(self) -> date:
        return self.panel_months()[0]

    def panel_months(self) -> list[date]:
        """The observed months (first day of each), oldest first."""
        from puhui.datahub.world.context import last_observed_month

        last = last_observed_month(self.as_of)
        return [
            (last - (self.months - 1 - i)).astype("datetime64[D]").item()
            for i in range(self.months)
        ]

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in FRAME_NAMES}

    def meta(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "seed": self.seed,
            "n_enterprises": self.n_enterprises,
            "months": self.months,
            "as_of": self.as_of.isoformat(),
            "params": self.params.model_dump(mode="json"),
        }

    def fingerprint(self) -> str:
        """SHA-256 over a canonical serialization of the metadata and every frame.

        Each column contributes its name, dtype, null mask and values: fixed-width values as
        little-endian bytes of their physical representation, strings as UTF-8 with lengths.
        Independent of polars' internal chunking and of parquet encoding.
        """
        if self._fingerprint is None:
            digest = hashlib.sha256()
            digest.update(json.dumps(self.meta(), sort_keys=True).encode())
            for name, frame in self.frames().items():
                digest.update(f"\x1eframe:{name}:{frame.height}".encode())
                for column in frame.columns:
                    _hash_series(digest, frame.get_column(column))
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> Path:
        """Write one parquet file per frame and ``world.json`` (metadata + fingerprint)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in self.frames().items():
            frame.write_parquet(path / f"{name}.parquet", statistics=False)
        meta = self.meta() | {"fingerprint": self.fingerprint()}
        (path / "world.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> World:
        path = Path(directory)
        meta = json.loads((path / "world.json").read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported world format: {meta.get('format_version')!r}")
        frames: dict[str, Any] = {
            name: pl.read_parquet(path / f"{name}.parquet") for name in FRAME_NAMES
        }
        return cls(
            seed=int(meta["seed"]),
            n_enterprises=int(meta["n_enterprises"]),
            months=int(meta["months"]),
            as_of=date.fromisoformat(meta["as_of"]),
            params=WorldParams.model_validate(meta["params"]),
            **frames,
        )


def _hash_series(digest: Any, series: pl.Series) -> None:
    digest.update(f"\x1fcol:{series.name}:{series.dtype}:{series.len()}".encode())
    nulls = series.is_null()
    if nulls.any():
        digest.update(b"nulls")
        digest.update(nulls.to_numpy().astype("u1").tobytes())
    if series.dtype == pl.String:
        filled = series.fill_null("")
        lengths = filled.str.len_bytes().to_numpy().astype("<u4")
        digest.update(lengths.tobytes())
        joined = filled.str.join("") if filled.len() else pl.Series([""])
        digest.update((joined.item() or "").encode())
        return
    if series.dtype == pl.Boolean:
        digest.update(series.fill_null(False).to_numpy().astype("u1").tobytes())
        return
    physical = series.to_physical()
    values = physical.fill_null(0).to_numpy()
    digest.update(values.astype(values.dtype.newbyteorder("<")).tobytes())
