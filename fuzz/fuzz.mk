# Coverage-guided fuzzing of the parsers of request text (libFuzzer, clang); see fuzz/README.md.
# Included by the Makefile, whose WARN, PKG_CFLAGS and LDLIBS it uses.
#
#   make fuzz            replays fuzz/regressions/<target>/, then fuzzes each target FUZZ_SECONDS
#   make fuzz-smoke      the same for FUZZ_SMOKE_SECONDS each (CI)
#   make fuzz-regressions  replays the regressions only
#   make fuzz-<target>   one target (target, router, accept, etag, submission, headers, forwarded)
#
# Each target fuzzes a copy of fuzz/corpus/<target>/ in build-fuzz/corpus/<target>/ (kept between
# runs, so a long run builds on the last); crashes are written to build-fuzz/crashes/, the output of
# each run to build-fuzz/logs/. Any crash, leak or broken invariant fails the run. `make -j` runs
# the targets side by side.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS := target router accept etag submission headers forwarded

# The longest input worth trying: about what the server takes (MAX_URL_BYTES, the key limit of the
# response cache, MAX_BODY_BYTES; headers are short).
FUZZ_MAX_LEN_target := 8192
FUZZ_MAX_LEN_router := 1024
FUZZ_MAX_LEN_accept := 2048
FUZZ_MAX_LEN_etag := 16384
FUZZ_MAX_LEN_submission := 65536
FUZZ_MAX_LEN_headers := 1024
FUZZ_MAX_LEN_forwarded := 2048

FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(WARN) -g -O1 $(FUZZ_SANITIZE) $(PKG_CFLAGS) -Iservice -I$(FUZZ_BUILD) -MMD -MP
FUZZ_SERVICE_SRC := $(wildcard service/*/*.c)
FUZZ_SERVICE_OBJ := $(patsubst service/%.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SERVICE_SRC)) $(FUZZ_BUILD)/obj/openapi_doc.o
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
# (a unit takes milliseconds; the timeout leaves room for a busy CI machine)
FUZZ_LIBFUZZER_FLAGS = -timeout=30 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-regressions fuzz-toolchain $(FUZZ_TARGETS:%=fuzz-%) \
	$(FUZZ_TARGETS:%=fuzz-replay-%)

fuzz-build: $(FUZZ_BINS)

fuzz: FUZZ_TIME = $(FUZZ_SECONDS)
fuzz: $(FUZZ_TARGETS:%=fuzz-%)

fuzz-smoke: FUZZ_TIME = $(FUZZ_SMOKE_SECONDS)
fuzz-smoke: $(FUZZ_TARGETS:%=fuzz-%)

fuzz-regressions: $(FUZZ_TARGETS:%=fuzz-replay-%)

fuzz-toolchain:
	@command -v $(FUZZ_CC) >/dev/null || \
		{ echo "fuzz: $(FUZZ_CC) is missing (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 1; }

# Every input that once broke a target runs again before the target is fuzzed.
$(FUZZ_TARGETS:%=fuzz-replay-%): fuzz-replay-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p $(FUZZ_BUILD)/logs
	@set -- $(wildcard fuzz/regressions/$*/*); \
	if [ $$# -gt 0 ]; then \
		echo "  REPLAY $* ($$# inputs)"; \
		$(FUZZ_BUILD)/fuzz_$* $(FUZZ_LIBFUZZER_FLAGS) "$$@" >$(FUZZ_BUILD)/logs/$*-replay.log 2>&1 || \
			{ tail -n 60 $(FUZZ_BUILD)/logs/$*-replay.log; \
			  echo "fuzz: a regression of $* fails again (log: $(FUZZ_BUILD)/logs/$*-replay.log)" >&2; exit 1; }; \
	fi

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: fuzz-replay-%
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/crashes $(FUZZ_BUILD)/logs
	@cp fuzz/corpus/$*/* $(wildcard fuzz/regressions/$*/*) $(FUZZ_BUILD)/corpus/$*/
	@echo "  FUZZ   $* ($(or $(FUZZ_TIME),$(FUZZ_SECONDS)) s)"
	@$(FUZZ_BUILD)/fuzz_$* $(FUZZ_LIBFUZZER_FLAGS) -max_total_time=$(or $(FUZZ_TIME),$(FUZZ_SECONDS)) \
		-max_len=$(FUZZ_MAX_LEN_$*) $(addprefix -dict=,$(wildcard fuzz/dict/$*.dict)) \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/$*- $(FUZZ_BUILD)/corpus/$* \
		>$(FUZZ_BUILD)/logs/$*.log 2>&1 || \
		{ tail -n 60 $(FUZZ_BUILD)/logs/$*.log; \
		  echo "fuzz: $* failed; the input is in $(FUZZ_BUILD)/crashes/ (log: $(FUZZ_BUILD)/logs/$*.log)" >&2; \
		  exit 1; }
	@sed -n 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*\(cov: [0-9]* ft: [0-9]* corp: [^ ]*\).*exec\/s: \([0-9]*\).*/  DONE   $*: \1 runs, \2, \3 exec\/s/p' \
		$(FUZZ_BUILD)/logs/$*.log

$(FUZZ_BUILD)/obj/%.o: service/%.c | $(FUZZ_BUILD)/lib/codelists.h $(FUZZ_BUILD)/obj fuzz-toolchain
	@mkdir -p $(@D)
	@echo '  CC  $< (fuzz)'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/obj/fuzz_%.o: fuzz/fuzz_%.c | $(FUZZ_BUILD)/lib/codelists.h $(FUZZ_BUILD)/obj fuzz-toolchain
	@echo '  CC  $<'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/openapi_doc.c: openapi.yaml service/gen-openapi.py | $(FUZZ_BUILD)/obj
	@python3 service/gen-openapi.py $< $@

$(FUZZ_BUILD)/lib/codelists.h: geo/codelists.json service/lib/gen-codelists.py
	@mkdir -p $(@D)
	@python3 service/lib/gen-codelists.py $< $@

$(FUZZ_BUILD)/obj/openapi_doc.o: $(FUZZ_BUILD)/openapi_doc.c | fuzz-toolchain
	@echo '  CC  $< (fuzz)'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# The service as an archive: each target links only what its parsers need.
$(FUZZ_BUILD)/libservice.a: $(FUZZ_SERVICE_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz_%.o $(FUZZ_BUILD)/libservice.a
	@echo '  LD  $@'
	@$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SANITIZE) -o $@ $^ $(LDLIBS)

$(FUZZ_BUILD)/obj:
	@mkdir -p $@

.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/obj/fuzz_%.o)

-include $(wildcard $(FUZZ_BUILD)/obj/*.d $(FUZZ_BUILD)/obj/*/*.d)
