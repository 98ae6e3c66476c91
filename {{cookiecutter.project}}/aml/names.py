"""The rules for the names this project uses on Azure ML: one home, read by the scripts and by the template.

Plain Python with no imports beyond the standard library: the template that made this project loads this file
by its path to check the answers it is given, so the rules a bake accepts are the rules the scripts apply.
"""

import re

GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"


def _pattern(pattern, extra=lambda value: True):
    return lambda value: re.fullmatch(pattern, value) is not None and extra(value)


def _optional(check):
    return lambda value: value == "" or check(value)


def _whole_number(value):
    return re.fullmatch(r"[0-9]+", value) is not None and 1 <= int(value) <= 1000


_EXPERIMENT = _pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}")
_VM_SIZE = _pattern(r"(?:[Ss][Tt][Aa][Nn][Dd][Aa][Rr][Dd]|[Bb][Aa][Ss][Ii][Cc])_[A-Za-z0-9_]{1,60}")
EXPERIMENT_WORDS = "1-255 characters: letters, digits, '_' or '-', starting with a letter or digit"
VM_SIZE_WORDS = "an Azure VM size such as STANDARD_D2_V2 or Standard_NC4as_T4_v3"

# name -> (check of the name as text, the rule in words: "It must be <words>")
RULES = {
    "experiment_name": (_EXPERIMENT, EXPERIMENT_WORDS),
    "hello_experiment_name": (_EXPERIMENT, EXPERIMENT_WORDS),
    "compute_name": (
        _pattern(r"[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]"),
        "2-16 characters: letters, digits or '-', starting with a letter and not ending with '-'",
    ),
    "vm_size": (_VM_SIZE, VM_SIZE_WORDS),
    "gpu_vm_size": (_VM_SIZE, VM_SIZE_WORDS),
    "max_nodes": (_whole_number, "a whole number from 1 to 1000"),
    "subscription_id": (
        _optional(_pattern(GUID)),
        "empty, or a subscription id such as 01234567-89ab-cdef-0123-456789abcdef",
    ),
    "resource_group": (
        _optional(_pattern(r"[A-Za-z0-9_.()-]{1,90}", lambda value: not value.endswith("."))),
        "empty, or 1-90 characters: letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
    ),
    "workspace_name": (
        _optional(_pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{2,32}")),
        "empty, or 3-33 characters: letters, digits, '_' or '-', starting with a letter or digit",
    ),
    "region": (
        _optional(_pattern(r"[a-z][a-z0-9]{1,39}")),
        "empty, or an Azure region name such as eastus or westeurope",
    ),
    # a registered model's name (07-download-model.py --model-name), as azureml-core checks it before registering
    "model_name": (
        _pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}"),
        "1-255 characters: letters, digits, '-', '_' or '.', starting with a letter or digit",
    ),
    # a run's id (SDK v2: a job's name), which also names its folder outputs/<run id>/ (07-download-model.py)
    "run_id": (
        _pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}"),
        "1-255 characters: letters, digits, '_' or '-', starting with a letter or digit (as Azure ML Studio shows it)",
    ),
    # a managed online endpoint's name (08-deploy.py --endpoint): unique in its Azure region, as Azure ML checks it
    "endpoint_name": (
        _pattern(r"[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]"),
        "3-32 characters: letters, digits or '-', starting with a letter and ending with a letter or digit",
    ),
    # a deployment's name within its endpoint (08-deploy.py --deployment)
    "deployment_name": (
        _pattern(r"[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]"),
        "3-32 characters: letters, digits or '-', starting with a letter and ending with a letter or digit",
    ),
}


def broken_rule(name, value):
    """The rule in words when `value` breaks the rule of `name` (compared as text), else None."""
    check, words = RULES[name]
    return None if check("" if value is None else str(value)) else words


def hello_experiment(experiment_name):
    """Name the hello-world experiment after the training one: day1-experiment-train -> day1-experiment-hello."""
    name = str(experiment_name)
    name = name[: -len("-train")] if name.endswith("-train") else name
    return name[: 255 - len("-hello")] + "-hello"
