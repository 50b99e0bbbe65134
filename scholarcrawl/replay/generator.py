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

Detail pages and full co-author lists (issue 8):

* every paper has its full author list, names as a detail page writes them ("Jason B
  Ernst"); its row's author line is that list as Scholar writes it, initials and surname
  ("JB Ernst"), cut after six names with ``", ..."``. About 20 % of rows are cut: the
  authors a row hides are drawn from a ``random.Random`` of their own, so making a list
  longer changed those rows' author lines and nothing else of the corpus;
* :meth:`GeneratedProfile.detail` is the ground truth of a row's detail page
  (:class:`~scholarcrawl.scholar.model.PublicationDetail`): publication date
  ("2018/9/16", "2018/9" or "2018"), one of journal / conference / book / source (or a
  publisher alone, for a book; nothing for a row without venue) with volume, issue, pages
  and publisher as the row's venue line was written from them, a description, "Cited by"
  equal to the row's citations with the row's cluster ids, citations per year (some
  years without a bar, sometimes fewer than the total), the title's link and sometimes a
  [PDF] or [HTML] link; drawn from the paper alone, so a shared paper has one detail;
* :attr:`GeneratedProfile.all_coauthors`: the sidebar's (at most 20) co-authors and, for
  profile 0 and about half the profiles with a full sidebar, up to 45 more; co-authors
  that are corpus profiles carry their real ids, names and affiliations.

Nothing here depends on the clock: ``current_year`` is part of the spec.
"""

from __future__ import annotations

import math
import random
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from scholarcrawl.scholar.model import (
    Coauthor,
    ProfileHeader,
    ProfilePage,
    PublicationDetail,
    PublicationRow,
)

__all__ = [
    "AUTHORS_SHOWN",
    "CURRENT_YEAR",
    "DEFAULT_PAGESIZE",
    "DEMO_IDS",
    "DEMO_SPEC",
    "LONGER_LIST_SHARE",
    "MAX_PAGESIZE",
    "MAX_SIDEBAR_COAUTHORS",
    "SORT_ORDERS",
    "ArticleVersion",
    "Corpus",
    "CorpusSpec",
    "DetailMarkup",
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
MAX_SIDEBAR_COAUTHORS = 20  # the profile page lists at most 20 co-authors
AUTHORS_SHOWN = 6  # a profile row lists six authors, then ", ..."
LONGER_LIST_SHARE = 0.18  # lists of <= 6 names that have more authors (rows cut: ~23 %)
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
# detail pages: who publishes a journal / proceedings, and where its title links to
_JOURNAL_PUBLISHER = {"IEEE Transactions on": "IEEE", "ACM Transactions on": "ACM",
                      "Frontiers in": "Frontiers Media SA"}
_OTHER_JOURNAL_PUBLISHERS = ("Elsevier", "Springer", "Wiley", "Taylor & Francis", "MDPI",
                             "SAGE Publications")
_PROCEEDINGS_PUBLISHERS = ("ACM", "IEEE", "Springer", "Association for Computational Linguistics")
# host label of the [PDF]/[HTML] link beside a title: (label, PDF URL form, HTML URL form)
_FULLTEXT_HOSTS = (
    ("researchgate.net", "https://www.researchgate.net/profile/{person}/publication/{n}.pdf",
     "https://www.researchgate.net/publication/{n}_{slug}"),
    ("academia.edu", "https://www.academia.edu/download/{n}/{slug}.pdf",
     "https://www.academia.edu/{n}/{slug}"),
    ("nih.gov", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC{n}/pdf/{slug}.pdf",
     "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC{n}/"),
    ("semanticscholar.org", "https://pdfs.semanticscholar.org/{hex}/{hex2}.pdf",
     "https://www.semanticscholar.org/paper/{slug}/{hex}"),
    ("mdpi.com", "https://www.mdpi.com/{n}/pdf", "https://www.mdpi.com/{n}/htm"),
    ("ieee.org", "https://ieeexplore.ieee.org/iel7/{n}/{m}/0{n7}.pdf",
     "https://ieeexplore.ieee.org/document/{n7}/"),
)
_DESCRIPTION_OPENERS = (
    "We study {topic}.", "This paper addresses {topic}.", "We revisit {topic}.",
    "{Topic} remains an open problem.", "This work investigates {topic}.",
)
_DESCRIPTION_BODY = (
    "We propose a {adj} approach to {noun} that needs no labelled data.",
    "Experiments on {k} public datasets show gains of up to {p}% over strong baselines.",
    "Unlike prior work, the method makes no assumption about {noun}.",
    "A theoretical analysis explains when the approach is expected to fail.",
    "Results hold across {k} settings & conditions (p < 0.05).",
    "We also release a {adj} benchmark for {noun}.",
    "The evaluation covers {k} settings and {m} metrics.",
    "Compared with {adj} baselines, the cost of {noun} drops by {p}%.",
    "Field data from {m} sites confirm the simulations.",
)
_DESCRIPTION_CLOSERS = (
    "We discuss limitations and directions for future work.",
    "Code and data are publicly available.",
    "The findings have implications for the design of {adj} systems.",
    "",
)
# fmt: on


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class _Identity:
    """Who a corpus profile is: cheap to compute, needed by neighbours too."""

    index: int
    scholar_id: str
    name: str
    short: str  # as in author lines: "K Srinivasan"
    full: str  # as a detail page's author list writes it: "Kalpana B Srinivasan"
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


def _full_name(given: str, middle: str | None, surname: str) -> str:
    """A name as a detail page lists it ("Jason B Ernst"); its :func:`_short_name` is the
    profile row's form ("JB Ernst")."""
    return f"{given} {middle} {surname}" if middle else f"{given} {surname}"


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
class _VenueFacts:
    """What a venue line was written from: the detail page's fields behind it.

    ``kind``: ``journal`` (name, volume, issue, pages), ``proceedings`` (name = "Proceedings
    of the ...", pages; ``volume`` for the long names Scholar cuts), ``arxiv`` (name =
    "arXiv preprint arXiv:NNNN.NNNNN"), ``thesis`` (name = the institution) or
    ``publisher`` (a book: name = the publisher).
    """

    kind: str
    name: str
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None


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
    full_authors: tuple[str, ...] = ()  # the complete list, as a detail page writes it
    venue_facts: _VenueFacts | None = None


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
    # every co-author (the sidebar, ``header.coauthors``, shows the first 20) and their lines
    all_coauthors: tuple[Coauthor, ...] = ()
    all_coauthor_emails: tuple[str, ...] = ()
    seed: int = 0
    current_year: int = CURRENT_YEAR
    _papers: dict[str, _Paper] = field(default_factory=dict, repr=False)  # by scholar_pub_key
    _details: dict[str, tuple[PublicationDetail, DetailMarkup]] = field(
        default_factory=dict, init=False, repr=False
    )
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

    @property
    def colleagues(self) -> tuple[Coauthor, ...]:
        """Ground truth of the full co-author list page: every co-author, in the sidebar's
        order, with the e-mail domain of its "Verified email at ..." line (None without)."""
        return tuple(
            replace(co, email_domain=email.rsplit(" ", 1)[-1] if email else None)
            for co, email in zip(self.all_coauthors, self.all_coauthor_emails, strict=True)
        )

    @property
    def more_coauthors(self) -> bool:
        """Whether the profile has more co-authors than its sidebar shows ("View all")."""
        return len(self.all_coauthors) > len(self.header.coauthors)

    def detail(self, key: str) -> PublicationDetail | None:
        """Ground truth of the detail page of row ``key`` (``USER:KEY``), None for another key.

        What a correct parser must read off :func:`~.templates.render_detail_html`'s page. A
        paper shared by two profiles has the same detail in both, except ``scholar_pub_key``
        (each page names its own key). Generated on first use from the paper alone, then kept.
        """
        found = self._detail(key)
        return None if found is None else found[0]

    def detail_markup(self, key: str) -> DetailMarkup | None:
        """How the detail page of ``key`` is written beyond its ground truth."""
        found = self._detail(key)
        return None if found is None else found[1]

    def _detail(self, key: str) -> tuple[PublicationDetail, DetailMarkup] | None:
        paper = self._papers.get(key)
        if paper is None:
            return None
        with self._lock:
            cached = self._details.get(key)
        if cached is None:
            detail, markup = _paper_detail(self.seed, self.current_year, paper)
            cached = (replace(detail, scholar_pub_key=key), markup)
            with self._lock:
                cached = self._details.setdefault(key, cached)
        return cached

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
        names = [(a.short, a.full), (b.short, b.full)]
        rng.shuffle(names)
        others = [_random_person(rng) for _ in range(rng.randint(0, 3))]
        half = len(others) // 2
        people = names[:1] + others[:half] + names[1:] + others[half:]
        authors, full_authors = _author_list(
            people, random.Random(f"{self.spec.seed}:pair-authors:{k}:{j}")
        )
        venue, facts = _venue(rng, year)
        cites = _citations(rng, year, self.spec.current_year, 8.0)
        return _Paper(
            title=title,
            title_html=escape_html(title),
            authors=authors,
            venue=venue,
            year=year,
            citations=max(1, cites),
            cluster_ids=(_cluster_id(rng),),
            full_authors=full_authors,
            venue_facts=facts,
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
        more = random.Random(f"{spec.seed}:authors:{i}")
        papers += _own_papers(rng, more, me, own_n, spec.current_year, scale)

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
        by_key: dict[str, _Paper] = {}
        for pos, k in enumerate(ordered, start=1):
            p = papers[k]
            key = f"{me.scholar_id}:{keys[order[k]]}"
            by_key[key] = p
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
        all_coauthors, all_emails = self._more_coauthors(i, coauthors, emails)
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
            all_coauthors=all_coauthors,
            all_coauthor_emails=all_emails,
            seed=spec.seed,
            current_year=spec.current_year,
            _papers=by_key,
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

    def _more_coauthors(
        self, i: int, shown: tuple[Coauthor, ...], emails: tuple[str, ...]
    ) -> tuple[tuple[Coauthor, ...], tuple[str, ...]]:
        """Every co-author of profile ``i``: the sidebar's 20 and, for some, more after them.

        Profile 0 and about half the profiles whose sidebar is full have 1-45 more, drawn
        from their own ``random.Random`` (the sidebar's draws stay as they were). Up to three
        of the extra co-authors are other corpus profiles under their real ids, so following
        a full list reaches further into the corpus; the rest are ids outside the corpus.
        """
        if len(shown) < MAX_SIDEBAR_COAUTHORS:
            return shown, emails
        rng = random.Random(f"{self.spec.seed}:coauthors-more:{i}")
        if i != 0 and rng.random() >= 0.5:
            return shown, emails
        n_more = rng.randint(1, 45)
        taken = {c.scholar_id for c in shown} | {self.ids[i]}
        extra: list[tuple[Coauthor, str]] = []
        n_prof = len(self.ids)
        for _ in range(3):
            j = rng.randrange(n_prof) if n_prof else 0
            if n_prof and self.ids[j] not in taken:
                other = self._identity(j)
                taken.add(other.scholar_id)
                coauthor = Coauthor(other.scholar_id, other.name, other.affiliation_text)
                extra.append((coauthor, f"Verified email at {other.email_domain}"))
        while len(extra) < n_more:
            sid = "".join(rng.choice(_ID_ALPHABET) for _ in range(7)) + "AAAAJ"
            if sid in taken or sid in self._index:
                continue
            taken.add(sid)
            given, middle, surname = _random_name_parts(rng)
            name = (
                _full_name(given, middle, surname) if rng.random() < 0.3 else f"{given} {surname}"
            )
            role = rng.choice(_ROLES)
            org, domain, _ = rng.choice(_ORGS)
            affiliation = rng.choice((f"{role}, {org}", org, role, None))
            email = f"Verified email at {domain}" if rng.random() < 0.7 else ""
            extra.append((Coauthor(sid, name, affiliation), email))
        rng.shuffle(extra)
        return (
            shown + tuple(c for c, _ in extra),
            emails + tuple(e for _, e in extra),
        )


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
        full=_full_name(given, middle, surname),
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


def _random_person(rng: random.Random) -> tuple[str, str]:
    """(short, full) forms of a random author's name (one draw of :func:`_random_name_parts`)."""
    given, middle, surname = _random_name_parts(rng)
    return _short_name(given, middle, surname), _full_name(given, middle, surname)


def _author_list(
    people: Sequence[tuple[str, str]], more: random.Random
) -> tuple[str, tuple[str, ...]]:
    """A row's author line and the paper's full author list, from (short, full) names.

    Scholar's row lists the first :data:`AUTHORS_SHOWN` authors, then ``", ..."``. A list of
    at most six names gets, with probability :data:`LONGER_LIST_SHARE`, more authors after
    them, drawn from ``more`` (never from the paper's own draws, so nothing else about the
    paper changes): a fair share of rows is cut, as on real profiles.
    """
    names = list(people)
    if len(names) <= AUTHORS_SHOWN and more.random() < LONGER_LIST_SHARE:
        low = AUTHORS_SHOWN + 1 - len(names)
        names += [_random_person(more) for _ in range(more.randint(low, low + 11))]
    shorts = [short for short, _ in names]
    line = ", ".join(shorts[:AUTHORS_SHOWN]) + (", ..." if len(shorts) > AUTHORS_SHOWN else "")
    return line, tuple(full for _, full in names)


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


def _venue(rng: random.Random, year: int | None, long: bool = False) -> tuple[str, _VenueFacts]:
    """A venue line as a profile row shows it, and the facts it was written from."""
    r = rng.random()
    facts: _VenueFacts
    if long:
        conf = rng.choice(_LONG_CONFERENCES)
        vol = rng.randint(1, 30)
        nth = _ordinal(rng.randint(1, 40))
        page = rng.randint(1, 900)
        text = f"Proceedings of the {nth} {conf} {vol}, {page}"
        facts = _VenueFacts(
            "proceedings", f"Proceedings of the {nth} {conf}", str(vol), None, str(page)
        )
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
        facts = _VenueFacts("journal", f"{prefix} {fieldname}", str(vol), str(issue), pages)
    elif r < 0.75:
        p1 = rng.randint(1, 3000)
        name = f"Proceedings of the {rng.choice(_CONFERENCES)} {year or ''}".rstrip()
        pages = f"{p1}-{p1 + rng.randint(4, 12)}"
        text = f"{name}, {pages}"
        facts = _VenueFacts("proceedings", name, pages=pages)
    elif r < 0.87:
        yy = (year or 2020) % 100
        text = f"arXiv preprint arXiv:{yy:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"
        facts = _VenueFacts("arxiv", text)
    elif r < 0.94:
        text = rng.choice(_ORGS)[0]  # a thesis: Scholar shows the institution
        facts = _VenueFacts("thesis", text)
    else:
        text = rng.choice(_PUBLISHERS)
        facts = _VenueFacts("publisher", text)
    if len(text) > 75 or long:
        cut = text[:72].rsplit(" ", 1)[0]
        text = f"{cut}\u00a0…"
    return text, facts


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _citations(rng: random.Random, year: int | None, cy: int, scale: float) -> int:
    age = cy - (year if year is not None else cy - 8)
    base = rng.paretovariate(1.25) - 1.0
    return int(base * scale * min(max(age, 0) + 0.5, 12) / 3)


def _own_papers(
    rng: random.Random, more: random.Random, me: _Identity, n: int, cy: int, scale: float
) -> list[_Paper]:
    """A profile's own papers, from its ``rng``; ``more`` draws the authors a row hides."""
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
        out.append(_own_paper(rng, more, me, cy, scale, kind, titles))
    return out


def _own_paper(
    rng: random.Random,
    more: random.Random,
    me: _Identity,
    cy: int,
    scale: float,
    kind: str,
    titles: set[str],
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
    people = [_random_person(rng) for _ in range(n_auth - 1)]
    people.insert(rng.randint(0, min(2, len(people))), (me.short, me.full))
    authors, full_authors = _author_list(people, more)

    venue: str | None = None
    facts: _VenueFacts | None = None
    if kind not in ("no_venue", "no_year_no_venue"):
        venue, facts = _venue(rng, year, long=(kind == "long_venue"))

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
        full_authors=full_authors,
        venue_facts=facts,
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


# --------------------------------------------------------------------------- detail pages


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One "Scholar articles" entry of a detail page: a Scholar cluster behind the article.

    ``citations`` is that cluster's own "Cited by" count (a merged article's clusters add up
    to its total), ``versions`` its "All N versions" count and ``related`` the opaque token of
    its "Related articles" link.
    """

    cluster_id: str
    citations: int
    versions: int
    related: str


@dataclass(frozen=True, slots=True)
class DetailMarkup:
    """How a detail page is written beyond its ground truth (:class:`PublicationDetail`).

    ``title_html`` is escaped (it may hold ``<i>``); ``fulltext_host`` is the "from x.org"
    of the [PDF]/[HTML] link; ``authors_short`` every author in the row's form, for the
    meta description and the "Scholar articles" lines; ``source_line`` what follows the
    authors there ("IEEE access, 2018"); ``click_token`` the ``ei=`` of ``data-clk``.
    """

    title_html: str
    fulltext_host: str | None
    authors_short: tuple[str, ...]
    source_line: str
    versions: tuple[ArticleVersion, ...]
    click_token: str


def _short_of(full: str) -> str:
    """The row form ("JB Ernst") of a detail page's name ("Jason B Ernst")."""
    words = full.split()
    if len(words) < 2:
        return full
    return words[0][0] + "".join(words[1:-1]) + " " + words[-1]


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(n))


def _slug(title: str) -> str:
    words = [_ascii_slug(w) for w in visible_text(title).split()]
    return "_".join(w for w in words if w != "x")[:60] or "article"


def _arxiv_id(facts: _VenueFacts) -> str:
    return facts.name.rsplit(":", 1)[-1]


def _title_url(
    rng: random.Random, facts: _VenueFacts | None, publisher: str | None, year: int | None
) -> str:
    """Where a detail page's title links: the publisher's page of the article, as Scholar has."""
    y = year or 2020
    if facts is not None and facts.kind == "arxiv":
        return f"https://arxiv.org/abs/{_arxiv_id(facts)}"
    if facts is not None and facts.kind == "thesis":
        domain = next((d for org, d, _ in _ORGS if org == facts.name), "example.edu")
        return f"https://{domain}/handle/{rng.randint(1, 99999)}/{rng.randint(1, 99999)}"
    if facts is not None and facts.kind == "publisher":
        return f"https://books.google.com/books?hl=en&lr=&id={_token(rng, 12)}"
    if publisher == "IEEE":
        return f"https://ieeexplore.ieee.org/abstract/document/{rng.randint(1000000, 9999999)}/"
    if publisher == "ACM":
        return (
            f"https://dl.acm.org/doi/abs/10.1145/{rng.randint(3000000, 3699999)}."
            f"{rng.randint(3000000, 3699999)}"
        )
    if publisher == "Springer":
        return (
            f"https://link.springer.com/article/10.1007/s{rng.randint(10000, 13999)}-0"
            f"{y % 100:02d}-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
        )
    if publisher == "Elsevier":
        return (
            f"https://www.sciencedirect.com/science/article/pii/S{rng.randint(10**15, 10**16 - 1)}"
        )
    if publisher == "Wiley":
        journal = _token(rng, 3).lower()
        return (
            f"https://onlinelibrary.wiley.com/doi/abs/10.1002/{journal}.{rng.randint(10000, 99999)}"
        )
    if publisher == "Taylor & Francis":
        return (
            f"https://www.tandfonline.com/doi/abs/10.1080/{rng.randint(10000000, 19999999)}"
            f".{y}.{rng.randint(1000000, 9999999)}"
        )
    if publisher == "MDPI":
        return (
            f"https://www.mdpi.com/{rng.randint(1000, 2999)}-{rng.randint(1000, 9999)}/"
            f"{rng.randint(1, 15)}/{rng.randint(1, 24)}/{rng.randint(1, 9999)}"
        )
    if publisher == "Frontiers Media SA":
        number = rng.randint(100000, 999999)
        return f"https://www.frontiersin.org/articles/10.3389/fcomp.{y}.{number}/full"
    if publisher == "Association for Computational Linguistics":
        return f"https://aclanthology.org/{y}.acl-long.{rng.randint(1, 900)}/"
    if publisher == "SAGE Publications":
        return f"https://journals.sagepub.com/doi/abs/10.1177/{rng.randint(1000000, 9999999)}"
    return f"https://www.researchgate.net/publication/{rng.randint(100000000, 399999999)}"


def _fulltext(
    rng: random.Random, facts: _VenueFacts | None, title: str, authors: tuple[str, ...]
) -> tuple[str, str, str] | None:
    """(url, kind, host label) of the [PDF]/[HTML] link beside the title, for some papers."""
    if facts is not None and facts.kind == "arxiv":
        if rng.random() < 0.85:
            return f"https://arxiv.org/pdf/{_arxiv_id(facts)}", "pdf", "arxiv.org"
        return None
    if rng.random() >= 0.3:
        return None
    host, pdf_form, html_form = rng.choice(_FULLTEXT_HOSTS)
    kind = "pdf" if rng.random() < 0.75 else "html"
    person = "_".join(authors[0].split()) if authors else "Anonymous"
    url = (pdf_form if kind == "pdf" else html_form).format(
        n=rng.randint(1000000, 9999999),
        m=rng.randint(1000000, 9999999),
        n7=rng.randint(1000000, 9999999),
        slug=_slug(title),
        person=_ascii_fold(person),
        hex=f"{rng.getrandbits(64):016x}",
        hex2=f"{rng.getrandbits(64):016x}",
    )
    return url, kind, host


def _ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.replace("'", "") or "x"


def _description(rng: random.Random, title: str) -> str:
    """A few sentences about the paper (some with ``&`` and ``<``, escaped on the page)."""
    topic = visible_text(title).split(":")[0].rstrip(" .?")
    if topic[:1].isupper() and topic[1:2].islower():
        topic = topic[0].lower() + topic[1:]
    values = {
        "topic": topic,
        "Topic": topic[:1].upper() + topic[1:],
        "adj": rng.choice(_ADJ),
        "noun": rng.choice(_NOUN),
        "k": rng.randint(2, 12),
        "m": rng.randint(2, 9),
        "p": rng.randint(3, 60),
    }
    sentences = [rng.choice(_DESCRIPTION_OPENERS)]
    sentences += rng.sample(_DESCRIPTION_BODY, rng.randint(1, 4))
    sentences.append(rng.choice(_DESCRIPTION_CLOSERS))
    return " ".join(s.format(**values) for s in sentences if s)


def _detail_years(rng: random.Random, citations: int, year: int | None, cy: int) -> dict[int, int]:
    """A paper's citations per year as its detail page charts them.

    The chart runs from the first year with citations to ``cy``; some years inside have
    none (no bar, 0 here), and for some papers a few citations have no year, so the bars
    add up to less than "Cited by N" (as on real pages: 481 of 485).
    """
    if citations <= 0:
        return {}
    start = min(year if year is not None else cy - rng.randint(2, 12), cy)
    n = cy - start + 1
    w = _weights(n, rng.randrange(4))
    shares = [int(citations * x) for x in w]
    peak = max(range(n), key=lambda a: w[a])
    shares[peak] += citations - sum(shares)
    if citations >= 20 and rng.random() < 0.3:
        shares[peak] -= min(shares[peak] - 1, rng.randint(1, max(1, citations // 40)))
    if n >= 4 and rng.random() < 0.35:
        gap = rng.randint(1, n - 2)
        shares[gap + 1] += shares[gap]
        shares[gap] = 0
    first = next(a for a, s in enumerate(shares) if s)
    return {start + a: shares[a] for a in range(first, n)}


def _versions(rng: random.Random, paper: _Paper) -> tuple[ArticleVersion, ...]:
    ids = paper.cluster_ids
    if not ids:
        return ()
    counts = [1] * len(ids)
    for _ in range(paper.citations - len(ids)):
        counts[0 if rng.random() < 0.7 else rng.randrange(len(ids))] += 1
    if paper.citations < len(ids):  # a merged row counts at least one citation per cluster
        counts = [paper.citations] + [0] * (len(ids) - 1)
    return tuple(
        ArticleVersion(cid, count, rng.randint(1, 15), _token(rng, 12))
        for cid, count in zip(ids, counts, strict=True)
    )


def _paper_detail(seed: int, cy: int, paper: _Paper) -> tuple[PublicationDetail, DetailMarkup]:
    """Ground truth and markup of ``paper``'s detail page, from its own ``random.Random``."""
    rng = random.Random(f"{seed}:detail:{paper.title}:{paper.year}:{paper.authors}")
    facts = paper.venue_facts
    journal = conference = book = source = volume = issue = pages = publisher = None
    if facts is not None:
        if facts.kind == "journal":
            journal, volume, issue, pages = facts.name, facts.volume, facts.issue, facts.pages
            prefix = next((p for p in _JOURNAL_PUBLISHER if facts.name.startswith(p + " ")), None)
            publisher = (
                _JOURNAL_PUBLISHER[prefix]
                if prefix is not None
                else rng.choice(_OTHER_JOURNAL_PUBLISHERS)
            )
        elif facts.kind == "proceedings":
            if rng.random() < 0.3:
                book = facts.name
            else:
                conference = facts.name
            volume, pages = facts.volume, facts.pages
            publisher = rng.choice(_PROCEEDINGS_PUBLISHERS)
        elif facts.kind == "arxiv":
            journal = facts.name
        elif facts.kind == "thesis":
            source = facts.name
        else:
            publisher = facts.name  # a book: its publisher is all the row shows
        if facts.kind in ("journal", "proceedings") and rng.random() < 0.1:
            publisher = None
    date: str | None = None
    if paper.year is not None:
        r = rng.random()
        if r < 0.55:
            date = f"{paper.year}/{rng.randint(1, 12)}/{rng.randint(1, 28)}"
        elif r < 0.75:
            date = f"{paper.year}/{rng.randint(1, 12)}"
        else:
            date = str(paper.year)
    title_url = _title_url(rng, facts, publisher, paper.year) if rng.random() < 0.9 else None
    fulltext = _fulltext(rng, facts, paper.title, paper.full_authors)
    description = _description(rng, paper.title) if rng.random() < 0.92 else None
    cites_per_year = _detail_years(rng, paper.citations, paper.year, cy)
    versions = _versions(rng, paper)
    venue_name = journal or conference or book or source or publisher
    source_line = ", ".join(x for x in (venue_name, str(paper.year or "")) if x)
    detail = PublicationDetail(
        title=visible_text(paper.title),
        title_url=title_url,
        authors=paper.full_authors,
        publication_date=date,
        year=paper.year,
        journal=journal,
        conference=conference,
        book=book,
        source=source,
        volume=volume,
        issue=issue,
        pages=pages,
        publisher=publisher,
        description=description,
        citations=paper.citations if paper.citations > 0 else None,
        cluster_id=paper.cluster_ids[0] if paper.citations > 0 and paper.cluster_ids else None,
        cites_per_year=cites_per_year,
        fulltext_url=fulltext[0] if fulltext else None,
        fulltext_kind=fulltext[1] if fulltext else None,
        cluster_ids=paper.cluster_ids,
    )
    markup = DetailMarkup(
        title_html=paper.title_html,
        fulltext_host=fulltext[2] if fulltext else None,
        authors_short=tuple(_short_of(name) for name in paper.full_authors),
        source_line=source_line,
        versions=versions,
        click_token=_token(rng, 22),
    )
    return detail, markup


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
