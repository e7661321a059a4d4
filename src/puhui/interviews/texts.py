"""The recording consent's text, versioned (pure). Each party's consent stores the version and
the SHA-256 of the text it saw; a reworded text is a new version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentText:
    version: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.zh}\n{self.en}".encode()).hexdigest()


RECORDING_CONSENT = ConsentText(
    version="interview-recording-2026-12-v1",
    zh=(
        "本人同意本次视频面谈全程录音录像。录像仅用于本次授信审批及依法留存，"
        "加密保存，保存期满后销毁；未经授权的人员无法查看。"
    ),
    en=(
        "I agree that this video interview is recorded in sound and picture. The recording is "
        "used only for this credit review and kept as the law requires, encrypted, and "
        "destroyed when its retention period ends; no unauthorised person can view it."
    ),
)
