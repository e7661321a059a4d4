"""Imports every domain's models so that Base.metadata is complete (for Alembic and tests)."""

from __future__ import annotations

import puhui.assistant.models
import puhui.consents.models
import puhui.core.models
import puhui.datahub.models
import puhui.decisioning.model_ops_models
import puhui.decisioning.models
import puhui.engagement.models
import puhui.identity.models
import puhui.interviews.models
import puhui.iot.models
import puhui.jobs.models
import puhui.ledger.models
import puhui.lending.bad_loan_models
import puhui.lending.charges_models
import puhui.lending.collateral_models
import puhui.lending.contracts.models
import puhui.lending.guarantees_models
import puhui.lending.models
import puhui.lending.servicing.models
import puhui.parties.models
import puhui.payments.models
import puhui.receivables.models
import puhui.risk.collection_models
import puhui.risk.models  # noqa: F401
from puhui.core.db import Base

target_metadata = Base.metadata
