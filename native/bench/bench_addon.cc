// The benchmark's own addon (build/Release/convcore_bench.node, never shipped): the
// machine's measured FMA peak and copy bandwidth, on a thread pool of its own sized by
// each call, against which bench/ states every kernel's % of peak; and one call of a
// named ISA build's convolution path or reduction, so that bench/isa-ab.mjs can alternate
// two builds in one process.
#include <napi.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/conv2d.h"
#include "../kernels/cpu_features.h"
#include "../kernels/elementwise.h"
#include "../kernels/engine.h"
#include "../kernels/thread_pool.h"
#include "../napi_args.h"

namespace convcore {
namespace {

// call.threads: an integer in 1..1024; the pool resized to it.
ThreadPool& poolOf(const Napi::Object& call) {
  static ThreadPool& pool = *new ThreadPool(1);  // never destroyed: no join at process exit
  const Napi::Value value = call.Get("threads");
  const double n = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0;
  if (!(n >= 1 && n <= 1024) || n != static_cast<int>(n)) {
    throw Napi::RangeError::New(call.Env(), "convcore bench: threads must be an integer in 1..1024");
  }
  pool.resize(static_cast<int>(n));
  return pool;
}

Napi::Object callObject(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "convcore bench: expected a call object");
  return info[0].As<Napi::Object>();
}

// call.isa: the name of a level this CPU has.
Isa isaOf(const Napi::Object& call) {
  Isa isa;
  const std::string name = call.Get("isa").IsString() ? call.Get("isa").As<Napi::String>().Utf8Value() : "";
  if (!isaFromName(name.c_str(), &isa) || !cpuHas(isa)) {
    throw Napi::RangeError::New(call.Env(), "convcore bench: no such ISA on this CPU: " + name);
  }
  return isa;
}

// { seconds, threads, isa? } → GFLOP/s of independent FMA chains on every thread at once,
// with the vectors of the named level ('generic', 'avx2', 'avx512', 'neon'), else the
// active one.
Napi::Value fmaPeak(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const double seconds = call.Get("seconds").IsNumber() ? call.Get("seconds").As<Napi::Number>().DoubleValue() : 0;
  if (!(seconds > 0 && seconds <= 10)) throw Napi::RangeError::New(info.Env(), "convcore bench: seconds must be in (0, 10]");
  const Isa isa = call.Get("isa").IsString() ? isaOf(call) : activeIsa();
  ThreadPool& pool = poolOf(call);
  const int threads = pool.size();
  std::vector<double> gigaflop(threads, 0.0);
  const auto start = std::chrono::steady_clock::now();
  pool.parallelFor(threads, 1, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) gigaflop[i] = fmaPeakGflops(seconds, isa) * seconds;
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (double g : gigaflop) total += g;
  return Napi::Number::New(info.Env(), total / wall);
}

// { src, dst, threads }: Float32Arrays of one length, copied by every thread, a slice
// each: the measure of memory bandwidth.
Napi::Value parallelCopy(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const int64_t length = floatLength(call.Get("src"), "src");
  const float* src = readFloatBuffer(call.Get("src"), length, "src");
  float* dst = readFloatBuffer(call.Get("dst"), length, "dst");
  ThreadPool& pool = poolOf(call);
  const int64_t threads = pool.size();
  pool.parallelFor(threads, 1, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const int64_t begin = i * length / threads, end = (i + 1) * length / threads;
      std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin) * sizeof(float));
    }
  });
  return info.Env().Undefined();
}

// { isa, op: 'sum' | 'max' | 'argmax', threads, sizes, reduced, x, out } → the seconds one
// call of that ISA build's reduction takes: x contiguous of `sizes` (an array of up to 8
// integers), reduced over the dimensions whose `reduced` flag is 1 (argmax: three sizes,
// the middle one reduced).
Napi::Value timeReduction(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Napi::Object call = callObject(info);
  const Isa isa = isaOf(call);
  const std::string op = call.Get("op").IsString() ? call.Get("op").As<Napi::String>().Utf8Value() : "";
  if (op != "sum" && op != "max" && op != "argmax") throw Napi::RangeError::New(env, "convcore bench: op must be sum, max or argmax");
  if (!call.Get("sizes").IsArray() || !call.Get("reduced").IsArray()) {
    throw Napi::TypeError::New(env, "convcore bench: sizes and reduced must be arrays");
  }
  const Napi::Array sizes = call.Get("sizes").As<Napi::Array>(), reduced = call.Get("reduced").As<Napi::Array>();
  ReduceLayout l{};
  l.rank = static_cast<int>(sizes.Length());
  if (l.rank < 1 || l.rank > kMaxLayoutRank || reduced.Length() != sizes.Length()) {
    throw Napi::RangeError::New(env, "convcore bench: sizes and reduced must have one length, 1..8");
  }
  for (int d = 0; d < l.rank; ++d) {
    const Napi::Value size = sizes.Get(static_cast<uint32_t>(d));
    l.sizes[d] = size.IsNumber() ? size.As<Napi::Number>().Int64Value() : -1;
    l.reduced[d] = reduced.Get(static_cast<uint32_t>(d)).ToBoolean();
  }
  l.op = op == "max" ? ReduceOp::kMax : ReduceOp::kSum;
  l.scale = 1;
  if (const char* problem = checkReduceLayout(l)) throw Napi::RangeError::New(env, std::string("convcore bench: ") + problem);
  const bool arg = op == "argmax";
  if (arg && !(l.rank == 3 && !l.reduced[0] && l.reduced[1] && !l.reduced[2] && l.sizes[1] >= 1)) {
    throw Napi::RangeError::New(env, "convcore bench: argmax takes three sizes, the middle one (not 0) reduced");
  }
  const float* x = readFloatBuffer(call.Get("x"), layoutCount(l.rank, l.sizes), "x");
  float* out = readFloatBuffer(call.Get("out"), reducedCount(l), "out");
  const ArgReduceLayout a{l.sizes[0], l.sizes[1], l.rank == 3 ? l.sizes[2] : 1, true};
  ThreadPool& pool = poolOf(call);
  const ConvKernels& k = kernelsOf(isa);
  const auto start = std::chrono::steady_clock::now();
  if (arg) k.argReduce(pool, a, x, out);
  else k.reduce(pool, l, x, out);
  return Napi::Number::New(env, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// { isa, path, threads, params, x, w, y, gx, gw } → the seconds one call of that ISA
// build's path takes: 'forward' (GEMM, y from x and w), 'dataGemm' (the column gradient
// scattered) or 'dataAsForward' (stride 1: a forward over the gradient), gx from y and w,
// 'weightGemm', gw from x and y. params: the packed conv block of a 2-D convolution.
Napi::Value timePath(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Napi::Object call = callObject(info);
  const Isa isa = isaOf(call);
  const VolumeParams v = readConvParams(call.Get("params"));
  if (!v.flat()) throw Napi::RangeError::New(env, "convcore bench: timePath takes a 2-D convolution");
  const ConvParams& p = v.plane;
  const float* x = readFloatBuffer(call.Get("x"), p.inputSize(), "x");
  const float* w = readFloatBuffer(call.Get("w"), p.weightSize(), "w");
  float* y = readFloatBuffer(call.Get("y"), p.outputSize(), "y");
  float* gx = readFloatBuffer(call.Get("gx"), p.inputSize(), "gx");
  float* gw = readFloatBuffer(call.Get("gw"), p.weightSize(), "gw");
  const std::string path = call.Get("path").IsString() ? call.Get("path").As<Napi::String>().Utf8Value() : "";
  const bool strideOne = p.strideH == 1 && p.strideW == 1;
  if (path != "forward" && path != "dataGemm" && !(path == "dataAsForward" && strideOne) && path != "weightGemm") {
    throw Napi::RangeError::New(env, "convcore bench: path must be forward, dataGemm, dataAsForward (stride 1) or weightGemm, not " + path);
  }
  ThreadPool& pool = poolOf(call);
  const ConvKernels& k = kernelsOf(isa);
  const auto start = std::chrono::steady_clock::now();
  if (path == "forward") k.forwardGemm(pool, p, x, w, nullptr, y);
  else if (path == "dataGemm") k.backwardDataGemm(pool, p, y, w, gx);
  else if (path == "dataAsForward") k.backwardDataAsForward(pool, p, y, w, gx);
  else k.backwardWeightGemm(pool, p, x, y, gw);
  return Napi::Number::New(env, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("timePath", Napi::Function::New(env, timePath, "timePath"));
  exports.Set("timeReduction", Napi::Function::New(env, timeReduction, "timeReduction"));
  exports.Set("fmaPeak", Napi::Function::New(env, fmaPeak, "fmaPeak"));
  exports.Set("parallelCopy", Napi::Function::New(env, parallelCopy, "parallelCopy"));
  return exports;
}

}  // namespace
}  // namespace convcore

// NODE_API_MODULE names its registration after an unqualified function.
static Napi::Object initModule(Napi::Env env, Napi::Object exports) { return convcore::init(env, exports); }
NODE_API_MODULE(convcore_bench, initModule)
