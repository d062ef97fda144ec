"""The appraisal app's staff workplace, one module per instrument; importing registers them."""

from appraisal.campaigns import admin as campaigns_admin  # noqa: F401  (民主评议)
from appraisal.openness import admin as openness_admin  # noqa: F401  (政务公开)
