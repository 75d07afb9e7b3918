"""PyTorch's side of bench/train.mjs: d2l's LeNet (ReLU, max pooling) from convcore's
initial weights, trained on the same batches in the same order with the same SGD
(lr 0.05, momentum 0.9), then evaluated.

Reads one safetensors file (written by train.mjs): "model.<name>" (the initial state,
under the nn.Sequential names both libraries use), "train_images", "train_labels",
"test_images", "test_labels", "order.<epoch>".
Prints one JSON object: {"epochSamplesPerSecond": [...], "testAccuracy", "losses"}.
Usage: python3 bench/torch-train-lenet.py FILE THREADS EPOCHS BATCH
"""
import json
import sys
import time

import torch
from torch import nn
from torch_safetensors import read_safetensors


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def main():
    path, threads, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    t = read_safetensors(path)
    model = lenet()
    model.load_state_dict({k[len("model."):]: v for k, v in t.items() if k.startswith("model.")}, strict=True)
    images, labels = t["train_images"], t["train_labels"].long()
    steps_per_epoch = (labels.numel() + batch - 1) // batch
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rates, losses = [], []
    for epoch in range(epochs):
        order = t[f"order.{epoch}"].long()
        seconds = 0.0
        for b in range(steps_per_epoch):
            index = order[b * batch:(b + 1) * batch]
            x, y = images[index], labels[index]
            start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            value = loss.item()
            seconds += time.perf_counter() - start
            losses.append(value)
        rates.append(labels.numel() / seconds)
    with torch.no_grad():
        predicted = model(t["test_images"]).argmax(1)
    accuracy = (predicted == t["test_labels"].long()).float().mean().item()
    print(json.dumps({"epochSamplesPerSecond": rates, "testAccuracy": accuracy, "losses": losses}))


if __name__ == "__main__":
    main()
