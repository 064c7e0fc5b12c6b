# ondemand.batch — every entry point sets itself up: a fresh clone needs only python3 (>= 3.11), make and git.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
ENV ?= local
# The one knob for the local emulator: every target that talks to inventories/local follows it.
EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 5000
PYTEST_ARGS ?=
# Extra ansible-playbook arguments for deploy/destroy/submit/job, e.g. SUBMIT_ARGS='-e job_wait=false'.
DEPLOY_ARGS ?=
DESTROY_ARGS ?=
SUBMIT_ARGS ?=
JOB_ARGS ?=
# make job JOB=<job id>
JOB ?=
# make bench: the git ref whose local stack the benchmark runs beside ours (76dd47e: the last commit before the stack
# plan, one module run per resource); BASELINE= leaves it out. BENCH_ARGS, e.g. '--only scale --repeat 3'.
BASELINE ?= 76dd47e
BENCH_ARGS ?=

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
# One pidfile (and log) per port: emulators of this checkout on several ports can run side by side.
EMULATOR_DIR ?= $(ROOT)/.emulator
EMULATOR_PIDFILE := $(EMULATOR_DIR)/emulator-$(EMULATOR_PORT).pid
# Clients connect to the host the emulator binds; a wildcard bind is reached on the loopback address.
EMULATOR_CONNECT_HOST := $(if $(filter 0.0.0.0,$(EMULATOR_HOST)),127.0.0.1,$(if $(filter ::,$(EMULATOR_HOST)),[::1],$(if $(findstring :,$(EMULATOR_HOST)),[$(EMULATOR_HOST)],$(EMULATOR_HOST))))
EMULATOR_URL := http://$(EMULATOR_CONNECT_HOST):$(EMULATOR_PORT)
# The knobs a user changed, repeated in every printed hint so that the hinted command reaches the same emulator.
KNOBS := $(if $(filter-out 5000,$(EMULATOR_PORT)), EMULATOR_PORT=$(EMULATOR_PORT))$(if $(filter-out 127.0.0.1,$(EMULATOR_HOST)), EMULATOR_HOST=$(EMULATOR_HOST))
ENV_KNOB := $(if $(filter-out local,$(ENV)), ENV=$(ENV))
# inventories/local talks to the emulator: its endpoint follows EMULATOR_HOST/EMULATOR_PORT (an -e in
# DEPLOY_ARGS/SUBMIT_ARGS/... comes later on the command line and wins). Other inventories talk to real AWS.
IS_LOCAL := $(filter local,$(ENV))
ENDPOINT_ARGS := $(if $(IS_LOCAL),-e stack_aws_endpoint_url=$(EMULATOR_URL))
# Targets that use the local inventory start the emulator first (a no-op when it runs).
EMULATOR_PREREQ := $(if $(IS_LOCAL),emulator)

export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PATH := $(VBIN):$(PATH)

say = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

# `python -c "$$PORT_PROBE" state HOST PORT URL` prints free, emulator (an emulator answers there) or taken;
# `... suggest HOST PORT` prints the first free port above PORT.
define PORT_PROBE
import json, socket, sys, urllib.request

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])


def in_use(number):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, number))
        except OSError:
            return True
    return False


def is_emulator(url):
    try:
        with urllib.request.urlopen(url + "/_emulator/stats", timeout=2) as response:
            return "by_service" in json.loads(response.read())
    except Exception:
        return False


if mode == "state":
    print("free" if not in_use(port) else "emulator" if is_emulator(sys.argv[4]) else "taken")
else:
    number = port + 1
    while in_use(number) and number < 65535:
        number += 1
    print(number)
endef
export PORT_PROBE

# Shell functions for the pidfiles under EMULATOR_DIR (sourced by the recipes with eval "$$EMULATOR_SH").
# emulator_pid FILE: the pid in FILE when that process runs and is an emulator (a stale file or a pid reused by
# another program gives nothing). emulator_stop FILE: stop that emulator and remove FILE; false when none ran.
define EMULATOR_SH
emulator_pid() {
	pid=$$(cat "$$1" 2>/dev/null) || return 1
	[ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null || return 1
	args=$$(ps -p "$$pid" -o args= 2>/dev/null || tr '\0' ' ' <"/proc/$$pid/cmdline" 2>/dev/null) || return 1
	case "$$args" in *"-m emulator"*) echo "$$pid" ;; *) return 1 ;; esac
}
emulator_stop() {
	if ! pid=$$(emulator_pid "$$1"); then rm -f "$$1"; return 1; fi
	kill "$$pid" 2>/dev/null || true
	for _ in $$(seq 100); do kill -0 "$$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$$pid" 2>/dev/null; then kill -9 "$$pid" 2>/dev/null || true; fi
	rm -f "$$1"
}
emulator_ports() {
	for f in "$$1"/emulator-*.pid; do
		[ -e "$$f" ] || continue
		if emulator_pid "$$f" >/dev/null; then p=$${f##*/emulator-}; printf '%s ' "$${p%.pid}"; fi
	done
}
endef
export EMULATOR_SH

# A demo is the local inventory's.
ifneq ($(filter demo,$(MAKECMDGOALS)),)
ifneq ($(ENV),local)
$(error make demo deploys inventories/local only (ENV=$(ENV)); for another inventory: make deploy ENV=$(ENV) && make submit ENV=$(ENV))
endif
endif

.PHONY: help setup venv collection-link test lint format sanity unit integration molecule demo deploy destroy \
	submit job emulator emulator-stop emulator-stop-all bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------- set-up
# pip's own output is hundreds of lines: one line per package collected, the full log in .venv/pip-install.log.
$(VENV_STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 >= 3.11 is required, found " + sys.version.split()[0])'
	@if [ -x $(VPY) ]; then \
		printf '\n\033[1m==> %s\033[0m\n' "The requirements changed: updating the toolchain in .venv"; \
	else \
		printf '\n\033[1m==> %s\033[0m\n' "First run: installing the pinned toolchain into .venv (one time, about 1-2 minutes)"; \
	fi
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	@start=$$(date +%s); log=$(VENV)/pip-install.log; \
		echo "  upgrading pip"; \
		$(VPY) -m pip install --quiet --upgrade pip >$$log 2>&1 || { cat $$log >&2; exit 1; }; \
		$(VPY) -m pip install --progress-bar off -r requirements-dev.txt 2>&1 | tee -a $$log \
			| awk '/^(Collecting|Processing) /{name = $$2; sub(/^.*\//, "", name); sub(/-(py|cp)[0-9].*$$/, "", name); \
					n++; printf "  [%3d] %s\n", n, name; fflush()} \
				/^Installing collected packages/{printf "  installing %d packages (the longest step)\n", n; fflush()}' \
			|| { echo "pip failed; the last lines of $$log:" >&2; tail -n 30 $$log >&2; exit 1; }; \
		echo "  done in $$(( $$(date +%s) - start ))s (pip's log: $$log)"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(VENV_STAMP) ## Create .venv with the pinned toolchain (skipped when up to date)

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@if [ "$$(readlink $(COLLECTION_LINK) 2>/dev/null)" != "$(ROOT)" ]; then \
		rm -rf $(COLLECTION_LINK); ln -s $(ROOT) $(COLLECTION_LINK); \
		echo "Linked $(COLLECTION_LINK) -> $(ROOT)"; fi

setup: venv collection-link ## Virtualenv plus the collection link; every other target runs this first
	@echo "Toolchain ready: $$($(VBIN)/ansible --version | sed -n 1p) (enter it with: source .venv/bin/activate)"

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
emulator: setup ## Start the local AWS emulator on EMULATOR_HOST:EMULATOR_PORT (127.0.0.1:5000); no-op when it runs
	$(call say,Local AWS emulator on $(EMULATOR_URL))
	@test -f emulator/__main__.py || { echo "The emulator (emulator/, issue 3) is not built yet: nothing to start." >&2; exit 1; }
	@eval "$$EMULATOR_SH"; \
	if emulator_pid $(EMULATOR_PIDFILE) >/dev/null; then state=ours; \
	else state=$$($(VPY) -c "$$PORT_PROBE" state $(EMULATOR_HOST) $(EMULATOR_PORT) $(EMULATOR_URL)); fi; \
	case $$state in \
	emulator) \
		echo "An emulator not started by this checkout already serves $(EMULATOR_URL): using it" \
			"(make emulator-stop will not stop it)." ;; \
	taken) \
		free=$$($(VPY) -c "$$PORT_PROBE" suggest $(EMULATOR_HOST) $(EMULATOR_PORT)); \
		echo "Port $(EMULATOR_PORT) on $(EMULATOR_HOST) is in use by another process (not an emulator)." >&2; \
		echo "Stop that process, or give every command another port, for example:" >&2; \
		echo "  make $(or $(MAKECMDGOALS),emulator)$(ENV_KNOB) EMULATOR_PORT=$$free$(if $(filter-out 127.0.0.1,$(EMULATOR_HOST)), EMULATOR_HOST=$(EMULATOR_HOST))" >&2; \
		exit 1 ;; \
	*) \
		mkdir -p $(EMULATOR_DIR); \
		$(VPY) -m emulator --host $(EMULATOR_HOST) --port $(EMULATOR_PORT) --daemon \
			--pidfile $(EMULATOR_PIDFILE) --log-file $(EMULATOR_DIR)/emulator-$(EMULATOR_PORT).log ;; \
	esac

emulator-stop: ## Stop the emulator this checkout started on EMULATOR_PORT (no-op when none runs)
	$(call say,Stopping the emulator on port $(EMULATOR_PORT))
	@eval "$$EMULATOR_SH"; \
	if emulator_stop $(EMULATOR_PIDFILE); then echo "Stopped."; \
	else \
		echo "No emulator of this checkout is running on port $(EMULATOR_PORT)."; \
		others=$$(emulator_ports $(EMULATOR_DIR)); \
		for port in $$others; do echo "  one runs on port $$port: make emulator-stop EMULATOR_PORT=$$port"; done; \
	fi

emulator-stop-all: ## Stop every emulator this checkout started, whatever its port
	$(call say,Stopping every emulator of this checkout)
	@eval "$$EMULATOR_SH"; \
	stopped=0; \
	for f in $(EMULATOR_DIR)/emulator-*.pid; do \
		[ -e "$$f" ] || continue; \
		port=$${f##*/emulator-}; port=$${port%.pid}; \
		if emulator_stop "$$f"; then echo "Stopped the emulator on port $$port."; stopped=$$((stopped + 1)); fi; \
	done; \
	[ $$stopped -gt 0 ] || echo "No emulator of this checkout is running."

# ---------------------------------------------------------------------------- stack
require = @for f in $(1); do test -e $$f || { echo "Not available yet: $$f is missing ($(2))." >&2; exit 1; }; done

deploy: setup $(EMULATOR_PREREQ) ## Deploy the stack of inventories/ENV (default local)
	$(call require,playbooks/deploy.yml inventories/$(ENV),roles and playbooks land with issue 6)
	$(call say,Deploying inventories/$(ENV))
	@ansible-playbook playbooks/deploy.yml -i inventories/$(ENV) $(ENDPOINT_ARGS) $(DEPLOY_ARGS)

# Destroy is deliberate: every inventory but local asks for the stack name; CONFIRM=true is for automation.
CONFIRM ?= $(if $(IS_LOCAL),true,false)
DESTROY_CONFIRM := $(if $(filter true yes 1,$(CONFIRM)),-e confirm=true)
destroy: setup $(EMULATOR_PREREQ) ## Destroy the stack of inventories/ENV (asks for the stack name unless ENV=local or CONFIRM=true)
	$(call require,playbooks/destroy.yml inventories/$(ENV),roles and playbooks land with issue 6)
	$(call say,Destroying inventories/$(ENV))
	@ansible-playbook playbooks/destroy.yml -i inventories/$(ENV) $(DESTROY_CONFIRM) $(ENDPOINT_ARGS) $(DESTROY_ARGS)

# A job submitted with job_wait=false is followed later with the command the playbook prints (make job JOB=...).
submit: setup $(EMULATOR_PREREQ) ## Submit the default job of inventories/ENV and follow it
	$(call require,playbooks/submit-job.yml inventories/$(ENV),the submit-job playbook lands with issue 5)
	$(call say,Submitting the default job of inventories/$(ENV))
	@ansible-playbook playbooks/submit-job.yml -i inventories/$(ENV) $(ENDPOINT_ARGS) \
		-e '{"job_status_command": "make job$(ENV_KNOB)$(KNOBS)"}' $(SUBMIT_ARGS)

# A job lives as long as its emulator: `make job` does not start one (a new emulator has no jobs).
job: setup ## Status, attempts and logs of job JOB=<id> of inventories/ENV; follows it while it runs
	@test -n "$(JOB)" || { echo "make job needs the job's id: make job JOB=<job id>$(ENV_KNOB)$(KNOBS) (make submit prints it)" >&2; exit 2; }
	$(call require,playbooks/job-status.yml inventories/$(ENV),the job-status playbook)
	@eval "$$EMULATOR_SH"; \
	if [ -n "$(IS_LOCAL)" ] && ! emulator_pid $(EMULATOR_PIDFILE) >/dev/null \
		&& [ "$$($(VPY) -c "$$PORT_PROBE" state $(EMULATOR_HOST) $(EMULATOR_PORT) $(EMULATOR_URL))" != emulator ]; then \
		echo "No emulator serves $(EMULATOR_URL): job $(JOB) went away with the emulator that ran it." >&2; \
		echo "Start one and run a job: make submit$(KNOBS)" >&2; exit 1; fi
	$(call say,Job $(JOB) of inventories/$(ENV))
	@ansible-playbook playbooks/job-status.yml -i inventories/$(ENV) $(ENDPOINT_ARGS) -e job_id=$(JOB) $(JOB_ARGS)

# Prerequisites run in order: the emulator, the deploy, then the job.
demo: setup $(EMULATOR_PREREQ) deploy submit ## Emulator + deploy of inventories/local + a job followed live to SUCCEEDED
	$(call require,emulator/__main__.py playbooks/deploy.yml playbooks/submit-job.yml inventories/local,the demo needs the emulator and the roles)
	@printf '\nWhat now:\n  %-42s run the job again\n  %-42s remove the local stack\n  %-42s stop the emulator\n  %s\n' \
		"make submit$(KNOBS)" "make destroy$(KNOBS)" "make emulator-stop$(KNOBS)" \
		'README.md "Deploying to real AWS" for inventories/dev'

bench: setup ## Benchmark against fresh emulators, beside BASELINE=<git ref> (table on stdout, JSON in bench/results.json)
	$(call require,bench/run.py,the benchmark lands with issue 7)
	@$(VPY) bench/run.py $(if $(BASELINE),--baseline $(BASELINE)) $(BENCH_ARGS)

clean: emulator-stop-all ## Stop this checkout's emulators; remove the virtualenv, the collection link, build output and caches
	$(call say,Cleaning)
	@rm -rf $(VENV) $(COLLECTIONS) build outputs playbooks/outputs $(EMULATOR_DIR) .pytest_cache .ruff_cache tests/output
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "Clean."

# Never run two of these at once (make -j): the demo's steps depend on each other.
.NOTPARALLEL:
