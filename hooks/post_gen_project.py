"""After the bake: put the chosen SDK's files in place, then the workspace config into .azureml/config.json."""
import json
import os
import shutil
import sys
from pathlib import Path

ANSWERS = {
    "subscription_id": {{ cookiecutter.subscription_id | tojson }},
    "resource_group": {{ cookiecutter.resource_group | tojson }},
    "workspace_name": {{ cookiecutter.workspace_name | tojson }},
}
TRAIN_WORKFLOW = {{ 'True' if cookiecutter.github_train_workflow else 'False' }}
SDK = {{ cookiecutter.sdk | tojson }}
PROJECT = Path.cwd()  # cookiecutter and cruft run hooks inside the new project
# The folder the project was made in: its parent (cruft, unlike cookiecutter, gives hooks no cookiecutter._output_dir)
OUTPUT_DIR = PROJECT.parent
# Each SDK's own files, as whole files at their place in the project: _sdk/v1/src/x.py becomes src/x.py.
SDK_FILES = PROJECT / "_sdk"
# The first command the README suggests: offline, seconds, a loss line every 100 mini-batches (README step 4).
FIRST_COMMAND = "python src/train.py --synthetic 2000 --log-interval 100"
TARGET = PROJECT / ".azureml" / "config.json"
# The places Workspace.from_config() looks, in its order, in each folder from the start upwards.
SEARCH = (Path(".azureml", "config.json"), Path("aml_config", "config.json"), Path("config.json"))


def is_workspace_config(path):
    """Tell whether path is a JSON file that names a workspace the way Workspace.from_config() reads it."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and (
        bool(config.get("Scope")) or all(config.get(k) for k in ("subscription_id", "resource_group", "workspace_name"))
    )


def find_workspace_config(start):
    """Find an existing workspace config from start upwards, as Workspace.from_config() would."""
    for relative in SEARCH:
        for folder in (start, *start.parents):
            candidate = folder / relative
            if candidate.is_file() and is_workspace_config(candidate):
                return candidate
    return None


def place_sdk_files(sdk=SDK, options=SDK_FILES, project=PROJECT):
    """Move the chosen SDK's files from _sdk/<sdk>/ to their places in the project, and drop _sdk/ with the rest."""
    chosen = options / sdk
    if chosen.is_dir():
        for source in sorted(path for path in chosen.rglob("*") if path.is_file()):
            target = project / source.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), str(target))
    shutil.rmtree(options, ignore_errors=True)


def where_to_cd(project=PROJECT):
    """The project folder as `cd` takes it from where cookiecutter was run: its name there, else its full path."""
    started_in = os.environ.get("PWD")  # the shell's working folder (cookiecutter runs hooks inside the project)
    if started_in and Path(started_in).resolve() == project.parent.resolve():
        return project.name
    return f'"{project}"' if " " in str(project) else str(project)


def rendered_for_cruft():
    """Tell whether cruft renders the template into a scratch folder to compare with the project (cruft update, diff):
    then the shell's working folder is the project, with its .cruft.json, and not this rendering's."""
    started_in = os.environ.get("PWD")
    if not started_in or Path(started_in).resolve() == PROJECT.resolve():
        return False
    return (Path(started_in) / ".cruft.json").is_file()


def main():
    """Place the SDK's files, drop the parts not asked for, write or copy the workspace config, print next steps."""
    say = (lambda message: None) if rendered_for_cruft() else print  # a scratch rendering has no next steps
    place_sdk_files()
    if not TRAIN_WORKFLOW:
        (PROJECT / ".github" / "workflows" / "train-on-azure.yml").unlink()
    if all(ANSWERS.values()):
        TARGET.write_text(json.dumps(ANSWERS, indent=4) + "\n", encoding="utf-8")
        say(f"Wrote .azureml/config.json for workspace {ANSWERS['workspace_name']!r} from your answers.")
    else:
        found = find_workspace_config(OUTPUT_DIR.resolve())
        if found:
            shutil.copyfile(found, TARGET)
            say(f"Copied the workspace config found at {found} to .azureml/config.json.")
        else:
            say(
                "No Azure ML workspace config found, so .azureml/config.json is not there yet. Before you submit, either\n"
                "  - download config.json from your workspace in Azure ML Studio (workspace name at the top right,\n"
                f"    'Download config file') into {PROJECT / '.azureml'}, or\n"
                "  - create a workspace and write the file: python 01-create-workspace.py --subscription-id ID "
                "--resource-group RG --workspace-name NAME --region REGION"
            )
    say("Next (offline, seconds; then README.md, step by step):")
    say(f"  cd {where_to_cd()} && {FIRST_COMMAND}")  # a line of its own, to copy and paste whole
    return 0


if __name__ == "__main__":
    sys.exit(main())
