"""Azure ML's entry script for the trained model: init() loads model.pt, run() classifies the pictures it is sent.

Azure ML's inference server (azmlinfsrv, locally; a managed online endpoint, on Azure) runs it from src/, with the
model's folder in AZUREML_MODEL_DIR. POST to /score either one picture as the body (PNG, JPEG or any format Pillow
reads, as image/png, image/jpeg or any Content-Type but JSON; any size: its middle square is scaled to 32x32, as
predict.py does), answered {"class": ..., "probabilities": {class: p, ...}}, or a batch as JSON, {"images": [base64
of a picture, ...]}, answered {"predictions": [{"class": ..., "probabilities": ...}, ...]}. A request it cannot
classify gets a 4xx answer, {"error": "one line"}, and the server goes on serving.
"""

import base64
import binascii
import json
import os

import torch
from azureml_inference_server_http.api.aml_request import AMLRequest, rawhttp
from azureml_inference_server_http.api.aml_response import AMLResponse

import classifier
from classifier import CLASSES, MODEL_FILE

MODEL_DIR_VARIABLE = "AZUREML_MODEL_DIR"  # where Azure ML (and azmlinfsrv --model_dir) puts the model's files
MAX_BODY_BYTES = 16 * 2**20  # a request's body, at most: 16 MiB
MAX_IMAGES = 256  # pictures in one JSON request, at most
JSON_TYPE = "application/json"

net = None  # the model, loaded once per server process by init()


def init():
    """Load the model: the model.pt nearest the top of AZUREML_MODEL_DIR (a registered model nests it in folders)."""
    global net
    model = classifier.find_model(os.environ.get(MODEL_DIR_VARIABLE, ""), MODEL_FILE)
    print(f"Serving the model {model}", flush=True)
    net = classifier.load_model(model)
    classifier.ready_to_serve()


@rawhttp
def run(request: AMLRequest):
    """Classify the picture in the body, or the JSON batch; a JSON answer, or a 4xx one with one line for bad input."""
    try:
        return AMLResponse(answer(request), 200, json_str=True)
    except BadRequest as err:
        return AMLResponse({"error": err.message}, err.status, json_str=True)


class BadRequest(Exception):
    """A request that cannot be classified: the HTTP status to answer and the one-line message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def answer(request):
    """The answer to a request: one picture's, or with a JSON body each picture's in order."""
    if request.method != "POST":
        raise BadRequest(405, f"send pictures with POST, not {request.method}")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise BadRequest(413, f"the body is {request.content_length:,} bytes, over {MAX_BODY_BYTES:,}")
    body = request.get_data(cache=False)
    if not body:
        raise BadRequest(400, f"the body is empty: send a picture (PNG, JPEG) or {JSON_TYPE} with a batch of them")
    if len(body) > MAX_BODY_BYTES:  # a body sent without its length
        raise BadRequest(413, f"the body is over {MAX_BODY_BYTES:,} bytes")
    if (request.mimetype or "").lower() == JSON_TYPE:
        return {"predictions": classify(batch_of(body))}
    return classify([picture(body, "the body")])[0]


def batch_of(body):
    """The pictures of a JSON body, {"images": [base64, ...]}, as Net's inputs."""
    try:
        images = json.loads(body).get("images")
    except (ValueError, AttributeError):
        images = None
    if not isinstance(images, list) or not images or not all(isinstance(item, str) for item in images):
        raise BadRequest(400, 'the JSON body must be {"images": [base64 of a PNG or JPEG, ...]}, one or more')
    if len(images) > MAX_IMAGES:
        raise BadRequest(413, f"{len(images)} pictures in one request, over {MAX_IMAGES}")
    pictures = []
    for index, text in enumerate(images):
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(400, f"images[{index}] is not base64") from None
        pictures.append(picture(data, f"images[{index}]"))
    return pictures


def picture(data, name):
    """One picture's bytes as Net's input; 400 for bytes that are no picture, 413 for one too large."""
    try:
        return classifier.read_image(data, name)
    except classifier.ClassifierError as err:
        raise BadRequest(413 if isinstance(err, classifier.TooLarge) else 400, str(err)) from None


def classify(pictures):
    """Each picture's likeliest class and its ten probabilities, by class name."""
    answers = []
    for row in classifier.probabilities(net, torch.stack(pictures)).tolist():
        probabilities = dict(zip(CLASSES, row, strict=True))
        answers.append({"class": max(probabilities, key=probabilities.get), "probabilities": probabilities})
    return answers
