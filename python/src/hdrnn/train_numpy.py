"""hdrnn-numpy: the reference trainer, each mini-batch as float32 matrix products.

Shapes: X [B, 784], A_l [B, n_l], W_l [n_out, n_in], b_l [n_out].
With N(0,1) init, wide hidden layers saturate the sigmoids (784-128-10 learns slowly);
that is the thesis' algorithm, kept on purpose. Saturated float32 can produce denormals,
which are slow on x86 (the C trainer flushes them to zero; NumPy cannot).
"""

from __future__ import annotations

import sys

import numpy as np

from . import trainer

F32 = np.float32
INV255 = F32(255.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-z) overflows to inf for z < -88 and 1/(1+inf) is the correct 0: silence only
    # the warning, keep the value.
    with np.errstate(over="ignore"):
        return F32(1.0) / (F32(1.0) + np.exp(-z))


def scale(images_u8: np.ndarray) -> np.ndarray:
    return images_u8.astype(F32) / INV255


class MatrixNet:
    def __init__(self, params, _args=None) -> None:
        self.w = [w.copy() for w, _ in params]
        self.b = [b.copy() for _, b in params]
        # Reused gradient buffers: a fresh [n_out, n_in] array per batch would be an
        # mmap/munmap pair for large layers (400 KB at 784-128-10).
        self.grad = [np.empty_like(w) for w in self.w]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        acts = [x]
        for w, b in zip(self.w, self.b):
            acts.append(sigmoid(acts[-1] @ w.T + b))
        return acts

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.forward(scale(images))[-1]

    def train_batch(self, x: np.ndarray, labels: np.ndarray, lr: float) -> None:
        acts = self.forward(x)
        a = acts[-1]
        y = np.zeros_like(a)
        y[np.arange(len(labels)), labels] = 1
        delta = (a - y) * a * (F32(1) - a)              # [B, 10]; s'(z) = a(1-a)
        step = F32(lr / len(labels))
        # gradients of every layer use the weights before this batch's update
        for layer in range(len(self.w) - 1, -1, -1):
            grad_w = np.matmul(delta.T, acts[layer], out=self.grad[layer])  # [n_out, n_in]
            grad_b = delta.sum(axis=0)                  # [n_out]
            if layer:
                ap = acts[layer]
                delta = (delta @ self.w[layer]) * ap * (F32(1) - ap)
            grad_w *= step                              # w -= step * grad, in place
            self.w[layer] -= grad_w
            self.b[layer] -= step * grad_b

    def train_epoch(self, images, labels, order, batch, lr) -> None:
        for s in range(0, len(order), batch):
            sel = order[s:s + batch]
            self.train_batch(scale(images[sel]), labels[sel], lr)

    def tensors(self):
        return trainer.tensors_of(list(zip(self.w, self.b)))


def main(argv: list[str] | None = None) -> int:
    return trainer.run("numpy", MatrixNet, argv,
                       start_info=lambda a: {"numpy": np.__version__})


if __name__ == "__main__":
    sys.exit(main())
