"""The staff workplace for inspections, one module per part. Importing the package registers them
all."""
