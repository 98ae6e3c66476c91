"""Logging in and reaching the workspace with azure-identity and an MLClient (aml/ml_client.py, which 08 uses too)."""

from aml.ml_client import authentication, connect  # noqa: F401  (the control scripts' login.connect)
