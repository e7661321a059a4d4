"""When a face check is required, the agents' scopes, and the sandbox providers' decisions."""

from __future__ import annotations

import pytest

from puhui.identity.adapters import (
    MIN_CAPTURE_BYTES,
    ListedPeople,
    SandboxIdentityProvider,
)
from puhui.identity.rules import (
    AgentScope,
    FacePolicy,
    FaceReason,
    face_check_reasons,
    parse_scopes,
)

POLICY = FacePolicy(on_first_credit=True, above_fen=50_000_000, on_new_device=True)


def test_no_rule_no_face_check() -> None:
    assert face_check_reasons(POLICY, first_credit=False, amount_fen=1, new_device=False) == []


def test_each_rule_gives_its_reason() -> None:
    assert face_check_reasons(POLICY, first_credit=True, amount_fen=1, new_device=False) == [
        FaceReason.FIRST_CREDIT
    ]
    assert face_check_reasons(
        POLICY, first_credit=False, amount_fen=50_000_000, new_device=True
    ) == [FaceReason.LARGE_AMOUNT, FaceReason.NEW_DEVICE]
    assert (
        face_check_reasons(POLICY, first_credit=False, amount_fen=49_999_999, new_device=False)
        == []
    )


def test_rules_can_be_switched_off() -> None:
    off = FacePolicy(on_first_credit=False, above_fen=0, on_new_device=False)
    assert face_check_reasons(off, first_credit=True, amount_fen=10**12, new_device=True) == []


def test_scopes_are_parsed_in_a_stable_order_and_unknown_ones_refused() -> None:
    assert parse_scopes(["drawdown", "apply", "apply"]) == [AgentScope.APPLY, AgentScope.DRAWDOWN]
    with pytest.raises(ValueError):
        parse_scopes(["sign_for_me"])


RID = "11010519491231002X"


def _sandbox() -> SandboxIdentityProvider:
    people = ListedPeople()
    people.add("陈示例", RID, "13800138000")
    return SandboxIdentityProvider(people)


def test_sandbox_three_factor_needs_the_registered_mobile() -> None:
    sandbox = _sandbox()
    assert sandbox.three_factor("陈示例", RID, "13800138000").passed
    wrong = sandbox.three_factor("陈示例", RID, "13900139000")
    assert not wrong.passed and wrong.reason == "mobile_mismatch"
    assert sandbox.three_factor("陈别人", RID, "13800138000").reason == "name_mismatch"
    assert sandbox.two_factor("陈示例", "110105198001010016").reason == "not_found"


def test_sandbox_face_passes_a_video_and_fails_empty_short_or_not_video() -> None:
    sandbox = _sandbox()
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * MIN_CAPTURE_BYTES
    passed = sandbox.face("陈示例", RID, webm, "video/webm")
    assert passed.passed and passed.is_sandbox and passed.score_bp == 9500
    assert sandbox.face("陈示例", RID, b"", "video/webm").reason == "too_short"
    assert sandbox.face("陈示例", RID, webm[:100], "video/webm").reason == "too_short"
    assert (
        sandbox.face("陈示例", RID, b"\x89PNG" + b"\x00" * MIN_CAPTURE_BYTES, "image/png").reason
        == "not_video"
    )
