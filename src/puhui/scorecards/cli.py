"""`puhui model ...`: train, evaluate and promote scorecards (mounted on the root CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

model_app = typer.Typer(
    help="Scorecard models: train on a dataset, benchmark, validation reports, registry.",
    no_args_is_help=True,
)
console = Console(stderr=False)

WorldTrainer = Callable[..., Any]
"""`train_on_world(n, seed, *, created_at, model_id, version, progress)` -> a result with
artifact, report, train_rows, holdout_rows, holdout_seed (`puhui.decisioning.world_training`)."""
_world_trainer: list[WorldTrainer] = []


def use_world_trainer(trainer: WorldTrainer) -> None:
    """Plug in the world training (the root CLI does: it needs decisioning's features, and
    scorecards, a generic library below decisioning, cannot import them)."""
    _world_trainer[:] = [trainer]


def _now() -> Any:
    from puhui.core.clock import SystemClock

    return SystemClock().now()


def _fail(exc: Exception) -> typer.Exit:
    from puhui.core.errors import DomainError

    text = (
        exc.message("zh") + " / " + exc.message("en") if isinstance(exc, DomainError) else str(exc)
    )
    console.print(f"[red]{text}[/red]")
    return typer.Exit(code=1)


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _print_models(title: str, models: list[Any]) -> None:
    """Per-model held-out AUC, reported CV AUC, KS, Brier; then each calibration table."""
    table = Table(title=title)
    for col in ("model", "features", "AUC (test)", "CV AUC (training)", "KS", "Brier"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for m in models:
        table.add_row(m.name, str(m.features), f"{m.auc:.4f}", f"{m.cv_auc:.4f}",
                      f"{m.ks:.4f}", f"{m.brier:.4f}")  # fmt: skip
    console.print(table)
    for m in models:
        cal = Table(title=f"{m.name}: calibration on the test rows (PD deciles)")
        for col in ("decile", "PD range", "n", "bads", "observed", "predicted"):
            cal.add_column(col, justify="right")
        for r in m.calibration:
            cal.add_row(
                str(r.group),
                f"{r.score_min:.3f}-{r.score_max:.3f}",
                str(r.n),
                str(r.n_bad),
                f"{r.observed_bad_rate:.3f}",
                f"{r.predicted_pd:.3f}",
            )
        console.print(cal)


def _evaluate_csv(csv: Path, target: str, seed: int, test_size: float, exclude: str | None) -> None:
    from puhui.core.errors import DomainError
    from puhui.scorecards.evaluation import evaluate_table

    df = _read_table(csv)
    if target not in df.columns:
        raise typer.BadParameter(f"no column {target!r}", param_hint="--target")
    try:
        with console.status(f"{csv.name}: fitting the scorecard and the challenger..."):
            result = evaluate_table(
                df,
                target,
                dataset=csv.name,
                seed=seed,
                test_size=test_size,
                exclude=_split_list(exclude) or (),
            )
    except (DomainError, ValueError) as exc:
        raise _fail(exc) from exc
    _print_models(
        f"{csv.name}: {result.n_train} training rows, {result.n_test} held out "
        f"(stratified, seed {seed}), bad rate {result.bad_rate:.3f}",
        [result.scorecard, result.challenger],
    )
    typer.echo(json.dumps(result.summary(), ensure_ascii=False))


@model_app.command("evaluate")
def evaluate(
    dataset: Annotated[str, typer.Option(help="Benchmark dataset: german.")] = "german",
    seed: Annotated[int, typer.Option(help="random_state of the split and of CV.")] = 42,
    tune: Annotated[
        bool,
        typer.Option(help="Also grid-search binning and IV threshold by CV on the train part."),
    ] = False,
    registry: Annotated[
        Path | None, typer.Option(help="Also save the artifact and report to this registry.")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate both models on this table instead (.csv or .parquet; text columns "
            "categorical, numbers numeric).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    target: Annotated[str | None, typer.Option(help="With --csv: the 0/1 target, 1 = bad.")] = None,
    test_size: Annotated[float, typer.Option(help="With --csv: the share held out.")] = 0.3,
    exclude: Annotated[
        str | None, typer.Option(help="With --csv: comma-separated columns to leave out.")
    ] = None,
) -> None:
    """Held-out AUC, KS, Brier and calibration of the scorecard and the LightGBM challenger
    (German Credit: beside scorecardpy; or any --csv with --target). The last line is JSON."""
    from puhui.scorecards.german import SPLIT, evaluate_german
    from puhui.scorecards.registry import FileModelRegistry
    from puhui.scorecards.report import render_report_html
    from puhui.scorecards.validation import build_validation_report

    if csv is not None:
        if target is None:
            raise typer.BadParameter("--csv needs --target", param_hint="--target")
        if not 0 < test_size < 1:
            raise typer.BadParameter("between 0 and 1", param_hint="--test-size")
        _evaluate_csv(csv, target, seed, test_size, exclude)
        return
    if dataset != "german":
        raise typer.BadParameter("only 'german' is available", param_hint="--dataset")
    with console.status("German Credit: fitting on the training part..."):
        result = evaluate_german(seed, tune=tune)
    table = Table(title=f"German Credit, {SPLIT} split, seed {seed}: held-out AUC")
    table.add_column("pipeline")
    table.add_column("features", justify="right")
    table.add_column("AUC (test 30%)", justify="right")
    table.add_row(
        "puhui scorecard (integer points)",
        str(len(result.ours_features)),
        f"{result.ours_auc:.4f}",
    )
    table.add_row(
        "scorecardpy README pipeline",
        str(len(result.scorecardpy_features)),
        f"{result.scorecardpy_auc:.4f}",
    )
    console.print(table)
    console.print(
        f"train 5-fold CV AUC (whole pipeline refitted per fold): {result.ours_cv_auc:.4f}"
    )
    if result.scorecard is not None and result.challenger is not None:
        _print_models(
            f"German Credit, {SPLIT} split, seed {seed}: scorecard and challenger",
            [result.scorecard, result.challenger],
        )
    if registry is not None:
        from puhui.scorecards.german import TARGET

        report = build_validation_report(
            result.artifact,
            result.test,
            result.test[TARGET].to_numpy(),
            dataset=f"German Credit test 30% (seed {seed})",
            created_at=_now(),
            extra={"scorecardpy_auc": result.scorecardpy_auc},
        )
        reg = FileModelRegistry(registry)
        reg.save(result.artifact, report=report, report_html=render_report_html(report))
        console.print(
            f"saved to {reg.version_dir(result.artifact.model_id, result.artifact.version)}"
        )
    typer.echo(json.dumps(result.summary(), ensure_ascii=False))


def _read_table(path: Path) -> Any:
    import polars as pl

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix in {".csv", ".txt"}:
        return pl.read_csv(path, infer_schema_length=10_000)
    raise typer.BadParameter("use a .csv or .parquet file", param_hint="DATA")


@model_app.command("train")
def train(
    data: Annotated[
        Path | None, typer.Argument(help="Training data, .csv or .parquet.", exists=True)
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Target column: 1 = bad, or see --bad-value.")
    ] = None,
    registry: Annotated[Path, typer.Option(help="Registry directory.")] = Path("var/models"),
    model_id: Annotated[str, typer.Option(help="Model id in the registry.")] = "sme-pd",
    version: Annotated[str, typer.Option(help="Version to create (immutable).")] = "1",
    features: Annotated[
        str | None, typer.Option(help="Comma-separated feature columns (default: all others).")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="Comma-separated categorical columns (default: non-numeric ones)."),
    ] = None,
    exclude: Annotated[
        str | None, typer.Option(help="Comma-separated columns to leave out (ids, dates).")
    ] = None,
    bad_value: Annotated[
        str | None, typer.Option(help="Target value meaning bad when the target is a label.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for splits and cross-validation.")] = 42,
    holdout: Annotated[
        float, typer.Option(help="Share held out for the validation report (0: in-sample).")
    ] = 0.3,
    tune: Annotated[bool, typer.Option(help="Tune parameters by cross-validation.")] = False,
    champion: Annotated[bool, typer.Option(help="Promote the new version to champion.")] = False,
    world_enterprises: Annotated[
        int | None,
        typer.Option(help="Train on a synthetic world of N enterprises (seed --seed) instead."),
    ] = None,
    challenger: Annotated[
        bool,
        typer.Option(
            help="Train the LightGBM challenger instead of the scorecard (with "
            "--world-enterprises: model id sme-pd-challenger unless --model-id is given)."
        ),
    ] = False,
) -> None:
    """Train a scorecard on a dataset (or, with --world-enterprises, on the synthetic world with
    the decision's own features), write artifact + validation report to the registry."""
    from puhui.core.errors import DomainError

    if world_enterprises is not None:
        if challenger and model_id == "sme-pd":
            model_id = "sme-pd-challenger"
        _train_world(world_enterprises, seed, registry, model_id, version, champion, challenger)
        return
    if data is None or target is None:
        raise typer.BadParameter("give DATA and --target, or --world-enterprises")
    if challenger:
        try:
            _train_challenger(data, target, registry, model_id, version, exclude, seed, holdout,
                              champion)  # fmt: skip
        except (DomainError, ValueError) as exc:
            raise _fail(exc) from exc
        return
    try:
        _train(
            data,
            target,
            registry,
            model_id,
            version,
            features,
            categorical,
            exclude,
            bad_value,
            seed,
            holdout,
            tune,
            champion,
        )
    except (DomainError, ValueError) as exc:
        raise _fail(exc) from exc


def _train_world(
    n: int,
    seed: int,
    registry: Path,
    model_id: str,
    version: str,
    champion: bool,
    challenger: bool = False,
) -> None:
    """`train --world-enterprises N --seed S`: see puhui.decisioning.world_training."""
    from puhui.scorecards.registry import FileModelRegistry
    from puhui.scorecards.report import render_report_html

    if not _world_trainer:
        raise typer.BadParameter("no world training plugged in (run it through `puhui`)")
    train_on_world = _world_trainer[0]
    now = _now()
    kw = {"challenger": True} if challenger else {}
    result = train_on_world(
        n, seed, created_at=now, model_id=model_id, version=version, progress=console.print, **kw
    )
    reg = FileModelRegistry(registry)
    r = result.report
    reg.save(result.artifact, report=r, report_html=render_report_html(r) if r else None)
    if champion:
        reg.promote(model_id, version, at=now, reason=f"trained on world seed {seed}")
    figures = f"KS {r.ks:.4f}  Gini {r.gini:.4f}  ({r.dataset})" if r else "(another world)"
    console.print(
        f"held-out AUC {result.holdout_auc:.4f}  {figures}; "
        f"saved to {reg.version_dir(model_id, version)}"
    )
    typer.echo(
        json.dumps(
            {
                "model_id": model_id,
                "version": version,
                "train_enterprises": result.train_rows,
                "train_seed": seed,
                "holdout_seed": result.holdout_seed,
                "holdout_enterprises": result.holdout_rows,
                "auc": round(result.holdout_auc, 4),
                "ks": round(r.ks, 4) if r else None,
                "features": result.artifact.feature_names,
            }
        )
    )


def _train(
    data: Path,
    target: str,
    registry: Path,
    model_id: str,
    version: str,
    features: str | None,
    categorical: str | None,
    exclude: str | None,
    bad_value: str | None,
    seed: int,
    holdout: float,
    tune: bool,
    champion: bool,
) -> None:
    from puhui.scorecards.errors import ModelVersionExists
    from puhui.scorecards.registry import FileModelRegistry
    from puhui.scorecards.report import render_report_html
    from puhui.scorecards.scorecard import fit_scorecard, tune_scorecard
    from puhui.scorecards.validation import build_validation_report

    df = _read_table(data)
    if target not in df.columns:
        raise typer.BadParameter(f"no column {target!r}", param_hint="--target")
    feats, cats = _feature_columns(df, target, features, categorical, exclude)
    reg = FileModelRegistry(registry)
    if (reg.version_dir(model_id, version) / "artifact.json").exists():
        raise ModelVersionExists(model_id=model_id, version=version)
    df, y = _with_binary_target(df, target, bad_value)
    train_df, test_df = _holdout_split(df, y, holdout, seed)
    now = _now()
    params = None
    with console.status("training..."):
        if tune:
            params = tune_scorecard(train_df, target, feats, categorical=cats, seed=seed).best
        fitted = fit_scorecard(
            train_df,
            target,
            feats,
            categorical=cats,
            seed=seed,
            created_at=now,
            model_id=model_id,
            version=version,
            params=params,
            description=f"trained on {data.name}",
        )
    artifact = fitted.artifact
    sample = f"holdout {holdout:.0%}" if holdout > 0 else "in-sample"
    report = build_validation_report(
        artifact,
        test_df,
        test_df[target].to_numpy(),
        dataset=f"{data.name} ({sample})",
        created_at=now,
        reference_data=train_df if holdout > 0 else None,
        reference_name="training sample" if holdout > 0 else None,
    )
    reg.save(artifact, report=report, report_html=render_report_html(report))
    if champion:
        reg.promote(model_id, version, at=now, reason="trained with --champion")
    _print_trained(model_id, version, artifact, report, reg.version_dir(model_id, version))


def _train_challenger(
    data: Path,
    target: str,
    registry: Path,
    model_id: str,
    version: str,
    exclude: str | None,
    seed: int,
    holdout: float,
    champion: bool,
) -> None:
    """`train DATA --target T --challenger`: the LightGBM challenger on a table (text columns
    categorical), its held-out AUC printed; saved to the registry (no HTML report yet)."""
    from puhui.scorecards.errors import ModelVersionExists
    from puhui.scorecards.gbm import fit_gbm
    from puhui.scorecards.registry import FileModelRegistry
    from puhui.scorecards.validation import auc

    df = _read_table(data)
    if target not in df.columns:
        raise typer.BadParameter(f"no column {target!r}", param_hint="--target")
    feats, cats = _feature_columns(df, target, None, None, exclude)
    reg = FileModelRegistry(registry)
    if (reg.version_dir(model_id, version) / "artifact.json").exists():
        raise ModelVersionExists(model_id=model_id, version=version)
    df, y = _with_binary_target(df, target, None)
    train_df, test_df = _holdout_split(df, y, holdout, seed)
    now = _now()
    with console.status("training the challenger..."):
        fitted = fit_gbm(train_df, target, feats, categorical=cats, seed=seed, created_at=now,
                         model_id=model_id, version=version,
                         description=f"challenger trained on {data.name}")  # fmt: skip
    held_out = auc(test_df[target].to_numpy(), fitted.artifact.predict_pd(test_df))
    reg.save(fitted.artifact)
    if champion:
        reg.promote(model_id, version, at=now, reason="trained with --champion")
    console.print(
        f"AUC {held_out:.4f} (holdout {holdout:.0%}), CV AUC {fitted.cv_auc:.4f}; "
        f"saved to {reg.version_dir(model_id, version)}"
    )
    typer.echo(json.dumps({"model_id": model_id, "version": version,
                           "auc": round(held_out, 4), "cv_auc": round(fitted.cv_auc, 4),
                           "features": fitted.artifact.feature_names}))  # fmt: skip


def _feature_columns(
    df: Any, target: str, features: str | None, categorical: str | None, exclude: str | None
) -> tuple[list[str], list[str]]:
    """The feature columns (all but the target and --exclude by default) and the categorical
    ones among them (the non-numeric ones by default)."""
    excluded = set(_split_list(exclude) or [])
    feats = _split_list(features) or [c for c in df.columns if c != target and c not in excluded]
    cats = _split_list(categorical)
    if cats is None:
        cats = [c for c in feats if not df.schema[c].is_numeric()]
    return feats, cats


def _with_binary_target(df: Any, target: str, bad_value: str | None) -> tuple[Any, Any]:
    """The table with the target column as 0/1 (1 = bad), and that vector."""
    import polars as pl

    from puhui.scorecards.scorecard import target_vector

    if bad_value is not None:  # compare as text: the option is text whatever the column type
        y = target_vector(df.with_columns(pl.col(target).cast(pl.Utf8)), target, bad_value)
    else:
        y = target_vector(df, target)
    return df.with_columns(pl.Series(target, y)), y


def _holdout_split(df: Any, y: Any, holdout: float, seed: int) -> tuple[Any, Any]:
    """(train, test): a stratified holdout share, or the whole table twice when it is 0."""
    if not holdout > 0:
        return df, df
    import numpy as np
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(df)), test_size=holdout, stratify=y, random_state=seed
    )
    return df[np.sort(idx_train)], df[np.sort(idx_test)]


def _print_trained(model_id: str, version: str, artifact: Any, report: Any, saved: Path) -> None:
    table = Table(title=f"{model_id} {version}")
    table.add_column("feature")
    table.add_column("IV", justify="right")
    table.add_column("bins", justify="right")
    table.add_column("points", justify="right")
    for f in artifact.features:
        table.add_row(f.name, f"{f.iv:.3f}", str(len(f.bins)), f"{f.min_points}..{f.max_points}")
    console.print(table)
    console.print(
        f"AUC {report.auc:.4f}  KS {report.ks:.4f}  Gini {report.gini:.4f}  "
        f"({report.dataset}); saved to {saved}"
    )
    typer.echo(
        json.dumps(
            {
                "model_id": model_id,
                "version": version,
                "auc": round(report.auc, 4),
                "ks": round(report.ks, 4),
                "features": artifact.feature_names,
            }
        )
    )


@model_app.command("promote")
def promote(
    model_id: str,
    version: str,
    registry: Annotated[Path, typer.Option(help="Registry directory.")] = Path("var/models"),
    reason: Annotated[str, typer.Option(help="Why (kept in the champion history).")] = "",
) -> None:
    """Make VERSION the champion of MODEL_ID."""
    from puhui.core.errors import DomainError
    from puhui.scorecards.registry import FileModelRegistry

    try:
        FileModelRegistry(registry).promote(model_id, version, at=_now(), reason=reason)
    except (DomainError, ValueError) as exc:
        raise _fail(exc) from exc
    console.print(f"[green]{model_id} {version} is champion[/green]")


@model_app.command("list")
def list_models(
    registry: Annotated[Path, typer.Option(help="Registry directory.")] = Path("var/models"),
) -> None:
    """Models and versions in the registry; * marks the champion."""
    from puhui.scorecards.registry import FileModelRegistry

    reg = FileModelRegistry(registry)
    table = Table()
    table.add_column("model")
    table.add_column("versions")
    for m in reg.models():
        champ = reg.champion(m)
        table.add_row(
            m, ", ".join(f"{v}*" if champ and champ.version == v else v for v in reg.versions(m))
        )
    console.print(table)
