# No tables: the wiring app has a models module so that post_migrate is sent for it (roles).
