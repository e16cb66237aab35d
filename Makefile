# scaleout.webstack: the two commands a new machine needs are `make lab` and
# `make test`. Everything they need is installed by scripts/ in this repo.
PYTHON ?= python3
SUITE  := $(PYTHON) scripts/run_suite.py

.PHONY: test test-quick test-scenario setup lab lab-status lab-destroy

test:            ## the whole suite: static checks, sanity, unit, every molecule scenario
	$(SUITE)

test-quick:      ## static checks and unit tests only (a minute or two)
	$(SUITE) --quick

test-scenario:   ## one molecule scenario: make test-scenario SCENARIO=postgresql
	$(SUITE) --scenario $(SCENARIO)

setup:           ## virtualenv, container engine and base images only
	$(SUITE) --setup-only

lab:             ## the whole stack in local containers
	bash scripts/lab.sh up

lab-status:
	bash scripts/lab.sh status

lab-destroy:
	bash scripts/lab.sh destroy
