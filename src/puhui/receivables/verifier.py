"""Independent verifier of a receivables export (an auditor runs it on the directory alone).

    python -m puhui.receivables.verifier DIR [--workers N] [--trusted NOTE_FILE ...] [--json]

Checks, streaming over ``statements.jsonl`` (see :mod:`puhui.receivables.export`):

1. every entry: its frame, canonical JSON, a key of the actor valid at ``at``, the Ed25519
   signature (in parallel worker processes);
2. the Merkle tree recomputed from the entries: each checkpoint's root at its size, each
   checkpoint's signature by the log key, consistency between consecutive checkpoints (proofs
   generated from the recomputed tree and checked per RFC 9162 §2.1.4.2), and optional
   checkpoints the auditor kept from earlier (``--trusted``): a rewritten history fails them;
3. the business rules, by replaying every statement through the state machine (sequence,
   limits, invoices, statuses, sums, no double spend), and the invariants at the end.

The report names the first bad entry (line, seq and why) and lists the others; the exit code is
0 if everything verifies, 1 otherwise. After the first entry that fails, the business replay
stops (its later results would be consequences), but frames, keys and signatures of all later
entries are still checked.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import mmap
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from puhui.receivables import export as fmt
from puhui.receivables.checkpoint import Checkpoint, open_checkpoint
from puhui.receivables.errors import CheckpointInvalid, InvariantBroken, Lang, ReceivablesError
from puhui.receivables.keys import KeyRing, backend_name, verifier_for
from puhui.receivables.merkle import MerkleLog, verify_consistency
from puhui.receivables.state import ReceivablesState
from puhui.receivables.statements import (
    KID_LEN,
    KID_OFFSET,
    SIG_B64_LEN,
    SIG_OFFSET,
    SIGNING_CONTEXT,
    STMT_OFFSET,
)

_KID_PREFIX = b'{"kid":"'
_SIG_PREFIX = b'","sig":"'
_STMT_PREFIX = b'","stmt":'
_SORTED = orjson.OPT_SORT_KEYS

CHUNK_BYTES = 4 << 20
PARALLEL_MIN_BYTES = 2 << 20

# Precedence when one line has several problems: the root cause first.
_RANK_FRAME, _RANK_KEY, _RANK_SIGNATURE, _RANK_STATE = 0, 1, 2, 3


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    code: str
    message_en: str
    message_zh: str
    seq: int | None = None

    def where(self, lang: Lang = "en") -> str:
        if self.line is None:
            return self.file
        if lang == "zh":
            extra = f"（seq {self.seq}）" if self.seq is not None else ""
            return f"{self.file} 第 {self.line} 行{extra}"
        extra = f" (seq {self.seq})" if self.seq is not None else ""
        return f"{self.file} line {self.line}{extra}"

    def describe(self, lang: Lang = "en") -> str:
        message = self.message_zh if lang == "zh" else self.message_en
        return f"{self.where(lang)}: [{self.code}] {message}"


def _problem(
    file: str, line: int | None, error: ReceivablesError, seq: int | None = None
) -> Problem:
    return Problem(file, line, error.code, error.message("en"), error.message("zh"), seq)


@dataclass
class Report:
    directory: str
    leaves: int = 0
    checkpoints: int = 0
    root: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0  # float-ok: timing, not money
    backend: str = ""
    workers: int = 1
    problems_dropped: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The first bad entry of statements.jsonl if any, else the first other problem."""
        entries = [p for p in self.problems if p.file == fmt.STATEMENTS_FILE and p.line]
        if entries:
            return min(entries, key=lambda p: p.line or 0)
        return self.problems[0] if self.problems else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["first"] = asdict(self.first) if self.first else None
        return data

    def render(self, lang: Lang | None = None) -> str:
        langs: list[Lang] = [lang] if lang else ["zh", "en"]
        out: list[str] = []
        for lg in langs:
            out += self._headline(lg)
            out += self._problem_lines(lg)
        if self.summary:
            out.append("summary: " + json.dumps(self.summary, ensure_ascii=False, sort_keys=True))
        return "\n".join(out)

    def _headline(self, lg: Lang) -> list[str]:
        if lg == "zh":
            return [
                f"{'验证通过' if self.ok else '验证失败'}: {self.directory}",
                f"  条目 {self.leaves}，签名树头 {self.checkpoints}，"
                f"根哈希 {self.root or '-'}，用时 {self.elapsed_s:.2f} 秒",
            ]
        return [
            f"{'VERIFIED' if self.ok else 'FAILED'}: {self.directory}",
            f"  {self.leaves} entries, {self.checkpoints} checkpoints, "
            f"root {self.root or '-'}, {self.elapsed_s:.2f} s",
        ]

    def _problem_lines(self, lg: Lang) -> list[str]:
        zh = lg == "zh"
        out: list[str] = []
        first = self.first
        if first is not None:
            out.append(("  首个问题: " if zh else "  first problem: ") + first.describe(lg))
        for p in self.problems[:20]:
            if p is not first:
                out.append("  - " + p.describe(lg))
        more = len(self.problems) - 20 + self.problems_dropped
        if more > 0:
            out.append(f"  … 另有 {more} 个问题" if zh else f"  … {more} more problems")
        for w in self.warnings:
            out.append(("  提示: " if zh else "  warning: ") + w.describe(lg))
        return out


# ---------------------------------------------------------------------------------------------
# Signature workers

_worker_verifiers: dict[bytes, Callable[[bytes, bytes], bool]] = {}


def _init_worker(public_keys: dict[str, bytes], backend: str) -> None:
    _worker_verifiers.clear()
    for kid, public in public_keys.items():
        try:
            verify = verifier_for(public, backend)
        except ValueError:  # not a usable Ed25519 key: nothing verifies under it
            verify = _never
        _worker_verifiers[kid.encode("ascii")] = verify


def _never(signature: bytes, message: bytes) -> bool:
    return False


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _check_signatures(task: tuple[str, int, int]) -> tuple[bytes, list[int]]:
    """Leaf hashes of the lines of a byte range and the indexes of lines with a bad signature.

    Lines whose frame or key id is wrong are skipped here (the main process reports them).
    """
    path, start, end = task
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    sha = hashlib.sha256
    b64 = base64.b64decode
    b64encode = base64.b64encode
    verifiers = _worker_verifiers
    hashes = bytearray()
    bad: list[int] = []
    for index, line in enumerate(_lines(data)):
        hashes += sha(b"\x00" + line).digest()
        verify = verifiers.get(line[KID_OFFSET : KID_OFFSET + KID_LEN])
        if verify is None:
            continue
        sig64 = line[SIG_OFFSET : SIG_OFFSET + SIG_B64_LEN]
        try:
            sig = b64(sig64, validate=True)
        except (binascii.Error, ValueError):
            bad.append(index)
            continue
        if b64encode(sig) != sig64 or not verify(sig, SIGNING_CONTEXT + line[STMT_OFFSET:-1]):
            bad.append(index)
    return bytes(hashes), bad


def _chunks(path: Path, size: int, chunk_bytes: int) -> list[tuple[str, int, int]]:
    tasks: list[tuple[str, int, int]] = []
    if size == 0:
        return tasks
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start = 0
        while start < size:
            end = min(start + chunk_bytes, size)
            if end < size:
                nl = mm.find(b"\n", end - 1)
                end = size if nl < 0 else nl + 1
            tasks.append((str(path), start, end))
            start = end
    return tasks


# ---------------------------------------------------------------------------------------------
# The verification


class _Verification:
    def __init__(self, directory: Path, max_problems: int) -> None:
        self.directory = directory
        self.report = Report(str(directory))
        self.max_problems = max_problems
        self.line_problems: dict[int, tuple[int, Problem]] = {}

    def add(self, problem: Problem) -> None:
        if len(self.report.problems) >= self.max_problems:
            self.report.problems_dropped += 1
        else:
            self.report.problems.append(problem)

    def add_line(self, rank: int, problem: Problem) -> None:
        assert problem.line is not None
        known = self.line_problems.get(problem.line)
        if known is None or rank < known[0]:
            self.line_problems[problem.line] = (rank, problem)


def _read_checkpoints(run: _Verification, info: fmt.LogInfo) -> list[tuple[int, Checkpoint]]:
    valid: list[tuple[int, Checkpoint]] = []
    for number, note in fmt.iter_checkpoint_notes(run.directory):
        if note is None:
            error: ReceivablesError = CheckpointInvalid(
                'the line is not {"note": "..."}', '该行不是 {"note": "..."}'
            )
            run.add(_problem(fmt.CHECKPOINTS_FILE, number, error))
            continue
        try:
            checkpoint = open_checkpoint(note, origin=info.origin, public_key=info.log_public_key)
        except CheckpointInvalid as exc:
            run.add(_problem(fmt.CHECKPOINTS_FILE, number, exc))
            continue
        valid.append((number, checkpoint))
    return valid


def _check_checkpoints(
    run: _Verification,
    tree: MerkleLog,
    checkpoints: list[tuple[int, Checkpoint]],
    trusted: list[tuple[str, Checkpoint]],
) -> None:
    leaves = tree.size
    previous: tuple[int, Checkpoint] | None = None
    for number, cp in checkpoints:
        error: CheckpointInvalid | None = None
        if cp.size > leaves:
            error = CheckpointInvalid(
                f"it covers {cp.size} entries but the export has {leaves} (entries are missing)",
                f"树头覆盖 {cp.size} 条，但导出只有 {leaves} 条（条目缺失）",
            )
        elif tree.root(cp.size) != cp.root:
            error = CheckpointInvalid(
                f"its root is not the root of the first {cp.size} entries",
                f"其根哈希不是前 {cp.size} 条条目的根哈希",
            )
        elif previous is not None:
            prev = previous[1]
            if cp.size < prev.size:
                error = CheckpointInvalid(
                    f"the tree shrank from {prev.size} to {cp.size}",
                    f"树从 {prev.size} 缩小到 {cp.size}",
                )
            elif cp.at < prev.at:
                error = CheckpointInvalid(
                    f"its time {cp.at} is before the previous one {prev.at}",
                    f"时间 {cp.at} 早于上一个树头 {prev.at}",
                )
            else:
                proof = tree.consistency_proof(prev.size, cp.size)
                if not verify_consistency(prev.size, cp.size, prev.root, cp.root, proof):
                    error = CheckpointInvalid(
                        f"it is not consistent with checkpoint line {previous[0]}",
                        f"与第 {previous[0]} 行树头不一致",
                    )
        if error is not None:
            run.add(_problem(fmt.CHECKPOINTS_FILE, number, error))
        else:
            previous = (number, cp)
    if not checkpoints:
        run.add(
            _problem(
                fmt.CHECKPOINTS_FILE,
                None,
                CheckpointInvalid("no valid signed checkpoint", "没有有效的签名树头"),
            )
        )
    elif previous is not None and previous[1].size < leaves:
        error = CheckpointInvalid(
            f"{leaves - previous[1].size} entries after the last checkpoint are not yet signed",
            f"最后一个树头之后的 {leaves - previous[1].size} 条条目尚未被签名树头覆盖",
        )
        run.report.warnings.append(_problem(fmt.CHECKPOINTS_FILE, None, error))
    for name, cp in trusted:
        if cp.size > leaves or tree.root(cp.size) != cp.root:
            error = CheckpointInvalid(
                f"the export is not consistent with the trusted checkpoint of size {cp.size}",
                f"导出与可信树头（大小 {cp.size}）不一致：历史被改写",
            )
            run.add(_problem(name, None, error))


def verify(
    directory: str | Path,
    *,
    workers: int | None = None,
    trusted: Sequence[str] = (),
    backend: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    max_problems: int = 1000,
) -> Report:
    """Verify an export directory; see the module docstring. Never raises for bad content."""
    started = time.perf_counter()
    directory = Path(directory)
    run = _Verification(directory, max_problems)
    report = run.report
    report.backend = backend_name(backend)

    try:
        info = fmt.read_log_info(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        run.add(
            Problem(fmt.LOG_FILE, None, "export.log_invalid", str(exc), f"log.json 无效：{exc}")
        )
        report.elapsed_s = time.perf_counter() - started
        return report
    try:
        keys = fmt.read_keys(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        run.add(
            Problem(fmt.KEYS_FILE, None, "export.keys_invalid", str(exc), f"keys.json 无效：{exc}")
        )
        report.elapsed_s = time.perf_counter() - started
        return report

    checkpoints = _read_checkpoints(run, info)
    report.checkpoints = len(checkpoints)
    trusted_cps = _read_trusted(run, info, trusted)

    tree = MerkleLog()
    state = ReceivablesState(info.rules)
    statements_path = directory / fmt.STATEMENTS_FILE
    try:
        size = statements_path.stat().st_size
    except OSError as exc:
        run.add(
            Problem(
                fmt.STATEMENTS_FILE, None, "export.statements_missing", str(exc), f"无法读取：{exc}"
            )
        )
        size = -1
    if size >= 0:
        _verify_statements(
            run, statements_path, size, keys, state, tree, workers, report.backend, chunk_bytes
        )

    _check_checkpoints(run, tree, checkpoints, trusted_cps)
    try:
        state.check_invariants()
    except InvariantBroken as exc:
        run.add(_problem(fmt.STATEMENTS_FILE, None, exc))

    _merge_line_problems(run)
    report.leaves = tree.size
    report.root = tree.root().hex()
    report.summary = state.summary()
    report.elapsed_s = time.perf_counter() - started
    return report


def _read_trusted(
    run: _Verification, info: fmt.LogInfo, trusted: Sequence[str]
) -> list[tuple[str, Checkpoint]]:
    """The auditor's earlier checkpoints (``--trusted``) that open under the log key."""
    trusted_cps: list[tuple[str, Checkpoint]] = []
    for path in trusted:
        try:
            note = Path(path).read_text("utf-8")
            cp = open_checkpoint(note, origin=info.origin, public_key=info.log_public_key)
        except (OSError, UnicodeDecodeError) as exc:
            run.add(
                Problem(str(path), None, "export.trusted_unreadable", str(exc), f"无法读取：{exc}")
            )
            continue
        except CheckpointInvalid as exc:
            run.add(_problem(str(path), None, exc))
            continue
        trusted_cps.append((str(path), cp))
    return trusted_cps


def _merge_line_problems(run: _Verification) -> None:
    """The worst problem of each statement line, in line order, ahead of the other problems."""
    report, max_problems = run.report, run.max_problems
    line_problems = [
        p for _, p in sorted(run.line_problems.values(), key=lambda rp: rp[1].line or 0)
    ]
    report.problems[:0] = line_problems[:max_problems]
    report.problems_dropped += max(0, len(line_problems) - max_problems)


def _verify_statements(
    run: _Verification,
    path: Path,
    size: int,
    keys: KeyRing,
    state: ReceivablesState,
    tree: MerkleLog,
    workers: int | None,
    backend: str,
    chunk_bytes: int,
) -> None:
    tasks = _chunks(path, size, chunk_bytes)
    public_keys = {record.kid: record.public_key for record in keys}
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    parallel = (
        n_workers > 1 and len(tasks) > 1 and (workers is not None or size >= PARALLEL_MIN_BYTES)
    )
    run.report.workers = n_workers if parallel else 1
    replay = _Replay(run, keys, state)
    if not parallel:
        _init_worker(public_keys, backend)
        for task in tasks:
            replay.chunk(task, *_check_signatures(task), tree)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(n_workers, initializer=_init_worker, initargs=(public_keys, backend)) as pool:
        for task, (hashes, bad) in zip(tasks, pool.imap(_check_signatures, tasks), strict=True):
            replay.chunk(task, hashes, bad, tree)


class _Replay:
    """Per-line checks of the main process: frame, canonical JSON, key, then the state."""

    def __init__(self, run: _Verification, keys: KeyRing, state: ReceivablesState) -> None:
        self.run = run
        self.keys = keys
        self.state = state
        self.line = 0
        self.stopped = False
        self.records = {record.kid.encode("ascii"): record for record in keys}

    def _fail(self, rank: int, line: int, code: str, en: str, zh: str, seq: int | None) -> None:
        self.run.add_line(rank, Problem(fmt.STATEMENTS_FILE, line, code, en, zh, seq))
        self.stopped = True

    def chunk(
        self, task: tuple[str, int, int], hashes: bytes, bad: list[int], tree: MerkleLog
    ) -> None:
        _, start, end = task
        with open(task[0], "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        lines = _lines(data)
        if len(hashes) != 32 * len(lines):
            raise RuntimeError("worker and main process disagree on the lines")
        tree.extend_leaf_hashes(hashes[i : i + 32] for i in range(0, len(hashes), 32))
        bad_set = set(bad)
        first = self.line + 1
        self.line += len(lines)
        apply = self.state.apply
        for index, line in enumerate(lines):
            number = first + index
            stmt = self._entry(number, line, index in bad_set)
            if stmt is None or self.stopped:
                continue
            try:
                apply(stmt)
            except ReceivablesError as exc:
                problem = _problem(fmt.STATEMENTS_FILE, number, exc, _seq_of(stmt))
                self.run.add_line(_RANK_STATE, problem)
                self.stopped = True
        if not data.endswith(b"\n") and lines:
            self.run.add_line(
                _RANK_FRAME,
                Problem(
                    fmt.STATEMENTS_FILE,
                    self.line,
                    "export.truncated",
                    "the last line has no newline (the file was truncated)",
                    "最后一行没有换行符（文件被截断）",
                ),
            )

    def _entry(self, number: int, line: bytes, bad_signature: bool) -> dict[str, Any] | None:
        """The statement of a line whose frame, canonical JSON, key and signature are right.

        Otherwise None, with the first of these that fails recorded against the line.
        """
        if not _framed(line):
            self._fail(
                _RANK_FRAME,
                number,
                "export.malformed_entry",
                'not an entry {"kid":<64 hex>,"sig":<88 base64>,"stmt":{...}}',
                '不是条目格式 {"kid":<64 位十六进制>,"sig":<88 位 base64>,"stmt":{...}}',
                None,
            )
            return None
        try:
            stmt = _canonical_statement(line[STMT_OFFSET:-1])
        except (ValueError, UnicodeDecodeError) as exc:
            self._fail(
                _RANK_FRAME,
                number,
                "receivables.non_canonical",
                f"the statement is not canonical JSON: {exc}",
                f"报文不是规范 JSON：{exc}",
                None,
            )
            return None
        seq = _seq_of(stmt)
        key_failure = self._key_failure(line, stmt)
        if key_failure is not None:
            self._fail(_RANK_KEY, number, *key_failure, seq)
            return None
        if bad_signature:
            actor = stmt.get("actor")
            self._fail(
                _RANK_SIGNATURE,
                number,
                "receivables.bad_signature",
                f"the signature of {actor} does not verify (the entry was altered)",
                f"{actor} 的签名验证失败（条目被篡改）",
                seq,
            )
            return None
        return stmt

    def _key_failure(self, line: bytes, stmt: dict[str, Any]) -> tuple[str, str, str] | None:
        """(code, English, Chinese) if the entry's key is unknown, not the actor's or expired."""
        record = self.records.get(line[8:72])
        actor, at = stmt.get("actor"), stmt.get("at")
        if record is None:
            kid = line[8:72].decode("ascii", "replace")
            return (
                "receivables.unknown_key",
                f"signing key {kid} is not in keys.json",
                f"签名密钥 {kid} 不在 keys.json 中",
            )
        if record.party != actor:
            return (
                "receivables.key_party_mismatch",
                f"key {record.kid[:16]}… belongs to {record.party}, but the actor is {actor}",
                f"密钥 {record.kid[:16]}… 属于 {record.party}，而操作方是 {actor}",
            )
        if type(at) is not str or not record.valid_at(at):
            return (
                "receivables.key_not_valid",
                f"key {record.kid[:16]}… of {actor} is not valid at {at}",
                f"{actor} 的密钥 {record.kid[:16]}… 在 {at} 不在有效期内",
            )
        return None


def _framed(line: bytes) -> bool:
    """The fixed frame {"kid":"<64>","sig":"<88>","stmt":{...}} around the statement."""
    return (
        line.startswith(_KID_PREFIX)
        and line.startswith(_SIG_PREFIX, 72)
        and line.startswith(_STMT_PREFIX, 169)
        and line.endswith(b"}")
    )


def _canonical_statement(raw: bytes) -> dict[str, Any]:
    """The statement of canonical bytes; ValueError (or UnicodeDecodeError) otherwise."""
    # canonical = the bytes orjson writes back with sorted keys (the same bytes as
    # puhui.receivables.statements.canonical_json for every valid statement)
    stmt = orjson.loads(raw)
    if orjson.dumps(stmt, option=_SORTED) != raw:
        raise ValueError("not in canonical form (key order, spacing or escapes)")
    if type(stmt) is not dict:
        raise ValueError("a statement is a JSON object")
    _reject_floats(stmt)
    return stmt


def _seq_of(stmt: dict[str, Any]) -> int | None:
    seq = stmt.get("seq")
    return seq if type(seq) is int else None


def _reject_floats(value: Any) -> None:
    """Canonical statements hold integers only (amounts in fen): any float is refused."""
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is float:
            raise ValueError(f"number {item!r} is not an integer")
        if kind is dict or kind is list:
            _reject_floats(item)


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m puhui.receivables.verifier",
        description=(
            "Verify a Puhui receivables export: signatures, Merkle tree, signed checkpoints, "
            "consistency and the business rules. 验证应收款链导出：签名、默克尔树、签名树头、"
            "一致性证明与业务规则。Exit code 0 = verified, 1 = problems found."
        ),
    )
    parser.add_argument(
        "directory",
        help="export directory (log.json, keys.json, statements.jsonl, checkpoints.jsonl)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="signature-checking processes (default: CPU count)",
    )
    parser.add_argument(
        "--trusted",
        action="append",
        default=[],
        metavar="NOTE_FILE",
        help="a signed checkpoint you received earlier; the export must contain its tree",
    )
    parser.add_argument("--backend", choices=["auto", "libsodium", "cryptography"], default=None)
    parser.add_argument(
        "--lang", choices=["zh", "en"], default=None, help="report language (default: both)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = verify(
        args.directory, workers=args.workers, trusted=args.trusted, backend=args.backend
    )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(report.render(args.lang))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
