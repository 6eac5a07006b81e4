"""hdrnn-numpy: the reference trainer, each mini-batch as float32 matrix products.

Shapes: X [B, inputs], A_l [B, n_l]; the weights are kept transposed, Wt_l [n_in, n_out]
(written out as [n_out, n_in]): with batches of 10, OpenBLAS computes X @ Wt and the
weight gradient A^T @ delta into [n_in, n_out] about twice as fast as the [n_out, n_in]
forms at 784-128-10 (docs/performance.md). Per batch the buffers are reused and the
elementwise work is done in place: at batch 10, allocation and ufunc-call count, not
arithmetic, dominate the smaller networks.
With N(0,1) init, wide hidden layers saturate the sigmoids (784-128-10 learns slowly);
that is the thesis' algorithm, kept on purpose. Saturated float32 can produce denormals,
which are slow on x86 (the C trainer flushes them to zero; NumPy cannot).
"""

from __future__ import annotations

import sys

import numpy as np

from . import contract, trainer

F32 = np.float32
PIXEL_MAX = F32(255.0)  # the contract's divisor: (float)p / 255.0f
ONE = F32(1)


def sigmoid_inplace(z: np.ndarray) -> np.ndarray:
    """z = 1 / (1 + exp(-z)) in place. exp(-z) overflows to inf for z < -88 and
    1/(1+inf) is the correct 0: the caller silences that warning (np.errstate costs
    microseconds per call, so the batch loop enters it once per epoch)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += ONE
    return np.reciprocal(z, out=z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return sigmoid_inplace(z.copy())


def scale(features: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The network's inputs: uint8 pixels as (float)p / 255.0f (cast to float32, then
    divided in float32); float32 features as they are."""
    if features.dtype == np.uint8:
        return np.divide(features, PIXEL_MAX, out=out, dtype=F32)
    if out is None:
        return features.astype(F32)
    np.copyto(out, features)
    return out


class MatrixNet:
    def __init__(self, params, _args=None) -> None:
        self.wt = [np.ascontiguousarray(w.T) for w, _ in params]
        self.b = [b.copy() for _, b in params]
        self.grad = [np.empty_like(wt) for wt in self.wt]  # a fresh one would be an mmap
        self.eye = np.eye(len(self.b[-1]), dtype=F32)  # one-hot rows of the classes

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        acts = [x]
        for wt, b in zip(self.wt, self.b):
            z = acts[-1] @ wt
            z += b
            acts.append(sigmoid_inplace(z))
        return acts

    def predict(self, features: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return self.forward(scale(features))[-1]

    def train_batch(self, x: np.ndarray, labels: np.ndarray, lr: float) -> None:
        acts = self.forward(x)
        a = acts[-1]
        delta = a - self.eye[labels]                    # [B, classes]
        delta *= a
        delta *= ONE - a                                # (a - y) * a * (1 - a)
        step = F32(lr / len(labels))
        # gradients of every layer use the weights before this batch's update
        for layer in range(len(self.wt) - 1, -1, -1):
            ap = acts[layer]
            grad = np.matmul(ap.T, delta, out=self.grad[layer])  # [n_in, n_out]
            grad_b = delta.sum(axis=0)                  # [n_out]
            if layer:
                delta = delta @ self.wt[layer].T
                delta *= ap
                delta *= ONE - ap
            grad *= step                                # w -= step * grad, in place
            self.wt[layer] -= grad
            grad_b *= step
            self.b[layer] -= grad_b

    def train_epoch(self, features, labels, order, batch, lr) -> None:
        batch = min(batch, len(order))  # a batch larger than the set is the whole set
        pixels = np.empty((batch, features.shape[1]), dtype=features.dtype)
        x = np.empty((batch, features.shape[1]), dtype=F32)
        # np.take with out= casts indices safely only to the native index type (int32 on
        # 32-bit ARM, where an int64 order is refused): convert once per epoch
        order = order.astype(np.intp, copy=False)
        with np.errstate(over="ignore"):
            for s in range(0, len(order), batch):
                sel = order[s:s + batch]
                n = len(sel)
                np.take(features, sel, axis=0, out=pixels[:n])
                scale(pixels[:n], out=x[:n])
                self.train_batch(x[:n], labels[sel], lr)

    def tensors(self):
        params = [(np.ascontiguousarray(wt.T), b) for wt, b in zip(self.wt, self.b)]
        return contract.tensors_of(params)               # [n_out, n_in] as the contract


def main(argv: list[str] | None = None) -> int:
    return trainer.run("numpy", MatrixNet, argv,
                       start_info=lambda a: {"numpy": np.__version__})


if __name__ == "__main__":
    sys.exit(main())
