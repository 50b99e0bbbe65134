"""Deterministic synthetic Google Scholar corpus: the replay server's data.

A :class:`CorpusSpec` (seed, publication count per profile, shared papers per
neighbouring pair) describes a corpus; :class:`Corpus` hands out
:class:`GeneratedProfile` objects generated lazily from ``(seed, index)``, so a
corpus of thousands of profiles costs nothing until a profile is asked for, and
a small LRU keeps the recently used ones.

Every profile carries its ground truth in the types of
:mod:`scholarcrawl.scholar.model` (``ProfileHeader``, ``PublicationRow``):
what a correct parser must read off the page that
:func:`render_profile_page` renders. Ground-truth strings are the text a
reader sees: the element's text content after HTML unescaping, with invisible
bidi marks dropped and whitespace runs (no-break spaces included) collapsed to
one space. The page itself keeps the raw forms: a venue cut by Scholar ends
with ``"\\xa0…"`` (ground truth ``" …"``), an Arabic title holds a U+200E
left-to-right mark, a title's ``<i>`` markup is dropped from the ground truth,
an author list cut by Scholar ends with ``", ..."`` in both.

Facts reproduced from real 2026 pages (see ``docs``/``SOURCES.md``):

* ids are 7 characters of ``[A-Za-z0-9_-]`` followed by ``AAAAJ``;
* ``citation_for_view`` keys are ``<scholar id>:<12 chars>`` and the 12-char
  suffixes come from ONE sequence shared by every profile (Scholar gives the
  same suffixes, ``u5HHmVD_uO8C``, ``d1gkVwhDpl0C``, ..., to different papers
  of different profiles): a key is unique only together with its scholar id;
* cluster ids (``cites=``) are 64-bit decimal strings; a merged entry lists
  several, comma-separated;
* default order is by citations (ties: newer first), ``sortby=pubdate`` is by
  year with rows without a year last, ``sortby=title`` alphabetical;
* citation indices, "Since <year - 5>" column and the per-year chart are
  computed from the publications, so they are mutually consistent; some years
  inside the chart's span have zero citations (no bar on the page).

Nothing here depends on the clock: ``current_year`` is part of the spec.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from scholarcrawl.scholar.model import Coauthor, ProfileHeader, ProfilePage, PublicationRow

__all__ = [
    "CURRENT_YEAR",
    "DEFAULT_PAGESIZE",
    "DEMO_IDS",
    "DEMO_SPEC",
    "MAX_PAGESIZE",
    "SORT_ORDERS",
    "Corpus",
    "CorpusSpec",
    "GeneratedProfile",
    "PageWindow",
    "RowMarkup",
    "escape_html",
    "normalise_paging",
    "profile_ids",
    "render_profile_page",
    "visible_text",
]

CURRENT_YEAR = 2026
DEFAULT_PAGESIZE = 20  # Scholar's page size without a pagesize parameter
MAX_PAGESIZE = 100  # Scholar caps pagesize (pagesize=999 gives 100-row links)
SORT_ORDERS = (None, "pubdate", "title")

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """What to generate: profile ``i`` has ``sizes[i]`` publications.

    Consecutive profiles ``i`` and ``i + 1`` share ``shared_per_pair``
    co-authored papers (same title, year, authors line, venue, citations and
    cluster id; a different ``citation_for_view`` key in each profile), counted
    within both sizes. A pair shares fewer when a profile is too small
    (at most half of each profile's publications go to one neighbour).
    """

    seed: int = 2026
    sizes: tuple[int, ...] = (250, 60, 35)
    shared_per_pair: int = 1
    current_year: int = CURRENT_YEAR

    def __post_init__(self) -> None:
        if any(n < 0 for n in self.sizes):
            raise ValueError("publication counts must be >= 0")
        if self.shared_per_pair < 0:
            raise ValueError("shared_per_pair must be >= 0")
        if not 1990 <= self.current_year <= 2100:
            raise ValueError("current_year out of range")

    @classmethod
    def uniform(
        cls,
        n_profiles: int,
        pubs_per_profile: int,
        *,
        seed: int = 2026,
        shared_per_pair: int = 1,
    ) -> CorpusSpec:
        """``n_profiles`` profiles of ``pubs_per_profile`` publications each."""
        if n_profiles < 0:
            raise ValueError("n_profiles must be >= 0")
        return cls(
            seed=seed, sizes=(pubs_per_profile,) * n_profiles, shared_per_pair=shared_per_pair
        )

    @property
    def n_profiles(self) -> int:
        """Number of profiles in the corpus."""
        return len(self.sizes)

    def pair_count(self, k: int) -> int:
        """Papers shared by profiles ``k`` and ``k + 1``."""
        if k < 0 or k + 1 >= len(self.sizes):
            return 0
        return min(self.shared_per_pair, self.sizes[k] // 2, self.sizes[k + 1] // 2)


# --------------------------------------------------------------------------- ids


def _make_id(seed: int, index: int, attempt: int) -> str:
    rng = random.Random(f"{seed}:id:{index}:{attempt}")
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(7)) + "AAAAJ"


def profile_ids(spec: CorpusSpec) -> list[str]:
    """The corpus's scholar ids, in profile order (deterministic, unique)."""
    seen: set[str] = set()
    out: list[str] = []
    for i in range(len(spec.sizes)):
        attempt = 0
        sid = _make_id(spec.seed, i, attempt)
        while sid in seen:
            attempt += 1
            sid = _make_id(spec.seed, i, attempt)
        seen.add(sid)
        out.append(sid)
    return out


class _KeySequence:
    """Scholar's per-profile article keys: one global sequence of 12-char suffixes.

    The n-th article of any profile draws from the same sequence, as real
    profiles do; independent of the corpus seed.
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._seen: set[str] = set()
        self._rng = random.Random("scholar-article-keys")
        self._lock = threading.Lock()

    def first(self, n: int) -> list[str]:
        with self._lock:
            while len(self._keys) < n:
                key = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(11)) + "C"
                if key not in self._seen:
                    self._seen.add(key)
                    self._keys.append(key)
            return self._keys[:n]


_KEYS = _KeySequence()


# --------------------------------------------------------------------------- pools
# fmt: off

_GIVEN = (
    "Anna", "Ali", "Bangar", "Carlos", "Chen", "Daniël", "David", "Elena", "Emma", "Fatima",
    "Hiroshi", "Ingrid", "Jürgen", "José", "Kalpana", "Karim", "Laura", "Li", "Łukasz", "Maria",
    "Mehmet", "Min-jun", "Noah", "Olga", "Ørjan", "Priya", "Raghu", "Rafael", "Sara", "Søren",
    "Tomás", "Wei", "Wenrui", "Yuki", "Zoë", "Ángel", "Chloé", "İlker", "Nikolai", "Amara",
    "Kwame", "Lucía", "Mateus", "Naveen", "Petra", "Rania", "Sofía", "Thanh", "Vikram", "Xin",
)
_MIDDLE = ("A", "B", "J", "K", "M", "R", "S", "V")
_SURNAME = (
    "Srinivasan", "Platel", "Cherukuri", "Zuo", "Mondragón", "Tyson", "Raman", "Müller",
    "Ślusarczyk", "Åström", "Gonçalves", "Öztürk", "Nguyễn", "O'Brien", "Schreij", "Bohlooli",
    "Potukuchi", "Xue", "Xie", "Hemalatha", "Wierzbicki", "Kowalski", "Rossi", "García",
    "Fernández", "Ivanova", "Petrov", "Tanaka", "Suzuki", "Kim", "Park", "Okafor", "Mensah",
    "Haddad", "Khalil", "Larsen", "Johansson", "Dubois", "Lefèvre", "Novák", "Horváth",
    "Papadopoulos", "Rahman", "Chowdhury", "Singh", "Iyer", "Costa", "Silva", "Moreau", "Weber",
    "Fischer", "Bianchi", "Yilmaz", "Demir", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang",
)
_HAN_NAMES = ("王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊")
_ROLES = (
    "Professor", "Associate Professor", "Assistant Professor", "PhD student", "Lecturer",
    "Research Scientist", "Chief Scientist (Retired)", "Postdoctoral Researcher",
    "Senior Research Fellow", "Head of R&D",
)
# (organisation, e-mail domain, linked to a Scholar org page)
_ORGS = (
    ("University of Edinburgh", "ed.ac.uk", True),
    ("Queen Mary University of London", "qmul.ac.uk", True),
    ("Universität Zürich", "uzh.ch", True),
    ("Université de Montréal", "umontreal.ca", True),
    ("Universidad de Córdoba", "uco.es", False),
    ("Københavns Universitet", "ku.dk", True),
    ("Technische Universität München", "tum.de", True),
    ("清华大学", "tsinghua.edu.cn", True),
    ("CSIR - Central Food Technological Research Institute", "cftri.res.in", True),
    ("Indian Institute of Science", "iisc.ac.in", True),
    ("Massachusetts Institute of Technology", "mit.edu", True),
    ("Stanford University", "stanford.edu", True),
    ("University of Isfahan", "eng.ui.ac.ir", False),
    ("Vrije Universiteit Amsterdam", "vu.nl", True),
    ("Jaypee Institute of Information Technology", "jiit.ac.in", False),
    ("Peking University", "pku.edu.cn", True),
    ("University of Nebraska Medical Center", "unmc.edu", True),
    ("Tel Aviv University", "tau.ac.il", True),
    ("Universidade de São Paulo", "usp.br", True),
    ("Example Labs R&D <Research>", "example-labs.com", False),
    ("Sorbonne Université", "sorbonne-universite.fr", True),
    ("Uniwersytet Warszawski", "uw.edu.pl", False),
)
_INTERESTS = (
    "Machine Learning", "Deep Learning", "Natural Language Processing", "Computer Vision",
    "Web3", "Social Network Analysis", "Food Chemistry", "Nutritional Biochemistry",
    "Information-Centric Networking", "Wireless Sensor Networks", "Cloud Computing",
    "Bioinformatics", "Cheminformatics", "Fracture Mechanics", "Visual Attention",
    "Robotics", "Distributed Systems", "Databases", "Information Retrieval", "Epidemiology",
    "Climate Modelling", "Econometrics", "Quantum Computing", "Human-Computer Interaction",
    "Análisis de datos", "Sécurité informatique", "Optimisation", "Graph Theory",
)

_LEADS = ("", "", "", "", "Towards", "On", "Revisiting", "Rethinking", "Learning", "Scalable",
          "Efficient", "Understanding", "A note on", "Beyond", "Exploring")
_ADJ = (
    "adaptive", "robust", "distributed", "probabilistic", "immutable", "sparse", "federated",
    "multilingual", "causal", "interpretable", "hierarchical", "dynamic", "low-latency",
    "energy-aware", "privacy-preserving", "semi-supervised", "contrastive", "quaternary",
    "stochastic", "decentralised", "self-supervised", "geometric", "temporal", "spectral",
    "generative", "lightweight", "resilient", "bayesian", "collaborative", "incremental",
    "multimodal", "scalable", "trustworthy", "heterogeneous", "asynchronous", "cross-lingual",
    "fine-grained", "data-driven", "physics-informed", "zero-shot", "evolutionary", "neural",
    "ductile", "hybrid", "continuous", "discrete", "secure", "verifiable", "compositional",
    "content-aware", "context-sensitive", "fault-tolerant", "explainable", "active", "online",
    "offline", "optimal", "approximate", "end-to-end", "large-scale",
)
_NOUN = (
    "caching", "moderation", "retrieval", "segmentation", "routing", "scheduling", "inference",
    "embeddings", "transformers", "graph networks", "sensor networks", "social media platforms",
    "recommendation", "clustering", "anomaly detection", "fault detection", "trust management",
    "query optimisation", "load balancing", "consensus protocols", "microservices",
    "knowledge graphs", "language models", "image restoration", "speech recognition",
    "time series", "point clouds", "reinforcement learning", "topic models", "data structures",
    "spice principles", "digestive enzymes", "bioavailability", "antioxidants", "fracture",
    "visual memory", "attentional control", "content delivery", "sleep states", "logic gates",
    "question answering", "entity linking", "program synthesis", "code review",
    "peer review", "citation analysis", "web archives", "search engines", "crowdsourcing",
    "edge computing", "blockchains", "smart contracts", "drug discovery", "protein folding",
    "gene expression", "climate projections", "traffic forecasting", "power grids",
    "autonomous vehicles", "medical imaging", "cohort studies", "survey data", "open science",
    "peer-to-peer systems", "caching policies", "retransmission timeouts", "ontologies",
    "metadata", "digital libraries", "bibliometrics", "serverless architectures",
    "chatbots", "user interfaces", "design patterns", "workflows", "benchmarks", "datasets",
    "compilers", "operating systems", "storage systems", "file systems", "databases",
)
_PREP = ("for", "in", "with", "under", "via", "over", "across", "beyond")
_TAILS = (
    "", "", "", "", "", ": a review", ": a case study", ": a survey", ": an empirical study",
    ": theory and practice", ": lessons learned", ": a first look", ": an update",
    ": challenges and opportunities", " in practice", " at scale", " revisited",
    ": a benchmark", ": an experimental evaluation", ": myth or reality?", " in the wild",
    ": a comparative study", ": methods and applications", ": a systematic review",
    ": evidence from India", ": evidence from Europe", ": a longitudinal analysis",
    ": a replication study", ": an open dataset", ": design and implementation",
    " for developing regions", " on a budget", ": a position paper", ": preliminary results",
    ": what works and what does not", ": a tutorial", ": the missing link", ": new bounds",
    ": an information-theoretic view", ": a decade later",
)
_SPECIES = ("Curcuma longa", "Trigonella foenum-graecum", "Piper nigrum", "Nigella sativa",
            "Zingiber officinale", "Escherichia coli", "Arabidopsis thaliana", "Homo sapiens")
_FR = ("Étude", "Analyse", "Modélisation", "Évaluation", "Caractérisation")
_FR_OBJ = ("des réseaux sociaux", "de la mémoire visuelle", "des systèmes répartis",
           "de l'apprentissage profond", "des données hétérogènes", "du réseau électrique")
_FR_TAIL = ("à grande échelle", "en milieu urbain", "pour la santé publique", "et sécurité",
            "dans les pays francophones", "au Québec")
_DE = ("Über die", "Zur", "Größenabhängige", "Untersuchungen zur")
_DE_OBJ = ("Stabilität verteilter Systeme", "Bruchmechanik duktiler Werkstoffe",
           "Verarbeitung natürlicher Sprache", "Qualität von Straßenbelägen",
           "Energieeffizienz im Rechenzentrum")
_ZH_A = ("基于深度学习的", "面向大规模数据的", "基于图神经网络的", "一种新的", "分布式")
_ZH_B = ("图像分割", "推荐系统", "文本分类", "网络缓存", "故障检测", "中文分词")
_ZH_C = ("方法研究", "算法", "综述", "模型与应用", "关键技术")
_AR_A = ("تحليل", "تصنيف", "استرجاع", "تقييم")
_AR_B = ("النصوص العربية", "الشبكات الاجتماعية", "البيانات الضخمة", "الصور الطبية")
_AR_C = ("باستخدام التعلم العميق", "باستخدام التعلم الآلي", "في البيئات السحابية")
_RU_A = ("Методы", "Модели", "Алгоритмы", "Анализ")
_RU_B = ("машинного обучения", "распределённых вычислений", "обработки текстов",
         "защиты информации")
_RU_C = ("для анализа данных", "в социальных сетях", "для медицинской диагностики",
         "на графах")
_ES = ("Análisis", "Diseño", "Evaluación", "Optimización")
_ES_OBJ = ("de redes inalámbricas", "del aprendizaje automático", "de la señal acústica",
           "de políticas públicas")
_ES_TAIL = ("en España", "para la toma de decisiones", "con datos abiertos",
            "en América Latina", "y su aplicación")
_GREEK = ("7α-hydroxylase", "β-carotene", "γ-secretase", "Δ9-tetrahydrocannabinol",
          "κ-opioid receptors", "μ-calculus", "λ-calculus")
_JOURNAL_FIELDS = (
    "Food Science and Nutrition", "Computer Networks", "Communication Systems",
    "Medical Research", "Artificial Intelligence Research", "Information Science",
    "Web Engineering", "Distributed Computing", "Biochemistry", "Applied Mechanics",
    "Social Media Studies", "Data Science", "Software Engineering", "Cognitive Psychology",
)
_JOURNAL_PREFIX = ("Journal of", "International Journal of", "IEEE Transactions on",
                   "ACM Transactions on", "Critical Reviews in", "Annals of", "Frontiers in")
# long names: Scholar cuts the venue line ("...\xa0…")
_LONG_CONFERENCES = (
    "International Conference on Computing, Power and Communication Technologies (GUCON)",
    "International AAAI Conference on Web and Social Media",
    "International Workshop on Open Challenges in Online Social Networks",
    "International Conference on Futuristic Trends in Networks and Computing Technologies",
)
_CONFERENCES = (
    "ACM Web Conference", "IEEE ICC", "ECCV", "ACL", "NeurIPS", "SIGIR", "CHI", "KDD",
    "ACM CCS", "ICWSM", "WSDM", "VLDB", "ICDE", "EuroSys", "JCDL", "TPDL",
)
_PUBLISHERS = ("Springer", "Elsevier", "CRC Press", "Wiley", "Cambridge University Press")
# fmt: on


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class _Identity:
    """Who a corpus profile is: cheap to compute, needed by neighbours too."""

    index: int
    scholar_id: str
    name: str
    short: str  # as in author lines: "K Srinivasan"
    affiliation_text: str
    affiliation_html: str
    email_domain: str
    homepage: str | None
    interests: tuple[str, ...]
    citpid: int
    career_start: int


def _ascii_slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum()) or "x"


def _short_name(given: str, middle: str | None, surname: str) -> str:
    initials = given[0] + (middle or "")
    return f"{initials} {surname}"


@dataclass(frozen=True, slots=True)
class RowMarkup:
    """How a row is written beyond its ground truth (shared by both profiles of a shared paper).

    ``title_html`` is already escaped (it may hold ``<i>`` markup); ``venue_text``
    is the raw venue line when it differs from the ground truth (``"\\xa0…"``).
    ``merge_style`` is ``"acm"`` (``a.gsc_a_acm`` with ``data-eid``/``data-eud``,
    2022+ markup) or ``"star"`` (``span.gsc_a_m`` holding the ``*`` link) for
    merged rows, else ``None``; ``merged_with`` is the ``data-eud`` key.
    """

    title_html: str
    merge_style: str | None = None
    merged_with: str | None = None
    venue_text: str | None = None


@dataclass(frozen=True, slots=True)
class _Paper:
    title: str
    title_html: str
    authors: str | None
    venue: str | None
    year: int | None
    citations: int
    cluster_ids: tuple[str, ...]
    merge_style: str | None = None


# Bidi controls and invisible marks that carry no text (as the parser drops them).
_INVISIBLE = dict.fromkeys(
    map(ord, "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
)


def visible_text(text: str) -> str:
    """Ground-truth form of page text: bidi marks dropped, whitespace runs collapsed."""
    return " ".join(text.translate(_INVISIBLE).split())


def escape_html(text: str) -> str:
    """Escape text for HTML element content and double-quoted attributes (``'`` as ``&#39;``)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class PageWindow:
    """Rows ``cstart .. cstart + pagesize - 1`` of a profile's list in one sort order."""

    rows: tuple[PublicationRow, ...]
    cstart: int
    pagesize: int
    sortby: str | None
    total: int

    @property
    def more(self) -> bool:
        """Scholar enables "Show more" iff rows exist after this window."""
        return self.cstart + self.pagesize < self.total

    @property
    def end(self) -> int:
        """1-based index of the last row shown (``cstart`` when none)."""
        return self.cstart + len(self.rows)


def normalise_paging(cstart: int | None, pagesize: int | None) -> tuple[int, int]:
    """Scholar's reading of ``cstart``/``pagesize``: cstart >= 0, 1 <= pagesize <= 100."""
    c = 0 if cstart is None or cstart < 0 else cstart
    p = DEFAULT_PAGESIZE if pagesize is None or pagesize < 1 else min(pagesize, MAX_PAGESIZE)
    return c, p


def _sort_key_pubdate(row: PublicationRow) -> tuple[int, int, int, int]:
    return (row.year is None, -(row.year or 0), -row.citations, row.position)


def _sort_key_title(row: PublicationRow) -> tuple[str, int]:
    return (row.title.casefold(), row.position)


@dataclass(eq=False)
class GeneratedProfile:
    """One synthetic profile: ground truth plus what the renderer needs.

    ``publications`` is the default (citations) order with positions ``1..n``.
    """

    index: int
    header: ProfileHeader
    default_rows: tuple[PublicationRow, ...]
    markup: dict[str, RowMarkup]  # by scholar_pub_key
    coauthor_emails: tuple[str, ...]  # "Verified email at ..." line per co-author ("" = none)
    affiliation_html: str
    xsrf: str
    citpid: int
    _sorted: dict[str | None, tuple[PublicationRow, ...]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _html_cache: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def scholar_id(self) -> str:
        """The profile's 12-char id."""
        assert self.header.scholar_id is not None
        return self.header.scholar_id

    @property
    def publications(self) -> list[PublicationRow]:
        """Rows in Scholar's default order, positions 1..n (a fresh list)."""
        return list(self.default_rows)

    def __len__(self) -> int:
        return len(self.default_rows)

    def sorted_publications(self, sortby: str | None = None) -> tuple[PublicationRow, ...]:
        """All rows in ``sortby`` order (None, "pubdate", "title"), positions renumbered."""
        if sortby not in ("pubdate", "title"):
            return self.default_rows
        with self._lock:
            cached = self._sorted.get(sortby)
        if cached is not None:
            return cached
        if sortby == "pubdate":
            ordered = sorted(self.default_rows, key=_sort_key_pubdate)
        else:
            ordered = sorted(self.default_rows, key=_sort_key_title)
        rows = tuple(replace(r, position=i + 1) for i, r in enumerate(ordered))
        with self._lock:
            self._sorted[sortby] = rows
        return rows

    def window(
        self,
        cstart: int | None = 0,
        pagesize: int | None = DEFAULT_PAGESIZE,
        sortby: str | None = None,
    ) -> PageWindow:
        """The rows Scholar shows for these parameters (normalised like Scholar)."""
        c, p = normalise_paging(cstart, pagesize)
        sort = sortby if sortby in ("pubdate", "title") else None
        rows = self.sorted_publications(sort)
        return PageWindow(rows[c : c + p], c, p, sort, len(rows))

    def expected_page(
        self,
        cstart: int | None = 0,
        pagesize: int | None = DEFAULT_PAGESIZE,
        sortby: str | None = None,
    ) -> ProfilePage:
        """What a parser must return for the page rendered with these parameters."""
        w = self.window(cstart, pagesize, sortby)
        return ProfilePage(self.header, w.rows, w.cstart, w.more, "gsc")

    def cached_fragment(self, name: str) -> str | None:
        """Renderer cache for page parts that do not depend on the request."""
        return self._html_cache.get(name)

    def store_fragment(self, name: str, html: str) -> None:
        """Store a renderer fragment (see :meth:`cached_fragment`)."""
        self._html_cache[name] = html


# --------------------------------------------------------------------------- corpus


class Corpus:
    """Lazily generated profiles of a :class:`CorpusSpec`.

    ``ids`` lists every profile id up front (cheap); ``profile(id)`` generates
    that profile from ``(seed, index)`` on first use and keeps the last
    ``cache_size`` profiles. Thread-safe.
    """

    def __init__(self, spec: CorpusSpec | None = None, *, cache_size: int = 64) -> None:
        self.spec = spec or CorpusSpec()
        self.ids: list[str] = profile_ids(self.spec)
        self._index = {sid: i for i, sid in enumerate(self.ids)}
        self._cache: OrderedDict[int, GeneratedProfile] = OrderedDict()
        self._cache_size = max(1, cache_size)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, scholar_id: object) -> bool:
        return scholar_id in self._index

    def index_of(self, scholar_id: str) -> int | None:
        """Position of ``scholar_id`` in ``ids``, or None."""
        return self._index.get(scholar_id)

    def profile(self, scholar_id: str) -> GeneratedProfile | None:
        """The profile with this id, or None for an id outside the corpus."""
        i = self._index.get(scholar_id)
        return None if i is None else self.profile_at(i)

    def profile_at(self, index: int) -> GeneratedProfile:
        """The ``index``-th profile."""
        if not 0 <= index < len(self.ids):
            raise IndexError(index)
        with self._lock:
            prof = self._cache.get(index)
            if prof is not None:
                self._cache.move_to_end(index)
                return prof
        prof = self._generate(index)
        with self._lock:
            existing = self._cache.get(index)
            if existing is not None:  # another thread won the race: keep one object
                return existing
            self._cache[index] = prof
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prof

    def owner_name_parts(self, index: int) -> tuple[str, str | None, str]:
        """Given name, middle initial (or None) and surname of the ``index``-th profile's owner.

        The full form of the owner's short name in author lines (``"K Srinivasan"``),
        for the API catalogue (:mod:`.apis`); the same draws as the profile's identity.
        """
        if not 0 <= index < len(self.ids):
            raise IndexError(index)
        return _random_name_parts(random.Random(f"{self.spec.seed}:identity:{index}"))

    def shared_cluster_ids(self, k: int) -> tuple[str, ...]:
        """Cluster ids of the papers shared by profiles ``k`` and ``k + 1``."""
        return tuple(self._pair_paper(k, j).cluster_ids[0] for j in range(self.spec.pair_count(k)))

    # ------------------------------------------------------------ identities

    def _identity(self, i: int) -> _Identity:
        return _identity(self.spec.seed, i, self.ids[i], self.spec.current_year)

    # ------------------------------------------------------------ papers

    def _pair_paper(self, k: int, j: int) -> _Paper:
        """The j-th paper shared by profiles k and k+1 (generated from the pair alone)."""
        a, b = self._identity(k), self._identity(k + 1)
        rng = random.Random(f"{self.spec.seed}:pair:{k}:{j}")
        lo = max(a.career_start, b.career_start)
        year = rng.randint(lo, self.spec.current_year)
        title = _ascii_title(rng)
        names = [a.short, b.short]
        rng.shuffle(names)
        others = [_random_short(rng) for _ in range(rng.randint(0, 3))]
        half = len(others) // 2
        authors_list = names[:1] + others[:half] + names[1:] + others[half:]
        venue = _venue(rng, year)
        cites = _citations(rng, year, self.spec.current_year, 8.0)
        return _Paper(
            title=title,
            title_html=escape_html(title),
            authors=", ".join(authors_list),
            venue=venue,
            year=year,
            citations=max(1, cites),
            cluster_ids=(_cluster_id(rng),),
        )

    def _generate(self, i: int) -> GeneratedProfile:
        spec = self.spec
        me = self._identity(i)
        rng = random.Random(f"{spec.seed}:profile:{i}")
        n = spec.sizes[i]
        prev_n = spec.pair_count(i - 1)
        next_n = spec.pair_count(i)
        own_n = n - prev_n - next_n
        scale = rng.choice((0.5, 1.0, 2.0, 4.0, 8.0, 15.0))

        papers: list[_Paper] = [self._pair_paper(i - 1, j) for j in range(prev_n)]
        papers += [self._pair_paper(i, j) for j in range(next_n)]
        papers += _own_papers(rng, me, own_n, spec.current_year, scale)

        # Scholar's article keys: the profile's articles hold the first n keys of
        # the global sequence, in the (random) order they were added.
        keys = _KEYS.first(n + 8)
        order = list(range(n))
        rng.shuffle(order)
        spare = keys[n:]

        ordered = sorted(
            range(n),
            key=lambda k: (-papers[k].citations, -(papers[k].year or 0), order[k]),
        )
        rows: list[PublicationRow] = []
        markup: dict[str, RowMarkup] = {}
        for pos, k in enumerate(ordered, start=1):
            p = papers[k]
            key = f"{me.scholar_id}:{keys[order[k]]}"
            rows.append(
                PublicationRow(
                    title=visible_text(p.title),
                    authors=p.authors,
                    venue=visible_text(p.venue) if p.venue else None,
                    year=p.year,
                    citations=p.citations,
                    merged=p.merge_style is not None,
                    cluster_ids=p.cluster_ids,
                    scholar_pub_key=key,
                    position=pos,
                )
            )
            eud = f"{me.scholar_id}:{spare[pos % len(spare)]}" if p.merge_style == "acm" else None
            raw_venue = p.venue if p.venue and visible_text(p.venue) != p.venue else None
            markup[key] = RowMarkup(p.title_html, p.merge_style, eud, raw_venue)

        header = self._header(me, rng, papers, i)
        coauthors, emails = self._coauthors(me, rng, i)
        header = replace(header, coauthors=coauthors)
        xsrf_rng = random.Random(f"{spec.seed}:xsrf:{i}")
        xsrf = "AF5TLt" + "".join(xsrf_rng.choice(_ID_ALPHABET) for _ in range(31))
        return GeneratedProfile(
            index=i,
            header=header,
            default_rows=tuple(rows),
            markup=markup,
            coauthor_emails=emails,
            affiliation_html=me.affiliation_html,
            xsrf=xsrf,
            citpid=me.citpid,
        )

    def _header(
        self, me: _Identity, rng: random.Random, papers: Sequence[_Paper], i: int
    ) -> ProfileHeader:
        cy = self.spec.current_year
        since = cy - 5
        per_pub, per_year = _distribute(rng, papers, me.career_start, cy)
        recent = [sum(c for y, c in pub.items() if y >= since) for pub in per_pub]
        totals = [p.citations for p in papers]
        years = sorted(y for y, c in per_year.items() if c > 0)
        cites_per_year: dict[int, int] = {}
        if years:
            cites_per_year = {y: per_year.get(y, 0) for y in range(years[0], cy + 1)}
        return ProfileHeader(
            scholar_id=me.scholar_id,
            name=me.name,
            affiliation=me.affiliation_text,
            email_domain=me.email_domain,
            homepage=me.homepage,
            interests=me.interests,
            photo_url=(
                "https://scholar.googleusercontent.com/citations?view_op=view_photo"
                f"&user={me.scholar_id}&citpid={me.citpid}"
            ),
            citations_all=sum(totals),
            citations_since=sum(recent),
            h_index_all=_h_index(totals),
            h_index_since=_h_index(recent),
            i10_all=sum(1 for c in totals if c >= 10),
            i10_since=sum(1 for c in recent if c >= 10),
            since_year=since,
            cites_per_year=cites_per_year,
        )

    def _coauthors(
        self, me: _Identity, rng: random.Random, i: int
    ) -> tuple[tuple[Coauthor, ...], tuple[str, ...]]:
        n_prof = len(self.ids)
        # the first profile lists the sidebar's maximum, so every corpus shows it
        wanted = 20 if i == 0 else rng.choice((0, 0, 3, 7, 12, 20))
        corpus_idx: list[int] = [j for j in (i - 1, i + 1) if 0 <= j < n_prof]
        if n_prof > 3 and wanted >= 7:  # a couple of non-neighbour corpus profiles
            for _ in range(2):
                j = rng.randrange(n_prof)
                if j != i and j not in corpus_idx:
                    corpus_idx.append(j)
        out: list[Coauthor] = []
        emails: list[str] = []
        for j in corpus_idx[:wanted]:
            other = self._identity(j)
            out.append(Coauthor(other.scholar_id, other.name, other.affiliation_text))
            emails.append(f"Verified email at {other.email_domain}")
        taken = {c.scholar_id for c in out} | {me.scholar_id}
        while len(out) < wanted:
            sid = "".join(rng.choice(_ID_ALPHABET) for _ in range(7)) + "AAAAJ"
            if sid in taken or sid in self._index:
                continue
            taken.add(sid)
            given, _middle, surname = _random_name_parts(rng)
            role = rng.choice(_ROLES)
            org, domain, _ = rng.choice(_ORGS)
            aff = rng.choice((f"{role}, {org}", org, role))
            out.append(Coauthor(sid, f"{given} {surname}", aff))
            emails.append(f"Verified email at {domain}" if rng.random() < 0.7 else "")
        return tuple(out[:20]), tuple(emails[:20])


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=4096)
def _identity(seed: int, i: int, scholar_id: str, current_year: int) -> _Identity:
    rng = random.Random(f"{seed}:identity:{i}")
    given, middle, surname = _random_name_parts(rng)
    style = rng.random()
    if style < 0.08:
        name = f"{given} {surname} ({rng.choice(_HAN_NAMES)})"
    elif style < 0.15:
        name = f"{given} {surname}".upper()
    elif middle and style < 0.4:
        name = f"{given} {middle}. {surname}"
    else:
        name = f"{given} {surname}"
    role = rng.choice(_ROLES)
    org, domain, linked = rng.choice(_ORGS)
    form = rng.random()
    if form < 0.6:
        text = f"{role}, {org}"
        org_html = (
            f'<a href="/citations?view_op=view_org&hl=en&org={rng.randrange(10**18, 10**19)}"'
            f' class="gsc_prf_ila">{escape_html(org)}</a>'
            if linked
            else escape_html(org)
        )
        html = f"{escape_html(role)}, {org_html}"
    elif form < 0.85:
        text = org
        html = (
            f'<a href="/citations?view_op=view_org&hl=en&org={rng.randrange(10**18, 10**19)}"'
            f' class="gsc_prf_ila">{escape_html(org)}</a>'
            if linked
            else escape_html(org)
        )
    else:
        text = role
        html = escape_html(role)
    homepage = None
    if rng.random() < 0.5:
        homepage = rng.choice(
            (
                f"https://{domain}/~{_ascii_slug(surname)}",
                f"https://sites.google.com/view/{_ascii_slug(given)}{_ascii_slug(surname)}",
            )
        )
    k = rng.randint(1, 5)
    interests = tuple(rng.sample(_INTERESTS, k))
    return _Identity(
        index=i,
        scholar_id=scholar_id,
        name=name,
        short=_short_name(given, middle, surname),
        affiliation_text=text,
        affiliation_html=html,
        email_domain=domain,
        homepage=homepage,
        interests=interests,
        citpid=rng.randint(1, 70),
        career_start=rng.randint(current_year - 23, current_year - 5),
    )


def _random_name_parts(rng: random.Random) -> tuple[str, str | None, str]:
    given = rng.choice(_GIVEN)
    middle = rng.choice(_MIDDLE) if rng.random() < 0.35 else None
    return given, middle, rng.choice(_SURNAME)


def _random_short(rng: random.Random) -> str:
    given, middle, surname = _random_name_parts(rng)
    return _short_name(given, middle, surname)


def _cluster_id(rng: random.Random) -> str:
    return str(rng.randrange(10**17, 2**64))


def _ascii_title(rng: random.Random) -> str:
    lead = rng.choice(_LEADS)
    adj = rng.choice(_ADJ)
    noun = rng.choice(_NOUN)
    prep = rng.choice(_PREP)
    adj2 = rng.choice(_ADJ)
    while adj2 == adj:
        adj2 = rng.choice(_ADJ)
    noun2 = rng.choice(_NOUN)
    while noun2 == noun:
        noun2 = rng.choice(_NOUN)
    tail = rng.choice(_TAILS)
    core = f"{adj} {noun} {prep} {adj2} {noun2}{tail}"
    title = f"{lead} {core}" if lead else core
    return title[0].upper() + title[1:]


def _special_title(rng: random.Random, kind: str) -> tuple[str, str]:
    """(text, escaped html) for the title variants that exercise a parser."""
    if kind == "italic":
        sp, noun, adj = rng.choice(_SPECIES), rng.choice(_NOUN), rng.choice(_ADJ)
        text = f"Effects of {sp} on {noun}: {adj} evidence"
        esc = escape_html
        html = f"Effects of <i>{esc(sp)}</i> on {esc(noun)}: {esc(adj)} evidence"
        return text, html
    if kind == "specials":
        a, b = rng.choice(_NOUN), rng.choice(_NOUN)
        text = rng.choice(
            (
                f'Q&A over "{a}" & {b}: when p < 0.05 isn\'t enough',
                f'<{a}> vs. <{b}>: the "{rng.choice(_ADJ)}" case & beyond',
                f"R&D in {a}: {b} > baseline?",
            )
        )
        return text, escape_html(text)
    if kind == "latin":
        text = rng.choice(
            (
                f"{rng.choice(_FR)} {rng.choice(_FR_OBJ)} {rng.choice(_FR_TAIL)}",
                f"{rng.choice(_DE)} {rng.choice(_DE_OBJ)} ({rng.choice(_ADJ)})",
                f"{rng.choice(_ES)} {rng.choice(_ES_OBJ)} {rng.choice(_ES_TAIL)}",
                f"Naïve {rng.choice(_NOUN)} and the café {rng.choice(_NOUN)} rôle",
            )
        )
    elif kind == "chinese":
        text = rng.choice(_ZH_A) + rng.choice(_ZH_B) + rng.choice(_ZH_C)
    elif kind == "arabic_lrm":
        # a left-to-right mark keeps the Latin acronym after the Arabic run in place
        text = (
            f"{rng.choice(_AR_A)} {rng.choice(_AR_B)} {rng.choice(_AR_C)}"
            f" \u200e(BERT-{rng.randint(2, 99)})"
        )
    elif kind == "arabic":
        text = f"{rng.choice(_AR_A)} {rng.choice(_AR_B)} {rng.choice(_AR_C)}"
    elif kind == "cyrillic":
        text = f"{rng.choice(_RU_A)} {rng.choice(_RU_B)} {rng.choice(_RU_C)}"
    elif kind == "greek":
        sym, noun, adj = rng.choice(_GREEK), rng.choice(_NOUN), rng.choice(_ADJ)
        text = f"The effect of {sym} on {noun} in {adj} models"
    else:
        text = _ascii_title(rng)
    return text, escape_html(text)


def _venue(rng: random.Random, year: int | None, long: bool = False) -> str:
    r = rng.random()
    if long:
        conf = rng.choice(_LONG_CONFERENCES)
        vol = rng.randint(1, 30)
        nth = _ordinal(rng.randint(1, 40))
        text = f"Proceedings of the {nth} {conf} {vol}, {rng.randint(1, 900)}"
    elif r < 0.5:
        vol, issue = rng.randint(1, 180), rng.randint(1, 12)
        p1 = rng.randint(1, 2000)
        if rng.random() < 0.8:
            pages = f"{p1}-{p1 + rng.randint(3, 25)}"
        else:
            pages = f"e{rng.randint(1000, 9999)}"
        prefix = rng.choice(_JOURNAL_PREFIX)
        fieldname = rng.choice(_JOURNAL_FIELDS)
        text = f"{prefix} {fieldname} {vol} ({issue}), {pages}"
    elif r < 0.75:
        p1 = rng.randint(1, 3000)
        text = f"Proceedings of the {rng.choice(_CONFERENCES)} {year or ''}".rstrip()
        text += f", {p1}-{p1 + rng.randint(4, 12)}"
    elif r < 0.87:
        yy = (year or 2020) % 100
        text = f"arXiv preprint arXiv:{yy:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"
    elif r < 0.94:
        text = rng.choice(_ORGS)[0]  # a thesis: Scholar shows the institution
    else:
        text = rng.choice(_PUBLISHERS)
    if len(text) > 75 or long:
        cut = text[:72].rsplit(" ", 1)[0]
        text = f"{cut}\u00a0…"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _citations(rng: random.Random, year: int | None, cy: int, scale: float) -> int:
    age = cy - (year if year is not None else cy - 8)
    base = rng.paretovariate(1.25) - 1.0
    return int(base * scale * min(max(age, 0) + 0.5, 12) / 3)


def _own_papers(rng: random.Random, me: _Identity, n: int, cy: int, scale: float) -> list[_Paper]:
    if n <= 0:
        return []
    forced_kinds = [
        "latin",
        "chinese",
        "arabic_lrm",
        "arabic",
        "cyrillic",
        "greek",
        "specials",
        "italic",
        "no_year_venue",
        "no_year_no_venue",
        "no_venue",
        "zero_cites",
        "merged_acm",
        "merged_star",
        "long_authors",
        "long_venue",
        "zero_cites",
        "no_year_zero",
    ]
    slots = list(range(n))
    rng.shuffle(slots)
    forced: dict[int, str] = {}
    if n >= 30:
        forced = {slots[j]: kind for j, kind in enumerate(forced_kinds)}
    out: list[_Paper] = []
    titles: set[str] = set()
    for idx in range(n):
        kind = forced.get(idx)
        if kind is None:
            r = rng.random()
            kind = (
                "latin"
                if r < 0.03
                else "chinese"
                if r < 0.045
                else "cyrillic"
                if r < 0.055
                else "arabic"
                if r < 0.06
                else "greek"
                if r < 0.07
                else "specials"
                if r < 0.08
                else "italic"
                if r < 0.09
                else "no_year_venue"
                if r < 0.11
                else "no_year_no_venue"
                if r < 0.12
                else "no_venue"
                if r < 0.13
                else "merged_acm"
                if r < 0.145
                else "merged_star"
                if r < 0.16
                else "long_authors"
                if r < 0.22
                else "long_venue"
                if r < 0.27
                else "plain"
            )
        out.append(_own_paper(rng, me, cy, scale, kind, titles))
    return out


def _own_paper(
    rng: random.Random, me: _Identity, cy: int, scale: float, kind: str, titles: set[str]
) -> _Paper:
    title_kind = (
        kind
        if kind
        in ("latin", "chinese", "arabic_lrm", "arabic", "cyrillic", "greek", "specials", "italic")
        else "plain"
    )
    for _ in range(20):
        title, title_html = _special_title(rng, title_kind)
        if title not in titles:
            break
        title_kind = "plain"  # small pools: fall back to the large ASCII space
    titles.add(title)

    year: int | None = rng.randint(me.career_start, cy)
    if kind in ("no_year_venue", "no_year_no_venue", "no_year_zero"):
        year = None

    if kind == "long_authors":
        n_auth = rng.randint(8, 14)
    else:
        n_auth = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6))
    names = [_random_short(rng) for _ in range(n_auth - 1)]
    names.insert(rng.randint(0, min(2, len(names))), me.short)
    # Scholar lists six authors, then ", ..."
    authors = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")

    venue: str | None
    if kind in ("no_venue", "no_year_no_venue"):
        venue = None
    else:
        venue = _venue(rng, year, long=(kind == "long_venue"))

    cites = _citations(rng, year, cy, scale)
    if kind in ("zero_cites", "no_year_zero") or (kind == "plain" and rng.random() < 0.1):
        cites = 0
    merge_style: str | None = None
    clusters: tuple[str, ...] = ()
    if kind in ("merged_acm", "merged_star"):
        cites = max(cites, 2)
        merge_style = "acm" if kind == "merged_acm" else "star"
        clusters = tuple(_cluster_id(rng) for _ in range(rng.choice((2, 2, 3))))
    elif cites > 0:
        clusters = (_cluster_id(rng),)
    return _Paper(
        title=title,
        title_html=title_html,
        authors=authors,
        venue=venue,
        year=year,
        citations=cites,
        cluster_ids=clusters,
        merge_style=merge_style,
    )


@lru_cache(maxsize=512)
def _weights(n_years: int, decay_idx: int) -> tuple[float, ...]:
    """Normalised share of a paper's citations in each year since publication."""
    decay = (3.0, 5.0, 8.0, 12.0)[decay_idx]
    raw = [(a + 1) ** 1.3 * math.exp(-a / decay) for a in range(n_years)]
    raw[-1] *= 0.12  # the current year has only just begun
    total = sum(raw)
    return tuple(w / total for w in raw)


def _distribute(
    rng: random.Random, papers: Sequence[_Paper], career_start: int, cy: int
) -> tuple[list[dict[int, int]], dict[int, int]]:
    """Split each paper's citations over the years since publication.

    Returns per-paper {year: citations} and the per-year totals. One or two
    years inside the chart's span are emptied (their citations move to the
    next year) so that the chart has years without a bar.
    """
    per_pub: list[dict[int, int]] = []
    for p in papers:
        dist: dict[int, int] = {}
        c = p.citations
        if c > 0:
            start = min(p.year if p.year is not None else career_start, cy)
            n_years = cy - start + 1
            w = _weights(n_years, rng.randrange(4))
            shares = [int(c * x) for x in w]
            rest = c - sum(shares)
            peak = max(range(n_years), key=lambda a: w[a])
            shares[peak] += rest
            dist = {start + a: s for a, s in enumerate(shares) if s}
        per_pub.append(dist)

    def totals() -> dict[int, int]:
        t: dict[int, int] = {}
        for d in per_pub:
            for y, s in d.items():
                t[y] = t.get(y, 0) + s
        return t

    per_year = totals()
    years = sorted(y for y, c in per_year.items() if c > 0)
    if years and cy - years[0] >= 5:
        candidates = [y for y in range(years[0] + 1, cy - 1) if per_year.get(y, 0) > 0]
        n_gaps = min(len(candidates), rng.choice((1, 2)))
        gaps: list[int] = []
        for g in rng.sample(candidates, n_gaps):
            if all(abs(g - h) > 1 for h in gaps):
                gaps.append(g)
        for g in gaps:
            for d in per_pub:
                moved = d.pop(g, 0)
                if moved:
                    d[g + 1] = d.get(g + 1, 0) + moved
        per_year = totals()
    return per_pub, per_year


def _h_index(cites: Iterable[int]) -> int:
    h = 0
    for rank, c in enumerate(sorted(cites, reverse=True), start=1):
        if c >= rank:
            h = rank
        else:
            break
    return h


# --------------------------------------------------------------------------- rendering


def render_profile_page(
    profile: GeneratedProfile,
    cstart: int = 0,
    pagesize: int = DEFAULT_PAGESIZE,
    sortby: str | None = None,
) -> str:
    """The profile page as Scholar serves it in 2026 (see :mod:`.templates`)."""
    from scholarcrawl.replay.templates import render_profile_html

    return render_profile_html(profile, cstart, pagesize, sortby)


# --------------------------------------------------------------------------- demo

#: The corpus ``make demo`` serves: one large profile (three pages at pagesize=100)
#: and two smaller ones, neighbours sharing two papers each.
DEMO_SPEC = CorpusSpec(seed=2026, sizes=(250, 60, 35), shared_per_pair=2)
DEMO_IDS: tuple[str, ...] = tuple(profile_ids(DEMO_SPEC))
