"""PyTorch's time for bench/train-block.mjs: a ResNet basic block's training step
(conv3x3-BN-ReLU-conv3x3-BN + skip, ReLU; loss = mean of squares; backward) and the
block's two BatchNorms alone (forward and backward) on its activations.

Prints one JSON object: {"threads", "stepMs", "batchNormMs"} (medians).
Usage: python3 bench/torch-block.py THREADS N C H W
"""
import json
import sys

import torch
from torch_timing import measure


def main():
    threads, n, c, h, w = map(int, sys.argv[1:6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w)
    conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
    bn1 = torch.nn.BatchNorm2d(c)
    conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
    bn2 = torch.nn.BatchNorm2d(c)
    params = [*conv1.parameters(), *bn1.parameters(), *conv2.parameters(), *bn2.parameters()]

    def step():
        y = torch.relu(bn2(conv2(torch.relu(bn1(conv1(x))))) + x)
        loss = y.square().mean()
        for p in params:
            p.grad = None
        loss.backward()

    a = torch.randn(n, c, h, w, requires_grad=True)
    g = torch.randn(n, c, h, w)

    def batch_norms():
        for bn in (bn1, bn2):
            a.grad = None
            bn(a).backward(g)

    print(json.dumps({"threads": threads, "stepMs": measure(step, max_reps=100, min_seconds=1.0)[0], "batchNormMs": measure(batch_norms, max_reps=100, min_seconds=1.0)[0]}))


if __name__ == "__main__":
    main()
