#!/usr/bin/env python3
"""A stand-in for a vehicle's own signal logs, for the walkthrough in docs/data.md:
windows of a 3-axis accelerometer (32 samples per axis at 1 kHz, 96 features) labelled
0 normal, 1 imbalance (a stronger once-per-revolution component), 2 bearing fault
(periodic impacts). Synthetic and seeded: the same file every time. Usage:
    python3 tools/example_sensor_windows.py windows.csv [--windows 3000]"""

from __future__ import annotations

import argparse
import csv

import numpy as np

SAMPLES = 32          # per axis and window
RATE = 1000.0         # Hz


def window(rng: np.random.Generator, label: int) -> np.ndarray:
    t = np.arange(SAMPLES) / RATE
    rpm_hz = rng.uniform(20, 40)                       # shaft speed
    phase = rng.uniform(0, 2 * np.pi, 3)
    gain = np.array([1.0, 0.8, 0.5])
    once = 1.0 + (1.5 if label == 1 else 0.0)          # imbalance: 1x grows
    x = gain[:, None] * (once * np.sin(2 * np.pi * rpm_hz * t + phase[:, None]) +
                         0.3 * np.sin(2 * np.pi * 2 * rpm_hz * t + phase[:, None]))
    if label == 2:                                     # bearing: impacts every ~7 ms
        period = int(rng.integers(5, 9))
        start = int(rng.integers(0, period))
        x[:, start::period] += rng.uniform(1.5, 2.5) * np.array([[1.0], [0.6], [0.9]])
    x += rng.normal(0, 0.4, x.shape)                   # road and sensor noise
    return x.reshape(-1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--windows", type=int, default=3000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    labels = rng.choice(3, size=a.windows, p=[0.6, 0.2, 0.2])
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"a{axis}_{k}" for axis in "xyz" for k in range(SAMPLES)] + ["label"])
        for label in labels:
            w.writerow([f"{v:.5f}" for v in window(rng, int(label))] + [int(label)])


if __name__ == "__main__":
    main()
