# TLS through memory BIOs, in Deno. `make server`, `make client`, `make test`.
# Deno is taken from PATH, or installed from the npm registry's official
# `deno` package into .tools/ (git-ignored) the first time it is needed.

DENO_VERSION := 2.9.6
TOOLS        := $(CURDIR)/.tools
SYSTEM_DENO  := $(shell command -v deno 2>/dev/null)
DENO         := $(if $(SYSTEM_DENO),$(SYSTEM_DENO),$(TOOLS)/bin/deno)

PORT ?= 55555
HOST ?= 127.0.0.1
ARGS ?=
MIB  ?= 256
RUNS ?= 3

.PHONY: all deno deps certs certs-openssl server client test check fmt bench fuzz clean-certs

all: test

deno: $(DENO)

$(TOOLS)/bin/deno:
	@echo "deno not found on PATH: installing deno@$(DENO_VERSION) from the npm registry into .tools/" >&2
	@mkdir -p $(TOOLS)/bin
	@npm install --prefix $(TOOLS) --no-save --no-package-lock --no-audit --no-fund --loglevel=error deno@$(DENO_VERSION) >&2
	@bin=$$(ls -d $(TOOLS)/node_modules/@deno/*/deno 2>/dev/null | head -n 1); \
	  if [ -z "$$bin" ]; then echo "no deno binary for this platform in the npm package" >&2; exit 1; fi; \
	  ln -sf "$$bin" $@
	@$@ --version | head -n 1 >&2

# npm dependencies (node-forge), pinned by deno.lock
# Recipes that lead to server/client are silent: make would echo them on
# stdout, which must carry the peer's data only.
deps: $(DENO)
	@$(DENO) install --frozen

certs/ca.crt certs/server.crt certs/server.key: | $(DENO)
	@$(DENO) task gen-certs

certs: certs/ca.crt

# The seed's recipe with the openssl CLI: a self-signed server.crt/server.key
# (no CA). Clients must then trust server.crt itself: --ca certs/server.crt.
certs-openssl:
	openssl genrsa -des3 -passout pass:x -out certs/server.pass.key 2048
	openssl rsa -passin pass:x -in certs/server.pass.key -out certs/server.key
	rm -f certs/server.pass.key
	chmod 600 certs/server.key
	openssl req -new -key certs/server.key -out certs/server.csr -subj "/CN=localhost" \
	  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
	openssl x509 -req -sha256 -days 365 -in certs/server.csr -signkey certs/server.key \
	  -copy_extensions copy -out certs/server.crt
	rm -f certs/server.csr

server: deps certs
	@$(DENO) task server $(PORT) $(ARGS)

client: deps certs
	@$(DENO) task client $(HOST) $(PORT) $(ARGS)

test: deps
	$(DENO) task test

check: deps
	$(DENO) task check

fmt: $(DENO)
	$(DENO) fmt

bench: deps
	MIB=$(MIB) RUNS=$(RUNS) $(DENO) task bench

# A long fuzzing run (20000 cases per target); CASES=N and SEED=N to change it.
fuzz: deps
	$(if $(CASES),FUZZ_CASES=$(CASES)) $(if $(SEED),FUZZ_SEED=$(SEED)) $(DENO) task fuzz

clean-certs:
	rm -f certs/*.crt certs/*.key certs/*.srl certs/*.csr
