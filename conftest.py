# The fixtures and hooks shared by every app's tests and the cross-app tests in tests/.
pytest_plugins = ["tests.fixtures"]
