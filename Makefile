# routekaart: `make run` serves the map on http://localhost:8080/, `make test` runs every test.
# Both install what is missing, build, and set up a throwaway PostGIS cluster under var/.

SANITIZE ?=
comma := ,
BUILD := build$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))
PORT ?= 8080
# The version, from one place: `routekaartd --version`, the manual page and the Debian package.
VERSION := $(shell cat VERSION)

CC ?= cc
PKGS := libmicrohttpd jansson libpq zlib nettle xlsxwriter
CFLAGS ?= -O2 -g
WARN := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Wshadow \
	-Wwrite-strings -Wmissing-prototypes -Wvla -Werror
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Iservice -I$(BUILD) -MMD -MP
LDLIBS = $(PKG_LIBS) -lpthread -lm

# The service: every service/<layer>/*.c, in an archive that the server, the test suites and the
# fuzz targets link against; service/main.c is the server's entry point.
SERVICE_SRC := $(wildcard service/*/*.c)
SERVICE_OBJ := $(patsubst service/%.c,$(BUILD)/%.o,$(SERVICE_SRC)) $(BUILD)/openapi_doc.o
# Test suites by name: tests/NAME.c is the suite $(BUILD)/NAME-tests (tests/harness.c is the
# fixture they share). tests/run.sh runs every $(BUILD)/*-tests.
SUITES := $(patsubst tests/%.c,$(BUILD)/%-tests,$(filter-out tests/harness.c,$(wildcard tests/*.c)))
TEST_LIBS = $(shell pkg-config --libs check libcurl) $(LDLIBS)

.PHONY: all binaries deps db run stop test clean distclean
# keep the object files of the suites, which make would otherwise treat as intermediate
.SECONDARY:
all: binaries

binaries: $(BUILD)/web/index.html $(BUILD)/routekaartd $(SUITES)

deps:
	@deploy/install-deps.sh

$(BUILD)/%.o: service/%.c | $(BUILD)/lib/codelists.h
	@mkdir -p $(@D)
	@echo '  CC  $<'
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/openapi_doc.c: openapi.yaml service/gen-openapi.py | $(BUILD)
	@python3 service/gen-openapi.py $< $@

$(BUILD)/openapi_doc.o: $(BUILD)/openapi_doc.c
	@echo '  CC  $<'
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The code lists of geo/codelists.json as C X-macros (lib/codes.h includes them).
$(BUILD)/lib/codelists.h: geo/codelists.json service/lib/gen-codelists.py
	@mkdir -p $(@D)
	@echo '  GEN $@'
	@python3 service/lib/gen-codelists.py $< $@

$(BUILD)/libroutekaart.a: $(SERVICE_OBJ)
	@echo '  AR  $@'
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/main.o: ALL_CFLAGS += -DRK_VERSION='"$(VERSION)"'
$(BUILD)/main.o: VERSION

$(BUILD)/routekaartd: $(BUILD)/main.o $(BUILD)/libroutekaart.a
	@echo '  LD  $@'
	@$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: tests/%.c | $(BUILD)/lib/codelists.h
	@mkdir -p $(@D)
	@echo '  CC  $<'
	@$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check libcurl) -Itests -c -o $@ $<

$(BUILD)/%-tests: $(BUILD)/tests/%.o $(BUILD)/tests/harness.o $(BUILD)/libroutekaart.a
	@echo '  LD  $@'
	@$(CC) $(SANFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD):
	@mkdir -p $@

# The website: Leaflet and the rest from the npm registry, exactly as web/package-lock.json says;
# the built site (pages and content-hashed assets) is what routekaartd serves (WEB_ROOT).
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@echo '  NPM web/node_modules'
	@cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/web/index.html: web/build.mjs $(wildcard web/src/*) web/node_modules/.package-lock.json | $(BUILD)
	@node web/build.mjs $(BUILD)/web

# The database of `make run`: created once, kept between runs.
db: deps
	@deploy/db-setup.sh pg

run: deps binaries db
	@deploy/serve.sh $(BUILD) pg $(PORT)

stop:
	@deploy/pg.sh stop pg
	@deploy/pg.sh stop pgtest

test: deps binaries
	@deploy/install-deps.sh --test
	@tests/run.sh $(BUILD)

clean:
	rm -rf build build-*

distclean: clean stop
	deploy/pg.sh destroy pg
	deploy/pg.sh destroy pgtest

include fuzz/fuzz.mk

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
