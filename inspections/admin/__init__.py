"""The staff workplace for inspections, one module per part. Importing the package registers them
all."""
from inspections.admin import lists, plans  # noqa: F401
