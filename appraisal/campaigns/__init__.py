"""Democratic appraisal campaigns (民主评议): services, selectors, pages, admin, tasks."""
