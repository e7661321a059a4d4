"""The corpus, the recogniser on the held-out split, the confidence rule and the turn rule."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from puhui.assistant import dialogue, intents, recognition
from puhui.assistant.dialogue import HandOffReason, TurnKind
from puhui.assistant.intents import Intent
from puhui.assistant.recognition import Prediction

ISSUE_IDS = [
    "apply_loan", "eligibility", "documents", "application_status", "credit_limit",
    "limit_increase", "interest_rate", "drawdown", "repayment", "early_repayment",
    "repayment_schedule", "overdue", "deferral", "renewal", "contract", "consent",
    "receivables", "account_security", "fraud_report", "fees", "complaint", "human_agent",
    "greeting", "out_of_scope",
]  # fmt: skip


def _lang_rows(name: str) -> list[dict[str, str]]:
    with intents.corpus_path(name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_the_intent_ids_are_exactly_the_issues() -> None:
    assert [i.value for i in Intent] == ISSUE_IDS


def test_the_corpus_has_at_least_60_chinese_utterances_per_intent_and_english_too() -> None:
    rows = _lang_rows("train.jsonl")
    zh = Counter(r["intent"] for r in rows if r["lang"] == "zh")
    en = Counter(r["intent"] for r in rows if r["lang"] == "en")
    assert set(zh) == set(ISSUE_IDS) == set(en)
    assert min(zh.values()) >= 60


def test_the_test_split_is_apart_from_training() -> None:
    train = {t for t, _ in intents.training_set()}
    test = intents.test_set()
    assert len(test) >= 10 * len(ISSUE_IDS)
    assert not train & {t for t, _ in test}
    assert {i for _, i in test} == set(ISSUE_IDS)


def test_normalise_folds_width_case_and_repeats() -> None:
    assert recognition.normalise("  ＡＰＰ  登录不了！！！！！ ") == "app 登录不了!!!"


@pytest.fixture(scope="module")
def classifier() -> recognition.IntentClassifier:
    return intents.shipped_classifier()


def test_each_intent_is_recognised_on_unseen_phrasings(
    classifier: recognition.IntentClassifier,
) -> None:
    test = intents.test_set()
    report = recognition.evaluate([i for _, i in test], classifier.predict([t for t, _ in test]))
    assert report.accuracy >= 0.95, report.confusions
    weak = {i: r for i, (_, r, n) in report.per_intent.items() if n and r < 0.75}
    assert not weak, weak


def test_english_works(classifier: recognition.IntentClassifier) -> None:
    said = {
        "I can't log in, the code never arrives": "account_security",
        "how much can I still borrow": "credit_limit",
        "let me talk to a human": "human_agent",
    }
    assert classifier.predict(list(said)) == list(said.values())


def test_a_vague_utterance_is_not_confident(classifier: recognition.IntentClassifier) -> None:
    prediction = classifier.rank("怎么办")
    assert not prediction.confident
    assert 2 <= len(prediction.alternatives()) <= 3


def _prediction(*ranked: tuple[str, float]) -> Prediction:
    return Prediction(tuple(ranked), threshold=0.5)


def test_below_the_threshold_the_assistant_asks_which_intent_was_meant() -> None:
    p = _prediction(("repayment", 0.4), ("early_repayment", 0.35), ("fees", 0.1), ("x", 0.01))
    turn = dialogue.decide(p, unclear_in_a_row=0)
    assert turn.kind is TurnKind.clarify
    assert turn.options == ("repayment", "early_repayment", "fees")
    assert turn.unclear_in_a_row == 1


def test_twice_unclear_hands_off() -> None:
    p = _prediction(("repayment", 0.4), ("early_repayment", 0.35))
    turn = dialogue.decide(p, unclear_in_a_row=1)
    assert (turn.kind, turn.reason) == (TurnKind.hand_off, HandOffReason.unclear)


def test_a_confident_answer_resets_the_unclear_count() -> None:
    turn = dialogue.decide(_prediction(("drawdown", 0.9), ("repayment", 0.05)), 1)
    assert (turn.kind, turn.intent, turn.unclear_in_a_row) == (TurnKind.answer, "drawdown", 0)


@pytest.mark.parametrize(
    ("intent", "reason"),
    [("human_agent", HandOffReason.asked), ("complaint", HandOffReason.complaint)],
)
def test_a_person_or_a_complaint_hands_off(intent: str, reason: HandOffReason) -> None:
    turn = dialogue.decide(_prediction((intent, 0.9), ("greeting", 0.05)), 0)
    assert (turn.kind, turn.reason) == (TurnKind.hand_off, reason)


def test_the_one_utterance_path_scores_as_scikit_learn_does(
    classifier: recognition.IntentClassifier,
) -> None:
    for text in ("我的额度还剩多少 ", "ＡＰＰ登录不了！！！！", "how do I repay early", "zzz"):
        fast = classifier.rank(text, top=24)
        slow = classifier.predict_proba([text])[0]
        for intent, p in fast.ranked:
            assert abs(p - slow[classifier.labels.index(intent)]) < 1e-6
