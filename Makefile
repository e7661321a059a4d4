# Puhui — the two commands: `make demo` and `make test`. Both bootstrap from nothing.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
PYTEST_ARGS ?=

.PHONY: demo test bench lint format setup

setup:
	@scripts/bootstrap.sh

demo: setup
	uv run puhui demo

test:
	@scripts/bootstrap.sh --test
	uv run pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: setup
	@set -e; for f in bench/[!_]*.py; do echo "== $$f"; uv run python $$f; done

lint: setup
	uv run ruff check src tests bench
	uv run ruff format --check src tests bench
	uv run mypy src
	uv run lint-imports
	uv run python scripts/audit_deps.py

format: setup
	uv run ruff check --fix src tests bench
	uv run ruff format src tests bench
