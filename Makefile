# sora-widgets: two commands do all the set-up on a fresh machine.
#   make studio   install what is missing, then serve the Studio dashboard (prints the URL)
#   make test     install what is missing, then run the whole test-suite
# Overridable: PYTHON, VENV, TORCH_SPEC (e.g. TORCH_SPEC="torch==2.13.0" or a CUDA build), TORCH_PIP_ARGS, PORT.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch is installed first so no dependency pulls a multi-GB CUDA build;
# on a machine with a GPU set TORCH_SPEC/TORCH_PIP_ARGS to the build you want.
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PORT ?= 8866
APT_PACKAGES := chromium espeak-ng ffmpeg sox fonts-noto-color-emoji
PYTEST_ARGS ?=

.PHONY: install system-deps npm-tools first-run-data studio lab serve test test-fast lint bench seed-demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[test]"
	@# librosa's numba cache, filled by one process before servers start many (concurrent fills corrupt it)
	$(BIN)/python -m sora_widgets.numba_cache
	@touch $@

# Debian packages the product and its tests use: chromium (browser tests), espeak-ng (speech), ffmpeg/sox (tools).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "please install:$$missing"; exit 0; fi; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# configurable-http-proxy (npm) for the JupyterHub test, in a project-local folder (git-ignored).
# Not fatal: without npm, or offline, tests/test_jupyterhub.py skips and says why.
NPM_TOOLS := .npm-tools
CHP := $(NPM_TOOLS)/node_modules/.bin/configurable-http-proxy
npm-tools: $(CHP)

$(CHP):
	@if command -v npm >/dev/null; then \
	  npm install --prefix $(NPM_TOOLS) --no-audit --no-fund --silent configurable-http-proxy@5 \
	  || echo "could not install configurable-http-proxy: the JupyterHub test will be skipped"; \
	else echo "npm is missing: the JupyterHub test will be skipped (apt-get install npm)"; fi

# First run: a demo community, so the lineage and moderation dashboards have something to show.
first-run-data: install
	@test -f "$${SORA_WIDGETS_HOME:-data}/sora.duckdb" || $(BIN)/sora-widgets seed-demo

studio: install system-deps first-run-data
	$(BIN)/sora-widgets studio --port $(PORT)

serve: install system-deps first-run-data
	$(BIN)/sora-widgets serve --port $(PORT)

# Kernels start in notebooks/, where ./data would be another store: point them at the studio's.
# As root (CI, many containers) JupyterLab refuses to start without --allow-root.
LAB_ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: install system-deps
	SORA_WIDGETS_HOME="$${SORA_WIDGETS_HOME:-$(CURDIR)/data}" $(BIN)/jupyter lab notebooks/ --port $(PORT) $(LAB_ROOT_FLAG)

seed-demo: install
	$(BIN)/sora-widgets seed-demo

test: install system-deps npm-tools
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check sora_widgets tests benchmarks

bench: install system-deps
	$(BIN)/sora-widgets bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts $(NPM_TOOLS)
