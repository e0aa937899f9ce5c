"""Services beside the dev container: the chosen service records as one compose document.

Pure data in, data out: ``document`` turns the services' ``compose`` tables and the app's build
into what ``.devcontainer/compose.yaml`` holds, and ``devcontainer_keys`` into what
devcontainer.json needs to open it. No service is named here; the records say everything.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: the dev container's own compose service
APP = "app"
#: where compose mounts the workspace's parent, as the official compose templates do
WORKSPACES = "/workspaces"
PROXY_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def merge(services: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The chosen services' containers, volumes, ports and app environment, merged in order.

    The first service to name an app variable keeps it (two databases: ``DATABASE_URL`` is the
    first one's, each keeps its own variables too).
    """
    containers: dict[str, Any] = {}
    volumes: list[str] = []
    ports: list[dict[str, Any]] = []
    app_env: dict[str, str] = {}
    for service in services:
        compose = service["compose"]
        for name, container in compose["containers"].items():
            containers[name] = dict(container)
        volumes += [v for v in compose.get("volumes", []) if v not in volumes]
        ports += [{"on_auto_forward": None, **p} for p in compose.get("ports", [])]
        for key, value in compose.get("app_env", {}).items():
            app_env.setdefault(key, value)
    return {"containers": containers, "volumes": volumes, "ports": ports, "app_env": app_env}


def _escape(value: str) -> str:
    """A literal for compose: ``$`` would start an interpolation."""
    return value.replace("$", "$$")


def document(
    merged: Mapping[str, Any],
    *,
    dockerfile: str,
    project: str,
    app_keys: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The compose file: the app from the Dockerfile's dev stage with the workspace mounted, and
    every service container, each waiting for the ones it depends on to be healthy.

    ``app_keys`` are the records' own compose keys for the app service (a GPU reservation: the
    Dev Containers CLI ignores devcontainer.json's runArgs for a compose service)."""
    build = {
        "context": "..",
        "dockerfile": dockerfile,
        "target": "dev",
        "args": {name: f"${{{name}:-}}" for name in PROXY_ARGS},
    }
    image = f"{project}-dev"
    containers = merged["containers"]
    services: dict[str, Any] = {
        APP: {
            "build": build,
            "image": image,
            "command": ["sleep", "infinity"],
            "volumes": [f"../..:{WORKSPACES}:cached"],
            "environment": {
                **{name: f"${{{name}:-}}" for name in PROXY_ARGS[:3]},
                **{key: f"${{{key}:-{value}}}" for key, value in merged["app_env"].items()},
            },
            "depends_on": {
                name: {"condition": "service_healthy"}
                for name, container in containers.items()
                if container.get("healthcheck")
            },
        }
    }
    if not services[APP]["depends_on"]:
        del services[APP]["depends_on"]
    services[APP].update(copy.deepcopy(dict(app_keys or {})))
    for name, container in containers.items():
        out: dict[str, Any] = {}
        if container.get("from_app"):
            out["build"] = build
            out["image"] = image
        else:
            out["image"] = container["image"]
        if container.get("command"):
            out["command"] = [_escape(c) for c in container["command"]]
        if container.get("environment"):
            out["environment"] = {k: _escape(v) for k, v in container["environment"].items()}
        if container.get("volumes"):
            out["volumes"] = list(container["volumes"])
        if container.get("healthcheck"):
            check = dict(container["healthcheck"])
            check["test"] = [_escape(c) for c in check["test"]]
            out["healthcheck"] = check
        if container.get("depends_on"):
            out["depends_on"] = {
                other: {
                    "condition": "service_healthy"
                    if containers.get(other, {}).get("healthcheck")
                    else "service_started"
                }
                for other in container["depends_on"]
            }
        if container.get("shm_size"):
            out["shm_size"] = container["shm_size"]
        services[name] = out
    result: dict[str, Any] = {"services": services}
    if merged["volumes"]:
        result["volumes"] = {name: {} for name in merged["volumes"]}
    return result


def devcontainer_keys(merged: Mapping[str, Any]) -> dict[str, Any]:
    """What devcontainer.json says to open the app service of ``compose.yaml``."""
    return {
        "dockerComposeFile": "compose.yaml",
        "service": APP,
        "runServices": [APP, *merged["containers"]],
        "workspaceFolder": WORKSPACES + "/${localWorkspaceFolderBasename}",
        "shutdownAction": "stopCompose",
    }


def to_yaml(data: Mapping[str, Any]) -> str:
    """The compose document as YAML: block style, keys in the order built, every string quoted
    where YAML would read it as something else."""
    import yaml  # lazy: start-up stays light (plan imports this module)

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # the same build twice, written out twice
            return True

    return yaml.dump(
        dict(data), Dumper=Dumper, sort_keys=False, default_flow_style=False, width=1000
    )
