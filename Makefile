# One entry point for setting up, testing and running the demo. Every target sets up first,
# so `make test` and `make demo` work from a fresh clone.
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONUNBUFFERED := 1

.PHONY: setup chromium redis lint test test-fast demo demo-annotate clean model

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The crawl frontier's tests start Debian's redis-server (tests/redis_server.py).
redis:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

setup: $(VENV)/.installed chromium redis

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy crawler extractor metatrain fixtures

test: lint
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not browser"

demo: setup
	bash scripts/demo.sh

# The demo with the browser annotator in place of the values file (Ctrl-C ends annotating).
demo-annotate: setup
	bash scripts/demo.sh --annotate

# Rebuild the shipped model (extractor/default_model) from scratch: fixtures -> supervised ->
# meta-training -> export; progress in out/build/build.log (about 45 min of CPU time, 1 thread).
model: setup
	bash scripts/build_model.sh

clean:
	rm -rf $(VENV) data eval out
