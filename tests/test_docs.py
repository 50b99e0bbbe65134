"""The README, docs/settings.md and `make help` say what the code does."""

from __future__ import annotations

import re
import subprocess

from scholarcrawl import settings
from tests.conftest import REPO_ROOT

OWN_PREFIXES = (
    "SCHOLAR_",
    "SCHOLARCRAWL_",
    "CONTINUATION_",
    "IDENTIFIERS_",
    "MATCH_",
    "API_",
    "ARXIV_",
    "CROSSREF_",
    "PDF_",
    "UNPAYWALL_",
    "SCRAPYD_",
    "RUNS_",
    "EXCLUSIONS_",
)


def own_settings() -> dict[str, object]:
    return {
        name: getattr(settings, name)
        for name in dir(settings)
        if name.startswith(OWN_PREFIXES) and name.isupper()
    }


def test_every_setting_is_documented_with_its_default() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    reference = (REPO_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name, default in own_settings().items():
        for text, where in ((readme, "README.md"), (reference, "docs/settings.md")):
            row = next((line for line in text.splitlines() if line.startswith(f"| `{name}`")), None)
            assert row is not None, f"{name} is missing from {where}"
            assert f"`{default}`" in row, f"{where} gives another default for {name}"


def test_make_help_lists_every_target() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for target in targets:
        assert f"make {target} " in shown, f"`make help` does not list {target}"


def test_ci_runs_make_test() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in script


def test_the_matching_defaults_in_settings_are_the_policy_chosen_on_the_labelled_set() -> None:
    from scholarcrawl.matching import DEFAULT_POLICY, MatchPolicy

    assert MatchPolicy.from_settings(own_settings()) == DEFAULT_POLICY
