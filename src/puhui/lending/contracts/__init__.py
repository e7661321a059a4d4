"""E-contracts (a lending subdomain): the contract record (`models.py`), its deterministic PDF
(`pdf.py`, the words of `words.py`, the markup in `templates/`), signing by one-time code
(`service.py`), the API (`router.py`) and `puhui contracts verify` (`cli.py`)."""
