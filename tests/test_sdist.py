"""An sdist's dependencies, read as text from the archive: nothing in it is run."""

from __future__ import annotations

import io
import tarfile
import zipfile

from packaging.specifiers import SpecifierSet

from bootstrap.sdist import read_metadata, sdist_version

SETUP_PY = "open('/tmp/ran-setup-py', 'w').write('ran')\n"


def tar_gz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_metadata_1_0_takes_dependencies_from_egg_info_requires_txt() -> None:
    archive = tar_gz(
        {
            "oldpkg-1.2/PKG-INFO": "Metadata-Version: 1.0\nName: oldpkg\nVersion: 1.2\n",
            "oldpkg-1.2/setup.py": SETUP_PY,
            "oldpkg-1.2/oldpkg.egg-info/requires.txt": (
                'six>=1.10\n\n[:python_version < "3"]\nfutures\n\n[mysql]\nmysqlclient\n'
            ),
            "oldpkg-1.2/vendor/inner/inner.egg-info/requires.txt": "wrong\n",
        }
    )
    meta = read_metadata(archive, "oldpkg-1.2.tar.gz")
    assert meta["name"] == "oldpkg" and meta["version"] == "1.2"
    assert meta["requires_dist"] == [
        "six>=1.10",
        'futures; python_version < "3"',
        'mysqlclient; extra == "mysql"',
    ]


def test_metadata_2_1_requires_dist_and_requires_python() -> None:
    archive = tar_gz(
        {
            "newpkg-2.0/PKG-INFO": (
                "Metadata-Version: 2.1\nName: newpkg\nVersion: 2.0\n"
                "Requires-Python: >=3.8\nRequires-Dist: requests>=2\n"
            )
        }
    )
    meta = read_metadata(archive, "newpkg-2.0.tar.gz")
    assert meta["requires_dist"] == ["requests>=2"]
    assert meta["requires_python"] == ">=3.8"


def test_zip_sdists_are_read_too() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("z-1.0/PKG-INFO", "Metadata-Version: 1.1\nName: z\nVersion: 1.0\n")
    assert read_metadata(buffer.getvalue(), "z-1.0.zip")["requires_dist"] == []


def test_sdist_version_handles_dashes_and_other_files() -> None:
    assert str(sdist_version("MySQL-python-1.2.5.zip", "mysql-python")) == "1.2.5"
    assert str(sdist_version("mysqlclient-1.4.6.tar.gz", "mysqlclient")) == "1.4.6"
    assert sdist_version("mysqlclient-1.4.6-cp37-cp37m-win_amd64.whl", "mysqlclient") is None
    assert sdist_version("other-1.0.tar.gz", "mysqlclient") is None


def test_lock_file_names_with_a_dash_in_the_version_match_their_release() -> None:
    """functools32 3.2.3-2 (TensorFlow 2.1's Python 2 dependency) is 3.2.3.post2 to pip."""
    from packaging.version import Version

    from bootstrap.lock_legacy import file_version

    assert file_version("functools32-3.2.3-2.tar.gz") == ("functools32", Version("3.2.3.post2"))
    assert file_version("MySQL-python-1.2.5.zip") == ("mysql-python", Version("1.2.5"))
    assert file_version("numpy-1.16.6-cp27-cp27mu-manylinux1_x86_64.whl") == (
        "numpy",
        Version("1.16.6"),
    )
    assert file_version("setup.exe") is None


def test_a_range_without_wheels_is_read_several_sdists_at_once(monkeypatch) -> None:
    """uv walks down a range of source-only releases one run at a time (arcgis<=2.4.0, twenty
    of them): the lock reads the newest few at once; a named release with wheels only (for other
    Pythons: arcgis 2.4.2) is skipped rather than refused."""
    from bootstrap import lock
    from bootstrap.sdist import NoSdist

    index = {"2.4.2": False, "2.4.0": True, "2.3.1": True, "2.3.0": True}  # version: has sdist
    monkeypatch.setattr(
        lock,
        "sdists_in",
        lambda name, spec, python, url, limit: [
            v for v in index if index[v] and v in SpecifierSet(spec)
        ][:limit],
    )

    def metadata(name: str, version: str, url: str) -> dict:
        if not index[version]:
            raise NoSdist(f"{name}=={version}: no sdist")
        return {"name": name, "version": version, "requires_dist": []}

    monkeypatch.setattr(lock, "sdist_metadata", metadata)
    stderr = (
        "Because arcgis<=2.4.0 has no usable wheels and ... arcgis==2.4.2 depends on Python>=3.10\n"
        "hint: Wheels are required for `arcgis`"
    )
    read = lock._stand_ins_for("arcgis", stderr, "3.9", "https://index", {("arcgis", "2.4.0")})
    assert [e["version"] for e in read] == ["2.3.1", "2.3.0"]  # 2.4.0 known already
    named = "Because arcgis==2.4.2 depends on ... and arcgis==2.3.1 has no usable wheels"
    assert [e["version"] for e in lock._stand_ins_for("arcgis", named, "3.9", "x", set())] == [
        "2.3.1"
    ]
    marked = "Because arcgis{python_full_version < '3.10'}==2.3.0 has no usable wheels"  # saleor
    assert [e["version"] for e in lock._stand_ins_for("arcgis", marked, "3.9", "x", set())] == [
        "2.3.0"
    ]
    only_wheels = "Because arcgis==2.4.2 depends on Python>=3.10"
    monkeypatch.setattr(lock, "newest_sdist", lambda *a: None)
    assert lock._stand_ins_for("arcgis", only_wheels, "3.9", "x", set()) == []
