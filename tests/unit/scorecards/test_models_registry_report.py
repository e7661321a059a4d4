"""The on-disk registry (save, load, champion) and the HTML validation report."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.errors import InvalidArtifact, ModelNotFound, ModelVersionExists
from puhui.scorecards.registry import FileModelRegistry
from puhui.scorecards.report import render_report_html
from puhui.scorecards.scorecard import TrainingParams, train_scorecard
from puhui.scorecards.validation import ValidationReport, build_validation_report

SyntheticFactory = Callable[..., pd.DataFrame]
CREATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
Model = tuple[ScorecardArtifact, ValidationReport]
FEATURES = ["sales_growth", "overdue_days", "grade", "noise"]


@pytest.fixture(scope="module")
def model(synthetic: SyntheticFactory) -> tuple[ScorecardArtifact, ValidationReport]:
    train, test = synthetic(2000, seed=21), synthetic(1500, seed=22)
    art = train_scorecard(
        train,
        "bad",
        FEATURES,
        categorical=["grade"],
        seed=5,
        created_at=CREATED_AT,
        model_id="sme-pd",
        version="v1",
        params=TrainingParams(c=0.3),
    )
    report = build_validation_report(
        art,
        test,
        test["bad"].to_numpy(),
        dataset="synthetic <holdout>",
        created_at=CREATED_AT,
        reference_data=train,
        reference_name="development",
        extra={"note": "测试"},
    )
    return art, report


def _with_version(art: ScorecardArtifact, version: str) -> ScorecardArtifact:
    d = art.to_dict()
    d["version"] = version
    return ScorecardArtifact.from_dict(d)


def test_save_load_and_champion(tmp_path: Path, model: Model) -> None:
    art, report = model
    reg = FileModelRegistry(tmp_path / "models")
    assert reg.models() == [] and reg.champion("sme-pd") is None
    reg.save(art, report=report, report_html=render_report_html(report))
    folder = tmp_path / "models" / "sme-pd" / "v1"
    assert sorted(p.name for p in folder.iterdir()) == [
        "artifact.json",
        "artifact.sha256",
        "report.html",
        "report.json",
    ]
    loaded = reg.load("sme-pd", "v1")
    assert loaded.to_json() == art.to_json()
    assert reg.load_report("sme-pd", "v1")["auc"] == pytest.approx(report.auc)  # type: ignore[index]
    with pytest.raises(ModelVersionExists):
        reg.save(art)
    with pytest.raises(ModelNotFound):
        reg.load("sme-pd", "v9")
    with pytest.raises(ModelNotFound):
        reg.load_champion("sme-pd")

    reg.save(_with_version(art, "v2"))
    assert reg.models() == ["sme-pd"] and reg.versions("sme-pd") == ["v1", "v2"]
    reg.promote("sme-pd", "v1", at=CREATED_AT, by="risk1", reason="first")
    reg.promote("sme-pd", "v2", at=CREATED_AT, by="risk1", reason="challenger won")
    champ = reg.champion("sme-pd")
    assert champ is not None and champ.version == "v2" and champ.reason == "challenger won"
    assert reg.load_champion("sme-pd").version == "v2"
    history = json.loads((tmp_path / "models" / "sme-pd" / "champion.json").read_text())["history"]
    assert [h["version"] for h in history] == ["v1", "v2"]
    with pytest.raises(ModelNotFound):
        reg.promote("sme-pd", "v3", at=CREATED_AT)


def test_tampered_artifact_is_refused(tmp_path: Path, model: Model) -> None:
    art, _ = model
    reg = FileModelRegistry(tmp_path)
    reg.save(art)
    path = tmp_path / "sme-pd" / "v1" / "artifact.json"
    doc = json.loads(path.read_text())
    doc["features"][0]["bins"][0]["points"] += 50
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidArtifact):
        reg.load("sme-pd", "v1")


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "x" * 65])
def test_unsafe_names_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        FileModelRegistry(tmp_path).version_dir(bad, "v1")


def test_report_numbers(model: Model) -> None:
    art, report = model
    assert report.n == 1500 and 0 < report.n_bad < 1500
    assert 0.7 < report.auc < 0.95
    assert report.gini == pytest.approx(2 * report.auc - 1)
    assert sum(r.n for r in report.calibration) == 1500
    assert sum(h.goods + h.bads for h in report.score_histogram) == 1500
    assert report.score_psi is not None and report.score_psi.value < 0.1  # same population
    assert set(report.feature_psi) == set(art.feature_names)
    assert json.loads(json.dumps(report.to_dict(), default=str))["model_id"] == "sme-pd"
    # observed bad rate falls as the score rises
    rates = [r.observed_bad_rate for r in report.calibration]
    assert rates[0] > rates[-1]


def test_report_html(model: Model) -> None:
    _, report = model
    html = render_report_html(report)
    assert '<html lang="zh-CN">' in html and "模型验证报告" in html
    assert '<script src="/static/vendor/echarts.min.js"></script>' in html
    assert not re.search(r"<script[^>]+src=\"https?://", html)  # no CDN
    for chart in ("chart-roc", "chart-ks", "chart-cal", "chart-dist"):
        assert f'id="{chart}"' in html
    assert f"{report.auc:.4f}" in html and f"{report.ks:.4f}" in html
    # the numbers are in tables too, readable without JavaScript
    assert html.count("<table>") >= 4
    for row in report.calibration:
        assert f"{100 * row.observed_bad_rate:.2f}%" in html
    assert "synthetic &lt;holdout&gt;" in html  # escaped
    en = render_report_html(report, echarts_src="/assets/e.js", lang="en")
    assert '<script src="/assets/e.js"></script>' in en and "Model validation report" in en


def test_report_without_reference(synthetic: SyntheticFactory, model: Model) -> None:
    art, _ = model
    test = synthetic(500, seed=23)
    report = build_validation_report(
        art, test, test["bad"].to_numpy(), dataset="x", created_at=CREATED_AT
    )
    assert report.score_psi is None and report.feature_psi == {}
    assert "稳定性" not in render_report_html(report)
    assert np.isfinite(report.hosmer_lemeshow)
