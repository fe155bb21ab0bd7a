# Server concurrency models, side by side.  See README.md.
#
#   make              build every model and the load generator into bin/
#   make deps         install what is missing from Debian's packages
#   make test         unit, conformance and robustness tests
#   make bench        the full experiment sweep (./run_all.sh); QUICK=1 for a short one
#   make fuzz         the libFuzzer targets of tests/fuzz/, FUZZ_S seconds each (default 60)
#   make SANITIZE=address,undefined test   |   make SANITIZE=thread test

CC      ?= cc
CFLAGS  ?= -O2 -g -Wall -Wextra
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -pthread -MMD -MP -Iservers/common -Iservers/iocp-emul
LDFLAGS ?=
override LDLIBS += -pthread -lm

comma := ,
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SANITIZE)
# SANITIZE=thread builds into bin/tsan: bin/thread is the thread model's binary.
SANTAG  := $(subst thread,tsan,$(subst $(comma),-,$(SANITIZE)))
BUILD   := build/$(SANTAG)
BIN     := bin/$(SANTAG)
else
BUILD   := build/plain
BIN     := bin
endif
MODELS  := iterative fork thread select epoll libevent iocp-emul pth uthread
COMMON_SRC := $(wildcard servers/common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
IOCP_LIB_SRC := $(filter-out servers/iocp-emul/main.c,$(wildcard servers/iocp-emul/*.c))
IOCP_LIB_OBJ := $(IOCP_LIB_SRC:%.c=$(BUILD)/%.o)
LOADGEN_SRC := $(wildcard harness/loadgen/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BIN)/tests/%)

# Per-model libraries (pkg-config where the package ships a .pc file).
LIBS_libevent  := $(shell pkg-config --libs libevent_core 2>/dev/null || echo -levent_core)
LIBS_pth       := -lpth
LIBS_iocp-emul := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)
LIBS_test_iocp := $(LIBS_iocp-emul)
LIBS_uthread   := -lboost_context
LIBS_test_uthread := -lboost_context

MODEL_BINS := $(MODELS:%=$(BIN)/%)

.PHONY: all deps test test-unit test-conformance bench plots clean format check-libs fuzz fuzz-build fuzz-bins
all: check-libs $(MODEL_BINS) $(BIN)/loadgen $(UNIT_BIN)

# ---- dependencies (Debian packages; installed only when missing) ----
DEB_PKGS := build-essential pkg-config libevent-dev libpth-dev liburing-dev libst-dev libboost-context-dev \
            wrk gnuplot-nox python3 perl procps util-linux nginx-light apache2 curl iproute2 \
            clang libclang-rt-14-dev linux-perf openssh-server openssh-client rsync
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=300 update -q && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q $$missing; \
	else echo "deps: all present"; fi

check-libs:
	@for h in event2/event.h pth.h liburing.h; do \
	  echo "#include <$$h>" | $(CC) -E -x c - >/dev/null 2>&1 || { \
	    echo "error: <$$h> not found: run 'make deps' (installs libevent-dev, libpth-dev, liburing-dev)" >&2; exit 1; }; \
	done

# ---- build rules: one pattern per kind of target ----
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

.SECONDARY:
.SECONDEXPANSION:
$(MODEL_BINS): $(BIN)/%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard servers/$$*/*.c))) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LDLIBS)

$(BIN)/loadgen: $(LOADGEN_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_BIN): $(BIN)/tests/%: $(BUILD)/tests/unit/%.o $(COMMON_OBJ) $(IOCP_LIB_OBJ)
	@mkdir -p $(BIN)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LIBS_iocp-emul) $(LDLIBS)
$(BIN)/tests/test_uthread: $(BUILD)/servers/uthread/uthread.o

# ---- fuzzing: libFuzzer targets, with clang whatever CC is, always ASan + UBSan ----
FUZZ_CC      ?= clang
FUZZ_S       ?= 60
FUZZ_FLAGS   := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -pthread -Iservers/common -Iharness/loadgen
FUZZ_TARGETS := request resp options
FUZZ_SRC_request := servers/common/http.c servers/common/work.c
FUZZ_SRC_resp    := harness/loadgen/resp.c
FUZZ_SRC_options := servers/common/options.c
FUZZ_BINS    := $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)

$(FUZZ_BINS): bin/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(wildcard servers/common/*.h harness/loadgen/*.h tests/fuzz/*.h)
	@mkdir -p bin/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC_$*)

# Builds the targets when FUZZ_CC links -fsanitize=fuzzer; else says why not (the tests skip them).
fuzz-build:
	@mkdir -p build
	@if echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o build/fuzz-probe >/dev/null 2>&1; then \
	  rm -f build/fuzz-probe; $(MAKE) --no-print-directory fuzz-bins; \
	else echo "fuzz: not built: $(FUZZ_CC) cannot link -fsanitize=fuzzer (make deps installs clang, libclang-rt-14-dev)"; fi

fuzz-bins: $(FUZZ_BINS)
	@:

fuzz: fuzz-build
	python3 tests/fuzz/fuzz.py --jobs --seconds $(FUZZ_S) $(FUZZ_TARGETS)

# ---- tests ----
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory fuzz-build
	BIN=$(BIN) SANITIZE=$(SANITIZE) python3 tests/run_tests.py $(TESTS)

# ---- benchmark ----
bench: deps
	@$(MAKE) --no-print-directory all
	./run_all.sh $(if $(QUICK),--quick) $(BENCH_ARGS)

plots:
	python3 harness/report.py results/latest

format:
	clang-format -i $(wildcard servers/*/*.c servers/*/*.h harness/loadgen/*.c harness/loadgen/*.h tests/unit/*.c)

clean:
	rm -rf bin build

-include $(shell find build -name '*.d' 2>/dev/null)
