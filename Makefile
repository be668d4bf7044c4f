# Two commands do all set-up on a fresh Debian machine: `make serve` and `make test`.
# Each step leaves a stamp, so a second run only checks what changed.

PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng fonts-noto-cjk
BROWSER_PACKAGES := chromium

.PHONY: serve test bench system-deps browser-deps clean

serve: $(VENV)/.installed-runtime system-deps
	$(BIN)/certguard serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev system-deps browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev system-deps
	$(BIN)/python -m bench

system-deps:
	@scripts/ensure-apt-packages $(SYSTEM_PACKAGES)

browser-deps:
	@scripts/ensure-apt-packages $(BROWSER_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt requirements-nodeps.txt pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache
