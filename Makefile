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

.PHONY: install lock run demo test test-fast browser eval benchmark clean

LOCK := requirements.lock

# Every install goes through the lock (pip constraints with exact versions), so a fresh machine gets
# what CI tested. torch comes first: 2.13.0 is the CPU build on disk. Then the packaged embedding model
# is exported to ONNX inside the venv (no download; skipped when up to date).
$(STAMP): setup.cfg pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip wheel setuptools
	$(BIN)/python -m pip install --quiet -c $(LOCK) torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) -e ".[test]"
	$(BIN)/python -m pip check
	$(BIN)/python -m checker.export_onnx  # the ONNX file of the packaged model, checked against torch
	touch $(STAMP)

install: $(STAMP)

# Re-resolve every dependency in a scratch venv from setup.cfg's ranges and write the lock anew.
# Run it on purpose (then run `make test` and commit the lock with the reason), never as part of a build.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip wheel setuptools
	.lock-venv/bin/python -m pip install --quiet torch==2.13.0
	.lock-venv/bin/python -m pip install --quiet -e ".[test]"
	{ sed -n '1,2p' $(LOCK); \
	  .lock-venv/bin/python -m pip --version | awk '{print "pip==" $$2}'; \
	  .lock-venv/bin/python -c 'import setuptools, wheel; print(f"setuptools=={setuptools.__version__}\nwheel=={wheel.__version__}")'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv

demo: install
	$(BIN)/flask --app web demo

# A worker (web/worker.py: the model loaded once, checks taken from the SQLite queue in instance/) runs in
# the background next to the development server; it stops when the server does.
run: demo
	$(BIN)/flask --app web worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
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
	$(BIN)/python -m benchmarks.encoders --json benchmarks/results/encoders.json

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
