"""zh-CN and English labels of guarantees' and collateral's codes (merged into
`web.labels.CATALOGUE`)."""

from __future__ import annotations

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "guarantee_status": {
        "proposed": ("待授权查询", "Awaiting consent and checks"),
        "checked": ("已查询，待签署", "Checked, awaiting signature"),
        "sent_for_signature": ("待签署（验证码已发送）", "Code sent, awaiting signature"),
        "signed": ("已签署", "Signed"),
        "called": ("已代偿追索", "Called"),
        "released": ("已解除", "Released"),
        "cancelled": ("已作废", "Cancelled"),
    },
    "guarantor_kind": {
        "person": ("自然人保证", "Person"),
        "enterprise": ("企业保证", "Enterprise"),
    },
    "collateral_kind": {
        "property": ("房产", "Property"),
        "equipment": ("机器设备", "Equipment"),
        "deposit": ("保证金/存单", "Deposit"),
        "receivable_certificate": ("应收账款凭证", "Receivables certificate"),
        "warehouse_receipt": ("仓单", "Warehouse receipt"),
    },
    "collateral_status": {
        "active": ("有效", "Active"),
        "released": ("已解除", "Released"),
    },
    "guarantee_call_trigger": {
        "days_past_due": ("逾期满90天", "90 days past due"),
        "written_off": ("贷款核销", "Loan written off"),
    },
    "guarantee_call_status": {
        "called": ("已向保证人追索", "Claimed from the guarantor"),
    },
}
