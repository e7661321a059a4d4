"""Errors of the batch job runner."""

from __future__ import annotations

from puhui.core.errors import DomainError


class DateBeforeLastRun(DomainError):
    code = "job_date_before_last_run"
    status = 409
    title_zh = "营业日期早于最近一次运行"
    title_en = "Business date before the last run"
    message_zh = "{job} 的营业日期 {day} 早于最近一次已完成的运行 {last}，不能倒退运行。"
    message_en = "{job}: business date {day} is earlier than the last completed run ({last})."


class EarlierRunUnfinished(DomainError):
    code = "job_earlier_run_unfinished"
    status = 409
    title_zh = "之前的运行尚未完成"
    title_en = "An earlier run is unfinished"
    message_zh = "{job} 在 {pending} 的运行尚未完成，请先重新运行该日期。"
    message_en = "{job}: the run of {pending} is unfinished; run that date again first."
