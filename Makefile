# The two commands of the quick start: `make demo` and `make test`. Everything else is a step of those.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build native web demo test test-native test-web test-sanitize test-fuzz clean

all: build

setup:
	scripts/setup.sh

build: native web

native:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

web:
	@if [ -f web/package.json ]; then cd web && npm run build; fi

demo: setup build
	$(BUILD)/attnviz demo

test: setup build
	scripts/test.sh

clean:
	rm -rf $(BUILD) build-* web/dist
