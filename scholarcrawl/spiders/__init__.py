"""The spiders: ``scholar``, ``pdfs`` and ``import_pages``."""

from __future__ import annotations

#: The spider argument scrapyd gives every job (its job id); every spider accepts it.
SCRAPYD_JOB_ARGUMENT = "_job"
