#!/usr/bin/env bash
# npm run test:native-asan: the addon built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ (the normal build is untouched), then the
# parity suites and the fuzz run against it, on the best ISA the CPU has; the parity
# suites again on each lower x86 level it has (CONVCORE_ISA), so every kernel build is
# checked. Any sanitizer report fails the run. Extra arguments go to every vitest run;
# a `{isa}` in them is replaced by the level (for per-run report files).
# Node itself is not instrumented, so the sanitizer runtimes are preloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."

src=build-asan
rm -rf "$src"
mkdir -p "$src"
cp -r binding.gyp native package.json "$src"/
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
echo "=== building the addon with $flags"
(cd "$src" && CXXFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >/dev/null)

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
reports=$(mktemp -d)
export LD_PRELOAD="$asan:$ubsan"
# V8 and Node leak by design at exit; what matters is invalid accesses and UB.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export CONVCORE_PREBUILD="$PWD/$src"   # node-gyp-build loads $src/build/Release/convcore.node
export FUZZ_RUNS="${FUZZ_RUNS:-10000}"

status=0
best=$(node -e "console.log(require('./dist').isa())")
args=("${@//\{isa\}/$best}")
parity="test/asan/loaded.test.ts test/elementwise.test.ts test/activations.test.ts test/normalization.test.ts test/conv-transpose.test.ts test/conv2d-parity.test.ts test/conv-nd.test.ts test/non-finite.test.ts test/training-ops.test.ts"
npx vitest run $parity test/hardening.test.ts test/fuzz.test.ts "${args[@]}" || status=1
levels=()
case "$best" in
  avx512) levels=(avx2 generic) ;;
  avx2) levels=(generic) ;;
esac
for level in "${levels[@]}"; do
  echo "=== the parity suites on the $level kernels"
  args=("${@//\{isa\}/$level}")
  CONVCORE_ISA=$level npx vitest run $parity "${args[@]}" || status=1
done
unset LD_PRELOAD
if ls "$reports"/* >/dev/null 2>&1; then
  echo "=== sanitizer reports:"
  cat "$reports"/*
  status=1
fi
exit $status
