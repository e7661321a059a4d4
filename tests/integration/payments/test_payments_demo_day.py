"""`puhui payments demo-day`: one business day of sandbox payments in a throwaway database,
every message written and valid, the day reconciled with zero breaks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from puhui.cli import app


def test_a_day_on_the_rails_is_reproducible_and_every_message_validates(tmp_path: Path) -> None:
    out = tmp_path / "day"
    result = CliRunner().invoke(app, ["payments", "demo-day", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["invalid"] == [] and summary["breaks"] == 0
    counts = summary["counts"]
    for kind in ("pain.001.001.10", "pain.002.001.11", "pain.008.001.09", "camt.054.001.08"):
        assert counts[kind] >= 1, kind
    assert counts["camt.053.001.08"] == 1
    assert len(list(out.glob("*.xml"))) == sum(counts.values())
    assert summary["rail_submissions"] == 3  # one lost answer: resubmitted, paid once
    # receivables: a discount's proceeds and a clearing at maturity, through the rails
    assert summary["receivables_payouts"] == {"settled": 2}
    texts = [p.read_text(encoding="utf-8") for p in out.glob("*pain.001*.xml")]
    assert any("应收款贴现回款" in t for t in texts) and any("应收款到期清分" in t for t in texts)
