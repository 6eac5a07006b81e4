"""hdrnn-numpy-sample: the thesis' Python baseline, Nielsen's network.py loop.

Back-propagation runs one sample at a time on column vectors and the batch's gradients
are summed in a Python loop, as in network.py; float32 and the contract's PRNG make it
comparable with every other trainer. Shapes: x [inputs, 1], a_l [n_l, 1], W_l [n_out, n_in].
"""

from __future__ import annotations

import sys

import numpy as np

from . import contract, trainer
from .train_numpy import F32, scale, sigmoid


class SampleNet:
    def __init__(self, params, _args=None) -> None:
        self.weights = [w.copy() for w, _ in params]
        self.biases = [b.reshape(-1, 1).copy() for _, b in params]

    def predict(self, features: np.ndarray) -> np.ndarray:
        a = scale(features).T
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a.T

    def backprop(self, x: np.ndarray, label: int):
        activation, activations = x, [x]
        for w, b in zip(self.weights, self.biases):
            activation = sigmoid(w @ activation + b)
            activations.append(activation)
        a = activations[-1]
        y = np.zeros_like(a)
        y[label] = 1
        delta = (a - y) * a * (F32(1) - a)
        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, len(self.weights) + 1):
            ap = activations[-layer]
            delta = (self.weights[-layer + 1].T @ delta) * ap * (F32(1) - ap)
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return nabla_b, nabla_w

    def update_mini_batch(self, features, labels, lr: float) -> None:
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for row, label in zip(features, labels):
            x = scale(row).reshape(-1, 1)
            dnb, dnw = self.backprop(x, int(label))
            nabla_b = [nb + d for nb, d in zip(nabla_b, dnb)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, dnw)]
        step = F32(lr / len(labels))
        self.weights = [w - step * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - step * nb for b, nb in zip(self.biases, nabla_b)]

    def train_epoch(self, features, labels, order, batch, lr) -> None:
        for s in range(0, len(order), batch):
            sel = order[s:s + batch]
            self.update_mini_batch(features[sel], labels[sel], lr)

    def tensors(self):
        return contract.tensors_of([(w, b.reshape(-1)) for w, b in zip(self.weights,
                                                                          self.biases)])


def main(argv: list[str] | None = None) -> int:
    return trainer.run("numpy-sample", SampleNet, argv,
                       start_info=lambda a: {"numpy": np.__version__})


if __name__ == "__main__":
    sys.exit(main())
