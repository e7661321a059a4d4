"""German Credit benchmark (ours vs scorecardpy on the same held-out 30%) and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from puhui.scorecards.cli import model_app
from puhui.scorecards.german import GermanEvaluation, evaluate_german, german_split, load_german
from puhui.scorecards.registry import FileModelRegistry

SyntheticFactory = Callable[..., pd.DataFrame]
runner = CliRunner()


@pytest.fixture(scope="module")
def german() -> GermanEvaluation:
    return evaluate_german(seed=42)


def test_german_data_and_split() -> None:
    data = load_german()
    assert data.shape == (1000, 21)
    assert int(data["creditability"].sum()) == 300
    train, test = german_split(data, 42)
    assert (len(train), len(test)) == (700, 300)
    assert int(test["creditability"].sum()) == 90  # stratified
    assert not set(train.index) & set(test.index)


def test_german_both_aucs(german: GermanEvaluation) -> None:
    print(
        f"\nGerman Credit seed 42: ours {german.ours_auc:.4f} "
        f"scorecardpy {german.scorecardpy_auc:.4f} (train CV {german.ours_cv_auc:.4f})"
    )
    assert german.ours_auc > 0.7
    assert german.scorecardpy_auc > 0.7
    # deterministic on this fixed split (0.8021 vs 0.8007 since the leak-free binning; 0.8041
    # before); ours also won on 24 of 25 other
    # splits (seeds 0-3, 7, 100-119), by +0.016 on average
    assert german.ours_auc >= german.scorecardpy_auc
    summary = german.summary()
    assert {k: summary[k] for k in ("dataset", "ours_auc", "scorecardpy_auc", "split", "seed")} == {
        "dataset": "german",
        "ours_auc": round(german.ours_auc, 4),
        "scorecardpy_auc": round(german.scorecardpy_auc, 4),
        "split": "70/30 stratified",
        "seed": 42,
    }
    # the challenger beside them, fitted on the same training part
    assert summary["scorecard_auc"] == summary["ours_auc"]
    assert summary["challenger_auc"] > 0.7 and 0.7 < summary["challenger_cv_auc"] < 0.9
    assert (summary["n_train"], summary["n_test"]) == (700, 300)
    # scored by the artifact alone: the held-out points come from pure Python
    row = german.test.drop(columns="creditability").iloc[0].to_dict()
    assert german.artifact.score(row).points == german.artifact.score_frame(german.test).points[0]


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(model_app, name="model")
    return root


def test_cli_evaluate_prints_json_last(
    tmp_path: Path, german: GermanEvaluation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import puhui.scorecards.german as german_module

    calls: list[tuple[int, bool]] = []

    def fake(seed: int, *, tune: bool = False) -> GermanEvaluation:
        calls.append((seed, tune))
        return german

    monkeypatch.setattr(german_module, "evaluate_german", fake)
    result = runner.invoke(
        _app(),
        [
            "model",
            "evaluate",
            "--dataset",
            "german",
            "--no-tune",
            "--seed",
            "42",
            "--registry",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert {"dataset", "ours_auc", "scorecardpy_auc", "split", "seed"} <= set(last)
    assert {"scorecard_auc", "scorecard_cv_auc", "challenger_auc", "challenger_cv_auc"} <= set(last)
    assert "challenger (LightGBM)" in result.output
    assert last["dataset"] == "german" and last["split"] == "70/30 stratified"
    assert last == german.summary() and calls == [(42, False)]
    assert "scorecardpy" in result.output
    assert (tmp_path / "german-credit" / "seed42" / "report.html").exists()
    bad = runner.invoke(_app(), ["model", "evaluate", "--dataset", "iris"])
    assert bad.exit_code != 0


def test_cli_train_writes_registry(tmp_path: Path, synthetic: SyntheticFactory) -> None:
    df = synthetic(2000, seed=31)
    df["id"] = range(len(df))
    csv = tmp_path / "train.csv"
    df.to_csv(csv, index=False)
    reg_dir = tmp_path / "reg"
    result = runner.invoke(
        _app(),
        [
            "model",
            "train",
            str(csv),
            "--target",
            "bad",
            "--registry",
            str(reg_dir),
            "--model-id",
            "sme-pd",
            "--version",
            "2026.1",
            "--exclude",
            "id",
            "--champion",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["auc"] > 0.7 and "id" not in summary["features"]
    reg = FileModelRegistry(reg_dir)
    art = reg.load_champion("sme-pd")
    assert art.version == "2026.1"
    assert {f.name: f.kind for f in art.features}["grade"] == "categorical"
    assert reg.load_report("sme-pd", "2026.1")["score_psi"] is not None  # type: ignore[index]
    listed = runner.invoke(_app(), ["model", "list", "--registry", str(reg_dir)])
    assert "2026.1*" in listed.output


def test_cli_evaluate_csv_fits_both_models(tmp_path: Path, synthetic: SyntheticFactory) -> None:
    path = tmp_path / "loans.csv"
    synthetic(2500, seed=21).to_csv(path, index=False)
    result = runner.invoke(
        _app(),
        ["model", "evaluate", "--csv", str(path), "--target", "bad", "--seed", "3",
         "--test-size", "0.4"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert (last["n_train"], last["n_test"]) == (1500, 1000)
    for key in ("scorecard_auc", "scorecard_cv_auc", "challenger_auc", "challenger_cv_auc"):
        assert 0.6 < last[key] < 0.95, last
    assert "calibration" in result.output and "Brier" in result.output
    missing = runner.invoke(_app(), ["model", "evaluate", "--csv", str(path)])
    assert missing.exit_code != 0
    wrong = runner.invoke(_app(), ["model", "evaluate", "--csv", str(path), "--target", "nope"])
    assert wrong.exit_code != 0


def test_cli_train_challenger_on_a_table(tmp_path: Path, synthetic: SyntheticFactory) -> None:
    from puhui.scorecards.gbm import GbmArtifact

    df = synthetic(2000, seed=32)
    df["id"] = range(len(df))
    csv = tmp_path / "train.csv"
    df.to_csv(csv, index=False)
    reg_dir = tmp_path / "reg"
    result = runner.invoke(
        _app(),
        ["model", "train", str(csv), "--target", "bad", "--registry", str(reg_dir),
         "--model-id", "sme-pd-challenger", "--version", "c1", "--exclude", "id",
         "--challenger", "--champion"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["auc"] > 0.7 and abs(summary["auc"] - summary["cv_auc"]) < 0.05
    assert "id" not in summary["features"]
    art = FileModelRegistry(reg_dir).load_champion("sme-pd-challenger")
    assert isinstance(art, GbmArtifact) and art.version == "c1"
