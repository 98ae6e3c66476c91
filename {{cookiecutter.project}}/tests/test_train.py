"""Training as the tutorial does it: falling loss, its printed lines, data loading, and bad input."""

import io
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections import Counter

import pytest
import torch
import torchvision
from conftest import SRC, run_script
from PIL import Image

import data
import device
import outputs
import train
from model import Net

LOSS_LINE = re.compile(
    r"^epoch=(\d+), batch=([ \d]{4}\d): loss (\d+\.\d\d)$", re.M
)  # as 'epoch=1, batch= 2000: loss 2.19'
QUICK = ["--synthetic", "2000", "--log-interval", "100", "--seed", "0"]
# on the device that --device auto picks here: a GPU host trains on it
SUMMARY = rf"Trained 4000 images in \d+\.\d s: \d+ images/s on {device.pick_device('auto').type}"


def test_synthetic_training_lowers_the_loss(capsys, tmp_path):
    metrics = train.train(train.parse_args(QUICK + ["--output-dir", str(tmp_path)]))
    assert len(metrics["losses"]) == 10  # 500 mini-batches of 4 per epoch, 2 epochs, one line per 100
    assert metrics["losses"][0] > 2.0  # chance level for 10 classes is ln(10) = 2.30
    assert metrics["losses"][-1] < metrics["losses"][0] - 1.0
    assert metrics["images"] == 4000 and metrics["images_per_sec"] > 0
    out = capsys.readouterr().out
    assert [f"{loss:.2f}" for loss in metrics["losses"]] == [m[2] for m in LOSS_LINE.findall(out)]


@pytest.mark.slow
def test_run_from_src_prints_the_same_tutorial_lines_as_from_the_project_root(project_copy):
    from_root = run_script("src/train.py", *QUICK, cwd=project_copy)
    from_src = run_script("train.py", *QUICK, cwd=project_copy / "src")
    assert from_root.returncode == 0, from_root.stderr
    assert from_src.returncode == 0, from_src.stderr
    lines = LOSS_LINE.findall(from_root.stdout)
    assert len(lines) == 10 and lines[0][:2] == ("1", "  100")
    assert lines == LOSS_LINE.findall(from_src.stdout)
    for result in (from_root, from_src):
        lines = result.stdout.strip().splitlines()
        finished = lines.index("Finished Training")
        assert re.fullmatch(SUMMARY, lines[finished + 1])
        accuracy = [i for i, line in enumerate(lines) if line.startswith("Accuracy on the 400 test images: ")]
        assert accuracy and accuracy[0] > finished + 1  # then the accuracy (logged before), then the run's summary
        assert lines[accuracy[0] + 1].startswith("(synthetic images") and lines[accuracy[0] + 2].startswith("Saved: ")
    src = project_copy / "src"
    assert not (src / "data").exists() and not (src / "outputs").exists()
    assert (project_copy / "outputs" / "model.pt").is_file()  # beside src/, from either folder


@pytest.mark.slow
def test_src_alone_trains_as_it_will_on_azure(tmp_path):
    snapshot = tmp_path / "wd"
    shutil.copytree(SRC, snapshot, ignore=shutil.ignore_patterns("__pycache__", "data", "outputs"))
    result = run_script("train.py", "--synthetic", "400", "--epochs", "1", "--log-interval", "50", cwd=snapshot)
    assert result.returncode == 0, result.stderr
    assert len(LOSS_LINE.findall(result.stdout)) == 2 and "Finished Training" in result.stdout
    assert (snapshot / "outputs" / "model.pt").is_file()  # ./outputs, which Azure ML uploads
    where = subprocess.run(
        [sys.executable, "-c", "import paths; print(paths.default_data_path())"],
        cwd=snapshot,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip() == str(snapshot / "data")


@pytest.mark.slow
def test_lines_arrive_while_training_runs_when_stdout_is_a_pipe(tmp_path):
    args = ["--synthetic", "2000", "--epochs", "4", "--log-interval", "20", "--output-dir", str(tmp_path)]
    process = subprocess.Popen([sys.executable, str(SRC / "train.py"), *args], stdout=subprocess.PIPE, text=True)
    try:
        first = next(line for line in process.stdout if line.startswith("epoch="))
        assert process.poll() is None, "the first loss line came only when training had ended"
        assert LOSS_LINE.match(first.strip())
    finally:
        process.kill()
        process.wait()


def test_cifar10_is_read_through_torchvision_from_the_data_path(tmp_path, monkeypatch, capsys):
    data.write_synthetic_cifar10(tmp_path, n_train=400, n_test=50)
    for name in ("train_list", "test_list"):  # the real files' checksums cannot match made-up images
        monkeypatch.setattr(
            torchvision.datasets.CIFAR10,
            name,
            [[file, None] for file, _ in getattr(torchvision.datasets.CIFAR10, name)],
        )
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "meta", {**torchvision.datasets.CIFAR10.meta, "md5": None})
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    trainset, testset = data.load_cifar10(str(tmp_path))
    assert type(trainset) is torchvision.datasets.CIFAR10 and type(testset) is torchvision.datasets.CIFAR10
    assert len(trainset) == 400 and len(testset) == 50
    image, label = trainset[0]
    assert image.shape == (3, 32, 32) and 0.0 <= image.min() <= image.max() <= 1.0 and 0 <= label < 10
    metrics = train.train(
        train.parse_args(
            [
                "--data-path",
                str(tmp_path),
                "--epochs",
                "1",
                "--log-interval",
                "50",
                "--output-dir",
                str(tmp_path / "outputs"),
            ]
        )
    )
    assert metrics["images"] == 400 and len(metrics["losses"]) == 2 and metrics["test_images"] == 50
    # a mounted data asset is the cifar-10-batches-py folder itself: it is read the same, with no download
    mounted = data.load_cifar10(str(tmp_path / data.BASE_FOLDER))
    assert [len(split) for split in mounted] == [400, 50] and (mounted[0].data == trainset.data).all()
    assert [path.name for path in tmp_path.iterdir() if path.name != "outputs"] == [data.BASE_FOLDER]


def test_a_read_only_folder_of_batch_files_with_any_name_is_read_without_a_download(tmp_path, monkeypatch):
    data.write_synthetic_cifar10(tmp_path, n_train=300, n_test=40)
    mounted = tmp_path / "INPUT_data"  # as Azure ML mounts a uri_folder input: the data asset's files, directly
    (tmp_path / data.BASE_FOLDER).rename(mounted)
    for path in [*mounted.iterdir(), mounted]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    for name in ("train_list", "test_list"):  # the real files' checksums cannot match made-up images
        monkeypatch.setattr(
            torchvision.datasets.CIFAR10,
            name,
            [[file, None] for file, _ in getattr(torchvision.datasets.CIFAR10, name)],
        )
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "meta", {**torchvision.datasets.CIFAR10.meta, "md5": None})

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torchvision.datasets.CIFAR10, "download", no_download)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    try:
        trainset, testset = data.load_cifar10(str(mounted))
        assert [len(trainset), len(testset)] == [300, 40] and trainset[0][0].shape == (3, 32, 32)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["INPUT_data"]  # nothing written beside it
    finally:
        mounted.chmod(0o755)


def test_a_folder_of_damaged_batch_files_names_the_problem_and_the_fix(tmp_path, monkeypatch):
    folder = data.write_synthetic_cifar10(tmp_path, n_train=50)  # made-up images: torchvision's checksums differ
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    with pytest.raises(SystemExit) as exit_info:
        data.load_cifar10(str(folder))
    message = str(exit_info.value)
    assert message.startswith(f"error: {folder} holds CIFAR-10's batch files, but they are incomplete or damaged")
    assert "05-upload-data.py" in message and len(message.splitlines()) == 1


def test_failed_download_names_the_problem_and_the_fix_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    target = tmp_path / "data"
    with pytest.raises(SystemExit) as exit_info:
        data.load_cifar10(str(target))
    message = str(exit_info.value)
    assert message.startswith("error: could not download CIFAR-10 into")
    assert "--synthetic N" in message and "cifar-10-batches-py" in message
    assert not target.exists()


def test_a_stalled_download_is_abandoned_in_time_and_its_partial_archive_removed(tmp_path, monkeypatch):
    server = socket.create_server(("127.0.0.1", 0))
    open_connections = []

    def serve():  # every request: the headers and the first bytes of the archive, then silence
        while True:
            connection, _ = server.accept()
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"\x1f\x8b" * 500)
            open_connections.append(connection)

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/cifar-10-python.tar.gz"
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "url", url)
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 1)
    with pytest.raises(SystemExit, match="could not download CIFAR-10"):  # else it would wait on the stalled server
        data.load_cifar10(str(tmp_path / "data"))
    assert len(open_connections) == 2  # torchvision's redirect check, then the download itself
    assert not (tmp_path / "data").exists()
    server.close()


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--epochs", "0"),
        ("--batch-size", "-4"),
        ("--lr", "fast"),
        ("--momentum", "1.5"),
        ("--log-interval", "0"),
        ("--synthetic", "-1"),
        ("--device", "tpu"),
        ("--threads", "-2"),
    ],
)
def test_bad_flag_values_are_rejected_with_the_flag_named(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args([flag, value])
    assert exit_info.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


def test_synthetic_images_are_in_cifar10_format_and_classes_differ(tmp_path):
    folder = data.write_synthetic_cifar10(tmp_path, n_train=100, n_test=20)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]
    )
    dataset = data.SyntheticCIFAR10(root=str(tmp_path), train=True)
    assert dataset.data.shape == (100, 32, 32, 3) and dataset.classes == list(data.CLASSES)
    means = [dataset.data[[t == c for t in dataset.targets]].mean(axis=(0, 1, 2)) for c in range(10)]
    assert min(abs(a - b).max() for i, a in enumerate(means) for b in means[i + 1 :]) > 20


def _no_network(*args, **kwargs):
    raise OSError("network blocked by the test")


def test_resident_loader_visits_every_image_once_as_totensor_would_give_it():
    trainset, _ = data.load_cifar10(None, synthetic=103)  # 103: the last batch is a partial one, as in DataLoader
    tutorial = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True)
    fast = data.ResidentLoader(trainset, batch_size=4)
    assert len(fast) == len(tutorial) == 26
    reference = {trainset[i][0].numpy().tobytes(): i for i in range(len(trainset))}  # ToTensor() of PIL images
    assert len(reference) == 103
    epochs = []
    for _ in range(2):
        batches = list(fast)
        assert len(batches) == len(tutorial) and [len(b[1]) for b in batches] == [4] * 25 + [3]
        order = [reference[image.numpy().tobytes()] for images, _ in batches for image in images]
        assert sorted(order) == list(range(103))
        assert torch.cat([labels for _, labels in batches]).tolist() == [trainset.targets[i] for i in order]
        epochs.append(order)
    assert epochs[0] != epochs[1]  # a fresh order each epoch, like shuffle=True


def test_resident_loader_follows_the_seed():
    trainset, _ = data.load_cifar10(None, synthetic=40)
    orders = []
    for _ in range(2):
        torch.manual_seed(7)
        orders.append(torch.cat([labels for _, labels in data.ResidentLoader(trainset, batch_size=4)]).tolist())
    assert orders[0] == orders[1]


def test_trained_model_is_tested_overall_and_per_class_saved_and_reloads_to_the_same_accuracy(tmp_path):
    metrics = train.train(train.parse_args(QUICK + ["--output-dir", str(tmp_path)]))
    assert metrics["accuracy"] > 0.5  # chance is 0.1
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["accuracy"] == metrics["accuracy"] and saved["losses"] == metrics["losses"]
    assert {"loss", "accuracy", "class_accuracy", "images", "test_images", "images_per_sec", "device"} <= set(saved)
    with Image.open(tmp_path / "loss.png") as plot:  # two panels side by side: the loss, the accuracy of each class
        assert plot.format == "PNG" and plot.size == (1100, 400)
    net = Net()
    net.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    net.eval()
    _, testset = data.load_cifar10(None, synthetic=2000)
    accuracy, class_accuracy = train.evaluate(net, data.ResidentLoader(testset, batch_size=1000, shuffle=False))
    assert accuracy == metrics["accuracy"] and metrics["test_images"] == len(testset) == 400
    assert class_accuracy == saved["class_accuracy"] == metrics["class_accuracy"]
    # all 10 classes, each the fraction right of its own test images: weighed by their counts, the overall accuracy
    assert list(class_accuracy) == list(data.CLASSES) and all(0 <= value <= 1 for value in class_accuracy.values())
    counts = Counter(data.CLASSES[label] for label in testset.targets)
    right = [class_accuracy[name] * counts[name] for name in data.CLASSES]
    assert right == pytest.approx([round(number) for number in right])  # a whole number right in each class
    assert sum(right) / len(testset) == pytest.approx(accuracy)


def test_device_cuda_without_cuda_names_the_problem_and_the_fix(tmp_path):
    no_gpu = {"CUDA_VISIBLE_DEVICES": ""}  # PyTorch then sees no CUDA device, on a GPU host too
    result = run_script(
        "src/train.py", "--device", "cuda", "--synthetic", "40", "--output-dir", str(tmp_path), env=no_gpu
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: --device cuda was asked for, but this machine has no CUDA device")
    assert "--device auto" in result.stderr
    assert not any(tmp_path.iterdir())


def test_device_auto_picks_the_cpu_when_there_is_no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.pick_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.pick_device("auto") == torch.device("cuda")


def test_progress_bar_only_on_a_terminal(monkeypatch):
    items = [1, 2, 3]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert outputs.progress(items) is items
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    drawn = io.StringIO()
    assert list(outputs.progress(items, file=drawn)) == items and "0/3 [" in drawn.getvalue()  # a bar was drawn


def test_what_is_printed_under_a_progress_bar_goes_above_it_a_whole_line_at_a_time(monkeypatch):
    import tqdm

    above = []
    monkeypatch.setattr(tqdm.tqdm, "write", classmethod(lambda cls, line, file=None, **kwargs: above.append(line)))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    stdout = sys.stdout
    for step in outputs.progress([1, 2], file=io.StringIO()):
        print(f"epoch=1, batch=    {step}: loss 2.19")
        print("Attempted to log scalar metric loss:", end="")  # SDK v1's offline run.log, in two writes
        print("\n2.19")
    assert above == ["epoch=1, batch=    1: loss 2.19", "Attempted to log scalar metric loss:", "2.19"] + [
        "epoch=1, batch=    2: loss 2.19",
        "Attempted to log scalar metric loss:",
        "2.19",
    ]
    assert sys.stdout is stdout  # as it was, once the bar is done
