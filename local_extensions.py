"""Checks of the cookiecutter answers against Azure's and the file system's rules, run as the answers are rendered."""
import json
import re
import shlex
import types
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2 import pass_context
from jinja2.ext import Extension


def _load_names():
    """The project's own rules for its Azure ML names (aml/names.py of the generated project), read by path and run
    without writing bytecode: a __pycache__ beside it would be baked into every project."""
    path = TEMPLATE_DIR / "{{cookiecutter.project}}" / "aml" / "names.py"
    module = types.ModuleType("aml_cifar_template_names")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


TEMPLATE_DIR = Path(__file__).resolve().parent  # this template, as cookiecutter has it on this machine
NAMES = _load_names()
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
PYTHON_VERSIONS = ("3.10", "3.11", "3.12")
SDKS = ("v1", "v2")


def _project(value):
    return (
        re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value) is not None
        and not value.endswith(".")
        and value.split(".")[0].upper() not in WINDOWS_RESERVED
    )


# field -> (check, the rule in words), in the order of the questions: the project's Azure ML names come from
# its aml/names.py, which its scripts apply to .azureml/settings.yml
_TEMPLATE_RULES = {
    "project": (
        _project,
        "one folder name of 1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit, "
        "not ending with '.', and not a reserved Windows name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)",
    ),
    "python_version": (lambda v: v in PYTHON_VERSIONS, "one of " + ", ".join(PYTHON_VERSIONS)),
    "sdk": (lambda v: v in SDKS, "v1 (azureml-core, the tutorial's) or v2 (azure-ai-ml, with MLflow)"),
}
RULES = {
    field: _TEMPLATE_RULES.get(field) or NAMES.RULES[field]
    for field in ("project", "experiment_name", "compute_name", "vm_size", "max_nodes", "python_version", "sdk",
                  "subscription_id", "resource_group", "workspace_name", "region")
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


@pass_context
def valid_answer(context, value, field):
    """Return the answer unchanged, or stop the bake with one clear line when it breaks its rule (and, when answers
    before it differ from the defaults, a second line: the command that bakes again with them)."""
    message = answer_error(field, value)
    if message:
        command = again_command(context.get("cookiecutter") or {}, field)
        raise InvalidAnswer(f"{message} This keeps your answers before it:\n{command}" if command else message)
    return value


def again_command(answers, field):
    """The cookiecutter command that asks again with the answers given before `field` (those other than the
    defaults) as its defaults, ready to paste; None when there are none."""
    defaults = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    given = []
    for key, value in answers.items():
        if key == field:
            break
        if key.startswith("_") or value == defaults.get(key) or str(value) == str(defaults.get(key)):
            continue
        shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        given.append(shlex.quote(f"{key}={shown}"))
    return " ".join(["cookiecutter", shlex.quote(str(TEMPLATE_DIR)), *given]) if given else None


def answer_errors(cookiecutter):
    """List the messages for every invalid answer in a rendered context (used by the pre_gen_project backstop)."""
    errors = [answer_error(field, cookiecutter.get(field)) for field in RULES]
    return [e for e in errors if e]


def hello_experiment(experiment_name):
    """Name the hello-world experiment after the training one: day1-experiment-train -> day1-experiment-hello."""
    return NAMES.hello_experiment(experiment_name)


# Context entries that name folders of the machine that baked the project; a replay sets them afresh.
MACHINE_ENTRIES = ("_output_dir", "_repo_dir")


def replay_answers(cookiecutter):
    """The answers (and the values derived from them) as a replay file for `cookiecutter --replay-file`."""
    answers = {key: value for key, value in cookiecutter.items() if key not in MACHINE_ENTRIES}
    return json.dumps({"cookiecutter": answers}, indent=2)


def rebake_command(cookiecutter, **changes):
    """The cookiecutter command that bakes this template again with these answers, some changed: run in the project.

    A replay file cannot be combined with changed answers, so every answer is given on the command line."""
    template = cookiecutter.get("_template", "TEMPLATE")
    if not re.match(r"^([a-z]+:|/|[A-Za-z]:\\)", template):  # a relative folder: this template's, from anywhere
        template = str(TEMPLATE_DIR)  # (cookiecutter renders in another folder than it was run in)
    words = ["cookiecutter", "--no-input", "--output-dir", ".."]
    if cookiecutter.get("_checkout"):
        words += ["--checkout", cookiecutter["_checkout"]]
    words.append(template)
    for key, value in {**cookiecutter, **changes}.items():
        if not key.startswith("_"):
            value = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            words.append(shlex.quote(f"{key}={value}"))
    return " ".join(shlex.quote(word) if word is template else word for word in words)


class AnswerChecks(Extension):
    """Jinja filters that check the answers while cookiecutter renders them."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["valid_answer"] = valid_answer
        environment.filters["answer_errors"] = answer_errors
        environment.filters["hello_experiment"] = hello_experiment
        environment.filters["replay_answers"] = replay_answers
        environment.filters["rebake_command"] = rebake_command
