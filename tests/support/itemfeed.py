"""A spider that yields items read from a JSON file, through the project's real item
pipelines and run tracking (``scrapy runspider``).

Argument ``items``: a file holding a JSON list of objects, each an item's fields with its
``item_type`` (``profile``, ``publication``, ``publication_detail`` or ``coauthors``).
They are yielded in order; used where a test needs exact items (a detail page of a stored
publication) rather than pages. :func:`feed` runs it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import scrapy

from scholarcrawl.items import CoauthorsItem, ProfileItem, PublicationDetailItem, PublicationItem
from tests.support.crawl import run_scrapy

ITEM_CLASSES: dict[str, Any] = {
    "profile": ProfileItem,
    "publication": PublicationItem,
    "publication_detail": PublicationDetailItem,
    "coauthors": CoauthorsItem,
}


class ItemFeed(scrapy.Spider):
    name = "itemfeed"

    async def start(self) -> AsyncIterator[Any]:
        for fields in json.loads(Path(self.items).read_text()):  # type: ignore[attr-defined]
            yield ITEM_CLASSES[fields["item_type"]](**fields)


def feed(
    items: Sequence[Mapping[str, Any]], work: Path, settings: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the items through ``scrapy runspider`` with ``settings``; the finished process."""
    path = work / f"items-{len(list(work.glob('items-*.json')))}.json"
    path.write_text(json.dumps(list(items)))
    return run_scrapy(
        ["runspider", str(Path(__file__)), "-a", f"items={path}"], settings, timeout=180
    )
