"""Openness checks (政务公开监督检查): services, selectors, the ladder, the admin and the pages."""
