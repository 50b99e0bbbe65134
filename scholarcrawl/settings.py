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
# The download slot name shared by every Scholar request (with proxies: one slot per proxy).
SCHOLAR_DOWNLOAD_SLOT = "scholar"
# Detail pages (-a details=missing|all) a run may request, when -a max_detail_pages is not
# given: each is one Scholar request; the rest waits in the continuation queue.
SCHOLAR_MAX_DETAIL_PAGES = 100
# Profiles a run may crawl in all (seeds included) under -a follow_coauthors=DEPTH, when
# -a max_profiles is not given.
SCHOLAR_FOLLOW_MAX_PROFILES = 100

# --- Blocks, cooldowns, proxies (ScholarCooldownMiddleware) -------------------------------
# 429: retries, each after this many seconds or Retry-After when larger; the egress sends
# nothing while it waits. A Retry-After beyond the max wait is treated as a block at once.
SCHOLAR_RATE_LIMIT_RETRIES = 3
SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS = 30.0
SCHOLAR_RATE_LIMIT_MAX_WAIT_SECONDS = 300.0
# Network errors (RETRY_EXCEPTIONS): retries and the pause before each.
SCHOLAR_NETWORK_ERROR_RETRIES = 1
SCHOLAR_RETRY_BACKOFF_SECONDS = 1.0
# Safety thresholds: this many blocked failures (CAPTCHA, /sorry/, 403, 429 after its retries)
# or network failures stop every request of that egress for the cooldown that follows.
SCHOLAR_BLOCKED_FAILURE_THRESHOLD = 1
SCHOLAR_BLOCKED_COOLDOWN_SECONDS = 1800.0
SCHOLAR_NETWORK_FAILURE_THRESHOLD = 2
SCHOLAR_NETWORK_COOLDOWN_SECONDS = 900.0
# During a cooldown: "defer" (the run ends soon, every unfinished page waits in the
# continuation queue) or "wait" (the run sleeps until the cooldown ends).
SCHOLAR_COOLDOWN_MODE = "defer"
# Optional egress rotation: a list of http(s) proxy URLs, a comma-separated string, or the path
# of a file with one URL per line. Credentials in the URLs never reach a log.
SCHOLAR_PROXIES: list[str] = []

# --- Continuation queue --------------------------------------------------------------------
# Back-off of a page that failed: base delay doubling up to the max; abandoned after the max
# number of attempts (with its last error). A run's claims are leases it renews; a killed
# run's profiles come back when the lease expires.
CONTINUATION_BASE_DELAY_SECONDS = 120.0
CONTINUATION_MAX_DELAY_SECONDS = 3600.0
CONTINUATION_MAX_ATTEMPTS = 6
CONTINUATION_LEASE_SECONDS = 900.0

# --- Identifiers (DOI / arXiv resolution; docs/identifiers.md) ----------------------------
# Resolve each publication's identifiers before storing it (local parsing, arXiv, Crossref).
IDENTIFIERS_ENABLED = True
# An identifier at least this confident makes further API queries for the row unnecessary.
IDENTIFIERS_HIGH_CONFIDENCE = 0.9
# Titles less informative than this ("Introduction", "Editorial") are not sent to the APIs.
IDENTIFIERS_MIN_TITLE_INFORMATIVENESS = 0.35
# The weighted match that accepts an API candidate (docs/matching.md): component weights,
# the total needed, the title similarity below which nothing is accepted, how close two
# different candidates may score before the answer is "ambiguous", and the informativeness
# below which a title is never matched. Chosen on the labelled set (`make bench`).
MATCH_TITLE_WEIGHT = 0.55
MATCH_AUTHOR_WEIGHT = 0.2
MATCH_YEAR_WEIGHT = 0.15
MATCH_VENUE_WEIGHT = 0.1
MATCH_ACCEPT_THRESHOLD = 0.82
MATCH_MIN_TITLE_SIMILARITY = 0.86
MATCH_AMBIGUITY_MARGIN = 0.05
MATCH_MIN_TITLE_INFORMATIVENESS = 0.25
# Who runs this crawl: sent as Crossref's `mailto` and in the APIs' User-Agent (polite pool).
# The environment variable of the same name wins. Empty: Crossref's public pool, said once.
SCHOLARCRAWL_CONTACT_EMAIL = ""
# Answers of API requests are kept this many days (a rerun asks nothing again).
API_CACHE_TTL_DAYS = 183
# The longest a publication waits for an API send slot or cooldown; beyond it the row is
# stored unresolved (`deferred`) and a later run asks again.
API_MAX_WAIT_SECONDS = 120.0
# arXiv API: one request every 3 s and one in flight (arXiv's terms), a cooldown after a 429
# without Retry-After, and how many entries a title search returns.
ARXIV_ENABLED = True
ARXIV_API_URL = "https://export.arxiv.org/api/query"
ARXIV_MIN_INTERVAL_SECONDS = 3.0
ARXIV_MAX_IN_FLIGHT = 1
ARXIV_COOLDOWN_SECONDS = 60.0
ARXIV_MAX_RESULTS = 5
# Crossref: polite pool (contact e-mail set) 3 list requests/s and 3 in flight; public pool
# one request/s and one in flight. Rows: candidates per query.
CROSSREF_ENABLED = True
CROSSREF_API_URL = "https://api.crossref.org"
CROSSREF_MIN_INTERVAL_SECONDS = 0.34
CROSSREF_MAX_IN_FLIGHT = 3
CROSSREF_PUBLIC_MIN_INTERVAL_SECONDS = 1.0
CROSSREF_PUBLIC_MAX_IN_FLIGHT = 1
CROSSREF_COOLDOWN_SECONDS = 60.0
CROSSREF_ROWS = 5

# --- Open-access PDFs (`scrapy crawl pdfs`; docs/pdfs.md) -------------------------------
# Crawls queue each stored publication with a DOI or an arXiv id in `pdf_queue`.
PDF_QUEUE_ENABLED = True
# Unpaywall wants a real e-mail with every request: required by `scrapy crawl pdfs` (the
# environment variable of the same name wins).
UNPAYWALL_EMAIL = ""
UNPAYWALL_API_URL = "https://api.unpaywall.org"
# 100,000 calls a day at most: one a second (shared by every process) stays under it.
UNPAYWALL_MIN_INTERVAL_SECONDS = 1.0
UNPAYWALL_MAX_IN_FLIGHT = 2
UNPAYWALL_COOLDOWN_SECONDS = 300.0
# Where an arXiv id's PDF lives (<PDF_ARXIV_URL>/pdf/<id>): no API call.
PDF_ARXIV_URL = "https://arxiv.org"
# Rows resolved at once, and the lease of a claimed row (renewed while the run lives).
PDF_CONCURRENCY = 4
PDF_LEASE_SECONDS = 600.0
# http-error and blocked rows are tried again after the interval, doubling each attempt.
PDF_AUTO_RETRY_ENABLED = True
PDF_AUTO_RETRY_INTERVAL_SECONDS = 3600.0
PDF_AUTO_RETRY_MAX_ATTEMPTS = 5
# A landing page's PDF link must score at least this (docs/pdfs.md); landing pages per row.
PDF_MIN_CANDIDATE_SCORE = 0.5
PDF_MAX_LANDING_PAGES = 2
# Chromium (scrapy-playwright) for landing pages that need scripts, and hosts always rendered.
# How long a rendered page may settle after the network is idle (ms).
PDF_BROWSER_ENABLED = True
PDF_BROWSER_HOSTS: list[str] = []
PDF_BROWSER_SETTLE_MS = 500
# `-a download=1`: where PDFs are kept (named by SHA-256) and the largest kept.
PDF_STORE = "pdfs"
PDF_MAX_BYTES = 50 * 1024 * 1024
# scrapy-playwright: `executable_path` defaults to the system's Chromium when there is one
# ("" = Playwright's own downloaded browser).
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS: dict[str, object] = {}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20000

# --- Exclusions (`scholarcrawl exclude ...`; scholarcrawl/pipelines/exclusions.py) ---------
# Drop the rows of excluded publications and the items of excluded profiles.
EXCLUSIONS_ENABLED = True
# A crawl reads the exclusions again at most this often (seconds), so a long run sees an
# `exclude add` made meanwhile; 0 reads them before every item.
EXCLUSIONS_REFRESH_SECONDS = 60.0

# --- Storage -------------------------------------------------------------------------------
# SQLAlchemy URL; the environment variable of the same name wins over this default.
# PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname
SCHOLARCRAWL_DATABASE_URL = "sqlite:///scholarcrawl.sqlite3"
# Apply pending migrations when a crawl starts; when off, a crawl on an old schema refuses.
SCHOLARCRAWL_AUTO_MIGRATE = True
# Publication rows written together in one transaction (a page is 100 rows).
SCHOLARCRAWL_STORE_BATCH_SIZE = 100
# With arXiv or Crossref asked, rows arrive one by one: a batch waits this long for more.
SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS = 0.2

# --- Runs (crawl_runs; docs/runs.md) --------------------------------------------------------
# How often a running crawl writes its heartbeat, counters and progress to its run row.
RUNS_HEARTBEAT_SECONDS = 60.0
# A running row whose heartbeat is older than this belongs to a killed process: marked failed.
RUNS_STALE_AFTER_SECONDS = 300.0
# A closing crawl whose database is lost retries its run's end this long before giving up.
RUNS_FINISH_RETRY_SECONDS = 300.0

# --- scrapyd (the CLI's client, scholarcrawl/scrapyd.py; docs/scrapyd.md) -------------------
# Where scrapyd listens; the environment variable of the same name wins. Credentials come from
# SCRAPYD_USERNAME and SCRAPYD_PASSWORD in the environment, never from here or the URL.
SCRAPYD_URL = "http://127.0.0.1:6800"
# The project name the egg is deployed under (scrapy.cfg's [deploy] project).
SCRAPYD_PROJECT = "scholarcrawl"

# --- Scrapy --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# Identify the crawler honestly; override for your institution.
USER_AGENT = "scholarcrawl/0.1 (+https://github.com/scholarcrawl/scholarcrawl)"
CONCURRENT_REQUESTS = 8
# Scrapy's retries for server errors; a 429 is never retried blindly: Scholar's cooldown
# middleware and the API rate clock handle it.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_TIMEOUT = 30
# The largest Scholar page, API answer or landing page read (Scrapy's default is 1 GiB): a
# 100-row profile page is ~150 KB, so a bigger body is hostile or broken and fails classified
# (`response_too_large`). PDFs have their own limit, PDF_MAX_BYTES.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Every retry is ours and counted: Twisted's hidden resend on a reused connection is off.
DOWNLOAD_HANDLERS = {
    "http": "scholarcrawl.downloader.CountedRetriesHTTP11DownloadHandler",
    "https": "scholarcrawl.downloader.CountedRetriesHTTP11DownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # After the robots.txt check, before HttpProxyMiddleware (750) reads meta["proxy"].
    "scholarcrawl.middlewares.cooldown.ScholarCooldownMiddleware": 745,
}
# Scrapy's messages, but the per-item "Scraped from" record only when LOG_LEVEL is DEBUG.
LOG_FORMATTER = "scholarcrawl.logformatter.ScholarLogFormatter"
ITEM_PIPELINES = {
    "scholarcrawl.pipelines.validate.ValidatePipeline": 100,
    "scholarcrawl.pipelines.fingerprint.FingerprintPipeline": 200,
    # Excluded publications and profiles: dropped before identifier resolution spends an API
    # request on them, and again after it for rows only their resolved DOI recognises.
    "scholarcrawl.pipelines.exclusions.ExclusionPipeline": 250,
    "scholarcrawl.pipelines.identifiers.IdentifierPipeline": 300,
    "scholarcrawl.pipelines.pdf_queue.PdfQueuePipeline": 400,
    "scholarcrawl.pipelines.exclusions.ResolvedExclusionPipeline": 450,
    "scholarcrawl.pipelines.store.StorePipeline": 500,
}
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "scholarcrawl.extensions.throttle.SlotAwareAutoThrottle": 0,
    "scholarcrawl.extensions.summary.CrawlSummary": 500,
    "scholarcrawl.extensions.runs.RunTracker": 600,
    # a Ctrl-C or scrapyd cancel while the spider opens still closes it (run `cancelled`)
    "scholarcrawl.extensions.shutdown.StartupShutdown": 700,
}
# `scrapy crawl` checks spider arguments and the database before anything starts.
COMMANDS_MODULE = "scholarcrawl.commands"
