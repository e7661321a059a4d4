"""Business-licence OCR with RapidOCR (ONNX models shipped inside the `rapidocr-onnxruntime`
wheel: nothing is downloaded at run time; CPU). The engine is loaded once per process (about
1.3 s) and reads a phone photo of a licence in about 2 s on one core. The text it returns goes
to the pure parser `identity.licence.parse_licence`."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from puhui.identity.licence import LicenceFields, parse_licence

_lock = threading.Lock()
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@lru_cache(maxsize=1)
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def ocr_lines(image: bytes) -> list[str]:
    """The text lines of an image (PNG/JPEG bytes), top to bottom."""
    with _lock:  # the engine is not documented as thread-safe
        result, _ = _engine()(image)
    if not result:
        return []
    boxes = sorted(result, key=lambda r: (min(p[1] for p in r[0]), min(p[0] for p in r[0])))
    return [str(r[1]) for r in boxes]


def read_licence(image: bytes) -> tuple[LicenceFields, list[str]]:
    lines = ocr_lines(image)
    return parse_licence(lines), lines
