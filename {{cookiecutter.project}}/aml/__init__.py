"""What the control scripts (01-06) share: settings, pre-flight checks, login and submission to Azure ML.

Importing it checks first that the Azure ML SDK is installed, and otherwise says how to install it.
"""

from aml.sdk import require_sdk

require_sdk()
