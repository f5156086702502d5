"""Plain helpers shared by several test modules: builders of small data sets, stores and tables.

Imported as `from helpers.<module> import ...`: pytest puts tests/ on sys.path (`pythonpath` in
pyproject.toml). Fixtures live in tests/conftest.py instead, where pytest finds them without an
import; a test module never imports another test module.
"""
