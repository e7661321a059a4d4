"""Payments settings (`PUHUI_PAYMENTS_*`): the rail, the verification provider, thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_PAYMENTS_", extra="ignore")

    # the rail: "sandbox" (development/demo/test only) or "iso20022_http" (the bank's gateway)
    rail: Literal["sandbox", "iso20022_http"] = "sandbox"
    rail_url: str = ""
    rail_api_key: str = ""
    rail_timeout_s: float = 10.0  # float-ok: seconds
    # our account at the clearing bank and the bank code 行号 payouts are sent from
    own_account: str = "900000000001"
    own_bank_code: str = "313100000013"
    own_name: str = "普惠银行"
    # account verification: "sandbox" or "http" (an account-name check provider)
    verifier: Literal["sandbox", "http"] = "sandbox"
    verifier_url: str = ""
    verifier_api_key: str = ""
    # 打款验证: a random credit of 1..max fen, confirmed by the customer within this many tries
    micro_credit_max_fen: int = Field(default=99, ge=2, le=999)
    micro_credit_attempts: int = Field(default=3, ge=1)
    # the end of day refuses to close while the day's open reconciliation breaks add up to more
    # than this (fen); a risk officer may override with a reason
    recon_break_threshold_fen: int = Field(default=0, ge=0)
    # entrusted payment (受托支付): drawdowns at or above this amount (fen), and every drawdown
    # of the listed products, are paid to the counterparty directly (lending/purposes.py)
    entrusted_threshold_fen: int = Field(default=500_000_000, ge=1)
    entrusted_products: list[str] = Field(default_factory=list)
    # trusted payees and the transfer guardian (适老化): the cap per payment to a trusted payee,
    # the cooling-off before a new payee is usable, the delay before a new guardian takes over
    trusted_cap_fen: int = Field(default=50_000_000, ge=1)
    trusted_cooling_off_hours: int = Field(default=24, ge=0)
    guardian_change_delay_hours: int = Field(default=24, ge=0)
    # "trusted payees only" is on by default for a sole proprietor (个体工商户, USCC "92…")
    # whose legal representative is at least this old (from the resident ID's birth date),
    # and for an enterprise using the large-type mode; 0 turns the age default off
    trusted_only_default_age: int = Field(default=60, ge=0, le=150)
    # the periodic rail job (`puhui payments rail-job`): minutes per slot, payments per batch
    rail_job_slot_minutes: int = Field(default=10, ge=1, le=1440)
    rail_job_batch: int = Field(default=200, ge=1, le=10_000)
