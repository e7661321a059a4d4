"""Sandbox provider: answers every data source from the synthetic world.

``SandboxProvider(world).fetch(source, subject_id)`` returns the source's payload model
(``puhui.datahub.payloads``) for an enterprise USCC, or, for the credit bureau, also for a
person's resident ID (the legal representative's personal report). Every payload carries
``provider="sandbox"`` and ``sandbox=True``.

Lookups are indexed: the world's frames are sorted by subject, so each fetch slices numpy
arrays between precomputed offsets (well under a millisecond per fetch).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from puhui.core.errors import NotFound
from puhui.datahub.payloads import (
    CreditBureauPayload,
    HousingFundPayload,
    JudicialPayload,
    RegistryPayload,
    SocialSecurityPayload,
    SourceName,
    SourcePayload,
    TaxPayload,
    UtilitiesPayload,
)
from puhui.datahub.world import World, generate_world
from puhui.datahub.world.vocab import INDUSTRIES

PROVIDER_NAME = "sandbox"
DEFAULT_WORLD_SIZE = 500
DEFAULT_WORLD_SEED = 20261123
_HARD_INQUIRIES = frozenset({"loan_approval", "credit_card_approval", "guarantee_review"})
_PERSON_SOURCES = frozenset({SourceName.SOCIAL_SECURITY, SourceName.HOUSING_FUND})
_INDUSTRY_NAMES = {ind.section: ind.name_zh for ind in INDUSTRIES}


class SubjectNotFound(NotFound):
    """The sandbox world has no such enterprise or person for the requested source."""

    code = "datahub_subject_not_found"
    message_zh = "数据源中未找到该主体（{subject}）。"
    message_en = "The data source has no record of subject {subject}."

    def __init__(self, subject: str) -> None:
        super().__init__(what="主体", what_en="Subject", subject=subject)


def _months_back(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Index:
    """Row ranges [start, stop) of a frame sorted by an integer key."""

    starts: npt.NDArray[np.int64]
    stops: npt.NDArray[np.int64]

    @classmethod
    def build(cls, keys: npt.NDArray[Any], size: int) -> _Index:
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) > 1 and np.any(keys[1:] < keys[:-1]):
            raise ValueError("frame must be sorted by its key")
        grid = np.arange(size, dtype=np.int64)
        return cls(np.searchsorted(keys, grid, "left"), np.searchsorted(keys, grid, "right"))

    def span(self, key: int) -> slice:
        return slice(int(self.starts[key]), int(self.stops[key]))


def _columns(frame: pl.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """numpy arrays of a frame's columns (dates as datetime64[D], strings as objects)."""
    out: dict[str, npt.NDArray[Any]] = {}
    for name in frame.columns:
        series = frame.get_column(name)
        if series.dtype == pl.String:
            out[name] = series.to_numpy().astype(object)
        elif series.dtype == pl.Date:
            out[name] = series.to_numpy().astype("datetime64[D]")
        else:
            out[name] = series.to_numpy()
    return out


def _dates(values: npt.NDArray[Any]) -> list[date | None]:
    return values.astype(object).tolist()  # NaT becomes None


class SandboxProvider:
    """Answers the seven sources from a ``World``; stateless after construction, thread-safe."""

    name = PROVIDER_NAME

    def __init__(self, world: World) -> None:
        self.world = world
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}
        ent = world.enterprises
        self._ent = _columns(ent)
        self._uscc_to_id: dict[str, int] = {u: i for i, u in enumerate(ent["uscc"].to_list())}
        self._month_labels = [f"{m.year:04d}-{m.month:02d}" for m in world.panel_months()]
        self._as_of = world.as_of

    # ------------------------------------------------------------------ public
    @property
    def sources(self) -> tuple[SourceName, ...]:
        return tuple(SourceName)

    def as_of(self, day: date) -> SandboxProvider:
        """The provider answering as the sources read on ``day``, after the world's decision date
        (post-loan monitoring re-pulls): the months and events of the world's life after the
        decision (``puhui.datahub.world.after``) up to ``day``. A day on or before the world's own
        ``as_of`` gives this provider. Cached per day; thread-safe.

        Monitoring pulls through the hub as usual, with the connectors of that day:
        ``datahub_service.pull_many(..., connectors.as_of(business_date), ...)``
        (``Connectors.as_of`` moves every sandbox connector; real providers are left as they are).
        """
        if day <= self._as_of:
            return self
        from puhui.datahub.world.after import months_seen, simulate_after, world_as_of

        key = f"as_of:{months_seen(self.world, day)}:{day.isoformat()}"
        with self._lock:
            after = self._cache.get("after")
            if after is None:
                after = self._cache["after"] = simulate_after(self.world)
            provider = self._cache.get(key)
            if provider is None:
                days = [k for k in self._cache if k.startswith("as_of:")]
                for old in days[: max(0, len(days) - 7)]:  # keep the last eight days
                    del self._cache[old]
                provider = self._cache[key] = SandboxProvider(world_as_of(self.world, after, day))
        return provider

    def enterprise_id(self, uscc: str) -> int:
        try:
            return self._uscc_to_id[uscc]
        except KeyError:
            raise SubjectNotFound(uscc) from None

    def fetch(self, source: SourceName | str, subject_id: str) -> SourcePayload:
        source = SourceName(source)
        if source is SourceName.CREDIT_BUREAU and subject_id not in self._uscc_to_id:
            return self._bureau_person(subject_id)
        if source in _PERSON_SOURCES and subject_id not in self._uscc_to_id:
            from puhui.datahub.sandbox_person import person_records

            return person_records(self, source, subject_id)  # a person's own (便民查询)
        eid = self.enterprise_id(subject_id)
        builder = {
            SourceName.TAX: self._tax,
            SourceName.SOCIAL_SECURITY: self._social_security,
            SourceName.HOUSING_FUND: self._housing_fund,
            SourceName.REGISTRY: self._registry,
            SourceName.JUDICIAL: self._judicial,
            SourceName.UTILITIES: self._utilities,
            SourceName.CREDIT_BUREAU: self._bureau_enterprise,
        }[source]
        return builder(eid)

    # ------------------------------------------------------------------ lazy indexes
    def _lazy(self, key: str) -> Any:
        value = self._cache.get(key)
        if value is None:
            with self._lock:
                value = self._cache.get(key)
                if value is None:
                    value = getattr(self, f"_load_{key}")()
                    self._cache[key] = value
        return value

    def _load_panel(self) -> tuple[_Index, dict[str, npt.NDArray[Any]], npt.NDArray[np.int64]]:
        panel = self.world.panel
        cols = _columns(panel)
        first = self.world.panel_months()[0]
        months = cols["month"].astype("datetime64[M]").astype(np.int64)
        base = np.datetime64(first, "M").astype(np.int64)
        index = _Index.build(cols["enterprise_id"], self.world.n_enterprises)
        return index, cols, (months - base).astype(np.int64)

    def _load_judicial(self) -> tuple[_Index, dict[str, npt.NDArray[Any]]]:
        cols = _columns(self.world.judicial)
        return _Index.build(cols["enterprise_id"], self.world.n_enterprises), cols

    def _load_registry(self) -> dict[str, Any]:
        n = self.world.n_enterprises
        changes = _columns(self.world.registry_changes)
        abnormal = _columns(self.world.abnormal_operations)
        rel = self.world.relationships.filter(pl.col("relation") == "shareholder").sort(
            "target_id", maintain_order=True
        )
        holders = _columns(rel)
        return {
            "changes": (_Index.build(changes["enterprise_id"], n), changes),
            "abnormal": (_Index.build(abnormal["enterprise_id"], n), abnormal),
            "holders": (_Index.build(holders["target_id"], n), holders),
        }

    def _load_people(self) -> dict[str, Any]:
        people = self.world.people
        return {
            "name": people["name"].to_numpy().astype(object),
            "by_resident_id": {r: i for i, r in enumerate(people["resident_id"].to_list())},
        }

    def _load_bureau(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        sizes = {"enterprise": self.world.n_enterprises, "person": self.world.people.height}
        for kind, size in sizes.items():
            acc = self.world.bureau_accounts.filter(pl.col("subject_kind") == kind)
            inq = self.world.bureau_inquiries.filter(pl.col("subject_kind") == kind)
            acc_cols, inq_cols = _columns(acc), _columns(inq)
            out[kind] = (
                _Index.build(acc_cols["subject_id"], size),
                acc_cols,
                _Index.build(inq_cols["subject_id"], size),
                inq_cols,
            )
        return out

    # ------------------------------------------------------------------ builders
    def _base(self, eid: int) -> dict[str, Any]:
        return {
            "provider": PROVIDER_NAME,
            "sandbox": True,
            "subject_id": self._ent["uscc"][eid],
            "as_of": self._as_of,
        }

    def _panel_rows(self, eid: int) -> tuple[dict[str, npt.NDArray[Any]], slice, list[str]]:
        index, cols, month_idx = self._lazy("panel")
        span = index.span(eid)
        labels = [self._month_labels[m] for m in month_idx[span].tolist()]
        return cols, span, labels

    def _tax(self, eid: int) -> TaxPayload:
        cols, span, labels = self._panel_rows(eid)
        months = [
            {"month": m, "filed": f, "invoiced_sales_fen": s, "vat_paid_fen": v}
            for m, f, s, v in zip(
                labels,
                cols["filed"][span].tolist(),
                cols["invoiced_sales_fen"][span].tolist(),
                cols["vat_paid_fen"][span].tolist(),
                strict=True,
            )
        ]
        grade = self._ent["tax_credit_grade"][eid]
        return TaxPayload(
            **self._base(eid),
            taxpayer_name=self._ent["name"][eid],
            taxpayer_type=self._ent["taxpayer_type"][eid],
            credit_grade=grade,
            credit_grade_year=int(self._ent["tax_credit_grade_year"][eid]),
            months=months,
        )

    def _social_security(self, eid: int) -> SocialSecurityPayload:
        cols, span, labels = self._panel_rows(eid)
        months = [
            {"month": m, "insured_headcount": h}
            for m, h in zip(labels, cols["headcount"][span].tolist(), strict=True)
        ]
        return SocialSecurityPayload(
            **self._base(eid), unit_name=self._ent["name"][eid], months=months
        )

    def _housing_fund(self, eid: int) -> HousingFundPayload:
        cols, span, labels = self._panel_rows(eid)
        contributors = cols["housing_fund_contributors"][span]
        amounts = cols["housing_fund_amount_fen"][span]
        opened = bool((contributors > 0).any() or (amounts > 0).any())
        months = [
            {"month": m, "contributors": c, "amount_fen": a}
            for m, c, a in zip(labels, contributors.tolist(), amounts.tolist(), strict=True)
        ]
        return HousingFundPayload(
            **self._base(eid),
            unit_name=self._ent["name"][eid],
            account_opened=opened,
            contribution_base_fen=int(self._ent["housing_fund_base_fen"][eid]) if opened else None,
            contribution_rate_bp=int(self._ent["housing_fund_rate_bp"][eid]) if opened else None,
            months=months if opened else [],
        )

    def _utilities(self, eid: int) -> UtilitiesPayload:
        cols, span, labels = self._panel_rows(eid)
        kwh_price = int(self._ent["electricity_price_fen_per_kwh"][eid])
        water_price = int(self._ent["water_price_fen_per_m3"][eid])
        months = [
            {
                "month": m,
                "electricity_kwh": k,
                "electricity_bill_fen": k * kwh_price,
                "water_m3": w,
                "water_bill_fen": w * water_price,
                "paid_on_time": p,
            }
            for m, k, w, p in zip(
                labels,
                cols["electricity_kwh"][span].tolist(),
                cols["water_m3"][span].tolist(),
                cols["utilities_paid_on_time"][span].tolist(),
                strict=True,
            )
        ]
        region = int(self._ent["region_code"][eid])
        return UtilitiesPayload(
            **self._base(eid),
            account_holder=self._ent["name"][eid],
            electricity_account_no=f"{region:06d}{eid:08d}",
            water_account_no=f"W{region % 10000:04d}{eid:07d}",
            months=months,
        )

    def _registry(self, eid: int) -> RegistryPayload:
        reg = self._lazy("registry")
        people = self._lazy("people")
        c_idx, changes = reg["changes"]
        a_idx, abnormal = reg["abnormal"]
        h_idx, holders = reg["holders"]
        cs, as_, hs = c_idx.span(eid), a_idx.span(eid), h_idx.span(eid)
        shareholders = []
        for kind, source_id, share in zip(
            holders["source_kind"][hs].tolist(),
            holders["source_id"][hs].tolist(),
            holders["share_bp"][hs].tolist(),
            strict=True,
        ):
            if kind == "person":
                shareholders.append(
                    {"name": people["name"][source_id], "kind": "person", "share_bp": share}
                )
            else:
                shareholders.append(
                    {
                        "name": self._ent["name"][source_id],
                        "kind": "enterprise",
                        "share_bp": share,
                        "uscc": self._ent["uscc"][source_id],
                    }
                )
        shareholders.sort(key=lambda s: -int(s["share_bp"]))
        change_list = [
            {"change_date": d, "item": i, "before": b, "after": a}
            for d, i, b, a in zip(
                _dates(changes["change_date"][cs]),
                changes["item"][cs].tolist(),
                changes["before"][cs].tolist(),
                changes["after"][cs].tolist(),
                strict=True,
            )
        ]
        abnormal_list = [
            {"listed_date": d, "reason": r, "authority": au, "removed_date": rm}
            for d, r, au, rm in zip(
                _dates(abnormal["listed_date"][as_]),
                abnormal["reason"][as_].tolist(),
                abnormal["listing_authority"][as_].tolist(),
                _dates(abnormal["removed_date"][as_]),
                strict=True,
            )
        ]
        e = self._ent
        section = e["industry"][eid]
        return RegistryPayload(
            **self._base(eid),
            name=e["name"][eid],
            legal_representative=people["name"][int(e["legal_rep_person_id"][eid])],
            enterprise_type=(
                "joint_stock_company"
                if e["chain_role"][eid] == "core"
                else "limited_liability_company"
            ),
            status=e["status"][eid],
            established_date=e["established_date"][eid].astype(object),
            registered_capital_fen=int(e["registered_capital_fen"][eid]),
            region_code=f"{int(e['region_code'][eid]):06d}",
            address=e["address"][eid],
            industry_code=section,
            industry_name=_INDUSTRY_NAMES[section],
            contact_mobile=e["contact_mobile"][eid],
            shareholders=shareholders,
            changes=change_list,
            abnormal_operations=abnormal_list,
        )

    def _judicial(self, eid: int) -> JudicialPayload:
        index, cols = self._lazy("judicial")
        span = index.span(eid)
        lawsuits: list[dict[str, Any]] = []
        enforcements: list[dict[str, Any]] = []
        dishonest: list[dict[str, Any]] = []
        rows = zip(
            cols["kind"][span].tolist(),
            cols["role"][span].tolist(),
            cols["case_number"][span].tolist(),
            cols["court"][span].tolist(),
            cols["cause"][span].tolist(),
            _dates(cols["filed_date"][span]),
            cols["amount_fen"][span].tolist(),
            cols["status"][span].tolist(),
            _dates(cols["concluded_date"][span]),
            cols["related_case_number"][span].tolist(),
            strict=True,
        )
        for kind, role, case, court, cause, filed, amount, status, concluded, related in rows:
            if kind == "lawsuit":
                lawsuits.append(
                    {
                        "case_number": case, "court": court, "cause": cause, "role": role,
                        "filed_date": filed, "amount_fen": amount, "status": status,
                        "concluded_date": concluded,
                    }
                )  # fmt: skip
            elif kind == "enforcement":
                enforcements.append(
                    {
                        "case_number": case, "court": court, "filed_date": filed,
                        "amount_fen": amount, "status": status, "concluded_date": concluded,
                        "source_case_number": related,
                    }
                )  # fmt: skip
            else:
                dishonest.append(
                    {
                        "case_number": case, "court": court, "listed_date": filed,
                        "amount_fen": amount, "circumstance": cause, "performance": status,
                        "removed_date": concluded,
                    }
                )  # fmt: skip
        return JudicialPayload(
            **self._base(eid),
            subject_name=self._ent["name"][eid],
            lawsuits=lawsuits,
            enforcements=enforcements,
            dishonest_debtor_records=dishonest,
        )

    def _bureau_enterprise(self, eid: int) -> CreditBureauPayload:
        return self._bureau("enterprise", eid, self._ent["uscc"][eid], self._ent["name"][eid])

    def _bureau_person(self, resident_id: str) -> CreditBureauPayload:
        people = self._lazy("people")
        pid = people["by_resident_id"].get(resident_id)
        if pid is None:
            raise SubjectNotFound(resident_id)
        return self._bureau("person", pid, resident_id, people["name"][pid])

    def _bureau(self, kind: str, key: int, subject_id: str, name: str) -> CreditBureauPayload:
        acc_idx, acc, inq_idx, inq = self._lazy("bureau")[kind]
        a, q = acc_idx.span(key), inq_idx.span(key)
        accounts = [
            {
                "account_id": f"{'E' if kind == 'enterprise' else 'P'}{account_id:09d}",
                "lender": lender,
                "account_type": acc_type,
                "opened_date": opened,
                "maturity_date": maturity,
                "principal_fen": principal,
                "outstanding_fen": outstanding,
                "overdue_amount_fen": overdue,
                "overdue_periods": periods,
                "max_overdue_periods_24m": max_periods,
                "repayment_status_24m": record,
                "status": status,
            }
            for (account_id, lender, acc_type, opened, maturity, principal, outstanding, overdue,
                 periods, max_periods, record, status) in zip(
                acc["account_id"][a].tolist(), acc["lender"][a].tolist(),
                acc["account_type"][a].tolist(), _dates(acc["opened_date"][a]),
                _dates(acc["maturity_date"][a]), acc["principal_fen"][a].tolist(),
                acc["outstanding_fen"][a].tolist(), acc["overdue_amount_fen"][a].tolist(),
                acc["overdue_periods"][a].tolist(), acc["max_overdue_periods_24m"][a].tolist(),
                acc["repayment_status_24m"][a].tolist(), acc["account_status"][a].tolist(),
                strict=True,
            )
        ]  # fmt: skip
        inquiry_dates = _dates(inq["inquiry_date"][q])
        reasons = inq["reason"][q].tolist()
        inquiries = [
            {"inquiry_date": d, "institution": i, "reason": r}
            for d, i, r in zip(inquiry_dates, inq["institution"][q].tolist(), reasons, strict=True)
        ]
        cut3, cut6 = _months_back(self._as_of, 3), _months_back(self._as_of, 6)
        hard = [d for d, r in zip(inquiry_dates, reasons, strict=True) if r in _HARD_INQUIRIES]
        open_mask = acc["account_status"][a] != "closed"
        outstanding = acc["outstanding_fen"][a]
        summary = {
            "open_accounts": int(open_mask.sum()),
            "lenders_with_outstanding": len(set(acc["lender"][a][outstanding > 0].tolist())),
            "outstanding_total_fen": int(outstanding.sum()),
            "overdue_total_fen": int(acc["overdue_amount_fen"][a].sum()),
            "accounts_overdue_now": int((acc["overdue_periods"][a] > 0).sum()),
            "max_overdue_periods_24m": int(acc["max_overdue_periods_24m"][a].max(initial=0)),
            "inquiries_3m": sum(1 for d in hard if d is not None and d > cut3),
            "inquiries_6m": sum(1 for d in hard if d is not None and d > cut6),
        }
        letter = "E" if kind == "enterprise" else "P"
        return CreditBureauPayload(
            provider=PROVIDER_NAME,
            sandbox=True,
            subject_id=subject_id,
            as_of=self._as_of,
            subject_kind=kind,
            subject_name=name,
            report_number=f"SBX{self._as_of:%Y%m%d}{letter}{key:09d}",
            accounts=accounts,
            inquiries=inquiries,
            summary=summary,
        )


@lru_cache(maxsize=4)
def default_world(n: int = DEFAULT_WORLD_SIZE, seed: int = DEFAULT_WORLD_SEED) -> World:
    """A small world generated on first use and cached for the process."""
    return generate_world(n, seed)


@lru_cache(maxsize=4)
def default_provider(
    n: int = DEFAULT_WORLD_SIZE, seed: int = DEFAULT_WORLD_SEED
) -> SandboxProvider:
    return SandboxProvider(default_world(n, seed))
