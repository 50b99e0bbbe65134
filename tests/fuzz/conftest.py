"""Hypothesis keeps nothing in the repository: its example database is off (``database=None``
in every test's settings), and its other storage (a cache of the constants it reads from the
source, written while tests are collected, so set here at import) goes to a temporary
directory removed when the run ends."""

from __future__ import annotations

import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

_HOME = tempfile.TemporaryDirectory(prefix="scholarcrawl-hypothesis-")
set_hypothesis_home_dir(_HOME.name)
