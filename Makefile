.DEFAULT_GOAL := help
PYTHON ?= python3

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

demo: ## install and serve the sandbox shop on http://127.0.0.1:8000/
	$(PYTHON) tools/dev.py demo

test: ## install and run the whole test suite (SQLite, real browser)
	$(PYTHON) tools/dev.py test

test-postgres: ## the suite on PostgreSQL and Redis
	WSC_DB=postgres WSC_CACHE=redis $(PYTHON) tools/dev.py test

lint: ## ruff, mypy, the import contracts and the structure limits
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy wagtail_stripe_checkout tests sandbox tools && .venv/bin/lint-imports && .venv/bin/python tools/check_structure.py

format: ## apply ruff's formatting and fixes
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

tox: ## the whole supported matrix
	.venv/bin/tox run-parallel

docs: ## build the documentation into docs/_build/html
	.venv/bin/sphinx-build -W -b html docs docs/_build/html

screenshots: ## screenshots of a running sandbox into screenshots/
	.venv/bin/python tools/screenshots.py http://127.0.0.1:8000 screenshots

ci: ## what CI runs
	bash .ci/run

.PHONY: help demo test test-postgres lint format tox docs screenshots ci
