"""The staff workplace for inspections, one module per part. Importing the package registers them
all."""

from inspections.admin import codes, ratings  # noqa: F401  (scan-to-enter: supervision codes, ratings)
