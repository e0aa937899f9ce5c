"""Compile the Python files named on stdin to bytecode, on every core, into a tree of their own.

The Dockerfile's runtime image copies the environment and, beside it, this tree of
`__pycache__` folders: written apart from the environment, the bytecode can be compiled while
the environment is being copied, rather than before. Each name is a path as the image has it
(`/opt/venv/lib/...`); the file is read under --from and its bytecode written under --into, with
the image's path in tracebacks and the source's size and time in its header, as pip and uv write
it. A file that does not compile is skipped, as pip and uv skip it.

    find /opt/venv/lib -name '*.py' | python compile-bytecode.py --into /opt/bytecode
"""

import argparse
import concurrent.futures
import contextlib
import importlib.util
import py_compile
import sys

#: files per task: large enough that handing out work costs little beside compiling it
CHUNK = 64


def compile_chunk(paths: "list[str]", source_root: str, target_root: str) -> None:
    for path in paths:
        with contextlib.suppress(py_compile.PyCompileError, OSError, UnicodeError, ValueError):
            py_compile.compile(
                source_root + path,
                cfile=target_root + importlib.util.cache_from_source(path),
                dfile=path,
                doraise=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source_root", default="", help="where the files are read")
    parser.add_argument("--into", dest="target_root", default="", help="where bytecode goes")
    options = parser.parse_args()
    paths = [line for line in sys.stdin.read().splitlines() if line]
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    roots = (options.source_root.rstrip("/"), options.target_root.rstrip("/"))
    if len(chunks) <= 1:
        for chunk in chunks:
            compile_chunk(chunk, *roots)
        return
    with concurrent.futures.ProcessPoolExecutor() as pool:
        done = [pool.submit(compile_chunk, chunk, *roots) for chunk in chunks]
        for future in done:
            future.result()


if __name__ == "__main__":
    main()
