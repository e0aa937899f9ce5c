"""A package index on the loopback interface (PEP 691 JSON, sha256 of every file), serving the
archives a test writes: crafted sdists whose build would leave a marker if anything ran them, and
wheels holding the modules a test names. Files are served whole or, when asked, by byte range."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def sdist(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """``name-version.tar.gz`` in ``folder`` holding ``files`` under its top-level folder."""
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    path = folder / f"{stem}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{stem}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def wheel(
    folder: Path,
    name: str,
    version: str,
    requires: list[str] = (),  # type: ignore[assignment]
    modules: dict[str, bytes] | None = None,
) -> Path:
    """A pure-Python wheel with ``requires`` as its dependencies and ``modules`` (path → bytes;
    none by default) as its code."""
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    files = {
        **(modules or {}),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
        for p, d in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    path = folder / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for rel, data in files.items():
            archive.writestr(rel, data)
    return path


def _project(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except ValueError:
        return None


@contextmanager
def serve(folder: Path, ranges: bool = False, sent: list[int] | None = None) -> Iterator[str]:
    """``http://127.0.0.1:PORT/simple`` listing every archive in ``folder``; stopped on exit.

    With ``ranges`` a file is served by ``Range: bytes=A-B`` or ``bytes=-N`` (206) as well as
    whole; without, the Range header is ignored, as some proxies do. ``sent`` receives the
    number of bytes of each file answer.
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(404)
            self.end_headers()

        def do_GET(self) -> None:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            body, kind = b"", "text/plain"
            if len(parts) == 2 and parts[0] == "simple":
                name = canonicalize_name(parts[1])
                files = [
                    {
                        "filename": p.name,
                        "url": f"/files/{p.name}",
                        "hashes": {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()},
                    }
                    for p in sorted(folder.iterdir())
                    if _project(p.name) == name
                ]
                if files:
                    body = json.dumps(
                        {"meta": {"api-version": "1.0"}, "name": name, "files": files}
                    )
                    body, kind = body.encode(), SIMPLE_JSON
            elif len(parts) == 2 and parts[0] == "files" and (folder / parts[1]).is_file():
                body, kind = (folder / parts[1]).read_bytes(), "application/octet-stream"
                asked = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
                if ranges and asked:
                    size = len(body)
                    if asked.group(1):
                        start = int(asked.group(1))
                        end = min(size - 1, int(asked.group(2) or size - 1))
                    else:
                        start, end = max(0, size - int(asked.group(2))), size - 1
                    body = body[start : end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    if sent is not None:
                        sent.append(len(body))
                    return
                if sent is not None:
                    sent.append(len(body))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
