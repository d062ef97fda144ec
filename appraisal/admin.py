"""The appraisal app's staff workplace, one module per instrument."""

from appraisal.openness import admin as openness_admin  # noqa: F401
