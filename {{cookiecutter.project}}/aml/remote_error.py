"""A failed run's Python traceback, read from its log and pointed at this folder's src/ (for VS Code's Problems)."""

import re
from pathlib import Path, PurePosixPath

from aml.messages import fail, summary
from aml.settings import ROOT, SOURCE_DIR

LAST_RUN_FILE = ROOT / ".azureml" / "last-run.txt"  # the id of the run 04 or 06 submitted last (not in git)
LAST = "last"  # --logs without an id: the run in LAST_RUN_FILE
FRAMES = 8  # the traceback's last frames shown
# The run's own output, first choice first: SDK v2 and the current v1 runtime, then v1's older driver log.
LOG_NAMES = ("user_logs/std_log.txt", "user_logs/std_log_process_0.txt", "azureml-logs/70_driver_log.txt")
FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)$')
START = "Traceback (most recent call last):"


def remember(run_id, path=None):
    """Keep the id of the run just submitted, for --logs without an id (the task 'Show the last run's error')."""
    path = path or LAST_RUN_FILE
    try:
        path.write_text(f"{run_id}\n", encoding="utf-8")
    except OSError:
        pass  # only a convenience: the id is also in the printed link


def run_id(given, path=None, flag="--logs"):
    """The run `flag` (--logs, --resume-from) names: `given`, or for LAST the one in path (LAST_RUN_FILE); stops with
    the fix when none."""
    path = path or LAST_RUN_FILE
    if given != LAST:
        return given
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    if not text:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        fail(
            f"no run submitted from this folder yet ({shown} holds the last one's id)",
            f"submit one: python 04-run-pytorch.py, or name a run: python 04-run-pytorch.py {flag} RUN_ID",
        )
    return text


def failed(what, run, error):
    """Stop with the failed run's message, once its traceback is shown: what ('run' or 'job'), its id, the SDK's
    error in a line, and the fix (the traceback's line in src/, or --logs to see it again)."""
    fail(
        f"{what} {run} failed: {summary(error)}",
        "fix the line the traceback above names in src/, then submit again "
        f"(python 04-run-pytorch.py --logs {run} shows it again)",
    )


def pick_log(logs):
    """The log (name, text) that holds the run's traceback, from {name: text}: the first of LOG_NAMES with one,
    else any log with one, else the first of LOG_NAMES there; None when there is no log."""
    named = sorted(logs, key=lambda name: (next((i for i, n in enumerate(LOG_NAMES) if name.endswith(n)), 99), name))
    for name in named:
        if START in logs[name]:
            return name, logs[name]
    return (named[0], logs[named[0]]) if named else None


def local_path(remote, source_dir=SOURCE_DIR):
    """This folder's copy of a file of the run's snapshot (src/ runs as the working folder, such as
    /mnt/azureml/cr/j/<id>/exe/wd/train.py), or None for a file that is not in src/ (Python's, a library's)."""
    if "site-packages" in remote or "dist-packages" in remote:
        return None
    parts = [part for part in PurePosixPath(remote.replace("\\", "/")).parts if part != "/"]
    # the longest tail of the remote path that is a file in src/: wd/src/models/x.py and wd/x.py both map
    for start in range(len(parts)):
        candidate = Path(source_dir, *parts[start:])
        if candidate.is_file():
            return candidate
    return None


def traceback_lines(text, source_dir=SOURCE_DIR, frames=FRAMES):
    """The last traceback in text, its last `frames` frames, with src/ files as this folder's absolute paths,
    in Python's own form (so the problem matcher of .vscode/tasks.json reads it); [] when there is none."""
    lines = [strip_prefix(line) for line in text.splitlines()]
    starts = [i for i, line in enumerate(lines) if line.strip() == START]
    if not starts:
        return []
    block, entries, i = lines[starts[-1] + 1 :], [], 0
    while i < len(block):
        found = FRAME.match(block[i])
        if not found:
            break
        code = block[i + 1].strip() if i + 1 < len(block) and not FRAME.match(block[i + 1]) else ""
        i += 2 if code else 1
        while i < len(block) and re.match(r"^\s+[~^]+\s*$", block[i]):  # Python 3.11's ^^^ markers
            i += 1
        local = local_path(found["file"], source_dir)
        entries.append((str(local) if local else found["file"], found["line"], found["function"], code))
    error = [line for line in block[i:] if line.strip()][:1]
    shown = [
        f'  File "{file}", line {line}, in {function}' + (f"\n    {code}" if code else "")
        for file, line, function, code in entries[-frames:]
    ]
    return [START, *"\n".join(shown).splitlines(), *error]


def strip_prefix(line):
    """A log line without the per-process prefix some launchers add, such as '[rank0]: ' or '2: '."""
    return re.sub(r"^(\[[^\]]*rank\d+\]:|\d+: )", "", line)


def report(logs, run, source_dir=SOURCE_DIR):
    """Print the failed run's traceback from its logs ({name: text}), with the lines in src/ as local paths."""
    found = pick_log(logs)
    if found is None:
        print(f"Run {run} has no logs yet (it may still be preparing); see its page in Azure ML Studio.")
        return False
    name, text = found
    lines = traceback_lines(text, source_dir)
    if not lines:
        print(f"Run {run}: no Python traceback in {name}; its last lines:")
        for line in text.strip().splitlines()[-10:]:
            print(f"    {line}")
        return False
    print(f"Run {run} failed. The traceback in its {name}, with src/ as this folder's {source_dir}:")
    for line in lines:
        print(line)
    return True
