"""The staff workplace for inspections, one module per part. Importing the package registers them
all."""

from inspections.activities import admin as activities_admin  # noqa: F401  trainings and awards
from inspections.admin import (  # noqa: F401
    codes,  # supervision codes (scan-to-enter)
    enterprises,  # inspected enterprises: the registry seen through its inspections (figures)
    inspections,  # filings and their flags
    lists,  # inspecting units and item lists
    plans,  # annual inspection plans
    ratings,  # the enterprises' ratings
)
