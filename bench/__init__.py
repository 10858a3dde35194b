"""Benchmarks: each module here has a `main()` that prints its figures and returns a dict.

`make bench` (python -m bench) runs them all; `python -m bench pages send` runs some.
"""
