{%- set plan = cookiecutter | plan -%}
# -*- coding: utf-8 -*-
"""The environment works: every chosen component's smoke check passes inside the container.

Written by bootstrap from the catalog; CI runs it in the dev container
(.github/workflows/devcontainer.yml). Add your own tests beside it.
"""
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (component, shell command) pairs, from the catalog records this project was made with
SMOKE = [
{%- for check in plan.smoke %}
    ({{ check.component | jsonc(None) }}, {{ check.command | jsonc(None) }}),
{%- endfor %}
]


class EnvironmentTest(unittest.TestCase):
    def test_python_version(self):
        self.assertEqual("%d.%d" % sys.version_info[:2], {{ plan.python | jsonc(None) }})

    def test_components(self):
        for component, command in SMOKE:
            process = subprocess.Popen(
                command, shell=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            output = process.communicate()[0].decode("utf-8", "replace")
            self.assertEqual(
                process.returncode, 0, "%s: %s failed:\n%s" % (component, command, output)
            )


if __name__ == "__main__":
    unittest.main()
