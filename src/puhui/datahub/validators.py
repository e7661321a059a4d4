"""Chinese identifier check digits, scalar validation and vectorized generation.

* Unified social credit code, USCC (统一社会信用代码, GB 32100-2015): 18 characters,
  ``[registration authority][entity type][6-digit admin division][9-char organization code]
  [check]``; the check character is ``31 - (sum(value_i * w_i) mod 31)`` (31 maps to 0) over
  the alphabet ``0-9ABCDEFGHJKLMNPQRTUWXY``. The embedded organization code (GB 11714-1997)
  carries its own check character (weights 3,7,9,10,5,8,4,2 mod 11; 10 is ``X``, 11 is ``0``).
* Resident identity number (公民身份号码, GB 11643-1999): 17 digits then a check character,
  ``"10X98765432"[sum(d_i * w_i) mod 11]``.
* Mainland mobile numbers: 11 digits ``1[3-9]\\d{9}``.

The scalar checks live in ``puhui.core.codes`` (re-exported here). The generators are
numpy-vectorized so the synthetic world can mint 100,000 codes in
milliseconds; every generator's output passes the matching ``is_valid_*`` function.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from puhui.core.codes import (
    ID_CHECK as RESIDENT_ID_CHECK,
)
from puhui.core.codes import (
    ID_WEIGHTS as RESIDENT_ID_WEIGHTS,
)
from puhui.core.codes import (
    ORG_CODE_WEIGHTS,
    USCC_ALPHABET,
    USCC_VALUE,
    USCC_WEIGHTS,
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    org_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)

__all__ = [
    "MOBILE_PREFIXES",
    "ORG_CODE_WEIGHTS",
    "RESIDENT_ID_CHECK",
    "RESIDENT_ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "is_valid_mobile",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mobile_batch",
    "org_code_check_char",
    "resident_id_batch",
    "resident_id_check_char",
    "uscc_batch",
    "uscc_check_char",
]

# Realistic 3-digit prefixes of the three carriers (and virtual operators excluded).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
)  # fmt: skip


# ---------------------------------------------------------------------------- vectorized


def _rows_to_str(chars: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    """(n, k) array of ASCII byte values -> (n,) array of str."""
    chars = np.ascontiguousarray(chars, dtype=np.uint8)
    width = chars.shape[1]
    return chars.view(f"S{width}").ravel().astype(f"U{width}")


def uscc_batch(
    rng: np.random.Generator,
    region_codes: npt.NDArray[np.int64],
    entity_type: str = "1",
    authority: str = "9",
) -> npt.NDArray[np.str_]:
    """Valid USCCs for enterprises registered by market regulation (``9``, ``1`` = enterprise).

    ``region_codes`` are 6-digit administrative division codes, one per code to mint. Codes
    are random; callers that need uniqueness must check (collisions are ~1e-10 per pair).
    """
    n = len(region_codes)
    alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    vals = np.empty((n, 17), dtype=np.int64)
    vals[:, 0] = USCC_VALUE[authority]
    vals[:, 1] = USCC_VALUE[entity_type]
    digits = np.asarray(region_codes, dtype=np.int64)
    for pos in range(6):
        vals[:, 2 + pos] = (digits // 10 ** (5 - pos)) % 10
    # Organization code body: 8 characters of the USCC alphabet (mostly digits, as issued).
    body = np.where(
        rng.random((n, 8)) < 0.8,
        rng.integers(0, 10, size=(n, 8)),
        rng.integers(10, 31, size=(n, 8)),
    )
    vals[:, 8:16] = body
    # Organization code check (GB 11714): letters are valued by base-36 (A=10 ... Z=35).
    body_chars = alphabet[body]
    base36 = np.where(body_chars >= ord("A"), body_chars - ord("A") + 10, body_chars - ord("0"))
    org_sum = (base36.astype(np.int64) * np.asarray(ORG_CODE_WEIGHTS)).sum(axis=1)
    org_check = 11 - org_sum % 11  # 1..11
    org_check_chars = np.where(
        org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), org_check + ord("0"))
    )
    ascii_to_value = np.full(128, -1, dtype=np.int64)
    for ch, v in USCC_VALUE.items():
        ascii_to_value[ord(ch)] = v
    vals[:, 16] = ascii_to_value[org_check_chars]
    total = (vals * np.asarray(USCC_WEIGHTS)).sum(axis=1)
    check = (31 - total % 31) % 31
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = alphabet[vals]
    out[:, 17] = alphabet[check]
    return _rows_to_str(out)


def resident_id_batch(
    rng: np.random.Generator,
    region_codes: npt.NDArray[np.int64],
    birth_dates: npt.NDArray[np.datetime64],
    male: npt.NDArray[np.bool_],
) -> npt.NDArray[np.str_]:
    """Valid resident IDs: region, birth date ``YYYYMMDD``, 3-digit sequence (odd = male)."""
    n = len(region_codes)
    days = np.asarray(birth_dates, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mday = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    seq = rng.integers(0, 500, size=n) * 2 + np.where(male, 1, 0)  # 0..999, parity = gender
    digits = np.empty((n, 17), dtype=np.int64)
    region = np.asarray(region_codes, dtype=np.int64)
    for pos in range(6):
        digits[:, pos] = (region // 10 ** (5 - pos)) % 10
    for pos in range(4):
        digits[:, 6 + pos] = (years // 10 ** (3 - pos)) % 10
    digits[:, 10] = months // 10
    digits[:, 11] = months % 10
    digits[:, 12] = mday // 10
    digits[:, 13] = mday % 10
    for pos in range(3):
        digits[:, 14 + pos] = (seq // 10 ** (2 - pos)) % 10
    total = (digits * np.asarray(RESIDENT_ID_WEIGHTS)).sum(axis=1)
    check_table = np.frombuffer(RESIDENT_ID_CHECK.encode(), dtype=np.uint8)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = digits + ord("0")
    out[:, 17] = check_table[total % 11]
    return _rows_to_str(out)


def mobile_batch(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """Random mainland mobile numbers with realistic carrier prefixes."""
    prefixes = np.array([[ord(c) for c in p] for p in MOBILE_PREFIXES], dtype=np.uint8)
    out = np.empty((n, 11), dtype=np.uint8)
    out[:, :3] = prefixes[rng.integers(0, len(MOBILE_PREFIXES), size=n)]
    out[:, 3:] = rng.integers(0, 10, size=(n, 8)) + ord("0")
    return _rows_to_str(out)
