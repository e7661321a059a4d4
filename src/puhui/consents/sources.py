"""The data sources a consent can cover: the vocabulary consents owns and the data hub uses.

Pure (imports nothing): `datahub.payloads` (a provider's answer per source) and the pure
feature code reach it without a database.
"""

from __future__ import annotations

from enum import StrEnum


class SourceName(StrEnum):
    TAX = "tax"
    SOCIAL_SECURITY = "social_security"
    HOUSING_FUND = "housing_fund"
    REGISTRY = "registry"
    JUDICIAL = "judicial"
    UTILITIES = "utilities"
    CREDIT_BUREAU = "credit_bureau"
