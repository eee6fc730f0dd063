"""Options of the differential test: `--diff-cases N` and `--diff-seed S`
(or `PREBAKE_DIFF_CASES`, `PREBAKE_DIFF_SEED`)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--diff-cases", default=None, help="how many cases to generate (default 6000)")
    parser.addoption("--diff-seed", default=None, help="the generator's seed (default: random, printed)")
