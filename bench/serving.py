"""Benchmark the baked project's score.py in Azure ML's real inference server against the in-process floor.

Latency (p50, p99) of one 32x32 PNG per request, and images/s with a batch of 64 PNGs per JSON request, through
azmlinfsrv on this machine (loopback, a new connection per request as gunicorn's sync worker serves them), each beside
the floor: the same pictures decoded and classified in one process with no server at all. The server and the floor
run in the serving environment (AML_SERVING_PYTHON, or --serving-python).
"""
import argparse
import base64
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120


def main(argv=None):
    """Bake, train a model, start the server, measure both paths and their floors; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="single-picture requests timed (default: 1000)")
    parser.add_argument("--batches", type=int, default=50, help="64-picture requests timed (default: 50)")
    parser.add_argument("--batch-size", type=int, default=64, help="pictures per batch request (default: 64)")
    parser.add_argument("--serving-python", default=os.environ.get("AML_SERVING_PYTHON"),
                        help="the serving environment's Python (default: $AML_SERVING_PYTHON)")
    parser.add_argument("--floor", metavar="MODEL", help=argparse.SUPPRESS)  # in the serving Python: the floor
    parser.add_argument("--src", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        return floor(args)
    if not args.serving_python or not Path(args.serving_python).is_file():
        raise SystemExit("error: no serving environment's Python. Fix: set AML_SERVING_PYTHON (python3 dev.py test "
                         "makes .venv-serving), or give --serving-python PATH.")

    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory(prefix="aml-serve-bench-") as work:
        work = Path(work)
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(work)))
        model_dir = work / "model"
        trained = subprocess.run([sys.executable, "src/train.py", "--synthetic", "2000", "--epochs", "1",
                                  "--output-dir", str(model_dir)], cwd=project, capture_output=True, text=True)
        if trained.returncode != 0:
            raise SystemExit(f"error: training failed:\n{trained.stderr[-2000:]}")
        print(f"machine: {os.cpu_count()} cores; server: azmlinfsrv, 1 sync worker (its default), torch threads: "
              f"score.py's (1); load average before: {load()}", flush=True)
        floor_figures = json.loads(subprocess.run(
            [args.serving_python, __file__, "--floor", str(model_dir / "model.pt"), "--src", str(project / "src"),
             "--requests", str(args.requests), "--batches", str(args.batches), "--batch-size", str(args.batch_size)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        with running_server(args.serving_python, project, model_dir, work / "server.log") as url:
            single = [post(url, picture(i), "image/png") for i in range(20)]  # warm-up, not timed
            single = [post(url, picture(i), "image/png") for i in range(args.requests)]
            body = batch_body(args.batch_size)
            post(url, body, "application/json")  # warm-up
            start = time.perf_counter()
            for _ in range(args.batches):
                post(url, body, "application/json")
            batch_seconds = time.perf_counter() - start
        server = {"p50": percentile(single, 50), "p99": percentile(single, 99),
                  "images_per_s": args.batch_size * args.batches / batch_seconds}
        print(f"one 32x32 PNG per request, {args.requests} requests: server p50 {server['p50']:.2f} ms, "
              f"p99 {server['p99']:.2f} ms; floor p50 {floor_figures['p50']:.2f} ms, p99 {floor_figures['p99']:.2f} ms")
        print(f"{args.batch_size} PNGs per request, {args.batches} requests: server "
              f"{server['images_per_s']:.0f} images/s; floor {floor_figures['images_per_s']:.0f} images/s")
        print(f"batch: server / floor = {server['images_per_s'] / floor_figures['images_per_s']:.1%}")
        print(f"load average after: {load()}")
    return 0


def load():
    """The 1, 5 and 15 minute load averages, as text."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def picture(seed):
    """A 32x32 PNG (CIFAR-10's size) with a pattern that depends on seed."""
    from PIL import Image

    image = Image.new("RGB", (32, 32), (seed * 37 % 256, seed * 91 % 256, 120))
    image.paste((200, seed % 256, 40), (4, 8, 20, 28))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def batch_body(size):
    """A JSON request of `size` PNGs, as score.py takes them."""
    return json.dumps({"images": [base64.b64encode(picture(i)).decode() for i in range(size)]}).encode()


def post(url, body, content_type):
    """POST body; the milliseconds until the whole answer was read (a 200 answer, else the benchmark stops)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"error: the server answered {response.status}")
    return 1000 * (time.perf_counter() - start)


def percentile(values, p):
    """The p-th percentile of values (statistics' inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if p < 100 else max(values)


class running_server:
    """azmlinfsrv on src/score.py and the model, on a free loopback port, as the project's task starts it."""

    def __init__(self, python, project, model_dir, log):
        self.python, self.project, self.model_dir, self.log = python, project, model_dir, log

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sys.path.insert(0, str(self.project))
        from aml import serving  # the baked project's own command for the server

        with open(self.log, "w") as output:
            self.process = subprocess.Popen(serving.server_command(self.python, self.model_dir, port),
                                            cwd=self.project / "src", stdout=output, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=serving.server_environment(),
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    return f"http://127.0.0.1:{port}/score"
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise SystemExit(f"error: the server did not start:\n{self.log.read_text()[-2000:]}") from None
                time.sleep(0.3)

    def __exit__(self, *exc):
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)


def floor(args):
    """In the serving Python: the same pictures decoded and classified in this process; its figures as JSON."""
    sys.path.insert(0, args.src)
    import torch

    import classifier

    net = classifier.load_model(args.floor)
    classifier.ready_to_serve()  # as score.py's init() sets PyTorch up
    pictures = [picture(i) for i in range(max(args.requests, args.batch_size))]
    for data in pictures[:20]:  # warm-up
        classifier.probabilities(net, classifier.read_image(data)[None])
    single = []
    for data in pictures[:args.requests]:
        start = time.perf_counter()
        classifier.probabilities(net, classifier.read_image(data)[None]).tolist()
        single.append(1000 * (time.perf_counter() - start))
    batch = pictures[:args.batch_size]
    start = time.perf_counter()
    for _ in range(args.batches):
        classifier.probabilities(net, torch.stack([classifier.read_image(data) for data in batch])).tolist()
    seconds = time.perf_counter() - start
    print(json.dumps({"p50": percentile(single, 50), "p99": percentile(single, 99),
                      "images_per_s": args.batch_size * args.batches / seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
