"""predict.py: image files and a sample of the test set classified with a model trained here; bad input refused."""

import re
import sys

import pytest
import torch
from conftest import run_script
from PIL import Image

import data
import outputs
import predict
import train
from model import Net

CLASS = "|".join(data.CLASSES)
# 'cat.jpg: cat 83.1%' (--top 3: 'cat 83.1%, dog 9.0%, frog 3.2%'); a test image's line then says if it was right
SHOWN = rf"(?:{CLASS}) \d+\.\d%"
RESULT_LINE = re.compile(rf"^(.+?): ({SHOWN}(?:, {SHOWN})*)(?: \((?:right|wrong: it is a \w+)\))?$", re.M)
# A model that gets some of the made-up test images right, trained in about a second
TRAINING = ["--synthetic", "200", "--epochs", "3", "--lr", "0.01", "--seed", "0"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A model.pt trained once for all of this module's tests on 200 made-up images: some right, some wrong."""
    out = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as environment:  # SDK v2: its MLflow run goes to a store of its own
        environment.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{(out / 'mlruns.db').as_posix()}")
        train.train(train.parse_args([*TRAINING, "--output-dir", str(out)]))
    return out / "model.pt"


@pytest.fixture(scope="module")
def testset():
    """The made-up test set of `--synthetic 200` (40 images), as predict.py and train.py make it."""
    return data.load_cifar10(None, synthetic=200)[1]


def probabilities_of(model, tensors):
    """softmax of Net's outputs for a batch of ToTensor() images, with model's weights: the reference."""
    net = Net()
    net.load_state_dict(torch.load(model, weights_only=True))
    with torch.no_grad():
        return torch.softmax(net(tensors), dim=1)


def test_png_and_jpeg_of_any_size_get_a_class_and_its_probability(model, testset, tmp_path, capsys):
    """Pictures of other sizes and modes are classified; a 32x32 picture exactly as the test set's tensor is."""
    picture = testset.data[0]  # 32x32 RGB, uint8
    files = [tmp_path / "wide.png", tmp_path / "square.jpg", tmp_path / "exact.png"]
    Image.fromarray(picture).resize((64, 48)).convert("RGBA").save(files[0])
    Image.fromarray(picture).resize((100, 100)).save(files[1], quality=90)
    Image.fromarray(picture).save(files[2])
    results = predict.predict(predict.parse_args([*map(str, files), "--model", str(model)]))
    lines = RESULT_LINE.findall(capsys.readouterr().out)
    assert [name for name, _ in lines] == [str(path) for path in files] == [r["image"] for r in results]
    for (_, shown), result in zip(lines, results, strict=True):
        [(name, probability)] = result["top"]
        assert shown == f"{name} {100 * probability:.1f}%"
        assert sum(result["probabilities"].values()) == pytest.approx(1, abs=1e-5)
        assert name == max(result["probabilities"], key=result["probabilities"].get)
        assert result["label"] is None and result["right"] is None
    expected = probabilities_of(model, testset[0][0][None])[0]  # torchvision's own ToTensor() of the picture
    assert list(results[2]["probabilities"].values()) == pytest.approx(expected.tolist(), abs=1e-6)


def test_top_3_prints_three_different_classes_most_likely_first(model, tmp_path, capsys):
    image = tmp_path / "noise.png"
    Image.effect_noise((40, 30), 64).convert("RGB").save(image)
    predict.main([str(image), "--top", "3", "--model", str(model)])
    [(name, shown)] = RESULT_LINE.findall(capsys.readouterr().out)
    parts = [part.rsplit(" ", 1) for part in shown.split(", ")]
    assert name == str(image) and len(parts) == 3 and len({cls for cls, _ in parts}) == 3
    percents = [float(p.rstrip("%")) for _, p in parts]
    assert percents == sorted(percents, reverse=True) and sum(percents) <= 100.05


def test_without_images_a_sample_of_the_test_set_is_drawn_as_a_4x4_grid_and_counted(model, testset, tmp_path, capsys):
    args = ["--synthetic", "200", "--model", str(model), "--output-dir", str(tmp_path)]
    results = predict.predict(predict.parse_args(args))
    out = capsys.readouterr().out
    labels = [data.CLASSES[label] for label in testset.targets[:16]]  # the test set's first 16, in its order
    assert [r["label"] for r in results] == labels
    guesses = probabilities_of(model, torch.stack([testset[i][0] for i in range(16)])).argmax(dim=1)
    expected = [data.CLASSES[guess] == label for guess, label in zip(guesses.tolist(), labels, strict=True)]
    assert [r["right"] for r in results] == expected and 0 < sum(expected) < 16  # some right, some wrong
    right = sum(expected)
    assert f"\n{right} of the 16 test images classified right ({100 * right / 16:.1f}%)\n" in out
    assert len(RESULT_LINE.findall(out)) == 16 and out.count(" (wrong: it is a ") == 16 - right
    grid = tmp_path / "predictions.png"
    assert f"See the grid: open {grid}" in out
    with Image.open(grid) as image:  # 4 columns and 4 rows of cells
        assert image.format == "PNG"
        assert image.size == tuple(round(4 * inches * predict.DPI) for inches in predict.CELL_INCHES)


def test_without_matplotlib_the_sample_is_classified_and_one_line_says_there_is_no_grid(
    model, tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(outputs, "_said", set())
    results = predict.predict(
        predict.parse_args(["--synthetic", "200", "--count", "5", "--model", str(model), "--output-dir", str(tmp_path)])
    )
    out = capsys.readouterr().out
    assert len(results) == 5 and len(RESULT_LINE.findall(out)) == 5 and " of the 5 test images classified" in out
    said = [line for line in out.splitlines() if "is not installed" in line]
    assert said == ["matplotlib is not installed: no predictions.png (install it: pip install matplotlib)"]
    assert not any(tmp_path.iterdir())


def other_networks_weights(path):
    """Save the state_dict of a network that is not Net (a single linear layer), as another model.pt."""
    torch.save(torch.nn.Linear(3 * 32 * 32, 10).state_dict(), path)


def resized_nets_weights(path):
    """Save Net's state_dict with a last layer for 5 classes, as a model of another shape."""
    net = Net()
    net.fc3 = torch.nn.Linear(84, 5)
    torch.save(net.state_dict(), path)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing image", r"there is no image file \S+missing\.jpg\. Fix: give an image file"),
        ("not an image", r"\S+notes\.png is not an image in a format Pillow reads\. Fix: give an image file"),
        ("missing model", r"there is no model file \S+nowhere\.pt\. Fix: train one .+ --model PATH"),
        ("another network", r"\S+other\.pt does not hold the weights of src/model\.py's Net: it lacks conv1\.weight"),
        ("another shape", r"\S+other\.pt does not hold .+: its fc3\.weight is 5x84, Net's is 10x84\. Fix: train"),
    ],
)
def test_a_bad_file_stops_with_one_error_line_naming_it_and_the_fix_before_printing_anything(
    case, expected, model, tmp_path, capsys
):
    good = tmp_path / "good.png"
    Image.new("RGB", (50, 50), "red").save(good)
    (tmp_path / "notes.png").write_text("not a picture")
    weights = {"missing model": tmp_path / "nowhere.pt", "another network": tmp_path / "other.pt"}.get(case, model)
    if case == "another network":
        other_networks_weights(weights)
    if case == "another shape":
        weights = tmp_path / "other.pt"
        resized_nets_weights(weights)
    image = {"missing image": tmp_path / "missing.jpg", "not an image": tmp_path / "notes.png"}.get(case, good)
    with pytest.raises(SystemExit) as stopped:
        predict.main([str(good), str(image), "--model", str(weights)])
    message = stopped.value.code  # Python prints it to stderr and exits with 1
    assert isinstance(message, str) and len(message.splitlines()) == 1
    assert re.fullmatch(r"error: .+\. Fix: .+", message) and re.search(expected, message), message
    assert capsys.readouterr().out == ""  # the good image first: still nothing printed


@pytest.mark.slow
def test_an_unreadable_image_run_as_a_script_gives_one_line_exit_1_and_no_traceback(model, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("a cat, honest")
    result = run_script("src/predict.py", str(notes), "--model", str(model))
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: {notes} is not an image in a format Pillow reads. "
        "Fix: give an image file (PNG, JPEG or any other format Pillow reads), of any size."
    ]


@pytest.mark.parametrize("folder", [".", "src"])
def test_without_a_model_the_fix_names_the_training_command_as_typed_from_where_it_runs(project_copy, folder):
    script = "src/predict.py" if folder == "." else "predict.py"
    result = run_script(script, "--synthetic", "20", cwd=project_copy / folder)
    train = "python src/train.py" if folder == "." else "python train.py"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        f"Fix: train one ({train}; offline, in seconds: {train} --synthetic 2000 --log-interval 100)" in result.stderr
    )
