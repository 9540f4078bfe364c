# floe's front door. `make` builds build/floe; `make run` serves examples/orders;
# `make test` runs every test; `make bench`, `make fuzz` (FUZZ_SECONDS=0 replays the
# corpora), `make format` / `make check-format`. CMake does the work.
# `make SAN=address,undefined test` builds and tests under ASan/UBSan in build-san/.
SAN ?=
JOBS ?= $(shell nproc)
ifeq ($(SAN),)
BUILD := build
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
BUILD := build-san
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DFLOE_SAN=$(SAN) -DCMAKE_C_COMPILER=clang
endif
FUZZ_SECONDS ?= 30

.PHONY: all deps build test run bench fuzz clean format check-format
all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	@bash scripts/deps.sh --test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

run: build
	FLOE=./$(BUILD)/floe bash scripts/run-example.sh

bench: build
	@bash scripts/deps.sh --test
	bash bench/run.sh

fuzz: deps
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFLOE_FUZZ=ON \
	  -DFLOE_SAN=address,undefined -DCMAKE_C_COMPILER=clang
	cmake --build build-fuzz -j $(JOBS)
	bash tests/fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $$(find src bench -name '*.[ch]')

check-format:
	@bash scripts/check-format.sh

clean:
	rm -rf build build-san build-fuzz
