"""Parties: enterprises (USCC, GB 32100-2015), people (resident ID, GB 11643-1999, and mobiles
encrypted at rest) and their relationships (legal representative, shareholder, guarantor...).

Owns: the `parties_*` tables. May import: `core`. Other domains read enterprises and people
through `parties.service`, typed as `parties.schemas.EnterpriseRecord` / `PersonRecord`."""
