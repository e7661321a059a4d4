"""Every page of every role, in zh and en, at phone width (issue 21's acceptance): log in as each
console role and as a borrower (/m, with a signed line and a loan), follow every same-origin
link (bounded per URL shape), and probe a few pages that must answer in words (an unknown page,
an unknown loan, a page the role may not open). On each page assert:

- no JSON body where a person expects a page (a problem+json answer in front of people);
- no raw code: a value of an enum the pages show, a ledger account, a data source, a product
  code or a `manager:<id>` channel (the list is built from the enums and the chart, so a new
  status is covered without touching this test);
- in English, no Chinese text in an event (timeline, history);
- no horizontal overflow at 390 px.

All failures are collected and reported at once (the count is the figure of the issue)."""

from __future__ import annotations

import re
import uuid
from collections import deque
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import pytest
from tests.e2e.conftest import LiveServer
from tests.e2e.ux_helpers import apply_for, console_login, mobile_sign_in, sign_and_draw

from puhui.demo.world import journey_firms

pytestmark = pytest.mark.browser

STAFF = ("admin", "manager", "officer", "risk", "service", "auditor")
MAX_PAGES = 60  # per role and language
PER_SHAPE = 2  # pages of one URL shape (ids replaced) visited
SKIP = re.compile(
    r"^/(static|docs|redoc|openapi\.json|api/)|/logout|/lang/|/settings/|\.(json|png|svg|pdf|csv)$"
    r"|/document$|/export"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _enum_codes() -> set[str]:
    """Values of the StrEnums whose members reach pages, the ledger's accounts, the sources."""
    from puhui.consents import models as consents_models
    from puhui.consents.sources import SourceName
    from puhui.core.models import Role
    from puhui.decisioning import models as decisioning_models
    from puhui.lending import models as lending_models
    from puhui.lending.allocation import Bucket
    from puhui.lending.classification import LoanClass
    from puhui.lending.contracts.models import ContractStatus
    from puhui.lending.products import WEIYEDAI
    from puhui.lending.schedules import RepaymentMethod
    from puhui.parties.models import RelationKind, SizeClass
    from puhui.receivables.state import CertificateStatus, PartStatus

    enums: list[type[StrEnum]] = [
        SourceName,
        Role,
        LoanClass,
        Bucket,
        ContractStatus,
        RepaymentMethod,
        RelationKind,
        SizeClass,
        CertificateStatus,
        PartStatus,
        consents_models.Purpose,
        consents_models.ConsentStatus,
    ]
    from puhui.risk import models as risk_models

    for module in (decisioning_models, lending_models, risk_models):
        enums += [
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum
        ]
    codes = {m.value for e in enums for m in e}
    from puhui.ledger import chart

    codes |= {a.code for a in chart.CHART.values()} if hasattr(chart, "CHART") else set()
    codes |= {a.code for a in getattr(chart, "ACCOUNTS", ())}
    codes.add(WEIYEDAI)
    return codes


CODES = _enum_codes()
# English words that are also codes: only flagged on Chinese pages.
_PLAIN = {c for c in CODES if re.fullmatch(r"[a-z]+", c)}
_COMPOUND = sorted(CODES - _PLAIN, key=len, reverse=True)
COMPOUND_RE = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, _COMPOUND)) + r")(?![\w/-])")
PLAIN_RE = re.compile(r"(?<![\w./@-])(" + "|".join(sorted(_PLAIN)) + r")(?![\w/@-])")
CHANNEL_RE = re.compile(r"\b(manager|team|repayment|drawdown):[0-9a-z]{4,}")


def _shape(path: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}", path)
    return re.sub(r"\d+", "{n}", path)


def _visible_text(page) -> str:  # type: ignore[no-untyped-def]
    return str(
        page.evaluate(
            """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('script,style,pre.consent-text,code,[data-raw]').forEach(n => n.remove());
  return clone.innerText;
}"""
        )
    )


def _check(page, url: str, lang: str, problems: list[str], response) -> None:  # type: ignore[no-untyped-def]
    where = f"[{lang}] {urlsplit(url).path}"
    ctype = (response.headers.get("content-type", "") if response else "").lower()
    body = page.content()
    if "json" in ctype or page.evaluate("document.body.innerText.trim().startsWith('{')"):
        problems.append(f"{where}: JSON body ({ctype})")
        return
    text = _visible_text(page)
    for m in sorted(set(COMPOUND_RE.findall(text)) | set(CHANNEL_RE.findall(text))):
        problems.append(f"{where}: raw code {m!r}")
    if lang == "zh":
        for m in sorted(set(PLAIN_RE.findall(text))):
            problems.append(f"{where}: raw code {m!r}")
    if lang == "en":
        events = page.locator("[data-testid=timeline], [data-event]")
        for i in range(events.count()):
            for line in events.nth(i).inner_text().splitlines():
                if CJK.search(line):
                    problems.append(f"{where}: untranslated event {line.strip()[:40]!r}")
                    break
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        problems.append(f"{where}: {overflow}px horizontal overflow at 390px")
    del body


VISITED: list[str] = []


def _crawl(page, live_server: LiveServer, starts: list[str], lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    origin = live_server.url
    seen_urls: set[str] = set()
    shapes: dict[str, int] = {}
    todo = deque(f"{origin}{s}" for s in starts)
    visited = 0
    while todo and visited < MAX_PAGES:
        url = todo.popleft().split("#")[0]
        path = urlsplit(url).path
        shape = _shape(path) + ("?" if urlsplit(url).query else "")
        if url in seen_urls or shapes.get(shape, 0) >= PER_SHAPE or SKIP.search(path):
            continue
        seen_urls.add(url)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = page.goto(url)
        visited += 1
        VISITED.append(f"[{lang}] {_shape(path)}")
        _check(page, url, lang, problems, response)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            target = urljoin(url, href)
            if target.startswith(origin) and target not in seen_urls:
                todo.append(target)
    return problems


def _set_lang(page, live_server: LiveServer, lang: str, mobile: bool) -> None:  # type: ignore[no-untyped-def]
    if mobile:
        page.goto(f"{live_server.url}/m/settings/{lang}?back=/m/home")
    else:
        page.goto(f"{live_server.url}/console/lang/{lang}?back=/console/")


def _phone(browser):  # type: ignore[no-untyped-def]
    return browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )


def test_every_page_of_every_role_reads_as_words(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    context = _phone(browser)
    page = context.new_page()
    try:
        missing = uuid.UUID(int=1)
        for username in STAFF:
            console_login(page, live_server, username)
            for lang in ("zh", "en"):
                _set_lang(page, live_server, lang, mobile=False)
                probes = ["/console/", "/console/nope", f"/console/loans/{missing}"]
                if username == "service":
                    probes.append("/console/reviews")  # a role without access
                found = _crawl(page, live_server, probes, lang)
                problems += [f"{username} {p}" for p in found]
        # a borrower with a signed line and a loan (a reserved sandbox firm)
        mobile_sign_in(page, live_server, journey_firms()[6].mobile)
        apply_for(page, live_server, 6, "50000")
        if page.locator("form[action$='/contract'] button").count():
            sign_and_draw(page, live_server, "10000")
        for lang in ("zh", "en"):
            _set_lang(page, live_server, lang, mobile=True)
            probes = ["/m/home", "/m/timeline", "/m/nope", f"/m/loans/{missing}"]
            problems += [f"borrower {p}" for p in _crawl(page, live_server, probes, lang)]
    finally:
        context.close()
    print(f"\ncrawl: {len(VISITED)} pages, {len(set(VISITED))} shapes, {len(problems)} failures")
    for shape in sorted(set(VISITED)):
        print("  visited " + shape)
    for p in problems:
        print("  " + p)
    assert not problems, f"{len(problems)} failures:\n" + "\n".join(problems)
