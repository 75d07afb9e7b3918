"""OpenCV's filter2D on the image shapes of bench/fresh-results.mjs, as its users call it:
float32 planes in, a result allocated by each call, zeros beyond the border (what
conv2d's zero padding computes: filter2D correlates, as conv2d does).

A worker kept running by bench/fresh-results.mjs, which measures each shape here and in
convcore back to back: reads one JSON shape a line on stdin ({"id", "N", "C", "H", "W",
"kh", "kw", "groups"}: one kernel per plane, depthwise) and answers each with one JSON
line {"id", "threads", "medianMs", "minMs"} for a whole batch (N * C planes, each with its
channel's kernel). A shape's planes are kept until a line names another shape.

Usage: python3 bench/opencv-filter.py THREADS
"""
import json
import sys

import cv2
import numpy as np
from torch_timing import measure


def main():
    threads = int(sys.argv[1])
    cv2.setNumThreads(threads)
    rng = np.random.default_rng(0)
    held_id, planes, kernels = None, None, None
    for line in sys.stdin:
        s = json.loads(line)
        if s["id"] != held_id:
            held_id, planes, kernels = None, None, None  # the last shape's memory goes first
            planes = rng.standard_normal((s["N"] * s["C"], s["H"], s["W"]), dtype=np.float32)
            kernels = rng.standard_normal((s["C"], s["kh"], s["kw"]), dtype=np.float32)
            held_id = s["id"]

        # Each plane's result dropped at once: OpenCV's best case, malloc handing the
        # same block back (keeping rgbbatch's 48 results took 25x as long on this VM,
        # each one mapped and page-faulted afresh).
        def batch():
            for i, plane in enumerate(planes):
                cv2.filter2D(plane, -1, kernels[i % s["C"]], borderType=cv2.BORDER_CONSTANT)
        median, fastest = measure(batch)
        print(json.dumps({"id": s["id"], "threads": threads, "medianMs": median, "minMs": fastest}), flush=True)


if __name__ == "__main__":
    main()
