"""Benchmarks (issue 7): each measures signflow and its floor in the same run.

Run one at a time from the project root, e.g. ``.venv/bin/python -m bench.client``.
Not part of CI; see bench/README.md for the commands and the figures measured.
"""
