"""score.py in Azure ML's real inference server (azmlinfsrv, in the serving environment) on a free loopback port, with
a model trained here: pictures classified, bad requests answered 4xx while the server goes on, concurrent requests."""

import base64
import http.client
import io
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from aml import scoring, serving

import pytest
from conftest import SRC, run_script
from PIL import Image

import classifier

START_TIMEOUT_S = 120  # for the server to load torch and the model and answer its liveness probe
TIMEOUT_S = 30  # for any one answer


@pytest.fixture(scope="module")
def serving_python():
    """The serving environment's Python ($AML_SERVING_PYTHON: the dev container sets it); a skip that says how to
    make it where there is none (in CI a skip fails: tests/skips.py)."""
    python = serving.python()
    if python is None:
        pytest.skip(f"no serving environment ({serving.PYTHON_VARIABLE} names none): {serving.MAKE_IT}")
    return python


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model folder with the model.pt that `python src/train.py --synthetic 200` saved into it."""
    out = tmp_path_factory.mktemp("model")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{(out / 'mlruns.db').as_posix()}"}  # SDK v2: a store of its own
    result = run_script("src/train.py", "--synthetic", "200", "--epochs", "1", "--output-dir", str(out), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def free_port():
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(serving_python, trained, tmp_path_factory):
    """azmlinfsrv serving src/score.py with the trained model, as the VS Code task starts it; its scoring URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            serving.server_command(serving_python, trained, port),
            cwd=SRC,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**serving.server_environment(), "PYTHONDONTWRITEBYTECODE": "1"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(f"http://127.0.0.1:{port}/"):
            assert process.poll() is None, f"the server stopped:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/score", log
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def answers(url):
    """Whether url answers 200 to a GET."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def post(url, body, content_type):
    """POST body; (status, the JSON answer)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def picture_bytes(size, kind, colour=(200, 120, 40)):
    """A picture of that size with a pattern, encoded as PNG or JPEG."""
    image = Image.new("RGB", size, colour)
    image.paste((20, 90, 160), (size[0] // 4, size[1] // 4, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def expected(model_dir, data):
    """The probabilities this process's classifier gives the picture: what the server must answer."""
    net = classifier.load_model(model_dir / "model.pt")
    return classifier.probabilities(net, classifier.read_image(data)[None])[0].tolist()


@pytest.mark.slow
@pytest.mark.parametrize("kind, size", [("PNG", (32, 32)), ("PNG", (120, 90)), ("JPEG", (64, 100))])
def test_png_and_jpeg_of_any_size_get_a_class_and_the_ten_probabilities_predict_gives(server, trained, kind, size):
    url, _ = server
    data = picture_bytes(size, kind)
    status, answer = post(url, data, f"image/{kind.lower()}")
    assert status == 200, answer
    assert list(answer["probabilities"]) == list(classifier.CLASSES)
    assert list(answer["probabilities"].values()) == pytest.approx(expected(trained, data), abs=1e-6)
    assert answer["class"] == max(answer["probabilities"], key=answer["probabilities"].get)
    assert sum(answer["probabilities"].values()) == pytest.approx(1, abs=1e-5)


@pytest.mark.slow
def test_a_json_batch_gets_one_prediction_per_picture_in_order(server, trained):
    url, _ = server
    pictures = [picture_bytes((40, 40), "PNG", colour) for colour in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    body = json.dumps({"images": [base64.b64encode(data).decode() for data in pictures]}).encode()
    status, answer = post(url, body, "application/json")
    assert status == 200, answer
    got = [list(prediction["probabilities"].values()) for prediction in answer["predictions"]]
    assert len(got) == 3
    for row, data in zip(got, pictures, strict=True):
        assert row == pytest.approx(expected(trained, data), abs=1e-6)


def huge_png():
    """A small file of a picture too large to decode (8000x6000 pixels of one colour)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, body, content_type, status, message",
    [
        ("bad bytes", b"not a picture", "image/png", 400, "the body is not an image in a format Pillow reads"),
        ("empty body", b"", "image/png", 400, "the body is empty"),
        ("too many pixels", huge_png(), "image/png", 413, "the body is 8000x6000 pixels, over 40,000,000"),
        ("not JSON", b"{images", "application/json", 400, 'the JSON body must be {"images": ['),
        ("not base64", b'{"images": ["@@"]}', "application/json", 400, "images[0] is not base64"),
        ("bad picture in a batch", b'{"images": ["AAAA"]}', "application/json", 400, "images[0] is not an image"),
        (
            "too many pictures",
            json.dumps({"images": ["AAAA"] * 257}).encode(),
            "application/json",
            413,
            "257 pictures in one request, over 256",
        ),
    ],
)
def test_a_bad_request_gets_a_4xx_with_one_line_and_the_next_request_is_answered(
    server, case, body, content_type, status, message
):
    url, _ = server
    got, answer = post(url, body, content_type)
    assert got == status, answer
    assert answer["error"].startswith(message) and "\n" not in answer["error"], answer
    assert post(url, picture_bytes((32, 32), "PNG"), "image/png")[0] == 200  # the server goes on serving


@pytest.mark.slow
def test_a_body_over_16_mib_is_refused_before_it_is_read_and_the_next_request_is_answered(server):
    """The 413 comes from the declared length: the server answers after the first MiB (and closes that connection)."""
    url, _ = server
    address = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT_S)
    try:
        connection.putrequest("POST", address.path)
        connection.putheader("Content-Type", "image/png")
        connection.putheader("Content-Length", str(17 * 2**20))
        connection.endheaders(b"\0" * 2**20)
        response = connection.getresponse()
        status, answer = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 413 and answer == {"error": "the body is 17,825,792 bytes, over 16,777,216"}, answer
    assert post(url, picture_bytes((32, 32), "PNG"), "image/png")[0] == 200


@pytest.mark.slow
def test_ten_concurrent_requests_are_all_answered(server):
    url, _ = server
    pictures = [picture_bytes((32 + i, 32), "PNG", (25 * i, 100, 200 - 10 * i)) for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda data: post(url, data, "image/png"), pictures))
    assert [status for status, _ in results] == [200] * 10
    assert all(answer["class"] in classifier.CLASSES for _, answer in results)


@pytest.mark.slow
def test_the_scoring_client_prints_a_line_per_picture_and_draws_the_answer(server, tmp_path, capsys):
    url, _ = server
    files = [tmp_path / "wide.png", tmp_path / "photo.jpg"]
    files[0].write_bytes(picture_bytes((90, 40), "PNG"))
    files[1].write_bytes(picture_bytes((50, 70), "JPEG"))
    plot = tmp_path / "answer.svg"
    scoring.main(["--sample", *map(str, files), "--url", url, "--plot", str(plot)])
    lines = capsys.readouterr().out.splitlines()
    shown = rf"(?:{'|'.join(classifier.CLASSES)}) \d+\.\d%"
    for line, name in zip(lines, ["sample.png", *map(str, files)], strict=False):
        assert re.fullmatch(rf"{re.escape(name)}: {shown}, {shown}, {shown}", line), line
    assert lines[3:] == [f"See the answer: open {plot}"]
    drawn = plot.read_text(encoding="utf-8")
    assert drawn.startswith("<?xml") and "sample.png" in drawn and "score.py's answer: " in drawn
    assert not any(line != line.rstrip() for line in drawn.splitlines())  # the lint's rule for text files
    scoring.draw_answer(scoring.sample(), {"class": "cat", "probabilities": dict.fromkeys(classifier.CLASSES, 0.1)},
                        tmp_path / "again.svg")  # fmt: skip
    scoring.draw_answer(scoring.sample(), {"class": "cat", "probabilities": dict.fromkeys(classifier.CLASSES, 0.1)},
                        tmp_path / "same.svg")  # fmt: skip
    assert (tmp_path / "again.svg").read_bytes() == (tmp_path / "same.svg").read_bytes()  # the same drawing each time


def test_the_scoring_client_without_a_server_says_so_in_one_line(tmp_path):
    image = tmp_path / "cat.png"
    image.write_bytes(picture_bytes((32, 32), "PNG"))
    with pytest.raises(SystemExit) as stopped:
        scoring.main([str(image), "--url", f"http://127.0.0.1:{free_port()}/score"])
    assert str(stopped.value.code).startswith("error: no answer from http://127.0.0.1:")
    assert 'Fix: start the server first (VS Code task "Serve model locally")' in str(stopped.value.code)


def test_the_model_is_found_where_a_registered_model_nests_it(tmp_path):
    """Azure ML puts a registered model's files into folders of its own under AZUREML_MODEL_DIR: the shallowest
    model.pt is the one served."""
    nested = tmp_path / "cifar10-net" / "3" / "outputs"
    (nested / "runs" / "old").mkdir(parents=True)
    for folder in (nested, nested / "runs" / "old"):
        (folder / "model.pt").write_bytes(b"weights")
    assert classifier.find_model(str(tmp_path), "model.pt") == nested / "model.pt"
    with pytest.raises(classifier.ClassifierError, match=r"^there is no model\.bin in \S+ or its folders$"):
        classifier.find_model(str(nested / "runs" / "old"), "model.bin")
    with pytest.raises(classifier.ClassifierError, match=r"^the model folder \(not set\) is not a folder"):
        classifier.find_model("", "model.pt")


def test_the_serving_list_is_the_serving_locks_lines_and_without_it_one_line_says_how_to_make_it(tmp_path):
    listed = serving.packages()
    assert listed[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"  # PyTorch's CPU build
    assert all("==" in line for line in listed[1:]) and any(line.startswith("torch==") for line in listed)
    with pytest.raises(SystemExit) as stopped:
        serving.packages(lock_file=tmp_path / "none.txt")
    assert str(stopped.value).startswith(f"error: the serving lock {tmp_path / 'none.txt'} cannot be read (")
    assert str(stopped.value).endswith(
        "Fix: restore it (git checkout -- .azureml/lock/), or make it again: python aml/lock.py"
    )


@pytest.mark.slow
def test_the_serving_list_runs_as_a_file_for_pip(tmp_path):
    result = run_script("aml/serving.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == serving.packages()
