# Touchpoint: two commands do all the set-up on a fresh machine.
#   make run    install into .venv, load the sample protocols and documents, serve http://127.0.0.1:5000
#   make test   install into .venv (and Debian's chromium for the browser test), run the whole test suite
# Both are idempotent: a second run installs nothing new.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run demo test test-fast browser eval benchmark clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/flask --app web demo

run: demo
	$(BIN)/flask --app web run --host $(HOST) --port $(PORT)

browser:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	  || echo "warning: Debian chromium not installed; the browser test will be skipped"; }

test: install browser
	$(BIN)/python -m pytest -p no:cacheprovider

test-fast: install
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser"

eval: install
	$(BIN)/touchpoint eval

benchmark: install
	$(BIN)/python -m benchmarks.run_benchmark

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
