# ondemand.batch — every entry point sets itself up: a fresh clone needs only python3 (>= 3.11), make and git.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
ENV ?= local
EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 5000
PYTEST_ARGS ?=
# Extra ansible-playbook arguments for deploy/destroy/submit, e.g. SUBMIT_ARGS='-e job_wait=false'.
DEPLOY_ARGS ?=
DESTROY_ARGS ?=
SUBMIT_ARGS ?=

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
VPY := $(VENV)/bin/python
VBIN := $(VENV)/bin
# Re-install when a requirements file changes.
VENV_STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt 2>/dev/null | cksum | cut -d' ' -f1)
# The checkout is made resolvable as ondemand.batch through this link; ansible.cfg points collections_path here.
COLLECTIONS := $(ROOT)/.collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/ondemand/batch
# ansible-test must run from a path that ends in ansible_collections/<namespace>/<name>.
SANITY_ROOT := $(ROOT)/build/sanity
SANITY_TREE := $(SANITY_ROOT)/ansible_collections/ondemand/batch
EMULATOR_DIR := $(ROOT)/.emulator
EMULATOR_PIDFILE := $(EMULATOR_DIR)/emulator-$(EMULATOR_PORT).pid
EMULATOR_URL := http://$(EMULATOR_HOST):$(EMULATOR_PORT)

export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PATH := $(VBIN):$(PATH)

say = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

.PHONY: help setup venv collection-link test lint format sanity unit integration molecule demo deploy destroy \
	submit emulator emulator-stop bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------- set-up
$(VENV_STAMP): requirements.txt requirements-dev.txt
	$(call say,Creating the virtualenv .venv and installing the pinned toolchain)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 >= 3.11 is required, found " + sys.version.split()[0])'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@$(VPY) -m pip install --quiet --upgrade pip
	@$(VPY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(VENV_STAMP) ## Create .venv with the pinned toolchain (skipped when up to date)

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@if [ "$$(readlink $(COLLECTION_LINK) 2>/dev/null)" != "$(ROOT)" ]; then \
		rm -rf $(COLLECTION_LINK); ln -s $(ROOT) $(COLLECTION_LINK); \
		echo "Linked $(COLLECTION_LINK) -> $(ROOT)"; fi

setup: venv collection-link ## Virtualenv plus the collection link; every other target runs this first
	@echo "Toolchain ready: $$($(VBIN)/ansible --version | sed -n 1p)"

# ---------------------------------------------------------------------------- quality gates
test: setup lint sanity unit integration molecule ## Every quality gate and test suite (what CI runs)
	$(call say,All quality gates passed)

lint: setup ## ansible-lint (production profile), ruff lint and format check, changelog fragments
	$(call say,ansible-lint --profile production)
	@ansible-lint --profile production
	$(call say,ruff check and ruff format --check)
	@ruff check .
	@ruff format --check .
	$(call say,antsibull-changelog lint)
	@antsibull-changelog lint

format: setup ## Rewrite Python files with ruff's formatter and import sorting
	@ruff check --fix --select I .
	@ruff format .

sanity: setup ## ansible-test sanity on a copy of the tracked tree under build/sanity/ansible_collections/ondemand/batch
	$(call say,ansible-test sanity)
	@rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_TREE)
	@# Only what the collection ships and its tests: bench/, emulator/ and extensions/ are dev tools (ruff covers them).
	@git ls-files -z --cached --others --exclude-standard | grep -zvE '^(bench|emulator|extensions)/' \
		| xargs -0 cp --parents -t $(SANITY_TREE)
	@# The import and validate-modules tests need the dependencies beside the collection under test.
	@site=$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
		for dep in amazon community; do ln -s $$site/ansible_collections/$$dep $(SANITY_ROOT)/ansible_collections/$$dep; done
	@# ansible-test bootstraps pip with a downloaded get-pip.py; offline, use the ensurepip stand-in instead.
	@pip_version=$$($(VPY) -c 'import ansible_test, pathlib, re; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))'); \
		cache=$$HOME/.ansible/test/cache/get_pip_$${pip_version//./_}.py; \
		if [ ! -f "$$cache" ]; then mkdir -p "$$(dirname $$cache)"; cp tests/sanity/get_pip_offline.py "$$cache"; \
			echo "No cached get-pip $$pip_version: using the offline ensurepip bootstrap ($$cache)"; fi
	@cd $(SANITY_TREE) && git init -q && git add -A && \
		ansible-test sanity --requirements --python $$($(VPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no

unit: setup ## pytest unit tests (tests/unit)
	$(call say,pytest tests/unit)
	@pytest tests/unit $(PYTEST_ARGS)

# Two workers, each with its own emulator: playbook runs are CPU-bound, emulator waits are not.
integration: setup ## pytest integration tests against the emulator (tests/integration)
	$(call say,pytest tests/integration)
	@if ls tests/integration/test_*.py >/dev/null 2>&1 || ls tests/integration/*/test_*.py >/dev/null 2>&1; then \
		pytest tests/integration -n 2 --dist loadfile $(PYTEST_ARGS); else echo "No integration tests yet (tests/integration is empty)"; fi

molecule: setup ## The molecule scenario(s) under extensions/molecule
	$(call say,molecule)
	@if ls extensions/molecule/*/molecule.yml >/dev/null 2>&1; then cd extensions && molecule test --all; \
		else echo "No molecule scenario yet (extensions/molecule is empty)"; fi

# ---------------------------------------------------------------------------- emulator
emulator: setup ## Start the local AWS emulator on 127.0.0.1:EMULATOR_PORT (5000); no-op when it already runs
	$(call say,Local AWS emulator on $(EMULATOR_URL))
	@test -f emulator/__main__.py || { echo "The emulator (emulator/, issue 3) is not built yet: nothing to start." >&2; exit 1; }
	@mkdir -p $(EMULATOR_DIR)
	@$(VPY) -m emulator --host $(EMULATOR_HOST) --port $(EMULATOR_PORT) --daemon \
		--pidfile $(EMULATOR_PIDFILE) --log-file $(EMULATOR_DIR)/emulator-$(EMULATOR_PORT).log

emulator-stop: ## Stop the emulator started by `make emulator` (no-op when none runs)
	$(call say,Stopping the emulator on port $(EMULATOR_PORT))
	@if [ -f $(EMULATOR_PIDFILE) ] && kill -0 $$(cat $(EMULATOR_PIDFILE)) 2>/dev/null; then \
		kill $$(cat $(EMULATOR_PIDFILE)); \
		for i in $$(seq 50); do kill -0 $$(cat $(EMULATOR_PIDFILE)) 2>/dev/null || break; sleep 0.1; done; \
		rm -f $(EMULATOR_PIDFILE); echo "Stopped."; \
	else rm -f $(EMULATOR_PIDFILE); echo "No emulator is running on port $(EMULATOR_PORT)."; fi

# ---------------------------------------------------------------------------- stack
# The local inventory talks to the emulator: start it first. Other inventories talk to real AWS.
ensure-env = $(if $(filter local,$(ENV)),$(MAKE) --no-print-directory emulator,true)
require = @for f in $(1); do test -e $$f || { echo "Not available yet: $$f is missing ($(2))." >&2; exit 1; }; done

deploy: setup ## Deploy the stack of inventories/ENV (default local)
	$(call require,playbooks/deploy.yml inventories/$(ENV),roles and playbooks land with issue 6)
	@$(ensure-env)
	$(call say,Deploying inventories/$(ENV))
	@ansible-playbook playbooks/deploy.yml -i inventories/$(ENV) $(DEPLOY_ARGS)

destroy: setup ## Destroy the stack of inventories/ENV (no prompt)
	$(call require,playbooks/destroy.yml inventories/$(ENV),roles and playbooks land with issue 6)
	@$(ensure-env)
	$(call say,Destroying inventories/$(ENV))
	@ansible-playbook playbooks/destroy.yml -i inventories/$(ENV) -e confirm=true $(DESTROY_ARGS)

submit: setup ## Submit the default job of inventories/ENV and follow it
	$(call require,playbooks/submit-job.yml inventories/$(ENV),the submit-job playbook lands with issue 5)
	@$(ensure-env)
	$(call say,Submitting the default job of inventories/$(ENV))
	@ansible-playbook playbooks/submit-job.yml -i inventories/$(ENV) $(SUBMIT_ARGS)

demo: setup ## Emulator + deploy of inventories/local + a job followed live to SUCCEEDED
	$(call require,emulator/__main__.py playbooks/deploy.yml playbooks/submit-job.yml inventories/local,the demo needs the emulator and the roles)
	@$(MAKE) --no-print-directory deploy ENV=local
	@$(MAKE) --no-print-directory submit ENV=local
	@printf '\nWhat now:\n  make submit            run the job again\n  make destroy           remove the local stack\n  make emulator-stop     stop the emulator\n  README.md "Deploying to real AWS" for inventories/dev\n'

bench: setup ## Benchmark against a fresh emulator (table on stdout, JSON in bench/results.json)
	$(call require,bench/run.py,the benchmark lands with issue 7)
	@$(VPY) bench/run.py

clean: ## Remove the virtualenv, the collection link, build output and caches
	$(call say,Cleaning)
	@$(MAKE) --no-print-directory emulator-stop >/dev/null 2>&1 || true
	@rm -rf $(VENV) $(COLLECTIONS) build outputs .emulator .pytest_cache .ruff_cache tests/output
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "Clean."
