"""Send pictures to a scoring server (src/score.py in azmlinfsrv) and show its answers: a line each, or a picture.

    python -m aml.scoring cat.jpg dog.png                 # to the local server (VS Code task "Serve model locally")
    python -m aml.scoring --sample --plot answer.png      # a sample picture, drawn beside its ten probabilities

08-deploy.py --invoke sends the same request to the managed online endpoint.
"""

import argparse
import base64
import io
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

LOCAL_URL = "http://127.0.0.1:5001/score"  # the VS Code task's server: azmlinfsrv's default port
TIMEOUT_S = 30  # for the server's answer to one request


def read_pictures(paths):
    """Each file's (name, bytes); a file that is missing or no picture Pillow reads stops with one line, before
    anything is sent."""
    from PIL import Image, UnidentifiedImageError

    pictures = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except OSError as err:
            if isinstance(err, UnidentifiedImageError):
                problem = "is not an image in a format Pillow reads"
            else:
                problem = f"cannot be read ({err.strerror or err})"
            raise SystemExit(f"error: {path} {problem}. Fix: name an image file (PNG, JPEG), of any size.") from None
        pictures.append((str(path), data))
    return pictures


def sample():
    """A sample picture, drawn here with Pillow (a sailing boat, 96x96 pixels, as a PNG): ("sample.png", bytes)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 96), (150, 190, 235))  # sky
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 62, 96, 96), fill=(40, 80, 150))  # sea
    draw.polygon([(14, 58), (82, 58), (72, 72), (24, 72)], fill=(120, 70, 40))  # hull
    draw.rectangle((44, 26, 48, 58), fill=(90, 60, 40))  # mast
    draw.polygon([(49, 28), (49, 56), (72, 56)], fill=(245, 245, 240))  # sail
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "sample.png", buffer.getvalue()


def request_body(pictures):
    """The JSON batch that score.py takes, {"images": [base64 of each picture's bytes]}, of (name, bytes) pairs."""
    return json.dumps({"images": [base64.b64encode(data).decode("ascii") for _, data in pictures]}).encode()


def post(url, body, timeout=TIMEOUT_S, headers=None):
    """POST the body as JSON to url; (HTTP status, the answer's text). No answer within timeout: one line, exit 1."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:  # a 4xx or 5xx answer, with its body
        return err.code, err.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as err:
        why = getattr(err, "reason", None) or err
        raise SystemExit(
            f"error: no answer from {url} ({why}). Fix: start the server first (VS Code task \"Serve model "
            "locally\"), or give its address with --url."
        ) from None


def predictions(status, text):
    """The predictions of a server's answer; a 4xx or 5xx answer, or one that is not score.py's, stops with one line."""
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("predictions"), list):
        said = answer.get("error") or answer.get("message") if isinstance(answer, dict) else text.strip()[:200]
        raise SystemExit(f"error: the server answered {status}: {said}. Fix: send PNG or JPEG pictures.")
    return answer["predictions"]


def answer_line(name, prediction, top=3):
    """One picture's line: its name, then the `top` likeliest classes with their probabilities."""
    ranked = sorted(prediction["probabilities"].items(), key=lambda item: -item[1])[:top]
    return f"{name}: " + ", ".join(f"{label} {100 * p:.1f}%" for label, p in ranked)


def draw_answer(picture, prediction, path):
    """Draw the picture, (name, bytes), beside a bar chart of its ten probabilities (the likeliest class marked) into
    path (PNG, or SVG by its name)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    figure, (shown, bars) = plt.subplots(1, 2, figsize=(8, 3), width_ratios=(1, 2))
    with Image.open(io.BytesIO(picture[1])) as image:
        shown.imshow(image.convert("RGB"))
    shown.axis("off")
    shown.set_title(Path(picture[0]).name)
    names, values = zip(*prediction["probabilities"].items(), strict=True)
    colours = ["tab:orange" if name == prediction["class"] else "tab:blue" for name in names]
    bars.barh(names[::-1], [100 * value for value in values[::-1]], color=colours[::-1])
    bars.set_xlabel("probability (%)")
    bars.set_title(f"score.py's answer: {prediction['class']}")
    figure.tight_layout()
    svg = Path(path).suffix.lower() == ".svg"  # text, the same each time: no date, fixed ids, fonts as text
    with matplotlib.rc_context({"svg.hashsalt": "score.py", "svg.fonttype": "none"}):
        figure.savefig(path, dpi=100, **({"metadata": {"Date": None}} if svg else {}))
    plt.close(figure)
    if svg:  # no blanks at line ends (the lint's rule for text files); SVG reads a line end as a blank anyway
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        Path(path).write_text("\n".join(line.rstrip() for line in lines) + "\n", encoding="utf-8")


def main(argv=None):
    """Send the images (or --sample) as one request, print a line for each; --plot draws the first one's answer."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*", metavar="IMAGE", help="image files (PNG, JPEG), of any size")
    parser.add_argument("--sample", action="store_true", help="send a sample picture too (a boat drawn here)")
    parser.add_argument("--url", default=LOCAL_URL, help=f"the server's scoring address (default: {LOCAL_URL})")
    parser.add_argument(
        "--plot", metavar="FILE", help="draw the first picture beside its ten probabilities (a .png or .svg file)"
    )
    args = parser.parse_args(argv)
    if not args.images and not args.sample:
        parser.error("name one or more image files, or --sample")
    pictures = [*([sample()] if args.sample else []), *read_pictures(args.images)]
    found = predictions(*post(args.url, request_body(pictures)))
    for (name, _), prediction in zip(pictures, found, strict=True):
        print(answer_line(name, prediction))
    if args.plot:
        draw_answer(pictures[0], found[0], args.plot)
        print(f"See the answer: open {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
