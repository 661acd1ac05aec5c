# The two commands of the README's quick start, plus the pieces they are made of.
# Builds go through CMake presets (CMakePresets.json); everything installs through
# scripts/bootstrap.

JOBS ?= $(shell nproc)

.PHONY: demo test release debug bench bench-engine bench-sync bench-gateway bench-plan bench-audit bench-rollout bench-demo fuzz format clean

demo: release
	scripts/demo

test:
	scripts/bootstrap test
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS)

release:
	scripts/bootstrap
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

bench: release
	scripts/bootstrap bench
	bench/validate.sh
	bench/run.sh
	bench/changes.sh
	bench/sync.sh
	bench/gateway.sh
	bench/plan.sh
	bench/audit.sh
	bench/rollout.sh
	bench/demo.sh

bench-engine: release
	scripts/bootstrap bench
	bench/run.sh

bench-sync: release
	scripts/bootstrap bench
	bench/sync.sh

bench-gateway: release
	scripts/bootstrap bench
	bench/gateway.sh

bench-plan: release
	scripts/bootstrap bench
	bench/plan.sh

bench-audit: release
	scripts/bootstrap bench
	bench/audit.sh

bench-rollout: release
	scripts/bootstrap bench
	bench/rollout.sh

bench-demo: release
	scripts/bootstrap bench
	bench/demo.sh

fuzz:
	scripts/bootstrap fuzz
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	fuzz/run.sh

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
