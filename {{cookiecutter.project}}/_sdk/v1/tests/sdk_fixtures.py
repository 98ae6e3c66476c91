"""The SDK v1 tests' own fixtures (imported by conftest.py): none; SDK v2's keep MLflow's runs apart."""

__all__ = []
