# zcswitch: the two commands that matter are `make run` and `make test`.
# Both install what is missing (Debian 12, as root), build, and go.

SHELL          := /bin/bash
BUILD_DIR      ?= build
SANITIZE_DIR   ?= build-sanitize
FUZZ_DIR       ?= build-fuzz
# Seconds each fuzz target runs: in `make test` and alone (`make fuzz`).
FUZZ_SECONDS   ?= 20
FUZZ_TARGETS   = desc_chain vhost_user_device virtio_net_hdr virtio_net
CONFIG         ?= config/demo.yaml
STATS_PERIOD   ?= 2
# make run DURATION=10 stops the demo after 10 s (SIGINT) instead of Ctrl-C.
DURATION       ?=
JOBS           ?= $(shell nproc)
# Integration tests run one at a time (RUN_SERIAL); unit tests share the cores.
CTEST_FLAGS    ?= --output-on-failure -j $(JOBS)
# The QEMU tests' guest (kernel and initramfs), one for every build's tests.
ZCSWITCH_GUEST_DIR ?= $(abspath $(BUILD_DIR)/guest)
export ZCSWITCH_GUEST_DIR

CMAKE_CONFIGURE = cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps guest build run test unit-test sanitize fuzz bench docker-test clean

all: build

deps:
	@scripts/install-deps.sh

# Does nothing when the guest is already built by the current script.
guest: deps
	@scripts/build-guest.sh $(ZCSWITCH_GUEST_DIR)

$(BUILD_DIR)/build.ninja:
	$(CMAKE_CONFIGURE) -B $(BUILD_DIR)

build: deps guest $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)
	@mkdir -p $(BUILD_DIR)/demo
	@$(BUILD_DIR)/bin/zcswitch-pcaptool gen $(BUILD_DIR)/demo/in.pcap 1000 64,128,512,1518

# zcswitchd on CONFIG, with the demo's guest traffic generator when CONFIG has
# its port (scripts/run-demo.sh says how).
run: build
	CONFIG=$(CONFIG) DURATION=$(DURATION) STATS_PERIOD=$(STATS_PERIOD) \
	  ZCSWITCHD=$(BUILD_DIR)/bin/zcswitchd scripts/run-demo.sh

# The fuzz targets for a while, unit and integration tests under
# AddressSanitizer and UndefinedBehaviorSanitizer, then the Release build's
# (without the control-plane tests, which the sanitizer run has covered).
test: build fuzz sanitize
	cd $(BUILD_DIR) && ctest $(CTEST_FLAGS) -LE control_plane

unit-test: build
	cd $(BUILD_DIR) && ctest $(CTEST_FLAGS) -L unit

# ASan (with LeakSanitizer) and UBSan build of everything, tests run on it.
sanitize: deps guest
	@[ -f $(SANITIZE_DIR)/build.ninja ] || cmake -S . -G Ninja -B $(SANITIZE_DIR) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZCSWITCH_ASAN=ON -DZCSWITCH_UBSAN=ON
	ninja -C $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS)

# libFuzzer targets (clang, ASan, UBSan), each run FUZZ_SECONDS from its
# committed corpus; new inputs go to $(FUZZ_DIR)/corpus, crashes fail the run.
# The same clang build first compiles the libraries that take locks, whose
# Abseil annotations -Wthread-safety checks (as errors).
fuzz: deps
	@[ -f $(FUZZ_DIR)/build.ninja ] || CC=clang CXX=clang++ cmake -S . -G Ninja -B $(FUZZ_DIR) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZCSWITCH_FUZZ=ON -DZCSWITCH_TESTS=OFF
	@echo "thread-safety: clang checks the lock annotations of the libraries that lock"
	ninja -C $(FUZZ_DIR) -j $(JOBS) zc_bridge zc_control
	ninja -C $(FUZZ_DIR) -j $(JOBS) $(addsuffix _fuzz,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/bin/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=70000 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | grep -E '^(#[0-9]+\s+DONE|==|stat::number_of_executed_units|SUMMARY)' ; \
	  [ $${PIPESTATUS[0]} -eq 0 ] || exit 1; \
	done

# A guest's transmit path through a vhost-user port, zcswitchd with zero-copy on
# and off vs testpmd's net_vhost on the same cores: cycles per packet and Mpps,
# their ratios and zero-copy's break-even size (perf/). The plot needs
# python3-matplotlib, which only this target installs; BENCH_PLOT= skips it.
# A quick run: make bench BENCH_SIZES=64,1518 BENCH_MODES=zc,copy BENCH_ARGS="--runs 1 --seconds 2"
BENCH_SIZES    ?= 64,256,512,1518,9000
BENCH_MODES    ?= zc,copy,testpmd,l2switch
BENCH_PLOT     ?= $(BUILD_DIR)/bench/cycles.svg
BENCH_ARGS     ?=
# Debian's interpreter, for which install-deps installs python3-matplotlib (a
# python3 earlier on PATH, such as pyenv's, would not see it).
BENCH_PYTHON   ?= /usr/bin/python3
bench: build
	@scripts/install-deps.sh --bench
	@$(if $(BENCH_PLOT),mkdir -p $(dir $(BENCH_PLOT)))
	$(BENCH_PYTHON) perf/bench_vhost_io.py --sizes $(BENCH_SIZES) --modes $(BENCH_MODES) \
	  $(if $(BENCH_PLOT),--plot $(BENCH_PLOT)) $(BENCH_ARGS)

# Build the container image (base image made locally by debootstrap) and run
# `make test` inside it with virtual PMDs and --no-huge.
docker-test:
	scripts/docker-test.sh

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
