from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    status = 422
    title_zh = "分录不平衡"
    title_en = "Unbalanced entry"
    message_zh = "借方合计 {debits} 分与贷方合计 {credits} 分不相等。"
    message_en = "Debits of {debits} fen do not equal credits of {credits} fen."


class InvalidPosting(DomainError):
    code = "invalid_posting"
    status = 422
    title_zh = "记账行无效"
    title_en = "Invalid posting"
    message_zh = "记账行必须只在借方或贷方记一个正整数金额（分）。"
    message_en = "A posting must carry one positive integer amount in fen on one side."


class UnknownAccountCode(DomainError):
    code = "unknown_account_code"
    status = 422
    title_zh = "科目不存在"
    title_en = "Unknown account"
    message_zh = "科目 {code} 不存在。"
    message_en = "Account code {code} does not exist."


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message_zh = "账户 {account} 余额不足。"
    message_en = "Insufficient balance in account {account}."


class EntryNotFound(NotFound):
    code = "entry_not_found"
    message_zh = "未找到该分录。"
    message_en = "Entry not found."


class AlreadyReversed(Conflict):
    code = "entry_already_reversed"
    message_zh = "该分录已被冲正。"
    message_en = "This entry has already been reversed."
