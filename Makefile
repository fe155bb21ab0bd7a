# Server concurrency models, side by side.  See README.md.
#
#   make              build every model and the load generator into bin/
#   make deps         install what is missing from Debian's packages
#   make test         unit, conformance and robustness tests
#   make bench        the full experiment sweep (./run_all.sh); QUICK=1 for a short one
#   make fuzz         the libFuzzer targets of tests/fuzz/, FUZZ_S seconds each (default 60)
#   make SANITIZE=address,undefined test   |   make SANITIZE=thread test
#   make soak         every model under load and rude clients for SOAK_S s (MODELS=a,b to pick)

CC      ?= cc
CFLAGS  ?= -O2 -g -Wall -Wextra
# A model's sources: servers/<model>/, or SRC_<model>=DIR (a lab's student copy, built by lab-check).
model_dir = $(or $(SRC_$(1)),servers/$(1))
IOCP_DIR := $(call model_dir,iocp-emul)
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -pthread -MMD -MP -Iservers/common -I$(IOCP_DIR)
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
MODELS  := iterative fork thread select epoll libevent iocp-emul pth st uthread uring
COMMON_SRC := $(wildcard servers/common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
IOCP_LIB_SRC := $(wildcard $(IOCP_DIR)/iocp*.c) # the port; main.c and receive.c are the Fire server
IOCP_LIB_OBJ := $(IOCP_LIB_SRC:%.c=$(BUILD)/%.o)
LOADGEN_SRC := $(wildcard harness/loadgen/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BIN)/tests/%)

# Per-model libraries (pkg-config where the package ships a .pc file).
LIBS_libevent  := $(shell pkg-config --libs libevent_core 2>/dev/null || echo -levent_core)
LIBS_pth       := -lpth
LIBS_st        := $(shell pkg-config --libs st 2>/dev/null || echo -lst)
LIBS_iocp-emul := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)
LIBS_test_iocp := $(LIBS_iocp-emul)
LIBS_uthread   := -lboost_context
LIBS_test_uthread := -lboost_context
LIBS_uring     := $(LIBS_iocp-emul)

MODEL_BINS := $(MODELS:%=$(BIN)/%)

.PHONY: all deps test test-unit test-conformance bench plots clean format check-libs soak labs lab-check lab-bench lab-dist fuzz fuzz-build fuzz-bins
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
	@for h in event2/event.h pth.h liburing.h st.h; do \
	  echo "#include <$$h>" | $(CC) -E -x c - >/dev/null 2>&1 || { \
	    echo "error: <$$h> not found: run 'make deps' (installs libevent-dev, libpth-dev, liburing-dev, libst-dev)" >&2; exit 1; }; \
	done

# ---- build rules: one pattern per kind of target ----
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

.SECONDARY:
.SECONDEXPANSION:
$(MODEL_BINS): $(BIN)/%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard $$(call model_dir,$$*)/*.c))) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LDLIBS)

$(BIN)/loadgen: $(LOADGEN_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_uring) $(LDLIBS)

$(UNIT_BIN): $(BIN)/tests/%: $(BUILD)/tests/unit/%.o $(COMMON_OBJ) $(IOCP_LIB_OBJ)
	@mkdir -p $(BIN)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LIBS_iocp-emul) $(LDLIBS)
$(BIN)/tests/test_uthread: $(BUILD)/$(call model_dir,uthread)/uthread.o

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

# ---- soak (not part of make test): make soak [SOAK_S=120] [MODELS=epoll,thread] ----
SOAK_S ?= 120
SOAK_PICK := $(if $(filter command line,$(origin MODELS)),$(MODELS))
soak: deps
	@$(MAKE) --no-print-directory all $(if $(SOAK_PICK),MODELS="$(sort $(foreach m,$(subst $(comma), ,$(SOAK_PICK)),$(firstword $(subst /, ,$(m)))))")
	BIN=$(BIN) SANITIZE=$(SANITIZE) python3 tests/soak.py --seconds $(SOAK_S) $(if $(SOAK_PICK),--models $(SOAK_PICK))

# ---- benchmark ----
bench: deps
	@$(MAKE) --no-print-directory all
	./run_all.sh $(if $(QUICK),--quick) $(BENCH_ARGS)

# ---- course labs (labs/; see labs/README.md) ----
labs:
	python3 labs/lab.py starters

lab-check:
	@python3 labs/lab.py check "$(LAB)" "$(SRC)"

lab-bench: all
	python3 labs/lab.py bench "$(LAB)" "$(SRC)"

lab-dist:
	python3 labs/lab.py dist "$(LAB)"

plots:
	python3 harness/report.py results/latest

format:
	clang-format -i $(wildcard servers/*/*.c servers/*/*.h harness/loadgen/*.c harness/loadgen/*.h tests/unit/*.c)

clean:
	rm -rf bin build

-include $(shell find build -name '*.d' 2>/dev/null)
