"""`puhui assistant ...`: evaluate the intent recogniser (mounted on the root CLI)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from puhui.assistant import intents, recognition

assistant_app = typer.Typer(
    help="The service assistant (智能客服): evaluate intent recognition.", no_args_is_help=True
)
console = Console(stderr=False)


def _print_report(report: recognition.Report, title: str) -> None:
    table = Table(title=title)
    for col in ("intent", "precision", "recall", "n"):
        table.add_column(col, justify="left" if col == "intent" else "right")
    for intent, (precision, recall, n) in sorted(report.per_intent.items()):
        table.add_row(intent, f"{precision:.3f}", f"{recall:.3f}", str(n))
    console.print(table)
    if report.confusions:
        pairs = Table(title="confusion pairs (true → predicted)")
        for col in ("true", "predicted", "count"):
            pairs.add_column(col, justify="right" if col == "count" else "left")
        for truth, predicted, count in report.confusions[:25]:
            pairs.add_row(truth, predicted, str(count))
        console.print(pairs)


def _read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


@assistant_app.command("evaluate")
def evaluate(
    file: Annotated[
        Path | None,
        typer.Option(
            help='JSON lines {"text": ..., "intent": ...} to test the shipped recogniser on'
        ),
    ] = None,
    banking77: Annotated[
        Path | None,
        typer.Option(
            help="BANKING77 folder: train the same pipeline on train.csv, test on test.csv"
        ),
    ] = None,
) -> None:
    """Top-1 accuracy, macro F1, per-intent precision/recall and the confusion pairs; the last
    line is JSON {"accuracy", "macro_f1", "n"}. Without options: the corpus's held-out split."""
    if file is not None and banking77 is not None:
        raise typer.BadParameter("give --file or --banking77, not both")
    if banking77 is not None:
        train, test = _read_csv(banking77 / "train.csv"), _read_csv(banking77 / "test.csv")
        title = f"BANKING77 ({len(train)} training, {len(test)} test; CC BY 4.0, PolyAI)"
    else:
        train = intents.training_set()
        test = list(intents.read_jsonl(file)) if file else intents.test_set()
        title = f"{file.name if file else 'held-out split'} ({len(test)} utterances)"
    with console.status("training / 训练中"):
        report = recognition.train_and_evaluate(train, test)
    _print_report(report, title)
    print(json.dumps(report.summary()))
