# The two README commands. Both run the same idempotent setup first (tools/setup.py).
PYTHON ?= python3
ARGS ?= --fetch-root-key
# The notes demo dapp, deployed at start; `make run PROJECT=` hosts none.
PROJECT ?= examples/notes/ii-project.toml

.PHONY: setup run test bench
setup:
	@$(PYTHON) tools/setup.py

run: setup
	.venv/bin/python serve.py $(ARGS) $(if $(PROJECT),--project $(PROJECT))

test:
	@$(PYTHON) tools/setup.py --browsers
	.venv/bin/python -m pytest $(TEST_ARGS)

bench: setup
	.venv/bin/python bench/boot.py
