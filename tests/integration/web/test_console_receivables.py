"""Console pages of the receivables chain over HTTP (TestClient): the certificates list with the
signed checkpoints, a certificate's provenance tree, each operation's inclusion proof (parsed
from the htmx fragment and verified here with the pure Merkle module), and the guards."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import FACE, World, make_world, party_code

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.money import format_fen
from puhui.core.runtime import Runtime
from puhui.receivables import keys_service, merkle, service
from puhui.receivables.checkpoint import open_checkpoint

PAGES = "/console/receivables"
API = "/api/v1/receivables"


@dataclass
class Chain:
    world: World
    cert: str
    checkpoint_size: int  # the signed checkpoint published mid-way
    size: int  # the log size at the end


@pytest.fixture
def chain(session: Session, clock: FixedClock, runtime: Runtime) -> Chain:
    """issue → accept → split 30/20 → transfer of -1 to a tier-2 supplier (→ -3) → finance -2
    with the bank (→ -4) → checkpoint → split of -3 into -5/-6 (after the checkpoint)."""
    world = make_world(session, clock, runtime.cipher)
    cert = world.active(FACE)
    world.do(service.split, cert, [30_000_000, 20_000_000])
    world.do(service.transfer, f"{cert}-1", world.t2.id)
    world.do(service.accept_transfer, f"{cert}-1")
    world.do(service.finance, f"{cert}-2", idempotency_key=f"console-{cert}")
    checkpoint = service.publish_checkpoint(session, clock, runtime.cipher)
    world.do(service.split, f"{cert}-3", [10_000_000, 20_000_000])
    session.commit()
    return Chain(world, cert, checkpoint.size, service.log_head(session).size)


class _Tree(HTMLParser):
    """Parent of every ``<li data-part>`` of the provenance tree, and its data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.parent: dict[str, str | None] = {}
        self.attrs: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "li":
            return
        found = {k: v or "" for k, v in attrs}
        part = found.get("data-part")
        if part:
            parents = [p for p in self.stack if p]
            self.parent[part] = parents[-1] if parents else None
            self.attrs[part] = found
        self.stack.append(part)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.stack:
            self.stack.pop()


def _text(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    assert match is not None, testid
    return html.unescape(match.group(1)).strip()


def test_the_list_shows_certificates_and_signed_checkpoints(
    client: TestClient, chain: Chain, session: Session, headers_for: Any
) -> None:
    page = client.get(PAGES, headers=headers_for(Role.CREDIT_OFFICER))
    assert page.status_code == 200
    text = page.text
    assert "应收账款债权凭证" in text and 'href="/console/receivables"' in text  # zh, in the nav
    row = re.search(rf'<tr data-cert="{chain.cert}">(.*?)</tr>', text, re.S)
    assert row is not None
    cells = row.group(1)
    assert chain.world.core.name in cells and chain.world.t1.name in cells
    assert "¥500,000.00" in cells and "有效" in cells
    assert "3 · ¥500,000.00" in cells  # live: -4 (the bank's), -5, -6
    assert "含贴现" in cells
    assert _text(text, "log-size") == str(chain.size)
    latest = service.latest_checkpoint(session)
    assert latest is not None and latest.size == chain.checkpoint_size
    assert latest.root in text and latest.note.splitlines()[0] in text
    assert "条操作待下次签名" in text  # the split after the checkpoint is not signed yet
    # the core enterprise's limit: what the live certificate uses and what approved it
    code = party_code(session, chain.world.core)
    limit = re.search(rf'<tr data-party="{code}">(.*?)</tr>', text, re.S)
    assert limit is not None
    expected = service.list_limits(session)
    mine = next(x for x in expected if x.party == code)
    assert mine.outstanding_fen == FACE and mine.available_fen == mine.limit_fen - FACE
    cells = limit.group(1)
    assert chain.world.core.name in cells and "人工审批" in cells and "年度供应链授信审批" in cells
    assert format_fen(FACE) in cells and format_fen(mine.available_fen) in cells
    api = client.get(f"{API}/limits", headers=headers_for(Role.CREDIT_OFFICER)).json()
    assert [x["party"] for x in api] == [x.party for x in expected]
    assert client.get(f"{API}/limits", headers=headers_for(Role.BORROWER)).status_code == 403
    en = client.get(PAGES, params={"lang": "en"}, headers=headers_for(Role.CREDIT_OFFICER))
    assert "Receivable certificates" in en.text and "Live parts" in en.text
    assert "supply-chain limits" in en.text and "manual" in en.text
    only_overdue = client.get(
        PAGES, params={"status": "overdue"}, headers=headers_for(Role.CREDIT_OFFICER)
    )
    assert chain.cert not in only_overdue.text


def test_the_certificate_page_shows_the_provenance_tree(
    client: TestClient, chain: Chain, session: Session, headers_for: Any
) -> None:
    cid = chain.cert
    page = client.get(f"{PAGES}/certificates/{cid}", headers=headers_for(Role.AUDITOR))
    assert page.status_code == 200
    tree = _Tree()
    tree.feed(page.text)
    assert tree.parent == {
        cid: None,
        f"{cid}-1": cid,
        f"{cid}-2": cid,
        f"{cid}-3": f"{cid}-1",  # transferred to the tier-2 supplier
        f"{cid}-4": f"{cid}-2",  # financed: the bank's part
        f"{cid}-5": f"{cid}-3",
        f"{cid}-6": f"{cid}-3",
    }
    status = {p: a["data-status"] for p, a in tree.attrs.items()}
    amount = {p: int(a["data-amount-fen"]) for p, a in tree.attrs.items()}
    assert status == {
        cid: "closed",
        f"{cid}-1": "closed",
        f"{cid}-2": "closed",
        f"{cid}-3": "closed",
        f"{cid}-4": "financed",
        f"{cid}-5": "held",
        f"{cid}-6": "held",
    }
    live = [p for p, s in status.items() if s != "closed"]
    assert sum(amount[p] for p in live) == FACE
    for parent in (cid, f"{cid}-3"):  # the parts of a split sum to their parent
        children = [p for p, up in tree.parent.items() if up == parent]
        assert sum(amount[c] for c in children) == amount[parent]
    assert "= 面额 ✓" in _text(page.text, "sum-check")
    assert "融资银行 BANK" in page.text and chain.world.t2.name in page.text
    financed = _text(page.text, "financed")
    assert "银行贴现" in financed and "价款 ¥" in financed and "%" in financed
    assert page.text.count("当前持有人") == 3
    # every operation of the certificate, each linking its seq and its proof
    seqs = [int(s) for s in re.findall(r'<tr id="op-(\d+)">', page.text)]
    ops = service.provenance(session, None, cid).operations
    assert seqs == [o.seq for o in ops]
    assert [o.op for o in ops] == [
        "issue",
        "accept",
        "split",
        "transfer",
        "accept_transfer",
        "transfer",
        "finance",
        "split",
    ]
    for seq in seqs:
        assert f'href="/console/receivables/operations/{seq}"' in page.text
    assert "htmx.min.js" in page.text


def test_every_proof_on_the_page_verifies(
    client: TestClient, chain: Chain, session: Session, headers_for: Any
) -> None:
    headers = headers_for(Role.RISK_OFFICER)
    page = client.get(f"{PAGES}/certificates/{chain.cert}", headers=headers)
    links = re.findall(
        r'hx-get="(/console/receivables/operations/(\d+)/proof\?size=(\d+))"', page.text
    )
    assert len(links) == 8
    signed = client.get(f"{API}/checkpoints/latest", headers=headers).json()
    head = service.log_head(session)
    for url, seq_text, size_text in links:
        seq, size = int(seq_text), int(size_text)
        fragment = client.get(url, headers=headers)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text  # a fragment for htmx, not a page
        assert int(_text(fragment.text, "leaf-index")) == seq
        assert int(_text(fragment.text, "tree-size")) == size
        leaf = bytes.fromhex(_text(fragment.text, "leaf-hash"))
        root = bytes.fromhex(_text(fragment.text, "proof-root"))
        path_html = re.search(r'data-testid="audit-path">(.*?)</ol>', fragment.text, re.S)
        assert path_html is not None
        path = [
            bytes.fromhex(h)
            for h in re.findall(r"<code[^>]*>([0-9a-f]{64})</code>", path_html.group(1))
        ]
        assert len(path) >= 1
        entry = _text(fragment.text, "entry").encode("utf-8")
        assert merkle.leaf_hash(entry) == leaf
        assert merkle.verify_inclusion_hash(leaf, seq, size, path, root)
        assert merkle.verify_inclusion(entry, seq, size, path, root)
        forged = bytes([root[0] ^ 1]) + root[1:]
        assert not merkle.verify_inclusion_hash(leaf, seq, size, path, forged)
        check = _text(fragment.text, "proof-check")
        assert check.startswith("✓")
        if seq < chain.checkpoint_size:
            # against the signed checkpoint: the same root as the API's, signed by the log key
            assert size == chain.checkpoint_size == signed["size"]
            assert root.hex() == signed["root"] == _text(fragment.text, "checkpoint-root")
            note = _text(fragment.text, "checkpoint-note")
            assert note + "\n" == signed["note"] or note == signed["note"].strip()
            assert "签名树头由平台日志密钥签名" in check
        else:
            assert size == chain.size and root.hex() == head.root
            assert "该大小尚无签名树头" in check
    # the checkpoint's signature checks with the log key (as an auditor would)
    key = keys_service.log_public_key(session, head.origin)
    assert key is not None
    opened = open_checkpoint(signed["note"], origin=head.origin, public_key=key)
    assert opened.size == chain.checkpoint_size and opened.root.hex() == signed["root"]
    # the page of one operation: the signed statement and the same proof
    op = client.get(f"{PAGES}/operations/{links[0][1]}", headers=headers)
    assert op.status_code == 200
    assert '"op": "issue"' in html.unescape(op.text)
    assert party_code(session, chain.world.core) in op.text
    assert _text(op.text, "proof-root") == signed["root"]
    en = client.get(links[0][0], params={"lang": "en"}, headers=headers)
    assert "the audit path leads from the entry to the root" in en.text


def test_an_admin_signs_the_tree_head_from_the_console(
    client: TestClient, chain: Chain, session: Session, headers_for: Any
) -> None:
    admin = headers_for(Role.ADMIN)
    page = client.get(PAGES, headers=admin)
    assert 'action="/console/receivables/checkpoints"' in page.text
    resp = client.post(f"{PAGES}/checkpoints", headers=admin, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith("#checkpoints")
    session.expire_all()
    latest = service.latest_checkpoint(session)
    assert latest is not None and latest.size == chain.size
    page = client.get(PAGES, headers=admin)
    assert "覆盖全部操作" in page.text
    auditor = headers_for(Role.AUDITOR)
    assert (
        'action="/console/receivables/checkpoints"' not in client.get(PAGES, headers=auditor).text
    )
    assert client.post(f"{PAGES}/checkpoints", headers=auditor).status_code == 403


def test_a_risk_officer_grants_a_limit_from_the_console(
    client: TestClient, chain: Chain, session: Session, headers_for: Any
) -> None:
    risk = headers_for(Role.RISK_OFFICER)
    assert 'action="/console/receivables/limits"' in client.get(PAGES, headers=risk).text
    officer = headers_for(Role.CREDIT_OFFICER)
    assert 'action="/console/receivables/limits"' not in client.get(PAGES, headers=officer).text
    code = party_code(session, chain.world.core)
    form = {
        "uscc": chain.world.core.uscc.lower(),
        "limit_yuan": "8,000,000",
        "grade": "aa",
        "reason": "年度复审调整",
        "application_reference": "",
    }
    assert client.post(f"{PAGES}/limits", data=form, headers=officer).status_code == 403
    before = service.log_head(session).size

    # refused with the reason on the page, the form kept, nothing changed
    for bad, status, words in (
        ({"uscc": "91330100MA00000000"}, 404, "未找到该企业"),
        ({"limit_yuan": "12.345"}, 422, "“额度（元）”填写有误"),
        ({"limit_yuan": "1" + "0" * 20}, 422, "“额度（元）”填写有误"),  # above any limit
        ({"reason": " "}, 422, "“理由（至少 2 个字）”填写有误"),
        ({"grade": "ZZZ"}, 422, "“评级”填写有误"),
        ({"application_reference": "APP-20261123-NONE"}, 404, "未找到该申请"),
    ):
        page = client.post(f"{PAGES}/limits", data=form | bad, headers=risk)
        assert page.status_code == status, (bad, page.text[:300])
        alert = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S)
        assert alert is not None and words in html.unescape(alert.group(1)), bad
        kept = (form | bad)["uscc"]
        assert f'name="uscc" required maxlength="32" value="{kept}"' in page.text  # form kept
        assert service.log_head(session).size == before

    done = client.post(f"{PAGES}/limits", data=form, headers=risk, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("#limits")
    session.expire_all()
    mine = next(x for x in service.list_limits(session) if x.party == code)
    assert (mine.limit_fen, mine.grade, mine.source) == (800_000_000, "AA", "manual")
    assert service.log_head(session).size == before + 1
    row = re.search(
        rf'<tr data-party="{code}">(.*?)</tr>', client.get(PAGES, headers=risk).text, re.S
    )
    assert row is not None and format_fen(800_000_000) in row.group(1)


def test_guards_send_visitors_to_login_and_refuse_borrowers(
    client: TestClient, chain: Chain, headers_for: Any
) -> None:
    cid = chain.cert
    urls = [
        PAGES,
        f"{PAGES}/certificates/{cid}",
        f"{PAGES}/operations/0",
        f"{PAGES}/operations/0/proof",
    ]
    for url in urls:
        anon = client.get(url, follow_redirects=False)
        assert anon.status_code == 303, url
        assert anon.headers["location"] == f"/console/login?next={url}"
    # a borrower, even the holder of the certificate, uses the API or the mobile web instead
    holder = headers_for(Role.BORROWER, [chain.world.t1.id])
    for role_headers in (holder, headers_for(Role.SERVICE_REP)):
        for url in urls:
            resp = client.get(url, headers=role_headers)
            assert resp.status_code == 403, url
            assert resp.json()["code"] == "forbidden"
    missing = client.get(f"{PAGES}/certificates/EC9999999999", headers=headers_for(Role.ADMIN))
    assert missing.status_code == 404


def test_borrowers_see_their_own_certificates_on_the_mobile_web(
    client: TestClient, chain: Chain, headers_for: Any
) -> None:
    cid = chain.cert
    holder = headers_for(Role.BORROWER, [chain.world.t2.id])  # holds -5 and -6 (via -3)
    outsider = headers_for(Role.BORROWER, [chain.world.t2b.id])
    assert 'href="/m/receivables"' in client.get("/m/home", headers=holder).text
    mine = client.get("/m/receivables", headers=holder)
    assert mine.status_code == 200
    assert f'data-cert="{cid}"' in mine.text and "我方持有 ¥300,000.00" in mine.text
    page = client.get(f"/m/receivables/{cid}", headers=holder)
    assert page.status_code == 200
    assert _text(page.text, "held") == "¥300,000.00"
    tree = _Tree()
    tree.feed(page.text)
    assert tree.parent[f"{cid}-5"] == f"{cid}-3" and tree.parent[f"{cid}-4"] == f"{cid}-2"
    links = re.findall(r'hx-get="(/m/receivables/operations/(\d+)/proof\?size=(\d+))"', page.text)
    assert len(links) == 8 and "/console/" not in "".join(u for u, _, _ in links)
    url, seq, size = links[-1]
    fragment = client.get(url, headers=holder)
    assert fragment.status_code == 200
    path_html = re.search(r'data-testid="audit-path">(.*?)</ol>', fragment.text, re.S)
    assert path_html is not None
    path = [
        bytes.fromhex(h)
        for h in re.findall(r"<code[^>]*>([0-9a-f]{64})</code>", path_html.group(1))
    ]
    assert merkle.verify_inclusion_hash(
        bytes.fromhex(_text(fragment.text, "leaf-hash")),
        int(seq),
        int(size),
        path,
        bytes.fromhex(_text(fragment.text, "proof-root")),
    )
    # an enterprise that never touched the certificate sees nothing of it
    assert f'data-cert="{cid}"' not in client.get("/m/receivables", headers=outsider).text
    assert client.get(f"/m/receivables/{cid}", headers=outsider).status_code == 404
    assert client.get(url, headers=outsider).status_code == 404
    # staff use the console
    assert client.get("/m/receivables", headers=headers_for(Role.AUDITOR)).status_code == 403
