"""Errors of the supply-chain products on the log (orders, warehouse receipts, dealer
programmes): pure like :mod:`puhui.receivables.errors` (the verifier raises them on an export
alone), same shape (stable code, HTTP status, zh-CN and English messages)."""

from __future__ import annotations

from puhui.receivables.errors import ReceivablesError


class SupplyStatusInvalid(ReceivablesError):
    code = "receivables.supply_status_invalid"
    status = 409
    title_zh = "状态不允许该操作"
    title_en = "Status does not allow the operation"
    message_zh = "{kind_zh} {id} 当前状态为 {status}，不能执行 {op}（需要 {needed}）。"
    message_en = "{kind} {id} is {status}; {op} needs {needed}."


class NotAWarehouse(ReceivablesError):
    code = "receivables.not_a_warehouse"
    status = 403
    title_zh = "不是登记的仓储方"
    title_en = "Not a registered warehouse operator"
    message_zh = "{party} 不是平台登记的仓储方，不能签发仓单。"
    message_en = (
        "{party} is not a warehouse operator registered by the platform; it cannot issue receipts."
    )


class InsuranceExpired(ReceivablesError):
    code = "receivables.insurance_expired"
    status = 409
    title_zh = "保险已过期"
    title_en = "Insurance expired"
    message_zh = "仓单 {receipt} 的保单 {policy} 于 {expiry} 到期，早于或等于业务日 {today}。"
    message_en = (
        "Receipt {receipt}'s insurance policy {policy} expires {expiry}, not after {today}."
    )


class DoublePledge(ReceivablesError):
    code = "receivables.double_pledge"
    status = 409
    title_zh = "仓单重复质押"
    title_en = "Receipt already pledged"
    message_zh = "仓单 {receipt} 已质押给 {pledgee}（业务 {line}），不能再次质押。"
    message_en = (
        "Receipt {receipt} is already pledged to {pledgee} "
        "(for {line}); it cannot be pledged twice."
    )


class CoverShortfall(ReceivablesError):
    code = "receivables.cover_shortfall"
    status = 409
    title_zh = "质押物价值不足"
    title_en = "Collateral value below the required cover"
    message_zh = "仓单 {receipt} 折后价值 {value_fen} 分，低于所需覆盖 {cover_fen} 分。"
    message_en = (
        "Receipt {receipt} is worth {value_fen} fen after the haircut, less than the "
        "required cover of {cover_fen} fen."
    )


class ReleaseExceeds(ReceivablesError):
    code = "receivables.release_exceeds"
    status = 409
    title_zh = "释放数量超过仓单剩余数量"
    title_en = "Release beyond the receipt's quantity"
    message_zh = "仓单 {receipt} 剩余 {remaining} {unit}，不能释放 {quantity} {unit}。"
    message_en = "Receipt {receipt} holds {remaining} {unit}; {quantity} {unit} cannot be released."


class OrderShareExceeded(ReceivablesError):
    code = "receivables.order_share_exceeded"
    status = 409
    title_zh = "超出订单可融资比例"
    title_en = "Above the order's financeable share"
    message_zh = (
        "订单 {order} 金额 {order_fen} 分，"
        "最多可融资 {max_fen} 分（{share_bp} 基点），申请 {amount_fen} 分。"
    )
    message_en = (
        "Order {order} of {order_fen} fen may be financed up to {max_fen} fen "
        "({share_bp} bp); {amount_fen} fen asked."
    )


class OrderDeliveryMismatch(ReceivablesError):
    code = "receivables.order_delivery_mismatch"
    status = 409
    title_zh = "交货凭证与订单不符"
    title_en = "Delivery certificate does not match the order"
    message_zh = "订单 {order} 的交货凭证 {cert} 不符：{reason_zh}。"
    message_en = "Certificate {cert} does not match order {order}: {reason}."


class DealerLimitExceeded(ReceivablesError):
    code = "receivables.dealer_limit_exceeded"
    status = 409
    title_zh = "超出经销商额度"
    title_en = "Dealer limit exceeded"
    message_zh = (
        "经销商 {dealer} 额度 {limit_fen} 分，"
        "已用 {outstanding_fen} 分，本次 {amount_fen} 分，超出额度。"
    )
    message_en = (
        "Dealer {dealer} has a limit of {limit_fen} fen with {outstanding_fen} fen "
        "outstanding; {amount_fen} fen more exceeds it."
    )


class ProgrammeLimitExceeded(ReceivablesError):
    code = "receivables.programme_limit_exceeded"
    status = 409
    title_zh = "超出分销项目额度"
    title_en = "Programme limit exceeded"
    message_zh = (
        "分销项目 {programme} 额度 {limit_fen} 分，"
        "已用 {outstanding_fen} 分，本次 {amount_fen} 分，超出额度。"
    )
    message_en = (
        "Programme {programme} has a limit of {limit_fen} fen with {outstanding_fen} fen "
        "outstanding; {amount_fen} fen more exceeds it."
    )


class DealerAboveProgramme(ReceivablesError):
    code = "receivables.dealer_above_programme"
    status = 409
    title_zh = "经销商额度超出项目额度"
    title_en = "Dealer limit above the programme limit"
    message_zh = (
        "经销商 {dealer} 额度 {limit_fen} 分高于分销项目 {programme} 的额度 {programme_fen} 分。"
    )
    message_en = (
        "Dealer {dealer}'s limit of {limit_fen} fen is above programme {programme}'s "
        "limit of {programme_fen} fen."
    )


class NotADealer(ReceivablesError):
    code = "receivables.not_a_dealer"
    status = 403
    title_zh = "不是该项目的经销商"
    title_en = "Not a dealer of the programme"
    message_zh = "{party} 不是分销项目 {programme} 推荐的经销商。"
    message_en = "{party} is not a dealer recommended in programme {programme}."
