# pullproof — two commands matter: `make test` (here and in CI) and `make e2e` (needs kind node images).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

# Every recipe runs with a Node >= 22 first on PATH (the system one, or .toolchain/ from the npm registry).
NODE_PATH_DIR = $$(scripts/ensure-node.sh)
WITH_NODE = PATH="$(NODE_PATH_DIR):$$PATH"
K8S ?=
NODE_IMAGE ?=

.PHONY: setup test lint typecheck unit integration e2e bench clean doctor mutate

# node_modules is stale when the lock file or package.json is newer than npm's own record of it.
node_modules/.package-lock.json: package.json package-lock.json
	$(WITH_NODE) npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.package-lock.json

lint: setup
	$(WITH_NODE) npx eslint .

typecheck: setup
	$(WITH_NODE) npx tsc -p tsconfig.json

unit: setup
	$(WITH_NODE) npx vitest run --project unit

integration: setup
	$(WITH_NODE) TESTCONTAINERS_RYUK_DISABLED=true npx vitest run --project integration

# lint + typecheck + unit + integration (integration needs a running Docker engine; .ci/run starts one).
test: lint typecheck
	@mkdir -p artifacts
	status=0; $(WITH_NODE) TESTCONTAINERS_RYUK_DISABLED=true npx vitest run --reporter=default --reporter=./scripts/slowest-files-reporter.mjs --reporter=json \
	  --outputFile.json=artifacts/vitest.json || status=$$?; \
	$(WITH_NODE) node scripts/test-summary.mjs artifacts/vitest.json || status=$${status/#0/1}; exit $$status

doctor: setup
	$(WITH_NODE) node bin/pullproof.mjs doctor $(if $(K8S),--k8s $(K8S))

# The real-cluster suite: doctor first, so a missing node image or engine is named before any work starts.
e2e: setup
	$(WITH_NODE) node bin/pullproof.mjs doctor $(if $(K8S),--k8s $(K8S)) $(if $(NODE_IMAGE),--node-image $(NODE_IMAGE))
	$(WITH_NODE) TESTCONTAINERS_RYUK_DISABLED=true node bin/pullproof.mjs run $(if $(K8S),--k8s $(K8S)) $(if $(NODE_IMAGE),--node-image $(NODE_IMAGE))

# Figures to compare, never pass/fail; also written to artifacts/bench.json. BENCH_LONG=1: 60 s memory soak phases.
bench: setup
	$(WITH_NODE) TESTCONTAINERS_RYUK_DISABLED=true node bench/run.ts

# Mutation testing of the security core (StrykerJS: vitest runner on the unit project, TypeScript
# checker), one module per run, each incremental (.cache/stryker/: survivors are always tested
# again, see scripts/mutation-retest-survivors.mjs); never part of `make test`.
# Prints the score per module; fails under 85 % or on a survivor not in test/mutation/equivalent-mutants.md.
MUTATE_MODULES ?= token-service plugin-modes kubelet-exact verdicts manifests redaction
# 4 on 2 cores: two TypeScript checkers (the bottleneck) and two test runners.
MUTATE_CONCURRENCY ?= 4
mutate: setup
	for module in $(MUTATE_MODULES); do \
	  $(WITH_NODE) node scripts/mutation-retest-survivors.mjs $$module && \
	  $(WITH_NODE) MUTATE_MODULE=$$module npx stryker run --concurrency $(MUTATE_CONCURRENCY) || exit $$?; \
	done
	$(WITH_NODE) node scripts/mutation-scores.mjs

clean:
	rm -rf node_modules .toolchain .toolchain.tmp.* .cache artifacts dist coverage reports
