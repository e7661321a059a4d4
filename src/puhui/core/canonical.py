"""Canonical JSON bytes of decoded JSON data, for hashing and comparing documents.

Sorted keys, no whitespace, UTF-8 with non-ASCII characters literal (``json.dumps(data,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)``). Used for the SHA-256 of a policy
document (decisioning) and of a snapshot's payload (datahub's ``payload_hash``): stored hashes
depend on these exact bytes, so the rule must not change.

Not RFC 8785: floats are written as Python writes them (``repr``), NaN and Infinity are not
refused. The receivables log keeps its own, stricter ``receivables.statements.canonical_json``
(the RFC 8785 rules restricted to integers and ASCII keys, checked on the way in) in its own
package, because its published verifier imports nothing outside ``puhui.receivables``. For the
values both accept (no floats, integers within ±(2**53 − 1), ASCII keys) the two give the
same bytes.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(data: Any) -> bytes:
    """Canonical bytes of decoded JSON data: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
