"""Errors of the interviews domain, each with a stable code, an HTTP status and zh/en text."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class InterviewNotFound(NotFound):
    code = "interview_not_found"
    message_zh = "未找到该视频面谈。"
    message_en = "Interview not found."


class InterviewSubjectClosed(Conflict):
    code = "interview_subject_closed"
    message_zh = "该审批已结束，不能再发起视频面谈。"
    message_en = "This review is closed; no interview can be started for it."


class InterviewAlreadyOpen(Conflict):
    code = "interview_already_open"
    message_zh = "该审批已有进行中的视频面谈。"
    message_en = "This review already has an open interview."


class InterviewWrongState(Conflict):
    code = "interview_wrong_state"
    message_zh = "视频面谈当前状态为「{status_zh}」，不能{action_zh}。"
    message_en = "The interview is {status_en}; it cannot {action_en}."


class ConsentMissing(Conflict):
    code = "interview_consent_missing"
    message_zh = "双方均同意录音录像后才能开始面谈。"
    message_en = "Both parties must consent to the recording before the interview starts."


class ChecklistIncomplete(DomainError):
    code = "interview_checklist_incomplete"
    status = 422
    title_zh = "核查清单未完成"
    title_en = "Checklist incomplete"
    message_zh = "核查清单还有 {count} 项未回答。"
    message_en = "{count} checklist items are still unanswered."


class RecordingMissing(Conflict):
    code = "interview_recording_missing"
    message_zh = "尚未上传面谈录像，不能完成面谈。"
    message_en = "No recording has been uploaded; the interview cannot be completed."


class RecordingTooLarge(DomainError):
    code = "interview_recording_too_large"
    status = 413
    title_zh = "录像文件过大"
    title_en = "Recording too large"
    message_zh = "录像超过 {limit_mb} MB 上限。"
    message_en = "The recording exceeds the {limit_mb} MB limit."


class RecordingInvalid(DomainError):
    code = "interview_recording_invalid"
    status = 422
    title_zh = "录像无效"
    title_en = "Invalid recording"
    message_zh = "录像为空或格式不受支持（须为 WebM/MP4 视频）。"
    message_en = "The recording is empty or not a supported format (WebM/MP4 video)."


class RecordingGone(DomainError):
    code = "interview_recording_gone"
    status = 410
    title_zh = "录像已销毁"
    title_en = "Recording destroyed"
    message_zh = "该录像已按保存期限销毁，仅保留其哈希。"
    message_en = "The recording was destroyed at the end of its retention; only its hash is kept."
