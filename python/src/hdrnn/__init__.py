"""hdrnn: benchmark the training of the HDR-NN across implementations."""

# The one place the version is written: pyproject.toml, native/CMakeLists.txt and the
# Yocto layer (classes-recipe/hdrnn_version.bbclass) read it from here.
__version__ = "0.1.0"
