"""Licence OCR for real: a licence image (Pillow, Noto CJK) read by RapidOCR, prefilled into the
application form on /m, and cross-checked against the registry source."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from tests.licence_image import licence_png

from puhui.datahub.sandbox import default_provider
from puhui.identity.ocr import read_licence
from puhui.web.borrower.identity import PREFILL_KEY


def _world_firm() -> dict[str, Any]:
    world = default_provider().world
    row = world.enterprises.row(3, named=True)
    rep = world.people.row(row["legal_rep_person_id"], named=True)
    return {"uscc": row["uscc"], "name": row["name"], "rep": rep["name"]}


def test_rapidocr_reads_the_uscc_name_and_legal_representative() -> None:
    firm = _world_firm()
    fields, lines = read_licence(licence_png(firm["uscc"], firm["name"], firm["rep"]))
    assert fields.uscc == firm["uscc"], lines
    assert fields.name == firm["name"], lines
    assert fields.legal_representative == firm["rep"], lines


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _sign_in(client: TestClient, mobile: str) -> str:
    start = client.get("/m/start")
    page = client.post("/m/login/send", data={"mobile": mobile, "csrf_token": _csrf(start.text)})
    code = re.search(r'data-testid="sandbox-code">(\d{6})<', page.text)
    assert code
    done = client.post(
        "/m/login/verify", data={"code": code.group(1), "csrf_token": _csrf(page.text)}
    )
    return done.text


def test_the_licence_photo_prefills_the_application_and_a_mismatch_is_explained(
    client: TestClient,
) -> None:
    firm = _world_firm()
    apply_page = _sign_in(client, "13600004444")
    ok = client.post(
        "/m/identity/licence",
        data={"csrf_token": _csrf(apply_page)},
        files={
            "photo": (
                "licence.png",
                licence_png(firm["uscc"], firm["name"], firm["rep"]),
                "image/png",
            )
        },
    )
    assert ok.status_code == 200 and 'data-testid="licence-read"' in ok.text
    assert f'value="{firm["uscc"]}"' in ok.text and f'value="{firm["rep"]}"' in ok.text
    assert "与工商登记一致" in ok.text
    wrong = client.post(
        "/m/identity/licence",
        data={"csrf_token": _csrf(ok.text)},
        files={
            "photo": ("licence.png", licence_png(firm["uscc"], firm["name"], "张冒名"), "image/png")
        },
    )
    assert 'data-testid="licence-error"' in wrong.text
    assert "法定代表人与工商登记不一致" in wrong.text and "张冒名" in wrong.text
    assert PREFILL_KEY  # the prefill is shown once, then dropped from the session
