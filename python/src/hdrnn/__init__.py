"""hdrnn: benchmark the training of the HDR-NN across implementations."""

__version__ = "0.1.0"
