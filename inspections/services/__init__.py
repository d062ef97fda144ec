"""Every write of the inspections app, one module per part (see each module)."""
