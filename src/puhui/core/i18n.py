"""Language choice: zh-CN by default, English when Accept-Language asks for it first."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]


def pick_language(accept_language: str | None, default: Lang = "zh") -> Lang:
    """Pick zh or en from an Accept-Language header, honouring q-values; default zh."""
    if not accept_language:
        return default
    best: tuple[float, Lang] | None = None
    for index, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])  # float-ok: HTTP q-value, not money
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang: Lang | None = "en" if primary == "en" else "zh" if primary == "zh" else None
        if lang is None or quality <= 0:
            continue
        score = quality - index * 1e-6
        if best is None or score > best[0]:
            best = (score, lang)
    return best[1] if best else default
