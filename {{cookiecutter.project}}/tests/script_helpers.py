"""What the control scripts' tests share: a stand-in login, a workspace config, the Azure CLI, the torch pins."""

import json
import runpy

from conftest import ROOT

FAKE_SERVICE_PRINCIPAL = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client", "AZURE_CLIENT_SECRET": "secret"}
NO_LOGIN = {name: "" for name in FAKE_SERVICE_PRINCIPAL}
SUBSCRIPTION = "01234567-89ab-cdef-0123-456789abcdef"


def write_config(project):
    """A workspace config in the project, as a download from Azure ML Studio would be."""
    config = {
        "subscription_id": "01234567-89ab-cdef-0123-456789abcdef",
        "resource_group": "rg",
        "workspace_name": "ws1",
    }
    (project / ".azureml" / "config.json").write_text(json.dumps(config))


def torch_lines(name):
    """The pip lines of .azureml/torch-cpu.txt or torch-gpu.txt: all but the comments."""
    text = (ROOT / ".azureml" / name).read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def pip_entry(conda):
    """The pip: entry of a conda environment's dependencies."""
    return next(entry for entry in conda["dependencies"] if isinstance(entry, dict) and "pip" in entry)


def script(name):
    """A control script's functions, loaded without running its main()."""
    return runpy.run_path(str(ROOT / name))


def fake_az(folder, lifetime_s=3600):
    """An `az` in folder that logs its arguments to az.log and answers with a token valid for lifetime_s seconds."""
    az, log = folder / "az", folder / "az.log"  # stands in for the CLI, whose real answer needs the network
    az.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'echo "{\\"accessToken\\": \\"token-$$\\", \\"tokenType\\": \\"Bearer\\", '
        '\\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        f'\\"expires_on\\": $(( $(date +%s) + {lifetime_s} ))}}"\n'
    )
    az.chmod(0o755)
    return log
