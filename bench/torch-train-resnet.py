"""PyTorch's side of bench/train-resnet.mjs: torchvision's resnet18 (1 input channel,
10 classes) from convcore's initial weights, trained on the same batches in the same
order with the same SGD + OneCycleLR, then evaluated.

Reads one safetensors file (written by train-resnet.mjs): "model.<name>" (the initial
state), "train_images", "train_labels", "test_images", "test_labels", "order.<epoch>".
Prints one JSON object: {"epochSamplesPerSecond": [...], "testAccuracy", "losses"}.
Usage: python3 bench/torch-train-resnet.py FILE THREADS EPOCHS BATCH LR
"""
import json
import sys
import time

import torch
import torchvision
from torch_safetensors import read_safetensors


def main():
    path, threads, epochs, batch, lr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    torch.set_num_threads(threads)
    t = read_safetensors(path)
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
    state = {k[len("model."):]: v for k, v in t.items() if k.startswith("model.")}
    state = {k: (v.long() if k.endswith("num_batches_tracked") else v) for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    images, labels = t["train_images"], t["train_labels"].long()
    steps_per_epoch = (labels.numel() + batch - 1) // batch
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    rates, losses = [], []
    for epoch in range(epochs):
        model.train()
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
            schedule.step()
            value = loss.item()
            seconds += time.perf_counter() - start
            losses.append(value)
        rates.append(labels.numel() / seconds)
    model.eval()
    with torch.no_grad():
        predicted = model(t["test_images"]).argmax(1)
    accuracy = (predicted == t["test_labels"].long()).float().mean().item()
    print(json.dumps({"epochSamplesPerSecond": rates, "testAccuracy": accuracy, "losses": losses}))


if __name__ == "__main__":
    main()
