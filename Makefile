# kubeforge: `make demo` sets everything up and runs site.yml on the local inventory;
# `make test` runs every test the project has.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
ANSIBLE_PLAYBOOK := $(VENV)/bin/ansible-playbook
JAR       := worker/target/kubeforge-worker.jar
# The jar's class-data archive (worker/class_archive.py; the JVM options live in worker_client.py)
JSA       := worker/target/kubeforge-worker.jsa
COLL_DIR  := _build/collections
# A second venv with the full `ansible` package: community.crypto for the bench, containers.podman
# (the connection) and molecule for the molecule scenario. Kept apart so tests cannot lean on it.
FULL_VENV := .cache/bench-venv
MVN       := mvn -B -q

.PHONY: help venv full-venv fuzz-venv jar collection demo test test-java test-python test-fuzz test-playbook bench molecule conformance clean

help:
	@echo "make demo   - set up (.venv, worker jar, collection) and run playbooks/site.yml on inventories/local"
	@echo "make test   - every test: Java (unit + openssl), modules against the real jar, playbook idempotence, molecule"
	@echo "make bench  - kubeforge.cluster.pki against community.crypto tasks, side by side"
	@echo "make test-fuzz - schemathesis from the worker's OpenAPI document + raw HTTP abuse against the real jar"
	@echo "make molecule - site.yml on two podman containers (own worker each): converge, idempotence, verify"
	@echo "make conformance - Kubernetes v1.34 built from source boots from our files; field-by-field diff against kubeadm"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

full-venv: $(FULL_VENV)/.installed
$(FULL_VENV)/.installed: bench/requirements.txt
	python3 -m venv $(FULL_VENV)
	$(FULL_VENV)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
	touch $@

jar: $(JAR) $(JSA)
$(JAR): $(shell find worker/src/main -type f 2>/dev/null) worker/pom.xml pom.xml
	$(MVN) -DskipTests package
	@test -f $@

# A missing archive never fails the build: the worker starts without one, only slower.
$(JSA): $(JAR) ansible_collection/plugins/module_utils/worker_client.py | venv
	-$(PY) worker/class_archive.py $(JAR)

collection: venv
	rm -rf $(COLL_DIR)/ansible_collections/kubeforge/cluster
	mkdir -p $(COLL_DIR)/ansible_collections/kubeforge
	cp -r ansible_collection $(COLL_DIR)/ansible_collections/kubeforge/cluster

demo: venv jar collection
	$(ANSIBLE_PLAYBOOK) -i inventories/local playbooks/site.yml

test: venv test-java collection test-python test-fuzz test-playbook molecule conformance

# Unit tests, the openssl interop tests and the fat jar in one Maven run.
test-java:
	mvn -B --no-transfer-progress package
	touch $(JAR)

test-python: venv jar collection
	$(VENV)/bin/pytest -q -p no:cacheprovider ansible_collection/tests

# API fuzzing against the real jar (needs root: the worker runs as nobody in a mount namespace).
# About 3 minutes; FUZZ_EXAMPLES / FUZZ_ABUSE_ROUNDS / FUZZ_BUDGET make it longer.
FUZZ_VENV := .cache/fuzz-venv
fuzz-venv: $(FUZZ_VENV)/.installed
$(FUZZ_VENV)/.installed: tests/fuzz/requirements.txt
	python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install -q --disable-pip-version-check -r tests/fuzz/requirements.txt
	touch $@

test-fuzz: venv fuzz-venv jar
	timeout 600 $(PY) tests/fuzz/api_fuzz.py

test-playbook: venv jar collection
	tests/playbook_idempotence.sh

bench: venv full-venv jar collection
	bench/run.sh

molecule: full-venv jar collection
	PATH="$(CURDIR)/$(FULL_VENV)/bin:$$PATH" ANSIBLE_NOCOLOR=1 PY_COLORS=0 molecule test -s default

# Needs root (private network and mount namespaces) and Go; the first build of the Kubernetes
# binaries takes 6-14 minutes on 2 cores, later ones seconds (.cache/kube, Go's build cache).
conformance: venv jar
	PYTHON=$(abspath $(PY)) CONFORMANCE_JAR=$(abspath $(JAR)) conformance/run.sh

clean:
	rm -rf _out _build worker/target
