# Two commands for a newcomer:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEBIAN_PACKAGES := strongswan-charon strongswan-swanctl libcharon-extra-plugins \
                   libstrongswan-standard-plugins openssh-server openssh-client frr \
                   iputils-ping iproute2 iptables

.PHONY: demo test setup setup-test system-packages lint clean

# Debian's own python3 needs python3-venv for `-m venv` (and the tests' clean venvs); as root we add it.
$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } \
	  || echo "no ensurepip: install python3-venv"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'

setup-test: $(BIN)/python system-packages
	$(BIN)/python -m pip install --quiet -e '.[test]'

# The real-peer tests (strongSwan charon, sshd, FRR) need Debian packages; as root we install them.
system-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else echo "not root or no apt-get: tests needing strongSwan/sshd/FRR will skip"; fi

demo: setup
	$(BIN)/cgw demo

lint: setup-test
	$(BIN)/ruff check cgw tests benchmarks
	$(BIN)/ruff format --check cgw
	$(BIN)/mypy cgw

test: setup-test lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info cgw/_bundled .pytest_cache .mypy_cache .ruff_cache
