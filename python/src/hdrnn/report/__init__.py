"""hdrnn-report: figures and a Markdown report from hdrnn-run results."""
