"""Write what the chosen components contribute as files, and drop what no component needs."""

import json
from pathlib import Path

from bootstrap.render import finish_project

CONTEXT = json.loads(r"""{{ cookiecutter | tojson }}""")

finish_project(Path.cwd(), CONTEXT)
