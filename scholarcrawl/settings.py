"""scholarcrawl settings: every default, with what it is for.

``docs/settings.md`` lists them all; keep the two in step.
"""

from __future__ import annotations

BOT_NAME = "scholarcrawl"
SPIDER_MODULES = ["scholarcrawl.spiders"]
NEWSPIDER_MODULE = "scholarcrawl.spiders"

# --- Scholar -------------------------------------------------------------------------------
# Where Scholar lives; tests, the demo and benchmarks point it at the local replay server.
SCHOLAR_BASE_URL = "https://scholar.google.com"
# Interface language (`hl=`); the parser reads every language, English keeps logs readable.
SCHOLAR_LANGUAGE = "en"
# Rows per profile page: 100 is Scholar's maximum, so a profile of n rows costs ceil(n/100).
SCHOLAR_PAGE_SIZE = 100
# Pages past the first: "robots" (only what robots.txt allows) or "all" (every page; this goes
# against Scholar's robots.txt, which disallows `cstart=`, and is the operator's choice).
SCHOLAR_PAGINATION = "robots"
# Scholar gets one connection and a polite delay (seconds), on its own download slot so that
# machine APIs keep their own limits; the delay varies by ±SCHOLAR_DOWNLOAD_JITTER (0.5 = ±50%).
SCHOLAR_CONCURRENCY = 1
SCHOLAR_DOWNLOAD_DELAY = 5.0
SCHOLAR_DOWNLOAD_JITTER = 0.5
# The download slot name shared by every Scholar request.
SCHOLAR_DOWNLOAD_SLOT = "scholar"

# --- Storage -------------------------------------------------------------------------------
# SQLAlchemy URL; the environment variable of the same name wins over this default.
# PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname
SCHOLARCRAWL_DATABASE_URL = "sqlite:///scholarcrawl.sqlite3"
# Apply pending migrations when a crawl starts; when off, a crawl on an old schema refuses.
SCHOLARCRAWL_AUTO_MIGRATE = True

# --- Scrapy --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# Identify the crawler honestly; override for your institution.
USER_AGENT = "scholarcrawl/0.1 (+https://github.com/scholarcrawl/scholarcrawl)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "scholarcrawl.pipelines.validate.ValidatePipeline": 100,
    "scholarcrawl.pipelines.fingerprint.FingerprintPipeline": 200,
    "scholarcrawl.pipelines.store.StorePipeline": 500,
}
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "scholarcrawl.extensions.throttle.SlotAwareAutoThrottle": 0,
    "scholarcrawl.extensions.summary.CrawlSummary": 500,
}
# `scrapy crawl` checks spider arguments and the database before anything starts.
COMMANDS_MODULE = "scholarcrawl.commands"
