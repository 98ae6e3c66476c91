"""Checks of the cookiecutter answers against Azure's and the file system's rules, run as the answers are rendered."""
import json
import re

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
PYTHON_VERSIONS = ("3.10", "3.11", "3.12")
SDKS = ("v1", "v2")


def _project(value):
    return (
        re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value) is not None
        and not value.endswith(".")
        and value.split(".")[0].upper() not in WINDOWS_RESERVED
    )


def _max_nodes(value):
    return re.fullmatch(r"[0-9]+", value) is not None and 1 <= int(value) <= 1000


def _optional(pattern, extra=lambda v: True):
    return lambda value: value == "" or (re.fullmatch(pattern, value) is not None and extra(value))


# field -> (check, the rule in words)
RULES = {
    "project": (
        _project,
        "one folder name of 1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit, "
        "not ending with '.', and not a reserved Windows name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)",
    ),
    "experiment_name": (
        lambda v: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", v) is not None,
        "1-255 characters: letters, digits, '_' or '-', starting with a letter or digit",
    ),
    "compute_name": (
        lambda v: re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]", v) is not None,
        "2-16 characters: letters, digits or '-', starting with a letter and not ending with '-'",
    ),
    "vm_size": (
        lambda v: re.fullmatch(r"(?:[Ss][Tt][Aa][Nn][Dd][Aa][Rr][Dd]|[Bb][Aa][Ss][Ii][Cc])_[A-Za-z0-9_]{1,60}", v)
        is not None,
        "an Azure VM size such as STANDARD_D2_V2 or Standard_NC4as_T4_v3",
    ),
    "max_nodes": (_max_nodes, "a whole number from 1 to 1000"),
    "python_version": (lambda v: v in PYTHON_VERSIONS, "one of " + ", ".join(PYTHON_VERSIONS)),
    "sdk": (lambda v: v in SDKS, "v1 (azureml-core, the tutorial's) or v2 (azure-ai-ml, with MLflow)"),
    "subscription_id": (_optional(GUID), "empty, or a subscription id such as 01234567-89ab-cdef-0123-456789abcdef"),
    "resource_group": (
        _optional(r"[A-Za-z0-9_.()-]{1,90}", lambda v: not v.endswith(".")),
        "empty, or 1-90 characters: letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
    ),
    "workspace_name": (
        _optional(r"[A-Za-z0-9][A-Za-z0-9_-]{2,32}"),
        "empty, or 3-33 characters: letters, digits, '_' or '-', starting with a letter or digit",
    ),
    "region": (_optional(r"[a-z][a-z0-9]{1,39}"), "empty, or an Azure region name such as eastus or westeurope"),
}


class InvalidAnswer(FailedHookException):
    """An answer that breaks its rule; cookiecutter's command line prints it as one line and exits 1."""


def answer_error(field, value):
    """Return the one-line message for an invalid answer, or None when the answer keeps its rule."""
    check, rule = RULES[field]
    text = "" if value is None else str(value)
    if check(text):
        return None
    return f"Invalid answer for '{field}': {text!r}. It must be {rule}. Run cookiecutter again with a valid value."


def valid_answer(value, field):
    """Return the answer unchanged, or stop the bake with one clear line when it breaks its rule."""
    message = answer_error(field, value)
    if message:
        raise InvalidAnswer(message)
    return value


def answer_errors(cookiecutter):
    """List the messages for every invalid answer in a rendered context (used by the pre_gen_project backstop)."""
    errors = [answer_error(field, cookiecutter.get(field)) for field in RULES]
    return [e for e in errors if e]


def hello_experiment(experiment_name):
    """Name the hello-world experiment after the training one: day1-experiment-train -> day1-experiment-hello."""
    name = str(experiment_name)
    name = name[: -len("-train")] if name.endswith("-train") else name
    return name[: 255 - len("-hello")] + "-hello"


# Context entries that name folders of the machine that baked the project; a replay sets them afresh.
MACHINE_ENTRIES = ("_output_dir", "_repo_dir")


def replay_answers(cookiecutter):
    """The answers (and the values derived from them) as a replay file for `cookiecutter --replay-file`."""
    answers = {key: value for key, value in cookiecutter.items() if key not in MACHINE_ENTRIES}
    return json.dumps({"cookiecutter": answers}, indent=2)


class AnswerChecks(Extension):
    """Jinja filters that check the answers while cookiecutter renders them."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["valid_answer"] = valid_answer
        environment.filters["answer_errors"] = answer_errors
        environment.filters["hello_experiment"] = hello_experiment
        environment.filters["replay_answers"] = replay_answers
