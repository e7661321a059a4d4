"""Payout and collection accounts: registration and verification before first use.

An account at this bank (its bank code is ours) is known and usable at once. Another bank's
account is verified first, by one of two adapters:

* the account-name check (户名核验) of a verification provider: `NameCheck.check(name, number,
  bank_code)` — `SandboxNameCheck` (沙箱: an account number ending in 000 is "not this
  name") or `HttpNameCheck` (POST `/account-checks`, httpx);
* a micro-credit (打款验证): the bank pays a random 0.01–0.99 yuan into the account through the
  rail, and the customer types the amount seen on the statement; three wrong answers fail it.
  The amount is kept only as a keyed hash; the credit is the bank's cost (`verification_expense`).

Numbers are encrypted at rest (`cipher_field` payments.account_number), found by a keyed hash,
shown masked (`6222 **** **** 1234`).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.config import Settings
from puhui.core.crypto import FieldCipher
from puhui.core.sms import refuse_sandbox_outside_development
from puhui.payments.config import PaymentSettings
from puhui.payments.errors import (
    InvalidAccountNumber,
    InvalidBankCode,
    MandateMissing,
    PayoutAccountExists,
    PayoutAccountNotFound,
    PayoutAccountNotVerified,
    VerificationFailed,
    VerificationNotPending,
)
from puhui.payments.models import AccountStatus, PayoutAccount, VerificationMethod

NUMBER_FIELD = "payments.account_number"
CHALLENGE_FIELD = "payments.micro_credit"
_DIGITS = re.compile(r"^\d{8,32}$")
_BANK_CODE = re.compile(r"^\d{12}$")


def mask_account(number: str) -> str:
    return f"{number[:4]} **** **** {number[-4:]}"


@dataclass(frozen=True)
class NameCheckResult:
    match: bool
    reason: str = ""


class NameCheck(Protocol):
    name: str
    sandbox: bool

    def check(self, holder_name: str, number: str, bank_code: str) -> NameCheckResult: ...


class SandboxNameCheck:
    """沙箱 account-name check: an account number ending in 000 does not belong to the name."""

    name = "sandbox"
    sandbox = True

    def check(self, holder_name: str, number: str, bank_code: str) -> NameCheckResult:
        if number.endswith("000"):
            return NameCheckResult(False, "name_mismatch")
        return NameCheckResult(True)


class HttpNameCheck:
    """An account-name check provider over HTTP: POST {base}/account-checks."""

    name = "http"
    sandbox = False

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def check(self, holder_name: str, number: str, bank_code: str) -> NameCheckResult:
        response = self._client.post(
            "/account-checks",
            json={"holder_name": holder_name, "account_number": number, "bank_code": bank_code},
        )
        response.raise_for_status()
        body = response.json()
        return NameCheckResult(bool(body.get("match")), str(body.get("reason") or ""))


def build_name_check(core: Settings, settings: PaymentSettings | None = None) -> NameCheck:
    settings = settings or PaymentSettings()
    if settings.verifier == "http":
        return HttpNameCheck(settings.verifier_url, settings.verifier_api_key)
    refuse_sandbox_outside_development(core, "account verifier (PUHUI_PAYMENTS_VERIFIER)")
    return SandboxNameCheck()


@dataclass(frozen=True)
class AccountInput:
    holder_name: str
    number: str
    bank_code: str
    bank_name: str = ""


def register_account(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    data: AccountInput,
    settings: PaymentSettings | None = None,
) -> PayoutAccount:
    """Register an account; ours is verified at once, another bank's waits for verification."""
    settings = settings or PaymentSettings()
    number = re.sub(r"[\s-]", "", data.number)
    if not _DIGITS.match(number):
        raise InvalidAccountNumber(field="number")
    if not _BANK_CODE.match(data.bank_code.strip()):
        raise InvalidBankCode(field="bank_code")
    number_hash = cipher.lookup_hash(number, NUMBER_FIELD)
    taken = session.scalar(
        select(PayoutAccount.id).where(
            PayoutAccount.enterprise_id == enterprise_id, PayoutAccount.number_hash == number_hash
        )
    )
    if taken is not None:
        raise PayoutAccountExists(field="number")
    in_house = data.bank_code.strip() == settings.own_bank_code
    now = clock.now()
    account = PayoutAccount(
        enterprise_id=enterprise_id,
        holder_name=data.holder_name.strip()[:200],
        number_enc=cipher.encrypt(number, NUMBER_FIELD),
        number_hash=number_hash,
        number_masked=mask_account(number),
        bank_code=data.bank_code.strip(),
        bank_name=(data.bank_name or ("本行" if in_house else "")).strip()[:100],
        in_house=in_house,
        status=(AccountStatus.VERIFIED if in_house else AccountStatus.PENDING).value,
        method=(VerificationMethod.IN_HOUSE if in_house else VerificationMethod.NAME_CHECK).value,
        challenge_hash=None,
        challenge_payment_id=None,
        attempts_left=0,
        failure=None,
        verified_at=now if in_house else None,
        trusted=False,
        trusted_cap_fen=None,
        trusted_from=None,
        mandate_ref=None,
        mandate_signed_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        "payout_account.register",
        "enterprise",
        enterprise_id,
        after={"account": account.number_masked, "bank_code": account.bank_code},
    )
    return account


def get_account(session: Session, enterprise_id: uuid.UUID, account_id: uuid.UUID) -> PayoutAccount:
    account = session.get(PayoutAccount, account_id)
    if account is None or account.enterprise_id != enterprise_id:
        raise PayoutAccountNotFound()
    return account


def accounts_of(session: Session, enterprise_id: uuid.UUID) -> list[PayoutAccount]:
    return list(
        session.scalars(
            select(PayoutAccount)
            .where(PayoutAccount.enterprise_id == enterprise_id)
            .order_by(PayoutAccount.created_at, PayoutAccount.id)
        )
    )


def account_number(cipher: FieldCipher, account: PayoutAccount) -> str:
    return cipher.decrypt(account.number_enc, NUMBER_FIELD)


def require_usable(
    session: Session, enterprise_id: uuid.UUID, account_id: uuid.UUID
) -> PayoutAccount:
    account = get_account(session, enterprise_id, account_id)
    if account.status != AccountStatus.VERIFIED.value:
        raise PayoutAccountNotVerified(field="payout_account_id")
    return account


def _settle_status(
    session: Session, clock: Clock, account: PayoutAccount, ok: bool, failure: str = ""
) -> None:
    account.status = (AccountStatus.VERIFIED if ok else AccountStatus.FAILED).value
    account.failure = None if ok else failure
    account.verified_at = clock.now() if ok else None
    account.updated_at = clock.now()
    audit.record(
        session,
        "payout_account.verify",
        "enterprise",
        account.enterprise_id,
        after={"account": account.number_masked, "method": account.method, "ok": ok},
    )


def verify_by_name(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    account: PayoutAccount,
    checker: NameCheck,
) -> PayoutAccount:
    """The provider's account-name check decides; a mismatch fails the account."""
    if account.status != AccountStatus.PENDING.value:
        raise VerificationNotPending()
    account.method = VerificationMethod.NAME_CHECK.value
    result = checker.check(account.holder_name, account_number(cipher, account), account.bank_code)
    _settle_status(session, clock, account, result.match, result.reason or "name_mismatch")
    return account


def start_micro_credit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    account: PayoutAccount,
    settings: PaymentSettings | None = None,
    amount_fen: int | None = None,
) -> int:
    """Choose the random amount and keep its hash; the caller creates the credit's payment
    (`service.create_verification_credit`). Returns the amount (to pay, never to show)."""
    settings = settings or PaymentSettings()
    if account.status != AccountStatus.PENDING.value:
        raise VerificationNotPending()
    amount = amount_fen or 1 + secrets.randbelow(settings.micro_credit_max_fen)
    account.method = VerificationMethod.MICRO_CREDIT.value
    account.challenge_hash = cipher.lookup_hash(f"{account.id}:{amount}", CHALLENGE_FIELD)
    account.attempts_left = settings.micro_credit_attempts
    account.updated_at = clock.now()
    return amount


def confirm_micro_credit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    account: PayoutAccount,
    amount_fen: int,
    credit_settled: bool,
) -> bool:
    """True: the amount matches and the account is verified. False: wrong (one try fewer; the
    last wrong try fails the account). The caller commits either way."""
    if (
        account.status != AccountStatus.PENDING.value
        or account.method != VerificationMethod.MICRO_CREDIT.value
        or account.challenge_hash is None
    ):
        raise VerificationNotPending()
    if not credit_settled:
        raise VerificationFailed(
            reason_zh="验证款尚未到账，请稍后再试。",
            reason_en="the verification credit has not arrived yet; try again later.",
        )
    expected = cipher.lookup_hash(f"{account.id}:{amount_fen}", CHALLENGE_FIELD)
    if secrets.compare_digest(expected, account.challenge_hash):
        account.challenge_hash = None
        _settle_status(session, clock, account, True)
        return True
    account.attempts_left = max(account.attempts_left - 1, 0)
    account.updated_at = clock.now()
    if account.attempts_left == 0:
        account.challenge_hash = None
        _settle_status(session, clock, account, False, "micro_credit_wrong_amount")
    return False


def sign_mandate(session: Session, clock: Clock, account: PayoutAccount) -> PayoutAccount:
    """The enterprise authorises collections from this verified account (代扣授权)."""
    if account.status != AccountStatus.VERIFIED.value:
        raise PayoutAccountNotVerified(field="payout_account_id")
    if account.mandate_ref is None:
        account.mandate_ref = f"MD{account.id.hex[:20].upper()}"
        account.mandate_signed_at = clock.now()
        account.updated_at = clock.now()
        audit.record(
            session,
            "payout_account.mandate",
            "enterprise",
            account.enterprise_id,
            after={"account": account.number_masked, "mandate": account.mandate_ref},
        )
    return account


def require_mandate(
    session: Session, enterprise_id: uuid.UUID, account_id: uuid.UUID
) -> PayoutAccount:
    account = require_usable(session, enterprise_id, account_id)
    if account.mandate_signed_at is None:
        raise MandateMissing(field="payout_account_id")
    return account


def receivables_account(session: Session, enterprise_id: uuid.UUID) -> PayoutAccount | None:
    """The verified account the enterprise chose for its receivables' payouts, if any."""
    return session.scalar(
        select(PayoutAccount).where(
            PayoutAccount.enterprise_id == enterprise_id,
            PayoutAccount.receives_receivables.is_(True),
            PayoutAccount.status == AccountStatus.VERIFIED.value,
        )
    )


def choose_receivables_account(
    session: Session, clock: Clock, enterprise_id: uuid.UUID, account_id: uuid.UUID
) -> PayoutAccount:
    """Receivables' payouts (discount proceeds, clearing at maturity) go to this verified
    account from now on (one per enterprise)."""
    account = require_usable(session, enterprise_id, account_id)
    for other in accounts_of(session, enterprise_id):
        other.receives_receivables = other.id == account.id
    account.updated_at = clock.now()
    audit.record(
        session,
        "payments.receivables_account",
        "enterprise",
        enterprise_id,
        after={"account": account.number_masked},
    )
    return account
