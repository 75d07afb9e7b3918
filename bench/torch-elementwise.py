"""PyTorch's time for the element-wise cases of bench/elementwise.mjs.

A worker kept running by bench/elementwise.mjs, which measures each case here and in
convcore back to back: reads one JSON case a line on stdin ({"id", "op", "shapes",
"dims"?}) and answers each with one JSON line {"id", "threads", "medianMs", "minMs",
"outMs"}: results allocated fresh, as `torch.add(x, y)` does, and (element-wise ops)
into a preallocated `out=` (outMs; null for reductions). A case's tensors are kept until
a line names another case. Timing as bench/measure.mjs.

Usage: python3 bench/torch-elementwise.py THREADS MIN_SECONDS
"""
import json
import sys

import torch
from torch_timing import measure


def block_step(x):
    """A ResNet-style block's training step (bench/elementwise.mjs's blockStep)."""
    channels = x.shape[1]
    c1 = torch.nn.Conv2d(channels, channels, 3, padding=1)
    c2 = torch.nn.Conv2d(channels, channels, 3, padding=1)
    params = list(c1.parameters()) + list(c2.parameters())

    def step():
        loss = (c2(torch.relu(c1(x))) + x).square().mean()
        for p in params:
            p.grad = None
        loss.backward()
    return step


def call(case, tensors, out=None):
    op, dims = case["op"], case.get("dims")
    x = tensors[0]
    if op == "block":
        return block_step(x)
    if op in ("add", "mul", "sub", "div", "maximum"):
        f = getattr(torch, op)
        if out is not None:
            return lambda: f(x, tensors[1], out=out)
        return lambda: f(x, tensors[1])
    if op in ("exp", "sqrt", "relu", "abs"):
        if op == "relu":
            return (lambda: torch.clamp(x, min=0, out=out)) if out is not None else (lambda: torch.relu(x))
        f = getattr(torch, op)
        return (lambda: f(x, out=out)) if out is not None else (lambda: f(x))
    if op == "sum":
        return (lambda: x.sum()) if dims is None else (lambda: x.sum(dims))
    if op == "mean":
        return (lambda: x.mean()) if dims is None else (lambda: x.mean(dims))
    if op == "amax":
        return (lambda: x.amax()) if dims is None else (lambda: x.amax(dims))
    if op == "argmax":
        return (lambda: x.argmax()) if dims is None else (lambda: x.argmax(dims))
    raise ValueError(op)


def main():
    threads, min_seconds = int(sys.argv[1]), float(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    held_id, tensors, out = None, None, None
    for line in sys.stdin:
        case = json.loads(line)
        if case["id"] != held_id:
            held_id, tensors, out = None, None, None  # the last case's memory goes first
            tensors = [torch.rand(shape) + 0.5 for shape in case["shapes"]]
            if case["op"] not in ("sum", "mean", "amax", "argmax", "block"):
                out = torch.empty_like(call(case, tensors)())
            held_id = case["id"]
        median, minimum = measure(call(case, tensors), min_seconds=min_seconds)
        out_ms = None if out is None else measure(call(case, tensors, out), min_seconds=min_seconds)[0]
        print(json.dumps({"id": case["id"], "threads": threads, "medianMs": median, "minMs": minimum, "outMs": out_ms}),
              flush=True)


main()
