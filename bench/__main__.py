"""``python -m bench``: the report of bench/results.json (see bench/report.py)."""

from __future__ import annotations

import sys

from bench.report import main

sys.exit(main())
