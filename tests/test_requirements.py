"""requirements.in as data: catalog marks, local paths, URLs, pins."""

from __future__ import annotations

from bootstrap.requirements import catalog_comment, is_pinned, parse


def test_catalog_lines_carry_their_record_and_range() -> None:
    parsed = parse(
        "# header\n"
        "--extra-index-url https://example.test/simple\n"
        "numpy==2.0.2  # catalog pydata >=1.16.6\n"
        "pyspark==4.0.5  # catalog spark ==4.0.5\n"
        "seaborn==0.13.2  # catalog pydata\n"
        "numpy~=1.19.5  # ours\n"
    )
    numpy, pyspark, seaborn, mine = parsed.lines
    assert parsed.extra_index_urls == ["https://example.test/simple"]
    assert (numpy.catalog, numpy.range, numpy.number) == ("pydata", ">=1.16.6", 3)
    assert numpy.relaxed() == "numpy>=1.16.6"
    assert pyspark.relaxed() == "pyspark==4.0.5"
    assert seaborn.relaxed() == "seaborn"  # no range: any version
    assert mine.user and mine.relaxed() == "numpy~=1.19.5" and mine.number == 6


def test_relaxed_keeps_extras_and_markers() -> None:
    line = parse("psycopg[binary]==3.3.9 ; python_version >= '3.10'  # catalog postgres >=3.2\n")
    assert line.lines[0].relaxed() == 'psycopg[binary]>=3.2 ; python_version >= "3.10"'


def test_local_paths_and_urls_are_told_apart() -> None:
    parsed = parse(
        "-e .\n"
        ".\n"
        "./libs/inner\n"
        "mypkg @ file:///srv/mypkg\n"
        "other @ https://example.test/other-1.0.tar.gz#sha256=abc\n"
        "git+https://example.test/repo.git#egg=repo\n"
        "-r base.txt\n"
        "requests\n"
    )
    kinds = [(line.text, line.kind) for line in parsed.lines]
    assert kinds == [
        ("-e .", "local"),
        (".", "local"),
        ("./libs/inner", "local"),
        ("mypkg @ file:///srv/mypkg", "local"),
        ("other @ https://example.test/other-1.0.tar.gz#sha256=abc", "url"),
        ("git+https://example.test/repo.git#egg=repo", "url"),
        ("requests", "requirement"),
    ]


def test_is_pinned() -> None:
    assert is_pinned("numpy==1.19.5")
    assert is_pinned("psycopg[binary]==3.3.9 ; python_version >= '3.10'")
    assert not is_pinned("numpy~=1.19.5")
    assert not is_pinned("numpy==1.*")
    assert not is_pinned("numpy")
    assert not is_pinned("x @ https://example.test/x.whl")
    assert not is_pinned("not a requirement")


def test_catalog_comment_round_trips() -> None:
    line = parse(f"awscli==1.46.3  {catalog_comment('aws', '>=1.19.112')}\n").lines[0]
    assert (line.catalog, line.range) == ("aws", ">=1.19.112")
