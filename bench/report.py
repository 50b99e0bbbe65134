"""One table of every figure in bench/results.json, with its target and whether it is met.

``python -m bench.report [--results bench/results.json]`` (also ``python -m bench``)

Reads the file only: run the benchmarks first (``make bench``). A section that is missing says
which command writes it. The sections of ``bench.parser``, ``bench.crawl``, ``bench.scale`` and
``bench.economy`` list their figures (``"figures"``: name, value, unit, target, met); the
matching and resolution sections are read from their own fields.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_OUTPUT, figure

#: Sections in the order ``make bench`` writes them, with the module that writes each.
SECTIONS = {
    "matching": "bench.matching",
    "resolution": "bench.resolution",
    "parser": "bench.parser",
    "economy": "bench.economy",
    "crawl": "bench.crawl",
    "scale": "bench.scale",
    "soak": "bench.soak",  # `make soak`, not `make bench`: 30 minutes
}


def _matching_figures(section: Mapping[str, Any]) -> list[dict[str, Any]]:
    targets = section["targets"]
    figures = []
    for split in ("all", "test"):
        tally = section["splits"][split]
        figures.append(
            figure(f"precision ({split})", tally["precision"], "", at_least=targets["precision"])
        )
        figures.append(figure(f"recall ({split})", tally["recall"], "", at_least=targets["recall"]))
    return figures


def _resolution_figures(section: Mapping[str, Any]) -> list[dict[str, Any]]:
    targets = section["targets"]
    figures = [
        figure("precision", section["precision"], "", at_least=targets["precision"]),
        figure("recall", section["recall"], "", at_least=targets["recall"]),
    ]
    for service, value in sorted(section.get("api_requests_per_row", {}).items()):
        figures.append(figure(f"{service} requests per row", value, "requests"))
    return figures


def figures_of(name: str, section: Mapping[str, Any]) -> list[dict[str, Any]]:
    if name == "matching":
        return _matching_figures(section)
    if name == "resolution":
        return _resolution_figures(section)
    return list(section.get("figures", []))


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _parameters(name: str, section: Mapping[str, Any]) -> str:
    if name == "matching":
        return f"seed {section['set']['seed']}, {section['set']['cases']} cases"
    if name == "resolution":
        corpus = section["corpus"]
        return f"{corpus['profiles']} x {corpus['publications']}, seed {corpus['seed']}"
    parameters = section.get("parameters", {})
    keys = (
        "profiles",
        "publications",
        "resolution_profiles",
        "sizes",
        "crawl_sizes",
        "pages",
        "api_profiles",
        "refresh_profiles",
        "repeat",
        "minutes",
        "fault_probability",
        "backend",
    )
    return ", ".join(f"{k} {parameters[k]}" for k in keys if k in parameters)


def format_report(results: Mapping[str, Any]) -> tuple[str, int, int]:
    """The table; how many targets there are and how many are met."""
    rows: list[tuple[str, str, str, str, str]] = []
    notes: list[str] = []
    targets = met = 0
    for name, module in SECTIONS.items():
        section = results.get(name)
        if not isinstance(section, Mapping):
            notes.append(f"{name}: not measured (python -m {module})")
            continue
        elapsed = section.get("elapsed_seconds", section.get("seconds"))
        notes.append(
            f"{name}: {section.get('generated_at', '?')}, {_parameters(name, section)}"
            + (f", {elapsed:.0f} s" if isinstance(elapsed, (int, float)) else "")
        )
        for f in figures_of(name, section):
            verdict = ""
            if f["met"] is not None:
                targets += 1
                met += bool(f["met"])
                verdict = "met" if f["met"] else "NOT met"
            value = _value(f["value"]) + (f" {f['unit']}" if f["unit"] else "")
            rows.append((name, f["name"], value, f["target"] or "", verdict))
    widths = [
        max(len(row[i]) for row in [("section", "figure", "value", "target", ""), *rows])
        for i in range(5)
    ]
    header = ("section", "figure", "value", "target", "")
    lines = [
        "  ".join(
            text.rjust(widths[i]) if i == 2 else text.ljust(widths[i]) for i, text in enumerate(row)
        ).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]
    lines.append("")
    lines.append(f"{met} of {targets} targets met")
    lines.append("")
    lines += notes
    return "\n".join(lines), targets, met


def _machine(results: Mapping[str, Any]) -> str:
    for name in reversed(list(SECTIONS)):
        section = results.get(name)
        if isinstance(section, Mapping) and "cpu_model" in section.get("environment", {}):
            env = section["environment"]
            memory = env.get("memory_bytes")
            return (
                f"machine: {env.get('cpu_model')}, {env.get('usable_cpus')} CPUs, "
                + (f"{memory / 2**30:.1f} GiB, " if memory else "")
                + f"Python {env.get('python')}, SQLite {env.get('sqlite')}, "
                f"{env.get('postgresql')}, Scrapy {env.get('scrapy')}, "
                f"SQLAlchemy {env.get('sqlalchemy')}, commit {env.get('commit')}"
            )
    return "machine: not recorded"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(f"{args.results} does not exist: run `make bench` first", file=sys.stderr)
        return 2
    results = json.loads(args.results.read_text(encoding="utf-8"))
    table, _targets, _met = format_report(results)
    print(table)
    print(_machine(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
