"""Settings for the benchmark runs: the project's own settings, plus the bench's URLs.

Everything else comes from the environment the runner sets (``bench.runner.bench_environment``):
the bench database, ``INTAKE_POW_ENABLED=0`` and ``INTAKE_RATE_LIMITS_ENABLED=0`` (README), DEBUG
off. CSRF stays on.
"""

from envopt.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
