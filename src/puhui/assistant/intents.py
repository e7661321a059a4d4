"""The 24 intent ids (stable: the knowledge base, the corpus and the evaluation key on them)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from puhui.assistant.recognition import IntentClassifier


class Intent(StrEnum):
    apply_loan = "apply_loan"
    eligibility = "eligibility"
    documents = "documents"
    application_status = "application_status"
    credit_limit = "credit_limit"
    limit_increase = "limit_increase"
    interest_rate = "interest_rate"
    drawdown = "drawdown"
    repayment = "repayment"
    early_repayment = "early_repayment"
    repayment_schedule = "repayment_schedule"
    overdue = "overdue"
    deferral = "deferral"
    renewal = "renewal"
    contract = "contract"
    consent = "consent"
    receivables = "receivables"
    account_security = "account_security"
    fraud_report = "fraud_report"
    fees = "fees"
    complaint = "complaint"
    human_agent = "human_agent"
    greeting = "greeting"
    out_of_scope = "out_of_scope"


# Intents that always go to a person (the hand-off rule).
HAND_OFF = frozenset({Intent.human_agent, Intent.complaint})


def read_jsonl(path: Path) -> Iterator[tuple[str, str]]:
    """(text, intent) pairs of a JSON-lines file; unknown intent ids are refused."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            intent = str(row["intent"])
            if intent not in Intent.__members__:
                raise ValueError(f"{path.name}:{number}: unknown intent {intent!r}")
            yield str(row["text"]), intent


def corpus_path(name: str) -> Path:
    return Path(str(resources.files("puhui.assistant.corpus").joinpath(name)))


def training_set() -> list[tuple[str, str]]:
    return list(read_jsonl(corpus_path("train.jsonl")))


def test_set() -> list[tuple[str, str]]:
    return list(read_jsonl(corpus_path("test.jsonl")))


_training = threading.Lock()


def shipped_classifier() -> IntentClassifier:
    """The recogniser trained on the shipped corpus, once per process (≈ 15 s on 2 cores:
    jieba's dictionary, the embedding weights, 1,800 utterances); callers during the training
    wait for it instead of training again."""
    with _training:
        return _trained()


@cache
def _trained() -> IntentClassifier:
    train = training_set()
    return IntentClassifier().fit([t for t, _ in train], [i for _, i in train])


def warm_start() -> None:
    """Train the shipped classifier in a daemon thread now (PUHUI_ASSISTANT_WARM_START)."""
    threading.Thread(target=shipped_classifier, name="assistant-warm-start", daemon=True).start()
