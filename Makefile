# lockstep's build, test and demo entry points. The logic lives in scripts/;
# this file only names the steps and their order.
#
# .bin/ (git-ignored) holds the tools that scripts/install-tools.sh installs
# and the lockstep binary that `make build` writes; it comes first on PATH.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/.bin:$(PATH)
# Keep terraform from calling home for update checks.
export CHECKPOINT_DISABLE := 1

MODULE  := github.com/lockstep-ci/lockstep
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
LDFLAGS := -s -w -X $(MODULE)/pkg/version.Version=$(VERSION)

TERRAFORM_COMPAT := 1.5.7
# The OpenTofu that test-opentofu builds into .bin/tofu; test/tools/opentofu/go.mod
# pins the same version.
OPENTOFU_VERSION := 1.12.6
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml workflows/*.yml workflows/*.yaml)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## install terraform (>= 1.5), actionlint, act, shellcheck, jq, pulumi (with its YAML host and test provider), prometheus (Debian's, for the metrics gate's tests) and cfn-guard (from npm, for CloudFormation's rule checks) if missing
	scripts/install-tools.sh

.PHONY: build
build: ## build .bin/lockstep (VERSION from git describe, override with VERSION=)
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o .bin/lockstep ./cmd/lockstep

.PHONY: test
test: tools tofu fmt-check vet go-test test-opentofu actionlint ## the gate: formatting, vet, race tests with real Terraform and OpenTofu, actionlint

.PHONY: fmt
fmt: ## gofmt -w the Go files; terraform fmt the examples
	scripts/check-fmt.sh --write

.PHONY: fmt-check
fmt-check: ## fail listing the Go (and example Terraform) files that need formatting
	scripts/check-fmt.sh

.PHONY: vet
vet: ## go vet ./...
	go vet ./...

.PHONY: go-test
go-test: tools ## go test -race ./... (tests find terraform via LOCKSTEP_TERRAFORM, .bin/terraform, PATH)
	go test -race ./...

.PHONY: actionlint
actionlint: tools ## actionlint (with shellcheck) over .github/workflows and workflows/; shellcheck over the scripts
ifneq ($(strip $(WORKFLOWS)),)
	actionlint $(WORKFLOWS)
else
	@echo "actionlint: no workflow files yet"
endif
	shellcheck scripts/*.sh .ci/run

.PHONY: lint
lint: vet actionlint ## go vet and actionlint

.PHONY: test-compat
test-compat: ## the end-to-end tests against the oldest supported terraform (1.5.7)
	scripts/install-tools.sh terraform-compat
	LOCKSTEP_TERRAFORM=$(CURDIR)/.bin/terraform-$(TERRAFORM_COMPAT) go test -race ./test/e2e/...

.PHONY: tofu
tofu: ## build OpenTofu $(OPENTOFU_VERSION) into .bin/tofu if it is not there (minutes, once)
	OPENTOFU_VERSION=$(OPENTOFU_VERSION) scripts/install-tools.sh tofu

.PHONY: test-opentofu
test-opentofu: tofu ## the end-to-end and pkg/terraform tests again, against OpenTofu (engine opentofu)
	LOCKSTEP_TERRAFORM=$(CURDIR)/.bin/tofu LOCKSTEP_REQUIRE_TOFU=1 go test -race ./pkg/terraform/... ./test/e2e/...

.PHONY: mutate
mutate: ## mutation testing with gremlins (slow; PACKAGES=pkg/policy to scope); results as in test/README.md
	scripts/install-tools.sh jq gremlins
	scripts/mutate.sh $(PACKAGES)

.PHONY: demo
demo: build ## run lockstep on examples/ in .lockstep/demo (recreated each run); installs only Terraform (and Prometheus, where apt-get runs as root) if missing
	scripts/install-tools.sh terraform
	scripts/demo.sh

.PHONY: bench
bench: ## the benchmarks in test/bench
	go test -run '^$$' -bench . -benchmem ./test/bench/...

.PHONY: clean
clean: ## remove the lockstep binary and demo state (keeps the tools in .bin)
	rm -rf .bin/lockstep .lockstep dist

.PHONY: distclean
distclean: clean ## also remove every installed tool (.bin)
	rm -rf .bin
