"""F5 for real: the baked launch.json runs under debugpy's own debug adapter, spoken to over DAP as VS Code does."""
import contextlib
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.request

import json5
import pytest

from conftest import bake, resolve_vscode, vscode_variables

TIMEOUT = 120  # seconds for any one reply or event; every wait below is bounded by it


class DapClient:
    """A small Debug Adapter Protocol client that drives `python -m debugpy.adapter` over stdin/stdout like VS Code."""

    def __init__(self, command):
        """Start the adapter and the threads that read its stdout (DAP messages) and stderr (its own log)."""
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.seq = 0
        self.inbox = queue.Queue()
        self.responses = {}
        self.events = []
        self.taken = set()
        self.stderr = []
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_messages(self):
        """Put each Content-Length framed message from the adapter on the inbox; None when the stream ends."""
        stream = self.process.stdout
        try:
            while True:
                headers = {}
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.inbox.put(json.loads(stream.read(int(headers["content-length"])).decode("utf-8")))
        finally:
            self.inbox.put(None)

    def _read_stderr(self):
        """Keep the adapter's stderr, for failure messages, so that its pipe never fills."""
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def _write(self, message):
        """Send one message with the Content-Length framing of DAP."""
        self.seq += 1
        message = {"seq": self.seq, **message}
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return self.seq

    def send(self, command, **arguments):
        """Send a request without waiting for its response; return its seq."""
        return self._write({"type": "request", "command": command, "arguments": arguments})

    def _pump(self, deadline, waiting_for):
        """File the next message from the adapter (response, event, or reverse request answered at once)."""
        try:
            message = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {waiting_for} within {TIMEOUT} s; {self.describe()}") from None
        if message is None:
            self.inbox.put(None)  # keep telling later waits that the adapter is gone
            raise AssertionError(f"the adapter closed its output before {waiting_for}; {self.describe()}")
        if message["type"] == "response":
            self.responses[message["request_seq"]] = message
        elif message["type"] == "event":
            self.events.append(message)
        elif message["type"] == "request":  # a reverse request, e.g. runInTerminal: this client has no terminal
            self._write({"type": "response", "request_seq": message["seq"], "command": message["command"],
                         "success": False, "message": "not supported by this test client"})

    def response(self, seq, timeout=TIMEOUT):
        """Wait for the response to request seq and return it, failing the test if the adapter refused it."""
        deadline = time.monotonic() + timeout
        while seq not in self.responses:
            self._pump(deadline, f"response to request {seq}")
        response = self.responses[seq]
        assert response["success"], f"{response['command']} failed: {response.get('message')}; {self.describe()}"
        return response

    def request(self, command, timeout=TIMEOUT, **arguments):
        """Send a request and return its successful response."""
        return self.response(self.send(command, **arguments), timeout)

    def event(self, *names, timeout=TIMEOUT):
        """Wait for the next event (not returned before) with one of these names and return it."""
        deadline = time.monotonic() + timeout
        index = 0
        while True:
            for index in range(index, len(self.events)):
                if index not in self.taken and self.events[index]["event"] in names:
                    self.taken.add(index)
                    return self.events[index]
            index = len(self.events)
            self._pump(deadline, f"{' or '.join(names)} event")

    def output(self, category):
        """All the text of the output events of one category received so far."""
        return "".join(e["body"].get("output", "") for e in self.events
                       if e["event"] == "output" and e["body"].get("category") == category)

    def describe(self):
        """The events so far (less output) and the ends of the outputs, for failure messages."""
        names = [e["event"] for e in self.events if e["event"] not in ("output", "debugpySockets")]
        return (f"events: {names}; stdout: {self.output('stdout')[-1500:]!r}; "
                f"stderr: {self.output('stderr')[-1500:]!r}; adapter stderr: {''.join(self.stderr)[-1500:]!r}")

    def close(self):
        """Stop the debuggee as VS Code's stop button does, then kill the adapter."""
        try:
            if self.process.poll() is None:
                self.request("disconnect", timeout=10, terminateDebuggee=True)
        except (AssertionError, OSError):
            pass
        finally:
            self.process.kill()
            self.process.wait(timeout=30)


def line_of(path, marker):
    """The 1-based number of the one line of path that contains marker."""
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line]
    assert len(lines) == 1, f"{marker!r} should be on exactly one line of {path}, found on lines {lines}"
    return lines[0]


def same_file(a, b):
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


@pytest.mark.slow
@pytest.mark.parametrize("sdk, name, source, marker, printed", [
    pytest.param("v1", "Train locally (debug)", "src/train.py", "run.log('loss', loss)", "Finished Training",
                 id="v1-train-locally"),
    pytest.param("v1", "Debug submission (dry run)", "04-run-pytorch.py",
                 "submission.submit(job, args, workspace)", "Dry run: nothing is submitted.",
                 id="v1-dry-run-submission"),
    pytest.param("v1", "Predict (debug)", "src/predict.py", "print(result_line(results[-1]))",
                 "of the 16 test images classified right", id="predict"),  # the same predict.py in both SDKs
    pytest.param("v2", "Train locally (debug)", "src/train.py", "mlflow.log_metric('loss', loss, step=steps)",
                 "Finished Training", id="v2-train-locally"),
    pytest.param("v2", "Debug submission (dry run)", "04-run-pytorch.py",
                 "submission.submit(job, args, workspace)", "Dry run: nothing is submitted.",
                 id="v2-dry-run-submission"),
])
def test_f5_configuration_stops_at_the_breakpoint_and_exits_cleanly(tmp_path, sdk, name, source, marker, printed):
    project = bake(tmp_path, sdk=sdk)
    if source == "src/predict.py":  # it classifies with the model that training saves
        trained = subprocess.run([sys.executable, "src/train.py", "--synthetic", "200", "--epochs", "1"], cwd=project,
                                 capture_output=True, text=True, timeout=300)
        assert trained.returncode == 0, trained.stderr
    configurations = json5.loads((project / ".vscode" / "launch.json").read_text(encoding="utf-8"))["configurations"]
    [configuration] = [c for c in configurations if c["name"] == name]
    breakpoint_file = project / source
    line = line_of(breakpoint_file, marker)

    resolved = resolve_vscode(configuration, vscode_variables(project, file=breakpoint_file))
    # The Python extension adds the interpreter; there is no terminal here, so the debuggee's output comes back as
    # DAP output events (VS Code's Debug Console) instead of the configuration's "integratedTerminal".
    resolved.update(python=[sys.executable], console="internalConsole")

    client = DapClient([sys.executable, "-m", "debugpy.adapter"])
    try:
        client.request("initialize", adapterID="debugpy", clientID="vscode", clientName="Visual Studio Code",
                       linesStartAt1=True, columnsStartAt1=True, pathFormat="path",
                       supportsRunInTerminalRequest=False, supportsVariableType=True)
        launch = client.send("launch", **resolved)  # debugpy answers launch only after configurationDone
        client.event("initialized")
        breakpoints = client.request("setBreakpoints", source={"path": str(breakpoint_file)},
                                     breakpoints=[{"line": line}])["body"]["breakpoints"]
        assert [b["line"] for b in breakpoints] == [line], breakpoints
        client.request("configurationDone")
        client.response(launch)

        stopped = client.event("stopped", "exited", "terminated")
        assert stopped["event"] == "stopped", f"ran to the end without stopping at {source}:{line}; {client.describe()}"
        assert stopped["body"]["reason"] == "breakpoint", stopped
        frames = client.request("stackTrace", threadId=stopped["body"]["threadId"])["body"]["stackFrames"]
        top = frames[0]
        assert same_file(top["source"]["path"], breakpoint_file) and top["line"] == line, top

        # The user removes the breakpoint and presses F5 again, so that a loop does not stop there each time round.
        client.request("setBreakpoints", source={"path": str(breakpoint_file)}, breakpoints=[])
        client.request("continue", threadId=stopped["body"]["threadId"])
        exited = client.event("exited")
        assert exited["body"]["exitCode"] == 0, client.describe()
        client.event("terminated")
        assert printed in client.output("stdout"), client.describe()
    finally:
        client.close()


def serving_python():
    """The serving environment's Python, as the project reads it (AML_SERVING_PYTHON); the test skips, saying so,
    without one (in CI that skip fails: a serving environment is part of what the tests need)."""
    python = os.environ.get("AML_SERVING_PYTHON")
    if not python or not os.path.isfile(python):
        pytest.skip("no serving environment: set AML_SERVING_PYTHON to its Python (python3 dev.py test makes one)")
    return python


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), (30, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


class ChildSession(DapClient):
    """A second DAP session over the adapter's own socket, as VS Code opens one for a subprocess (gunicorn's worker)
    when the adapter sends debugpyAttach."""

    def __init__(self, host, port):
        self.socket = socket.create_connection((host, port), timeout=TIMEOUT)
        self.socket.settimeout(None)
        reader, writer = self.socket.makefile("rb"), self.socket.makefile("wb")
        self.process = types.SimpleNamespace(stdout=reader, stdin=writer, poll=lambda: None)
        self.seq, self.inbox, self.responses, self.events, self.taken, self.stderr = 0, queue.Queue(), {}, [], set(), []
        threading.Thread(target=self._read_messages, daemon=True).start()

    def close(self):
        """Disconnect (the worker goes with the server), then close the socket."""
        try:
            self.request("disconnect", timeout=10, terminateDebuggee=True)
        except (AssertionError, OSError):
            pass
        finally:
            self.socket.close()


@pytest.mark.slow
def test_serve_configuration_stops_in_score_py_run_inside_the_real_server_and_answers_after_continue(tmp_path):
    """F5 on "Serve model (debug score.py)": azmlinfsrv starts under debugpy in the serving environment; gunicorn's
    worker is debugged in a child session, as VS Code attaches to it; a request stops at a breakpoint in run(), and
    after continue it is answered."""
    python = serving_python()
    project = bake(tmp_path)
    trained = subprocess.run([sys.executable, "src/train.py", "--synthetic", "200", "--epochs", "1"], cwd=project,
                             capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    configurations = json5.loads((project / ".vscode" / "launch.json").read_text(encoding="utf-8"))["configurations"]
    [configuration] = [c for c in configurations if c["name"] == "Serve model (debug score.py)"]
    score = project / "src" / "score.py"
    line = line_of(score, "return AMLResponse(answer(request), 200, json_str=True)")
    port = free_port()
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AML_SERVING_PYTHON", python)
        resolved = resolve_vscode(configuration, vscode_variables(project))
    assert resolved["python"] == python and resolved["args"][-2:] == ["--port", "5001"]  # ${env:AML_SERVING_PYTHON}
    # the Python extension hands the interpreter to debugpy as a list; a port free here for the configuration's 5001
    resolved.update(python=[python], console="internalConsole", args=[*resolved["args"][:-1], str(port)])
    breakpoints = {"source": {"path": str(score)}, "breakpoints": [{"line": line}]}

    client = DapClient([sys.executable, "-m", "debugpy.adapter"])
    child, answered, pids = None, [], []
    try:
        client.request("initialize", adapterID="debugpy", clientID="vscode", clientName="Visual Studio Code",
                       linesStartAt1=True, columnsStartAt1=True, pathFormat="path",
                       supportsRunInTerminalRequest=False, supportsVariableType=True)
        launch = client.send("launch", **resolved)
        client.event("initialized")
        client.request("setBreakpoints", **breakpoints)
        client.request("configurationDone")
        client.response(launch)
        pids.append(client.event("process")["body"]["systemProcessId"])  # the server: gunicorn's arbiter
        worker = client.event("debugpyAttach")["body"]  # what VS Code attaches a child session with
        pids.append(worker["subProcessId"])
        child = ChildSession(worker["connect"]["host"], worker["connect"]["port"])
        child.request("initialize", adapterID="debugpy", clientID="vscode", linesStartAt1=True, columnsStartAt1=True,
                      pathFormat="path")
        attach = child.send("attach", **worker)
        child.event("initialized")
        child.request("setBreakpoints", **breakpoints)
        child.request("configurationDone")
        child.response(attach)
        deadline = time.monotonic() + TIMEOUT
        while not client_answers(f"http://127.0.0.1:{port}/"):
            assert time.monotonic() < deadline, f"the server did not answer within {TIMEOUT} s; {client.describe()}"
            time.sleep(0.5)
        request = threading.Thread(target=lambda: answered.append(post_png(f"http://127.0.0.1:{port}/score")))
        request.start()
        stopped = child.event("stopped")
        assert stopped["body"]["reason"] == "breakpoint", stopped
        frames = child.request("stackTrace", threadId=stopped["body"]["threadId"])["body"]["stackFrames"]
        assert same_file(frames[0]["source"]["path"], score) and frames[0]["line"] == line, frames[0]
        assert answered == []  # the request waits at the breakpoint
        child.request("setBreakpoints", source=breakpoints["source"], breakpoints=[])
        child.request("continue", threadId=stopped["body"]["threadId"])
        request.join(TIMEOUT)
        [(status, answer)] = answered
        assert status == 200 and answer["class"] in answer["probabilities"], answer
    finally:
        if child is not None:
            child.close()
        client.close()
        for pid in pids:  # nothing of the server is left running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def client_answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def post_png(url):
    request = urllib.request.Request(url, data=png_bytes(), headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.status, json.loads(response.read())
