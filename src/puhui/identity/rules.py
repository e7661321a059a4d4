"""When a face check is required (pure: no database, no I/O).

`face_check_reasons(policy, first_credit=…, amount_fen=…, new_device=…)` lists why an action
needs a fresh face check: the enterprise's first credit, an amount at or above the threshold,
or a device the person has not used before. Each rule is a setting (`FacePolicy`, from
`PUHUI_IDENTITY_FACE_*`), so a bank tightens or loosens it without a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaceReason(StrEnum):
    FIRST_CREDIT = "first_credit"
    LARGE_AMOUNT = "large_amount"
    NEW_DEVICE = "new_device"

    @property
    def zh(self) -> str:
        return {"first_credit": "首次授信", "large_amount": "金额较大", "new_device": "新设备"}[
            self.value
        ]

    @property
    def en(self) -> str:
        return {
            "first_credit": "first credit",
            "large_amount": "a large amount",
            "new_device": "a new device",
        }[self.value]


@dataclass(frozen=True)
class FacePolicy:
    on_first_credit: bool = True
    # At or above this amount (fen) a face check is required; 0 turns the rule off.
    above_fen: int = 50_000_000  # 500,000 yuan
    on_new_device: bool = True
    # A passed face check counts for this many days.
    valid_days: int = 30


def face_check_reasons(
    policy: FacePolicy, *, first_credit: bool, amount_fen: int, new_device: bool
) -> list[FaceReason]:
    reasons: list[FaceReason] = []
    if policy.on_first_credit and first_credit:
        reasons.append(FaceReason.FIRST_CREDIT)
    if policy.above_fen > 0 and amount_fen >= policy.above_fen:
        reasons.append(FaceReason.LARGE_AMOUNT)
    if policy.on_new_device and new_device:
        reasons.append(FaceReason.NEW_DEVICE)
    return reasons


class AgentScope(StrEnum):
    """What an agent (经办人) may do for the enterprise under an authorisation."""

    APPLY = "apply"  # apply for credit, granting the consents in the application
    CONTRACT = "contract"  # prepare a contract and ask for the signing code (sent to the rep)
    DRAWDOWN = "drawdown"
    REPAYMENT = "repayment"

    @property
    def zh(self) -> str:
        return {
            "apply": "申请授信",
            "contract": "办理合同签署",
            "drawdown": "提款",
            "repayment": "还款",
        }[self.value]

    @property
    def en(self) -> str:
        return {
            "apply": "apply for credit",
            "contract": "prepare contract signing",
            "drawdown": "draw down",
            "repayment": "repay",
        }[self.value]


MAX_AUTHORISATION_DAYS = 365


def parse_scopes(values: list[str]) -> list[AgentScope]:
    """The scopes named, in a stable order, without duplicates; ValueError for an unknown one."""
    wanted = {AgentScope(v) for v in values}
    return [s for s in AgentScope if s in wanted]
