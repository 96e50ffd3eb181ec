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
# The Kubernetes binaries conformance/build.sh makes (v1.34.10 and etcd 3.6.5); module tests that
# need a real API server use them and fail, not skip, when they are missing.
KUBE_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3}' conformance/go.mod)
KUBE_BIN  ?= $(or $(KUBEFORGE_CACHE),$(CURDIR)/.cache)/kube/$(KUBE_VERSION)/bin

.PHONY: kube-bin help venv full-venv fuzz-venv jar collection demo test test-java fuzz test-python test-fuzz test-playbook bench molecule molecule-cluster conformance clean \
	ansible-test-pip sanity units integration oldest-ansible lint-venv lint changelog tarball molecule-tarball

help:
	@echo "make demo   - set up (.venv, worker jar, collection) and run playbooks/site.yml on inventories/local"
	@echo "make test   - every test: Java (unit + openssl), modules against the real jar, playbook idempotence, molecule"
	@echo "make sanity / units / integration / lint / oldest-ansible - the collection's ansible-test, ansible-lint, and units, integration and sanity again on ansible-core 2.16"
	@echo "make tarball / molecule-tarball - build and install the collection tarball; a play with only it on a podman host"
	@echo "make bench  - kubeforge.cluster.pki against community.crypto tasks, side by side; the cluster calls' first-call time and RSS"
	@echo "make fuzz   - the Java parser fuzz targets (Jazzer) for FUZZ_SECONDS each (default 300)"
	@echo "make test-fuzz - schemathesis from the worker's OpenAPI document + raw HTTP abuse against the real jar"
	@echo "make molecule - site.yml on two podman containers (own worker each): converge, idempotence, verify"
	@echo "make molecule-cluster - site.yml from init to a joined control plane and worker on three podman hosts"
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

test: venv test-java collection sanity units integration oldest-ansible lint test-python test-fuzz test-playbook molecule molecule-tarball molecule-cluster conformance

# Unit tests, the openssl interop tests and the fat jar in one Maven run; it also fuzzes each
# parser target (worker/src/test/java/**/*FuzzTest.java, Jazzer) for 20 s.
test-java:
	mvn -B --no-transfer-progress package
	touch $(JAR)

# Longer parser fuzzing: every *FuzzTest target for FUZZ_SECONDS each (one JVM per target), or
# only those matching FUZZ_TARGETS (e.g. FUZZ_TARGETS='**/PemFuzzTest.java'). A finding fails
# the run and is kept as a regression input next to the target's seeds
# (worker/src/test/resources/<package>/<Class>Inputs/<method>/); the corpus grows in
# worker/.cifuzz-corpus/.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= **/*FuzzTest.java
fuzz:
	cd worker && mvn -B --no-transfer-progress -Dkf.fuzzSeconds=$(FUZZ_SECONDS) -Dkf.fuzzSeed=0 -Dkf.fuzzRuns=-1 \
	  '-Dkf.fuzzTargets=$(FUZZ_TARGETS)' \
	  test-compile surefire:test@parser-fuzzing

kube-bin:
	conformance/build.sh >/dev/null

test-python: venv jar collection kube-bin
	KUBEFORGE_KUBE_BIN=$(KUBE_BIN) KUBEFORGE_REQUIRE_BINARIES=1 \
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

bench: venv full-venv jar collection kube-bin
	KUBEFORGE_KUBE_BIN=$(KUBE_BIN) bench/run.sh

molecule: full-venv jar collection
	PATH="$(CURDIR)/$(FULL_VENV)/bin:$$PATH" ANSIBLE_NOCOLOR=1 PY_COLORS=0 molecule test -s default

# site.yml from init to joined nodes on three podman hosts (two control planes, one worker); their
# static Pods run as processes from the real binaries (molecule/cluster/static_pods.py). Needs root.
molecule-cluster: full-venv jar collection kube-bin
	PATH="$(CURDIR)/$(FULL_VENV)/bin:$$PATH" ANSIBLE_NOCOLOR=1 PY_COLORS=0 KUBEFORGE_KUBE_BIN=$(KUBE_BIN) \
	  molecule test -s cluster

# Needs root (private network and mount namespaces) and Go; the first build of the Kubernetes
# binaries takes 6-14 minutes on 2 cores, later ones seconds (.cache/kube, Go's build cache).
conformance: venv jar collection
	PYTHON=$(abspath $(PY)) CONFORMANCE_JAR=$(abspath $(JAR)) conformance/run.sh

# ansible-test sanity on the collection as ansible-test sees it (_build/collections/...; a git repo of
# its own, since ansible-test lists files with git and _build/ is ignored here), every test in its own venv with ansible-test's pinned linters from PyPI. ansible-test bootstraps pip with a
# script served only from ci-files.testing.ansible.com; tests/ansible-test/get_pip.py stands in.
# ansible-core 2.19 asks for pip 24.2's bootstrap, 2.16 for 23.1.2's; the stand-in serves both.
ANSIBLE_TEST_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py $(HOME)/.ansible/test/cache/get_pip_23_1_2.py
ansible-test-pip: $(ANSIBLE_TEST_PIP)
$(ANSIBLE_TEST_PIP): tests/ansible-test/get_pip.py
	mkdir -p $(dir $@)
	cp $< $@

sanity: venv collection ansible-test-pip
	cd $(COLL_DIR)/ansible_collections/kubeforge/cluster && git init -q . && \
	  $(abspath $(VENV))/bin/ansible-test sanity --venv --python 3.11 --color no

# requires_ansible (meta/runtime.yml) claims the oldest line tested here: 2.16, in its own venv.
OLDEST_VENV := .cache/ansible-2.16
$(OLDEST_VENV)/.installed: tests/oldest-ansible-requirements.txt
	python3 -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

oldest-ansible: $(OLDEST_VENV)/.installed collection ansible-test-pip
	cd $(COLL_DIR)/ansible_collections/kubeforge/cluster && git init -q . && \
	  PYTHONPATH=$(abspath $(COLL_DIR)) $(abspath $(OLDEST_VENV))/bin/pytest -q -p no:cacheprovider tests/unit && \
	  $(abspath $(OLDEST_VENV))/bin/ansible-test integration --local --python 3.11 --color no && \
	  $(abspath $(OLDEST_VENV))/bin/ansible-test sanity --venv --python 3.11 --color no

# tests/unit (pytest, no worker) and tests/integration (targets on the controller, no worker jar).
units: venv collection ansible-test-pip
	cd $(COLL_DIR)/ansible_collections/kubeforge/cluster && git init -q . && \
	  $(abspath $(VENV))/bin/ansible-test units --venv --python 3.11 --color no

integration: venv collection
	cd $(COLL_DIR)/ansible_collections/kubeforge/cluster && git init -q . && \
	  $(abspath $(VENV))/bin/ansible-test integration --local --python 3.11 --color no

# ansible-lint (production profile, .ansible-lint) on roles, playbooks and molecule, and the
# changelog fragments; tools pinned in tests/lint-requirements.txt, in their own venv.
LINT_VENV := .cache/lint-venv
lint-venv: $(LINT_VENV)/.installed
$(LINT_VENV)/.installed: tests/lint-requirements.txt
	python3 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

lint: lint-venv collection
	ANSIBLE_COLLECTIONS_PATH=$(abspath $(COLL_DIR)) $(LINT_VENV)/bin/ansible-lint --nocolor \
	  ansible_collection/roles playbooks molecule
	cd ansible_collection && $(abspath $(LINT_VENV))/bin/antsibull-changelog lint

# Release notes from changelogs/fragments (run when cutting a release).
changelog: lint-venv
	cd ansible_collection && $(abspath $(LINT_VENV))/bin/antsibull-changelog release

# The collection as users get it: ansible-galaxy collection build, then install into an empty path.
TARBALL_DIR := _build/tarball
tarball: venv
	rm -rf $(TARBALL_DIR) && mkdir -p $(TARBALL_DIR)/collections
	$(VENV)/bin/ansible-galaxy collection build --output-path $(TARBALL_DIR) ansible_collection
	cd $(TARBALL_DIR) && $(abspath $(VENV))/bin/ansible-galaxy collection install --offline \
	  -p collections kubeforge-cluster-*.tar.gz

# A play on a podman host with only the installed tarball (molecule/tarball); the jar through the
# role's URL source and its pinned SHA-256.
molecule-tarball: full-venv jar tarball
	PATH="$(CURDIR)/$(FULL_VENV)/bin:$$PATH" ANSIBLE_NOCOLOR=1 PY_COLORS=0 \
	  KUBEFORGE_TARBALL_COLLECTIONS=$(abspath $(TARBALL_DIR)/collections) \
	  KUBEFORGE_JAR_URL=file://$(abspath $(JAR)) KUBEFORGE_JAR_SHA256=$$(sha256sum $(JAR) | cut -d' ' -f1) \
	  molecule test -s tarball

clean:
	rm -rf _out _build worker/target
