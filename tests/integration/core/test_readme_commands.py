"""Every command of the README's command-line block runs right after `make demo`: a fresh demo
database (small), the working directory a newcomer has (`./var/demo.db`, no PUHUI_DATABASE_URL),
each line as written. Also: a command run where there is no database stops with a hint and
leaves no empty SQLite file behind."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from puhui.cli import app
from puhui.core.config import get_settings

ROOT = Path(__file__).resolve().parents[3]
# Lines of the README's second block, named there as longer-running: a server that runs until
# stopped, training on 20,000 synthetic firms (minutes; tests/unit/scorecards cover it), and
# training the assistant's recogniser (tests/unit/assistant cover it).
LONG_RUNNING = ("serve", "model train", "assistant evaluate")


def readme_blocks() -> list[list[str]]:
    """The `uv run puhui …` commands of each bash block of the README's command-line section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## The command line", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    out = []
    for block in blocks:
        lines = [ln.strip() for ln in block.splitlines() if ln.strip().startswith("uv run puhui")]
        out.append(lines)
    return out


def commands_of(line: str) -> list[list[str]]:
    """`uv run puhui a b && uv run puhui c` -> [[a, b], [c]] (comments dropped)."""
    out = []
    for part in line.split("&&"):
        words = shlex.split(part, comments=True)
        assert words[:3] == ["uv", "run", "puhui"], part
        out.append(words[3:])
    return out


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A working directory after `make demo` (a small demo: 16 enterprises)."""
    home = tmp_path_factory.mktemp("newcomer")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("PUHUI_"):
                mp.delenv(name)
        mp.setenv("PUHUI_DATABASE_URL", "unset-below")  # recorded, so that teardown removes it
        mp.delenv("PUHUI_DATABASE_URL")
        mp.setenv("PUHUI_COOKIE_SECURE", "false")
        mp.chdir(home)
        get_settings.cache_clear()
        built = CliRunner().invoke(app, ["demo", "--no-serve", "--enterprises", "16"])
        assert built.exit_code == 0, built.output
        assert (home / "var" / "demo.db").exists() and not (home / "var" / "puhui.db").exists()
        assert "puhui demo firms" in built.output and "13800138000" in built.output
        yield home
    get_settings.cache_clear()


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setenv("PUHUI_DATABASE_URL", "unset-below")
    monkeypatch.delenv("PUHUI_DATABASE_URL")  # the CLI sets it to the demo database itself
    get_settings.cache_clear()
    stdin = "Readme-pass-2026\nReadme-pass-2026\n" if args[:2] == ["users", "create"] else None
    return CliRunner().invoke(app, args, input=stdin)


def test_the_readme_lists_its_long_running_commands_apart() -> None:
    quick, long_running = readme_blocks()
    assert len(quick) >= 10
    assert all(any(c[0][: len(w.split())] == w.split() for w in LONG_RUNNING)
               for line in long_running for c in [commands_of(line)])  # fmt: skip
    assert not [ln for ln in quick if any(f"puhui {w}" in ln for w in LONG_RUNNING)]


def test_every_readme_command_runs_after_make_demo(
    newcomer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(newcomer)
    failures = []
    for line in readme_blocks()[0]:
        for args in commands_of(line):
            result = _run(args, monkeypatch)
            if result.exit_code != 0 or "Traceback" in result.output:
                failures.append(f"$ puhui {' '.join(args)} -> {result.exit_code}\n{result.output}")
    assert not failures, "\n".join(failures)
    assert not (newcomer / "var" / "puhui.db").exists()
    assert (newcomer / "contract.pdf").read_bytes().startswith(b"%PDF")


def test_without_a_database_a_command_stops_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PUHUI_"):
            monkeypatch.delenv(name)
    result = _run(["audit", "verify"], monkeypatch)
    assert result.exit_code == 1 and "make demo" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "var" / "puhui.db").exists()
    get_settings.cache_clear()
