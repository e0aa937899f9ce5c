"""The package index and the tools that ask it: URL, reachability, TLS trust, uv, the cache.

Shared by every lock (uv for Python 3, pip's resolver for 2.7) and by sdist metadata reads.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bootstrap.errors import BootstrapError

DEFAULT_INDEX = "https://pypi.org/simple"


def index_url(explicit: str | None = None) -> str:
    """The index to lock against: the flag, then the user's uv/pip settings, then PyPI."""
    return (
        explicit
        or os.environ.get("UV_INDEX_URL")
        or os.environ.get("UV_DEFAULT_INDEX")
        or os.environ.get("PIP_INDEX_URL")
        or DEFAULT_INDEX
    ).rstrip("/")


def reachable(url: str, timeout: float = 5.0) -> bool:
    """One cheap request to the index, so air-gapped machines fall back at once.

    Any HTTP answer (even 401 or 404) means the index is there; a refused or timed-out connection
    means it is not. A TLS failure is neither: the user must fix the CA, so it raises.
    """
    import ssl  # lazy: start-up stays light

    probe = url.rstrip("/") + "/pip/"
    try:
        request = urllib.request.Request(probe, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context()):
            return True
    except urllib.error.HTTPError:
        return True
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise BootstrapError(
                f"the package index {url} presents a certificate this machine does not trust: "
                "point SSL_CERT_FILE at your organisation's CA bundle (PEM)"
            ) from None
        return False
    except (OSError, ValueError):
        return False


def ca_bundle() -> str | None:
    """The CA bundle the user configured for Python tools, if any (a TLS-intercepting proxy's)."""
    for key in ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(key)
        if value and Path(value).is_file():
            return value
    return None


def ssl_context() -> Any:
    import ssl  # lazy: start-up stays light

    return ssl.create_default_context(cafile=ca_bundle())


def tool_env() -> dict[str, str]:
    """The environment for pip and uv: the user's CA bundle, none of the host's pip config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONNOUSERSITE"] = "1"
    bundle = ca_bundle()
    if bundle:
        env["SSL_CERT_FILE"] = bundle
    return env


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bootstrap"


def uv_binary() -> str:
    from uv import find_uv_bin  # lazy: start-up stays light

    return find_uv_bin()
