"""Refuse bad answers before cookiecutter writes anything (also under a raw `cookiecutter` run)."""

import json
import sys

from bootstrap.errors import BootstrapError
from bootstrap.template_ext import plan

CONTEXT = json.loads(r"""{{ cookiecutter | tojson }}""")

try:
    plan(CONTEXT)
except BootstrapError as error:
    print(f"error: {error.message}", file=sys.stderr)
    sys.exit(1)
