"""What the scripts tell the person: one message with the problem and its fix, calls bounded in time, summaries."""

import os
import socket
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
        unreachable = network_failure(error[0])
        if unreachable:  # no answer from Azure at all: not a login or a name to fix
            fail(f"{what} failed: Azure could not be reached ({unreachable})", NETWORK_FIX)
        fail(f"{what} failed: {summary(error[0])}", fix)
    return result[0]


NETWORK_FIX = "check the network connection (and a proxy in HTTPS_PROXY, or a VPN, where you use one), then run again"
# How a failed name lookup or connection reads, whatever library wrapped it (socket, urllib3, requests, azure-core)
LOOKUP_FAILED = (
    "Name or service not known",
    "Temporary failure in name resolution",
    "getaddrinfo failed",
    "nodename nor servname",
    "Failed to resolve",
    "NameResolutionError",
)
CONNECTION_FAILED = (
    "Connection refused",
    "Failed to establish a new connection",
    "Network is unreachable",
    "No route to host",
    "ProxyError",
    "Cannot connect to proxy",
)


def network_failure(error):
    """What kept a request from reaching Azure (a failed name lookup, a refused connection), from the error or the
    errors it wraps; None when Azure answered (a refused login, a wrong name) or the cause is another."""
    seen, pending = set(), [error]
    while pending:
        err = pending.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, socket.gaierror) or any(text in str(err) for text in LOOKUP_FAILED):
            return "the name of its host could not be looked up: no network, or no DNS"
        if isinstance(err, (ConnectionRefusedError, ConnectionResetError)) or any(
            text in str(err) for text in CONNECTION_FAILED
        ):
            return "the connection failed: no network, or a proxy or firewall in the way"
        pending += [err.__cause__, err.__context__, getattr(err, "inner_exception", None)]
    return None


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
