# The two README commands. Both run the same idempotent setup first (tools/setup.py).
PYTHON ?= python3
ARGS ?= --fetch-root-key

.PHONY: setup run test bench
setup:
	@$(PYTHON) tools/setup.py

run: setup
	.venv/bin/python serve.py $(ARGS)

test:
	@$(PYTHON) tools/setup.py --browsers
	.venv/bin/python -m pytest $(TEST_ARGS)

bench: setup
	.venv/bin/python bench/boot.py
