"""core.idempotency.require_idempotency_key: the one check of a money-moving command's key."""

from __future__ import annotations

import pytest

from puhui.core.errors import DomainError, IdempotencyKeyMissing
from puhui.core.idempotency import require_idempotency_key


def test_a_key_is_returned_without_its_surrounding_blanks() -> None:
    assert require_idempotency_key("  dd-1 ") == "dd-1"


@pytest.mark.parametrize("missing", [None, "", "   ", "\t\n"])
def test_no_key_is_a_400_with_one_stable_code_in_both_languages(missing: str | None) -> None:
    with pytest.raises(IdempotencyKeyMissing) as err:
        require_idempotency_key(missing)
    exc = err.value
    assert isinstance(exc, DomainError)
    assert (exc.code, exc.status, exc.field) == ("idempotency_key_missing", 400, "Idempotency-Key")
    assert "Idempotency-Key" in exc.message("zh") and "幂等键" in exc.title("zh")
    assert exc.message("en").startswith("Money-moving requests need an Idempotency-Key header")
