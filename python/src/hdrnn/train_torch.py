"""hdrnn-torch: the HDR-NN in PyTorch (eager mode): nn.Linear layers loaded with the
contract's initial weights, sigmoid, cost sum((a - y)^2) / 2, plain SGD.

Torch is optional at run time: without it this trainer exits 2 with a message, so the
runner can report it as unavailable. One thread by default (``--threads N``).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from . import contract, trainer
from .errors import UsageError


def _import_torch():
    try:
        import torch
    except ImportError as e:
        raise UsageError(f"PyTorch is not installed ({e}); pip install torch") from None
    return torch


class TorchNet:
    def __init__(self, params, args) -> None:
        torch = self.torch = _import_torch()
        if args.threads < 1:
            raise UsageError(f"--threads {args.threads}: must be a positive integer")
        torch.set_num_threads(args.threads)
        layers = []
        for w, b in params:
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, torch.nn.Sigmoid()]
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=args.lr)
        self.eye = torch.eye(len(params[-1][1]))  # one-hot rows of the classes

    def _x(self, rows):
        """The inputs of a batch: uint8 pixels / 255 (only the batch becomes float),
        float32 features as they are."""
        x = rows.float()
        return x / 255.0 if rows.dtype == self.torch.uint8 else x

    def train_epoch(self, features, labels, order, batch, lr) -> None:
        torch = self.torch
        with warnings.catch_warnings():        # the set is read-only and only read here
            warnings.simplefilter("ignore", UserWarning)
            rows = torch.from_numpy(features)  # [T, inputs] uint8 or float32, no copy
        labs = torch.from_numpy(labels.astype(np.int64))
        idx = torch.from_numpy(order)
        for s in range(0, len(order), batch):
            sel = idx[s:s + batch]
            x = self._x(rows.index_select(0, sel))
            y = self.eye.index_select(0, labs.index_select(0, sel))
            a = self.model(x)
            loss = 0.5 * ((a - y) ** 2).sum()  # summed over the batch, as the contract
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            for g in self.opt.param_groups:   # w -= (lr / len(batch)) * sum_grad
                g["lr"] = lr / len(sel)
            self.opt.step()

    def predict(self, features):
        with self.torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # read-only, only read
            return self.model(self._x(self.torch.from_numpy(features))).numpy()

    def tensors(self):
        lin = [m for m in self.model if isinstance(m, self.torch.nn.Linear)]
        return contract.tensors_of([(m.weight.detach().numpy(), m.bias.detach().numpy())
                                   for m in lin])


def _threads(p) -> None:
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")


def _info(args) -> dict:
    torch = _import_torch()
    return {"torch": torch.__version__, "threads": args.threads}


def main(argv: list[str] | None = None) -> int:
    return trainer.run("torch", TorchNet, argv, extra_args=_threads, start_info=_info)


if __name__ == "__main__":
    sys.exit(main())
