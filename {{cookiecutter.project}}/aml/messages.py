"""What the scripts tell the person: one message with the problem and its fix, calls bounded in time, summaries."""

import os
import threading


def fail(problem, fix):
    """Stop the script with one message that names the problem and the fix (exit status 1, no traceback)."""
    raise SystemExit(f"error: {problem}\nfix: {fix}")


def bounded(action, seconds, what, fix):
    """Run action() but give up after `seconds`; any failure becomes one clear message naming `what` and `fix`."""
    result, error = [], []

    def target():
        try:
            result.append(action())
        except BaseException as err:  # reported below, in the main thread
            error.append(err)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        fail(f"no answer after {seconds:g} s while {what}", f"check your network connection, then {fix}")
    if error:
        fail(f"{what} failed: {summary(error[0])}", fix)
    return result[0]


def summary(error):
    """One line that says what went wrong: the SDK's 'Message:' line when it has one, else the first line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    messages = [line[len("Message:") :].strip() for line in lines if line.startswith("Message:")]
    text = (messages or [line for line in lines if not line.endswith(":")] or [type(error).__name__])[0]
    return text if len(text) <= 300 else text[:297] + "..."


def report_on_github(name, experiment, url):
    """In a GitHub Actions job, put the link to the submitted run on the workflow run's summary page."""
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as page:
            page.write(
                f"Training run {name} submitted to experiment {experiment}: [open it in Azure ML Studio]({url})\n"
            )
