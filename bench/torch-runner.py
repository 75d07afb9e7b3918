"""PyTorch's time for each standard shape and pass, for npm run bench (bench/run.mjs).

A worker kept running at one thread count, which bench/run.mjs asks for one (shape, pass)
at a time, between its own measurements of the same call: reads one JSON line
{"shape": {...}, "pass": "fwd" | "bwd_data" | "bwd_weight"} on stdin and answers with one
{"shape", "pass", "threads", "medianMs", "minMs", "reps"}. A shape's tensors are kept until
a line names another shape. Kernels alone: the inputs, weights and output gradients are
made once; forward is F.conv{1,2,3}d without bias, bwd_data and bwd_weight are
aten.convolution_backward with one output each (what autograd calls). Timing as
bench/measure.mjs: repeated until minReps and minSeconds, batched below a millisecond,
median and minimum.

Usage: python3 bench/torch-runner.py THREADS [MIN_SECONDS]
(pin one-thread runs with `taskset -c 0`: oneDNN uses every core otherwise).
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def measure(fn, min_reps=5, max_reps=200, min_seconds=0.4):
    fn()
    start = time.perf_counter()
    fn()
    single = time.perf_counter() - start
    batch = 1 if single >= 1e-3 else min(10000, int(1e-3 / max(single, 1e-7)) + 1)
    if single > 0.2:
        min_reps = 3  # PyTorch's image filters take up to 2 s a call
    times = []
    begin = time.perf_counter()
    while len(times) < min_reps or (len(times) < max_reps and time.perf_counter() - begin < min_seconds):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - t0) / batch * 1e3)
    times.sort()
    return {"medianMs": times[len(times) // 2], "minMs": times[0], "reps": len(times) * batch}


def calls(s):
    rank = s.get("rank", 2)
    spatial = [s["L"]] if rank == 1 else [s["H"], s["W"]] if rank == 2 else [s["D"], s["H"], s["W"]]
    kernel = [s["kh"], s["kw"]] if rank == 2 else [s["k"]] * rank
    g = torch.Generator().manual_seed(0)
    x = torch.rand(s["N"], s["C"], *spatial, generator=g) * 2 - 1
    w = torch.rand(s["O"], s["C"] // s["groups"], *kernel, generator=g) * 2 - 1
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    stride, pad = [s["stride"]] * rank, [s["pad"]] * rank
    options = dict(stride=stride, padding=pad, groups=s["groups"])
    y = conv(x, w, None, **options)
    gy = torch.rand(y.shape, generator=g) * 2 - 1

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            gy, x, w, None, stride, pad, [1] * rank, False, [0] * rank, s["groups"], mask)

    return {
        "fwd": lambda: conv(x, w, None, **options),
        "bwd_data": backward([True, False, False]),
        "bwd_weight": backward([False, True, False]),
    }


def main():
    threads = int(sys.argv[1])
    min_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.4
    torch.set_num_threads(threads)
    held_id, held = None, None
    with torch.no_grad():
        for line in sys.stdin:
            request = json.loads(line)
            s = request["shape"]
            if s["id"] != held_id:
                held_id, held = None, None  # the last shape's memory goes first
                held_id, held = s["id"], calls(s)
            row = {"shape": s["id"], "pass": request["pass"], "threads": threads,
                   **measure(held[request["pass"]], min_seconds=min_seconds)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
