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

.PHONY: all binaries deps db run stop test clean distclean install uninstall deb
# keep the object files of the suites, which make would otherwise treat as intermediate and delete
# (named: fuzz/fuzz.mk names its own, and a .SECONDARY with names keeps only those named)
.SECONDARY: $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(wildcard tests/*.c))
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

# The manual page, from `routekaartd --help` and `--version`.
$(BUILD)/routekaartd.8: $(BUILD)/routekaartd
	@echo '  GEN $@'
	@help2man --no-info --section=8 --no-discard-stderr \
		--name='serve the map of vmbo-mbo cooperation initiatives as GeoJSON' $< >$@.tmp && mv $@.tmp $@

# Installing: `make install` (PREFIX=/usr/local; DESTDIR stages it under another root) and
# `make uninstall`. The share folder holds the website, and what migrates a database and loads its
# reference data without the checkout, in the checkout's layout (the scripts find each other by
# relative paths); it is replaced as a whole, so nothing of an older version stays behind. An
# existing environment file is kept.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SHAREDIR ?= $(PREFIX)/share/routekaart
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SHARE_FILES = sql/migrate.sh $(wildcard sql/migrations/*.sql sql/api/*.sql sql/migrate/*) geo/codelists.json \
	$(wildcard geo/load-*.sh geo/load-*.sql geo/data/*.md geo/data/*/* deploy/db-init.sh deploy/lib/* \
	deploy/backup.sh deploy/restore.sh deploy/archive-wal.sh)

install: $(BUILD)/routekaartd $(BUILD)/web/index.html $(BUILD)/routekaartd.8
	@echo '  INSTALL $(DESTDIR)$(PREFIX)'
	@install -D -m 0755 $(BUILD)/routekaartd '$(DESTDIR)$(SBINDIR)/routekaartd'
	@install -D -m 0644 $(BUILD)/routekaartd.8 '$(DESTDIR)$(MANDIR)/man8/routekaartd.8'
	@rm -rf '$(DESTDIR)$(SHAREDIR)'
	@for f in $(SHARE_FILES); do \
		install -D -m "$$(if [ -x "$$f" ]; then echo 0755; else echo 0644; fi)" "$$f" '$(DESTDIR)$(SHAREDIR)'/"$$f" || exit 1; \
	done
	@cd $(BUILD)/web && find . -type f | while read -r f; do \
		install -D -m 0644 "$$f" '$(DESTDIR)$(SHAREDIR)/web'/"$${f#./}" || exit 1; \
	done
	@mkdir -p '$(DESTDIR)$(UNITDIR)'
	@sed -e 's#/usr/sbin/routekaartd#$(SBINDIR)/routekaartd#g' -e 's#/usr/share/routekaart#$(SHAREDIR)#g' \
		-e 's#/etc/routekaart#$(SYSCONFDIR)/routekaart#g' deploy/systemd/routekaartd.service \
		>'$(DESTDIR)$(UNITDIR)/routekaartd.service'
	@chmod 0644 '$(DESTDIR)$(UNITDIR)/routekaartd.service'
	@[ -e '$(DESTDIR)$(SYSCONFDIR)/routekaart/routekaartd.env' ] || \
		install -D -m 0640 deploy/systemd/routekaartd.env '$(DESTDIR)$(SYSCONFDIR)/routekaart/routekaartd.env'

uninstall:
	@echo '  UNINSTALL $(DESTDIR)$(PREFIX) (keeping $(DESTDIR)$(SYSCONFDIR)/routekaart)'
	@rm -f '$(DESTDIR)$(SBINDIR)/routekaartd' '$(DESTDIR)$(MANDIR)/man8/routekaartd.8' \
		'$(DESTDIR)$(UNITDIR)/routekaartd.service'
	@rm -rf '$(DESTDIR)$(SHAREDIR)'

# The Debian package, build/routekaart_VERSION_ARCH.deb: `make install` with PREFIX=/usr into a
# staging root, then deploy/debian/build-deb.sh (control, maintainer scripts, dependencies).
DEB_ARCH = $(shell dpkg --print-architecture)
deb: $(BUILD)/routekaartd $(BUILD)/web/index.html $(BUILD)/routekaartd.8
	@rm -rf $(BUILD)/deb
	@$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(abspath $(BUILD)/deb/root)
	@deploy/debian/build-deb.sh $(BUILD)/deb/root $(VERSION) $(BUILD)/routekaart_$(VERSION)_$(DEB_ARCH).deb

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
