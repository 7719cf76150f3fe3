# The two commands of the quick start: `make demo` and `make test`. Everything else is a step of those.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build configure native binary web demo test clean

all: build

setup:
	scripts/setup.sh

build: native web

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

# Everything native: the attnviz binary and the test executables.
native: configure
	cmake --build $(BUILD) -j $(JOBS)

# The attnviz binary alone, what the demo runs.
binary: configure
	cmake --build $(BUILD) -j $(JOBS) --target attnviz

web:
	@if [ -f web/package.json ]; then cd web && npm run build; fi

demo: setup binary web
	$(BUILD)/attnviz demo

test: setup build
	scripts/test.sh

clean:
	rm -rf $(BUILD) build-* web/dist
