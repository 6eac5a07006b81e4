"""A trainer with a real bug, for the agreement check's test: hdrnn-numpy, except that
the bias update misses the learning rate (b -= sum_grad / B instead of lr / B)."""

import sys

import numpy as np

from hdrnn import trainer
from hdrnn.train_numpy import MatrixNet


class MissingLrInBias(MatrixNet):
    def train_batch(self, x, labels, lr):
        before = [b.copy() for b in self.b]
        super().train_batch(x, labels, lr)
        for b, old in zip(self.b, before):  # b_old - (lr/B) g  ->  b_old - g/B
            b[...] = old + (b - old) / np.float32(lr)


if __name__ == "__main__":
    sys.exit(trainer.run("c", MissingLrInBias, None))
