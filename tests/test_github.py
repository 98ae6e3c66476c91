"""The baked project on GitHub: its workflows, its pre-commit checks, and re-baking it from its recorded answers."""
import ast
import filecmp
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml
from identify.identify import tags_from_path

from conftest import ACTION_MAJORS, TEMPLATE, actionlint, bake, bake_cli, git

WORKFLOWS = ".github/workflows"
WORKFLOW_FILES = ("tests.yml", "train-on-azure.yml", "lock.yml")  # in a bake with every option
ANSWERED = {"subscription_id": "01234567-89ab-cdef-0123-456789abcdef", "resource_group": "ml-rg",
            "workspace_name": "ml-ws", "region": "westeurope"}
# The programs a workflow step may start: the runner's Python and shell; anything else must be installed first.
RUNNER_PROGRAMS = {"python", "bash"}
PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project}}"
# The hooks of .pre-commit-config.yaml as their repositories' .pre-commit-hooks.yaml define them (at the config's
# revs): per hook the command it runs and the file types it is given (conftest.HOOK_PACKAGES names each
# repository's PyPI package, which the fixture hook_tools installs). Args, files and excludes are read from the
# config itself.
HOOK_REPOSITORIES = {
    "https://github.com/astral-sh/ruff-pre-commit": {
        "ruff-check": (["ruff", "check", "--force-exclude"], {"types_or": ["python", "pyi", "jupyter"]}),
        "ruff-format": (["ruff", "format", "--force-exclude"], {"types_or": ["python", "pyi", "jupyter"]}),
    },
    "https://github.com/pre-commit/pre-commit-hooks": {
        "end-of-file-fixer": (["end-of-file-fixer"], {"types": ["text"]}),
        "trailing-whitespace": (["trailing-whitespace-fixer"], {"types": ["text"]}),
        "check-added-large-files": (["check-added-large-files"], {}),
        "check-json": (["check-json"], {"types": ["json"]}),
        "check-yaml": (["check-yaml"], {"types": ["yaml"]}),
    },
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A bake with every optional part, the Azure training workflow among them, and the workspace answered."""
    return bake(tmp_path_factory.mktemp("github"), github_train_workflow=True, devcontainer_gpu=True, **ANSWERED)


def workflow(project, name):
    return yaml.safe_load((project / WORKFLOWS / name).read_text())


def steps_of(project, name):
    return [(job_name, step) for job_name, job in workflow(project, name)["jobs"].items() for step in job["steps"]]


def commands_of(step):
    """The commands of a step's `run`, one per line, split as the shell splits them."""
    return [shlex.split(line) for line in step.get("run", "").splitlines() if line.strip()]


def check_jsonschema(*paths):
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def action_steps(project):
    """Every step that uses an action, in every workflow, as (workflow, job, step)."""
    return [(name, job, step) for name in WORKFLOW_FILES for job, step in steps_of(project, name) if "uses" in step]


def cache_paths(step):
    """The files setup-python's pip cache key is computed from: its cache-dependency-path, one per line."""
    return step["with"]["cache-dependency-path"].split()


def readme_commands(project, section):
    """The command lines of the fenced code blocks in one '## ' section of the baked README, comments removed."""
    text = (project / "README.md").read_text().split(f"\n## {section}\n")[1].split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.split("#")[0].strip()]


def test_workflows_validate_against_githubs_workflow_schema_and_actionlint_finds_nothing(project, tmp_path):
    files = sorted((project / WORKFLOWS).glob("*.yml"))
    assert [f.name for f in files] == sorted(WORKFLOW_FILES)
    result = check_jsonschema(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert actionlint(*files) == []
    broken = tmp_path / "broken.yml"  # the same check rejects a job without runs-on
    broken.write_text((project / WORKFLOWS / "tests.yml").read_text().replace("runs-on:", "runs_on:"))
    assert check_jsonschema(broken).returncode != 0


def pip_install_arguments(command, project):
    """The arguments of the `pip install` a step's command runs: its own, or those of post-create.sh's pip, with
    post-create.sh's $LOCK as it is outside a container (the CPU lock); None for another command."""
    program, *args = command
    if program == "python" and args[:3] == ["-m", "pip", "install"]:
        return args[3:]
    if program == "bash" and args == [".devcontainer/post-create.sh"]:
        [line] = [line for line in (project / args[0]).read_text().splitlines() if " -m pip install " in line]
        words = shlex.split(line.replace('"$LOCK"', ".azureml/lock/cpu.txt"))
        return words[words.index("install") + 1:]
    return None


def installed_by(command, project):
    """The packages a step's command installs, as module names: named, or pinned in a requirements file (-r)."""
    args = pip_install_arguments(command, project) or []
    specs, files = [], []
    for option, value in zip(["", *args], args):
        if option in ("-r", "-c"):
            files += [value] if option == "-r" else []
        elif not value.startswith("-"):
            specs.append(value)
    for name in files:
        specs += [line for line in (project / name).read_text().splitlines() if line and line[0] not in "#-"]
    return {re.split(r"[<>=!~\[; ]", spec)[0].strip().lower().replace("-", "_") for spec in specs}


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_command_a_workflow_runs_exists_in_the_project(project, name):
    installed = set()
    for _, step in steps_of(project, name):
        for command in commands_of(step):
            program, *args = command
            assert program in RUNNER_PROGRAMS, f"{name}: {program} is not on a fresh runner"
            if args[0] == "-m":
                assert args[1] in installed | {"pip"}, f"{name}: python -m {args[1]} before it is installed"
            else:
                assert (project / args[0]).is_file(), f"{name}: {' '.join(command)} names a file the project lacks"
            installed |= installed_by(command, project)


def test_test_workflow_runs_the_readmes_test_command_after_installing_the_environment(project):
    steps = [step for job, step in steps_of(project, "tests.yml") if job == "tests"]
    runs = [step.get("run") for step in steps if "run" in step]
    assert runs == ["bash .devcontainer/post-create.sh", "python aml/serving.py make ../serving-env", "python -m pytest"]
    assert steps[2]["env"] == {"PYTHON": "python"}  # post-create.sh installs into the runner's Python
    # the serving environment, its own, from its lock (PyTorch's CPU build); the tests that serve the model find it
    assert "env" not in steps[3]
    assert steps[4]["env"] == {"AML_SERVING_PYTHON": "../serving-env/bin/python"}
    assert runs[-1] in readme_commands(project, "Tests")
    tests = workflow(project, "tests.yml")
    assert "env" not in tests["jobs"]["tests"]  # the CPU build of torch: post-create.sh installs .azureml/lock/cpu.txt
    assert steps[1]["with"]["cache"] == "pip"
    assert cache_paths(steps[1]) == [".azureml/lock/cpu.txt", ".azureml/lock/dev-tools.txt", ".azureml/lock/serving.txt"]
    assert pip_install_arguments(["bash", ".devcontainer/post-create.sh"], project) == [
        "--disable-pip-version-check", "--progress-bar", "off", "-r", ".azureml/lock/cpu.txt",
        "-r", ".azureml/lock/dev-tools.txt"]
    assert tests["concurrency"] == {"group": "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": True}


def test_tests_run_once_per_change_on_pull_requests_and_pushes_to_main(project):
    triggers = workflow(project, "tests.yml")[True]  # YAML 1.1 reads the key `on` as True
    assert triggers == {"push": {"branches": ["main"]}, "pull_request": None}  # a pushed PR branch is not run twice


def test_workflows_use_each_actions_current_major_version(project, tmp_path):
    used = {step["uses"] for _, _, step in action_steps(project)}
    assert used == {f"{action}@{major}" for action, major in ACTION_MAJORS.items()}
    # actionlint knows which majors run on GitHub today: none of these is retired, and an old one is caught
    workflows = sorted((project / WORKFLOWS).glob("*.yml"))
    assert [message for _, _, message in actionlint(*workflows) if "retired" in message or "too old" in message] == []
    old = tmp_path / "old.yml"
    old.write_text((project / WORKFLOWS / "tests.yml").read_text().replace(
        f"actions/checkout@{ACTION_MAJORS['actions/checkout']}", "actions/checkout@v2"))
    assert any('"actions/checkout@v2" action is retired' in message for _, _, message in actionlint(old))


def test_training_and_test_jobs_keep_their_pip_caches_apart(project):
    """Each job's pip cache is keyed on its own files, so neither restores the other's (the SDK alone, or torch)."""
    setups = {name: step for name, _, step in action_steps(project) if step["uses"].startswith("actions/setup-python")
              and step["with"].get("cache") == "pip"}
    assert set(setups) == {"tests.yml", "train-on-azure.yml"}
    tests, train = (cache_paths(setups[name]) for name in ("tests.yml", "train-on-azure.yml"))
    assert set(tests) != set(train) and f"{WORKFLOWS}/train-on-azure.yml" in train  # its pip install line is there
    missing = [path for path in tests + train if not (project / path).is_file()]
    assert not missing, f"cache keys name files the project lacks: {missing}"


def test_lint_job_caches_pre_commits_environments_per_config_and_python(project):
    steps = workflow(project, "tests.yml")["jobs"]["lint"]["steps"]
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    cache = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache"))
    assert steps[cache]["with"]["path"] == "~/.cache/pre-commit"
    key = steps[cache]["with"]["key"]
    assert "${{ hashFiles('.pre-commit-config.yaml') }}" in key
    assert f"${{{{ steps.{setup['id']}.outputs.python-version }}}}" in key  # a new Python builds them anew
    assert cache < next(i for i, step in enumerate(steps) if "pre_commit run" in step.get("run", ""))


def test_lint_job_runs_the_pre_commit_checks(project):
    runs = [step["run"] for job, step in steps_of(project, "tests.yml") if job == "lint" and "run" in step]
    assert runs == ["python -m pip install pre-commit", "python -m pre_commit run --all-files --show-diff-on-failure"]


def test_azure_workflow_logs_in_with_openid_connect_and_holds_no_secret(project):
    text = (project / WORKFLOWS / "train-on-azure.yml").read_text()
    train = workflow(project, "train-on-azure.yml")
    assert train["permissions"] == {"id-token": "write", "contents": "read"}
    login = [step for _, step in steps_of(project, "train-on-azure.yml") if step.get("uses", "").startswith("azure/")]
    assert [step["uses"] for step in login] == [f"azure/login@{ACTION_MAJORS['azure/login']}"]
    assert login[0]["with"] == {"client-id": "${{ vars.AZURE_CLIENT_ID }}", "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
                                "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}"}
    for value in ANSWERED.values():  # answers given at bake time do not end up in the repository's workflow
        assert value not in text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text) and "secrets." not in text
    words = json.dumps(train)  # every key and value, comments aside
    assert not re.search(r"(?i)client-secret|password|creds", words)


@pytest.mark.parametrize("sdk, packages", [("v1", ["azureml-core"]), ("v2", ["azure-ai-ml", "azure-identity"])])
def test_azure_workflow_installs_the_sdk_and_tools_at_the_locks_versions_runs_the_preflight_then_submits(
        tmp_path, sdk, packages):
    project = bake(tmp_path, github_train_workflow=True, sdk=sdk)
    runs = [step["run"] for _, step in steps_of(project, "train-on-azure.yml") if "run" in step]
    # no step waits for the run: the federated login expires long before a training run ends
    assert runs[1:] == ["python 04-run-pytorch.py --dry-run", "python 04-run-pytorch.py --timeout 120"]
    args = pip_install_arguments(shlex.split(runs[0]), project)
    files = [value for option, value in zip(args, args[1:]) if option in ("-r", "-c")]
    named = [word for word in args if not word.startswith("-") and word not in files]
    assert files[0] == ".azureml/lock/dev-tools.txt" and all(name.startswith(".azureml/lock/") for name in files)
    pinned = {line.split("==")[0] for name in files for line in (project / name).read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert set(packages) <= pinned and set(named) <= set(packages)  # each at the lock's version, nothing else named
    assert "torch" not in installed_by(shlex.split(runs[0]), project)  # no PyTorch for a submission
    names = {"AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"}
    assert workflow(project, "train-on-azure.yml")["jobs"]["train"]["env"] == {n: f"${{{{ vars.{n} }}}}" for n in names}


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_azure_workflows_preflight_step_passes_in_a_fresh_bake_without_a_config_file(tmp_path, sdk):
    project = bake(tmp_path, github_train_workflow=True, sdk=sdk)
    assert not (project / ".azureml/config.json").exists()
    env = {**os.environ, "AZURE_SUBSCRIPTION_ID": ANSWERED["subscription_id"], "AZURE_RESOURCE_GROUP": "ml-rg",
           "AZUREML_WORKSPACE_NAME": "ml-ws"}
    step = next(step for _, step in steps_of(project, "train-on-azure.yml") if "--dry-run" in step.get("run", ""))
    program, *args = shlex.split(step["run"])
    result = subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Pre-flight checks passed" in result.stdout and "Dry run: nothing is submitted." in result.stdout


def matches(pattern, path):
    """Whether a path matches a GitHub Actions `paths` pattern (`**` crosses folders, `*` does not)."""
    regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None


def local_imports(project, script):
    """The project's own modules a script imports, and theirs in turn, as file names (a package: its __init__.py)."""

    def files(module):
        """The files of the project that importing `module` runs: each package's __init__.py on the way, then it."""
        parts, found = module.split("."), []
        for end in range(1, len(parts) + 1):
            path = "/".join(parts[:end])
            found += [name for name in (f"{path}/__init__.py", f"{path}.py") if (project / name).is_file()]
        return found

    found, pending = set(), [script]
    while pending:
        tree = ast.parse((project / pending.pop()).read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        new = {name for module in modules for name in files(module)} - found
        found |= new
        pending.extend(new)
    return found


@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_azure_training_starts_on_main_only_when_what_it_trains_or_submits_it_changes(tmp_path, sdk):
    project = bake(tmp_path, github_train_workflow=True, sdk=sdk)
    triggers = workflow(project, "train-on-azure.yml")[True]
    assert set(triggers) == {"workflow_dispatch", "push"} and triggers["push"]["branches"] == ["main"]
    files = [path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()]
    started = {path for path in files if any(matches(pattern, path) for pattern in triggers["push"]["paths"])}
    trained = {path for path in files if path.startswith(("src/", ".azureml/"))}
    submits = {"04-run-pytorch.py"} | local_imports(project, "04-run-pytorch.py")
    helpers = {path for path in files if path.startswith("aml/")}  # the package 04 submits with, as one
    assert submits <= trained | helpers | {"04-run-pytorch.py"}
    assert started == trained | helpers | {"04-run-pytorch.py"}  # not README.md, tests/ or the workflows


def test_azure_workflow_and_its_set_up_are_there_only_when_asked_for(tmp_path):
    without = bake(tmp_path / "without")
    assert sorted(p.name for p in (without / WORKFLOWS).iterdir()) == ["lock.yml", "tests.yml"]
    assert "train-on-azure" not in (without / "README.md").read_text()
    with_it = bake(tmp_path / "with", github_train_workflow=True)
    readme = (with_it / "README.md").read_text()
    assert "### One-time set-up for training from GitHub" in readme
    for variable in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP",
                     "AZUREML_WORKSPACE_NAME"):
        assert f"gh variable set {variable}" in readme and variable in (with_it / WORKFLOWS / "train-on-azure.yml"
                                                                         ).read_text()


def pre_commit_config(project):
    return yaml.safe_load((project / ".pre-commit-config.yaml").read_text())


def test_pre_commit_config_is_valid_and_takes_each_hook_from_its_own_repository(project, tmp_path):
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
                            cwd=project, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    repos = {repo["repo"]: [hook["id"] for hook in repo["hooks"]] for repo in pre_commit_config(project)["repos"]}
    assert repos == {url: list(hooks) for url, hooks in HOOK_REPOSITORIES.items()}
    broken = tmp_path / "broken.yaml"  # the same check rejects a repository without its rev
    broken.write_text(re.sub(r"(?m)^ +rev: .*\n", "", (project / ".pre-commit-config.yaml").read_text(), count=1))
    assert subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(broken)],
                          capture_output=True, timeout=60).returncode != 0


def hook_files(project, files, hook, kinds, config):
    """The files pre-commit gives a hook: its files and exclude patterns, then its file types (identify's tags)."""
    chosen = []
    for path in files:
        if re.search(config.get("exclude", "^$"), path) or not re.search(config.get("files", ""), path):
            continue
        if re.search(hook.get("exclude", "^$"), path) or not re.search(hook.get("files", ""), path):
            continue
        tags = tags_from_path(str(project / path))
        if set(kinds.get("types", [])) <= tags and (not kinds.get("types_or") or tags & set(kinds["types_or"])):
            chosen.append(path)
    return chosen


def run_hooks(project, tools):
    """The config's hooks run as `pre-commit run --all-files` would: {hook id: (exit code, output, files changed)}."""
    config = pre_commit_config(project)
    files = git(project, "ls-files").splitlines()
    results = {}
    for repo in config["repos"]:
        manifest = HOOK_REPOSITORIES[repo["repo"]]
        for hook in repo["hooks"]:
            entry, kinds = manifest[hook["id"]]
            chosen = hook_files(project, files, hook, kinds, config)
            if not chosen:
                continue
            before = {path: (project / path).read_bytes() for path in chosen}
            result = subprocess.run([str(tools / entry[0]), *entry[1:], *hook.get("args", []), *chosen],
                                    cwd=project, capture_output=True, text=True, timeout=300)
            changed = [path for path in chosen if (project / path).read_bytes() != before[path]]
            results[hook["id"]] = (result.returncode, result.stdout + result.stderr, changed)
    return results


def failures(results):
    """The hooks that failed as pre-commit counts it: a non-zero exit, or files they changed."""
    return {hook: (code, output[-2000:], changed) for hook, (code, output, changed) in results.items()
            if code != 0 or changed}


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_pre_commit_checks_pass_on_a_fresh_bake_and_catch_a_slip(tmp_path_factory, hook_tools, sdk):
    fresh = bake(tmp_path_factory.mktemp("lint"), github_train_workflow=True, experiment_name="e" * 255,
                 python_version="3.10", sdk=sdk)
    git(fresh, "init", "-q")
    git(fresh, "add", "-A")
    results = run_hooks(fresh, hook_tools)
    assert set(results) == {hook for hooks in HOOK_REPOSITORIES.values() for hook in hooks}  # none skipped
    assert failures(results) == {}  # JSON with comments in .vscode/ passes: check-json's exclude is applied
    assert git(fresh, "diff", "--name-only") == ""  # no hook rewrote a file
    train = fresh / "src" / "train.py"
    train.write_text(train.read_text() + "print(undefined_name)\n")
    readme = fresh / "README.md"
    readme.write_text(readme.read_text() + "A line with trailing blanks.   \n")
    failed = failures(run_hooks(fresh, hook_tools))
    assert set(failed) == {"ruff-check", "trailing-whitespace"}, failed
    assert "F821 Undefined name `undefined_name`" in failed["ruff-check"][1]
    assert failed["trailing-whitespace"][2] == ["README.md"]


def test_recorded_answers_rebake_an_identical_tree(project, tmp_path):
    answers = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert {key: answers[key] for key in ANSWERED} == ANSWERED and answers["github_train_workflow"] is True
    assert not {"_output_dir", "_repo_dir"} & set(answers)  # nothing of the machine that baked it
    result = bake_cli(tmp_path, "--replay-file", str(project / ".cookiecutter.json"))
    assert result.returncode == 0, result.stderr
    verify_same_tree(project, tmp_path / project.name)


def verify_same_tree(left, right):
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    pending = [comparison]
    while pending:
        current = pending.pop()
        assert not (current.left_only or current.right_only), (current.left_only, current.right_only)
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        assert not mismatch and not errors, (current.left, mismatch, errors)
        pending.extend(current.subdirs.values())


@pytest.mark.slow
def test_update_from_a_newer_template_as_the_readme_says_brings_only_the_templates_change(tmp_path):
    newer = tmp_path / "template"
    shutil.copytree(TEMPLATE, newer, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache"))
    project = bake(tmp_path / "projects", python_version="3.12")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "baked")
    (project / "notes.md").write_text("my own file\n")
    model = newer / PROJECT_TEMPLATE.name / "src" / "model.py"
    model.write_text(model.read_text() + "\n\n# A change in a newer version of the template.\n")
    command = next(line for line in readme_commands(project, "Put it on GitHub") if "--replay-file" in line)
    args = [str(newer) if arg == "TEMPLATE" else arg for arg in shlex.split(command)[1:]]
    result = subprocess.run([sys.executable, "-m", "cookiecutter", *args], cwd=project, capture_output=True,
                            text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert git(project, "status", "--porcelain").splitlines() == [" M .cookiecutter.json", " M README.md",
                                                                   " M src/model.py", "?? notes.md"]
    # README.md: only its re-bake command, which names where the template came from (here another folder)
    readme = [line for line in git(project, "diff", "-U0", "README.md").splitlines()
              if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert [line[1:].replace(str(newer), str(TEMPLATE)) for line in readme if line.startswith("+")] == [
        line[1:] for line in readme if line.startswith("-")] and len(readme) == 2
    assert "+# A change in a newer version of the template." in git(project, "diff", "src/model.py")
    changed = [line for line in git(project, "diff", "-U0", ".cookiecutter.json").splitlines()
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [f'-    "_template": {json.dumps(str(TEMPLATE))},', f'+    "_template": {json.dumps(str(newer))},']



def test_lock_workflow_locks_again_monthly_checks_pytorchs_builds_tests_then_proposes_a_pull_request(project):
    lock = workflow(project, "lock.yml")
    assert lock[True] == {"schedule": [{"cron": "17 5 3 * *"}], "workflow_dispatch": None}
    assert lock["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = [step for _, step in steps_of(project, "lock.yml")]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == ["python -m pip install -c .azureml/lock/dev-tools.txt uv", "python aml/lock.py",
                    "python aml/lock.py --verify-builds", "bash .devcontainer/post-create.sh", "python -m pytest"]
    assert runs[-1] in readme_commands(project, "Tests")
    proposal = steps[-1]
    assert proposal["uses"] == f"peter-evans/create-pull-request@{ACTION_MAJORS['peter-evans/create-pull-request']}"
    assert proposal["with"]["add-paths"] == ".azureml/lock/"  # the lock alone, nothing else the run touched
