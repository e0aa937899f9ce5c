"""Flags become one answers layer, and the layers stack in one visible order."""

from __future__ import annotations

import argparse

import pytest

from bootstrap.answers import layered
from bootstrap.errors import UsageError
from bootstrap.inputs import flag_answers


def _args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**given)


def test_only_the_flags_given_make_the_layer() -> None:
    args = _args(name="X", python=None, stack=["jupyter,pydata"], driver=None, pip_index_url="u")
    assert flag_answers(args) == {
        "name": "X",
        "stacks": ["jupyter", "pydata"],
        "network": {"pip_index_url": "u"},
    }


def test_later_layers_win_and_network_merges_entry_by_entry() -> None:
    defaults = {"name": "my-project", "python": "3.12", "stacks": ["jupyter"], "network": {}}
    filed = {"python": "3.11", "network": {"ca_certs": ["corp.crt"], "apt_mirror": "http://a"}}
    flags = {"stacks": [], "network": {"apt_mirror": "http://b"}}
    answers = layered(defaults, filed, flags)
    assert answers["python"] == "3.11"
    assert answers["stacks"] == []  # an explicit empty flag wins too
    assert answers["network"] == {"ca_certs": ["corp.crt"], "apt_mirror": "http://b"}


def test_a_network_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(UsageError, match=r"network .* should be a mapping"):
        layered({"network": {}}, {"network": ["x"]})
