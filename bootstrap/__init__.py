"""bootstrap: Python projects in dev containers that open in VS Code, Codespaces and docker build."""

__version__ = "0.1.0"
