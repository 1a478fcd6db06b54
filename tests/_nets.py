"""Tiny seeded torch networks for tests, shaped like attrobust.models' builders:
separate activation instances, flattening in forward (captum's LRP/DeepLift constraints)."""
from __future__ import annotations

import torch
from torch import nn

ACTS = {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh}


class MLP(nn.Module):
    """Linear-act-Linear-act-Linear."""

    def __init__(self, d_in: int, n_out: int, hidden: int = 16, act: str = "relu", seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        a = ACTS[act]
        self.net = nn.Sequential(nn.Linear(d_in, hidden), a(), nn.Linear(hidden, hidden), a(),
                                 nn.Linear(hidden, n_out))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """Conv-ReLU-Conv-ReLU-MaxPool2-flatten-Linear-ReLU-Linear (cnn_small, narrower)."""

    def __init__(self, c: int = 1, hw: int = 8, n_classes: int = 3, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.features = nn.Sequential(
            nn.Conv2d(c, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Linear(8 * (hw // 2) ** 2, 16), nn.ReLU(), nn.Linear(16, n_classes))

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


class CNNFlatten(nn.Module):
    """The same with an nn.Flatten module (LRP needs a rule for it)."""

    def __init__(self, c: int = 1, hw: int = 8, n_classes: int = 3, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(
            nn.Conv2d(c, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(4 * (hw // 2) ** 2, n_classes))

    def forward(self, x):
        return self.net(x)
