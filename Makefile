# Two commands on a fresh machine: `make up` (a local cluster with the TUI) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROTOS := daemons/proto/mesos.proto daemons/proto/scheduler.proto daemons/proto/master.proto daemons/proto/agent.proto daemons/proto/agent_api.proto daemons/proto/executor.proto

.PHONY: up test setup zookeeper proto lint bench clean

# The tests run a real ZooKeeper server from Debian's package (OpenJDK comes with it).
ZK_JAR := /usr/share/java/zookeeper.jar
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

up: setup
	$(BIN)/mesos-tui up

zookeeper:
	@test -f $(ZK_JAR) || { echo "Installing Debian's zookeeper package for the tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq zookeeper >/dev/null; }

test: setup zookeeper
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15

proto: setup
	$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)

lint: setup
	$(BIN)/ruff check daemons mesos_tui tests benchmarks

bench: setup
	$(BIN)/python benchmarks/allocator.py --agents 10000 --frameworks 1000
	$(BIN)/python benchmarks/offer_cycle.py

clean:
	rm -rf $(VENV) build *.egg-info
