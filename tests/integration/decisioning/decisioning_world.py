"""Sandbox-world firms for the decisioning tests: registered in parties, chosen by what the
default policy and the baseline scorecard make of them, and connectors that patch payloads."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep

from puhui.core.runtime import Runtime
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.datahub.payloads import SourceName
from puhui.datahub.sandbox import default_provider
from puhui.decisioning.features import ApplicationFacts, compute_features, model_inputs
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.policy import (
    DecisionInputs,
    PolicyDocument,
    ProductTerms,
    ScoreInputs,
    compile_policy,
    decide,
)
from puhui.decisioning.scoring import baseline_artifact
from puhui.decisioning.world_training import world_bundle
from puhui.lending.products import DEFAULT_PRODUCTS
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

REQUEST_FEN = 50_000_000  # 500,000 yuan


@dataclass(frozen=True)
class Firm:
    index: int
    uscc: str
    enterprise_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    resident_id: str = ""
    rep_name: str = ""
    mobile: str = ""


def _terms(code: str) -> ProductTerms:
    spec = next(s for s in DEFAULT_PRODUCTS if s.code == code)
    return ProductTerms(
        code=spec.code,
        min_amount_fen=spec.min_amount_fen,
        max_limit_fen=spec.max_limit_fen,
        min_rate_bp=spec.min_rate_bp,
        max_rate_bp=spec.max_rate_bp,
        min_term_months=spec.min_term_months,
        max_term_months=spec.max_term_months,
        repayment_methods=tuple(m.value for m in spec.repayment_methods),
    )


@lru_cache(maxsize=1)
def world_outcomes() -> list[tuple[int, str, tuple[str, ...], str | None, int]]:
    """(index, outcome, codes, grade, sales_12m_fen) of every non-core firm of the default world
    under the seed policy and the baseline scorecard, for a 500,000-yuan weiyedai request."""
    provider = default_provider()
    world = provider.world
    policy = compile_policy(PolicyDocument.model_validate(seed_document()))
    artifact = baseline_artifact()
    out = []
    for i in range(world.n_enterprises):
        if world.enterprises["size_class"][i] == "large":
            continue
        bundle, _ = world_bundle(provider, i)
        features = compute_features(bundle, ApplicationFacts(requested_amount_fen=REQUEST_FEN))
        scored = artifact.score(model_inputs(features))
        result = decide(
            policy,
            DecisionInputs(
                features=features,
                score=ScoreInputs(points=scored.points, pd=scored.pd),
                product=_terms("weiyedai"),
                requested_amount_fen=REQUEST_FEN,
            ),
        )
        codes = tuple(sorted(h.code for h in result.hits if h.action != "flag"))
        out.append((i, result.outcome, codes, result.grade, int(features["sales_12m_fen"] or 0)))
    return out


def pick(predicate: Callable[[str, tuple[str, ...], str | None, int], bool], skip: int = 0) -> int:
    found = [i for i, o, c, g, s in world_outcomes() if predicate(o, c, g, s)]
    assert len(found) > skip, "the default world has no such firm"
    return found[skip]


def clean_index(skip: int = 0) -> int:
    """A firm the seed policy approves without any rule hit, grade A, with ample sales."""
    return pick(lambda o, c, g, s: o == "approve" and not c and g == "A" and s > 2e9, skip)


def firm(index: int) -> Firm:
    world = default_provider().world
    return Firm(index=index, uscc=str(world.enterprises["uscc"][index]))


def register(session: Session, runtime: Runtime, index: int, *, with_rep: bool = True) -> Firm:
    """Register the world's enterprise `index` (and its legal representative) in parties."""
    world = default_provider().world
    row: dict[str, Any] = world.enterprises.row(index, named=True)
    rep: dict[str, Any] = world.people.row(row["legal_rep_person_id"], named=True)
    established: date = row["established_date"]
    enterprise = parties_service.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name=row["name"],
            uscc=row["uscc"],
            industry_section=row["industry"],
            region_code=f"{row['region_code']:06d}",
            region_name=row["region_name"],
            registered_capital_fen=row["registered_capital_fen"],
            established_date=established,
            size_class=row["size_class"],
        ),
    )
    person_id = None
    if with_rep:
        person = parties_service.find_person_by_resident_id(
            session, runtime.cipher, rep["resident_id"]
        ) or parties_service.create_person(
            session,
            runtime.clock,
            runtime.cipher,
            PersonCreate(name=rep["name"], resident_id=rep["resident_id"], mobile=rep["mobile"]),
        )
        parties_service.add_relationship(
            session,
            runtime.clock,
            enterprise.id,
            RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
        )
        person_id = person.id
        # the legal representative passed real-name verification (issue 15)
        verify_rep(
            session,
            runtime.clock,
            runtime.cipher,
            name=rep["name"],
            resident_id=rep["resident_id"],
            mobile=rep["mobile"],
            person_id=person.id,
        )
    session.commit()
    return Firm(
        index=index,
        uscc=row["uscc"],
        enterprise_id=enterprise.id,
        person_id=person_id,
        resident_id=rep["resident_id"],
        rep_name=rep["name"],
        mobile=rep["mobile"],
    )


Patch = Callable[[BaseModel], BaseModel]


class PatchingConnector:
    """The default sandbox, with some payloads changed (to make a case)."""

    name = "sandbox"
    is_sandbox = True

    def __init__(self, patches: dict[tuple[SourceName, str], Patch]) -> None:
        self.inner = SandboxConnector.default()
        self.patches = patches

    def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
        payload = self.inner.fetch(source, subject_id, request_id=request_id)
        patch = self.patches.get((source, subject_id))
        return patch(payload) if patch else payload


def use_connectors(app: Any, connectors: Connectors) -> None:
    app.state.datahub_connectors = connectors
    if hasattr(app.state, "decisioning_env"):
        del app.state.decisioning_env


def patched(app: Any, patches: dict[tuple[SourceName, str], Patch]) -> None:
    use_connectors(app, Connectors(default=PatchingConnector(patches)))


def application_body(f: Firm, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": f.uscc,
        "product_code": "weiyedai",
        "requested_amount_fen": REQUEST_FEN,
        "consent": {"agree": True},
    }
    body.update(overrides)
    return body
