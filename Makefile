# Each target does its own set-up on a fresh machine (see scripts/setup.sh).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test lint bench soak clean install

setup:
	@sh scripts/setup.sh

run: setup
	$(PY) -m shuoshi run $(if $(CONFIG),--config $(CONFIG))

# Two workers, each taking whole modules (their fixtures are made once): the UI tests
# spend most of their time waiting for a screen to settle, the others use the CPU meanwhile.
test: setup
	$(PY) -m pytest -q -n 3 --dist loadscope tests --ignore=tests/bench

lint: setup
	$(VENV)/bin/ruff check kiosk device sync server demo shuoshi assets tests
	$(VENV)/bin/mypy kiosk device sync server demo shuoshi

bench: setup
	$(PY) -m pytest -q tests/bench -s

soak: setup
	SHUOSHI_SOAK=1 $(PY) -m pytest -q tests -k soak

# The appliance, as root on the Pi: sudo make install (the kiosk) or sudo make install
# PART=server; see scripts/install.sh (--uninstall too).
PART ?= kiosk
install:
	sh scripts/install.sh --$(PART)

clean:
	rm -rf var/demo var/receipts var/speech
