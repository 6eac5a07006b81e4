"""hdrnn-run: the benchmark matrix, each trainer run measured as a process."""
