"""The staff workplace for the electronic supervision of approvals, one module per part.
Importing the package registers them all."""

from approvals.admin import (  # noqa: F401
    catalogue,  # the item catalogue with its steps and fees, imported from Excel
    records,  # the approval records as the halls pushed them, imported from Excel or CSV
    signals,  # the yellow and red signals: corrections reviewed, cases opened
)
