# Thin wrapper so the README's two commands stay short. Everything real is in CMake.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATCHWATCH_WARNINGS_AS_ERRORS=ON
# ccache, where a developer has it (not needed, not installed by deps): rebuilds across worktrees.
ifneq ($(shell command -v ccache 2>/dev/null),)
LAUNCHER = -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
endif
CMAKE_FLAGS += $(LAUNCHER)
# The demo's own build: optimised, without debug information (a third less compile time on a
# fresh machine; measured in docs/contributing.md), in $(BUILD)-demo so `make test`'s build keeps
# its flags.
DEMO_FLAGS ?= -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DLATCHWATCH_WARNINGS_AS_ERRORS=ON $(LAUNCHER)

.PHONY: all deps test-deps build demo test soak package sanitize tsan fuzz bench windows windows-test clean

all: build

deps:
	packaging/install-deps.sh build

test-deps:
	packaging/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# The main job: `latchwatch check` against the built-in fabric simulator. Builds only the two
# programs it runs (the agent and the simulator), not the test tree.
demo: deps
	cmake -S . -B $(BUILD)-demo $(DEMO_FLAGS)
	cmake --build $(BUILD)-demo -j$(JOBS) --target latchwatch latchwatch-fabric-sim
	tests/fabric_sim/demo.sh $(BUILD)-demo

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j$(JOBS) -LE soak

# 10,000 daemon cycles at 50 ms against rotating scenarios: memory, fds and spool stay flat.
soak: test-deps build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -L soak

# The C++ test programs and what they start (the agent, the simulator): what the sanitizer builds
# need. The packaging, fleet, receiver and format tests check files and scripts, not memory, and
# run once, in `make test`.
CXX_TEST_TARGETS = latchwatch latchwatch-fabric-sim latchwatch_unit_tests latchwatch_integration_tests

# ASan + UBSan over every C++ test (unit and integration; CI runs it after `make test`).
sanitize: test-deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DLATCHWATCH_SANITIZE=ON \
	  -DLATCHWATCH_WARNINGS_AS_ERRORS=ON
	cmake --build $(BUILD)-asan -j$(JOBS) --target $(CXX_TEST_TARGETS)
	cd $(BUILD)-asan && ctest --output-on-failure --no-tests=error -j$(JOBS) -L '^(unit|integration)$$'

# ThreadSanitizer over the code that shares state across threads: the sink dispatcher, the daemon
# (signal thread, metrics server) and the simulator. The daemon's resource-budget tests
# (descriptors, threads under prlimit) run in the other builds: TSan's own runtime changes the
# budget they measure.
tsan: test-deps
	cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=Debug -DLATCHWATCH_TSAN=ON
	cmake --build $(BUILD)-tsan -j$(JOBS) --target $(CXX_TEST_TARGETS)
	cd $(BUILD)-tsan && ctest --output-on-failure --no-tests=error -j$(JOBS) -R 'Dispatcher|Daemon|FabricSimulator|FileTrigger|GpaFileWatch' -E 'DaemonBudget'

# libFuzzer targets for every parser of outside data, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 30
fuzz:
	packaging/install-deps.sh fuzz
	cmake -S . -B $(BUILD)-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLATCHWATCH_BUILD_FUZZERS=ON -DLATCHWATCH_BUILD_TESTS=OFF
	cmake --build $(BUILD)-fuzz -j$(JOBS)
	tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

# latchwatch against blackbox_exporter and curl, same targets, same run (bench/RESULTS.md).
bench:
	bench/run.sh

# Windows x64: latchwatch.exe, the Windows test suite and latchwatch.msi, cross-built with Debian's
# mingw-w64 into $(BUILD)-windows/.
windows:
	packaging/install-deps.sh windows
	cmake -S . -B $(BUILD)-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
	  -DCMAKE_BUILD_TYPE=Release -DLATCHWATCH_WARNINGS_AS_ERRORS=ON
	cmake --build $(BUILD)-windows -j$(JOBS)

# The Windows tests under wine64: the portable unit tests, the Windows readers and sinks, and
# `check` against the (Linux) fabric simulator, verdict for verdict against the Linux binary.
windows-test: windows build
	tests/windows/run.sh $(BUILD)-windows $(BUILD)

# The .deb and the RPM (with their -dbgsym / -debuginfo) into $(BUILD)/.
package: build
	packaging/install-deps.sh package
	cd $(BUILD) && cpack

clean:
	rm -rf $(BUILD) $(BUILD)-demo
