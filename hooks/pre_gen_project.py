"""Backstop for answers that skipped the checks at prompt time (e.g. a replayed bake): stop before any file is written."""
import sys

ERRORS = {{ cookiecutter | answer_errors | tojson }}

if ERRORS:
    for error in ERRORS:
        print(error, file=sys.stderr)
    sys.exit(1)
