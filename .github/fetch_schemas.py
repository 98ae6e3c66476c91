"""Fetch the schemas that the template's editor-file tests validate against (VS Code's tasks.json and launch.json,
debugpy's launch attributes, the Dev Container spec) from their upstream repositories, at pinned commits, into a
folder (default: ../shared/schemas, where the tests look). For CI where that folder is not laid out (GitHub)."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# file: (repository, commit, path in the repository); the commits of ../shared/schemas/README.md
COPIES = {
    "devContainer.base.schema.json": ("devcontainers/spec", "c95ffee", "schemas/devContainer.base.schema.json"),
    "vscode-tasks.schema.json": ("ota-meshi/extract-vscode-schemas", "455ecb5", "resources/vscode/schemas/tasks.json"),
    "vscode-launch.schema.json": ("ota-meshi/extract-vscode-schemas", "455ecb5",
                                  "resources/vscode/schemas/launch.json"),
}
# debugpy's launch attributes: in the extension's package.json, contributes.debuggers[debugpy]
DEBUGPY = ("microsoft/vscode-python-debugger", "accf683", "package.json")
# The keys every launch configuration has, whatever its debugger
GENERIC_KEYS = {"type": "string", "request": "string", "name": "string", "preLaunchTask": "string",
                "postDebugTask": "string", "presentation": "object", "internalConsoleOptions": "string",
                "serverReadyAction": "object", "windows": "object", "linux": "object", "osx": "object"}
TIMEOUT_S = 300


def file_at(repository, commit, path, clones):
    """The bytes of path at commit in a GitHub repository (cloned once, without file contents until asked)."""
    clone = clones / repository.replace("/", "_")
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", "--filter=blob:none", "--no-checkout",
                        f"https://github.com/{repository}", str(clone)], check=True, timeout=TIMEOUT_S)
    return subprocess.run(["git", "-C", str(clone), "show", f"{commit}:{path}"], check=True, capture_output=True,
                          timeout=TIMEOUT_S).stdout


def debugpy_schema(package):
    """The launch attributes of debugpy from the extension's package.json, plus the generic keys, as a schema."""
    [debugger] = [d for d in package["contributes"]["debuggers"] if d["type"] == "debugpy"]
    properties = dict(debugger["configurationAttributes"]["launch"]["properties"])
    properties.update({key: {"type": kind} for key, kind in GENERIC_KEYS.items()})
    return {"$schema": "http://json-schema.org/draft-07/schema#",
            "description": "Launch configuration attributes of the debugpy debugger, plus the generic keys.",
            "properties": properties}


def main(target):
    """Write the four schema files into target."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as clones:
        for name, source in COPIES.items():
            (target / name).write_bytes(file_at(*source, Path(clones)))
        package = json.loads(file_at(*DEBUGPY, Path(clones)))
        (target / "debugpy-launch.schema.json").write_text(json.dumps(debugpy_schema(package), indent=2))
    print(f"Schemas written to {target}: {', '.join(sorted(p.name for p in target.glob('*.json')))}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "schemas"))
