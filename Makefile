# Two commands on a fresh machine: `make up` (a local cluster with the TUI) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROTOS := daemons/proto/mesos.proto daemons/proto/scheduler.proto daemons/proto/master.proto daemons/proto/agent.proto

.PHONY: up test setup proto lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

up: setup
	$(BIN)/mesos-tui up

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

proto: setup
	$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)

lint: setup
	$(BIN)/ruff check daemons mesos_tui tests benchmarks

bench: setup
	$(BIN)/python benchmarks/allocator.py --agents 10000 --frameworks 1000
	$(BIN)/python benchmarks/offer_cycle.py

clean:
	rm -rf $(VENV) build *.egg-info
