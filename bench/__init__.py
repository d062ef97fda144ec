"""The benchmark suite: ``make bench`` (README, "Benchmarks").

It loads synthetic data at realistic scale into a PostgreSQL database of its own and measures
the figures of issue 7 against the goals they are held to. ``python -m bench --help``.
"""
