"""A labelled set of Scholar rows and API candidate lists, to measure the matcher (deterministic).

Each :class:`MatchCase` is one Scholar profile row (a :class:`~scholarcrawl.matching.Reference`
rendered the way Scholar writes it), the candidate list an API search would return for it (at
most five :class:`~scholarcrawl.matching.Candidate`, rendered the way Crossref's
``/works?query.bibliographic`` or the arXiv API describe works, in a plausible relevance order)
and the identifier a careful human would accept, or None when no candidate is the row's paper
or the row cannot tell which one is.

**Construction.** Every case draws from its own ``random.Random(f"{seed}:{category}:{index}")``,
so a case never changes when another category grows. A case starts from a *work* (a paper with
a canonical title, authors, year, venue and DOI/arXiv id) built from field vocabularies (machine
learning, biomedicine, physics/chemistry, economics/social science, earth/environment; German,
French, Spanish, Portuguese, Italian, Polish, Turkish and Chinese titles), surnames from many
cultures (Dutch/German particles, Spanish compound names, diacritics, Chinese, Korean, Arabic,
Turkish…) and real journals with their ISO-4 abbreviations and DOI patterns. The row is the
work as Scholar shows it (initials then surname, long lists cut with "…", venue with volume,
issue and pages, full or abbreviated, case changes); candidates are the work as Crossref shows
it (family names, container title and short title, HTML in titles, sometimes no authors) or as
arXiv shows it (full names, no venue). Distractors are other works made the same way: the same
author's sibling papers (one title slot changed), other authors' papers on the same topic,
longer titles that contain the row's title, and whatever the category calls for.

**Labels** come from construction, never from the matcher: the expected identifier is the
work the row was rendered from when it is among the candidates; None when it is absent, when
the row's title is a generic one ("Introduction", "Editorial": nothing identifies a paper), or
when the row cannot tell two versions apart (same title, authors and year, no venue).

**Categories** (:data:`CATEGORIES`) each have many cases; :func:`dev_test_split` cuts the set
in two by a hash of the case id (stable when the set grows). Thresholds are chosen on the dev
half only (:func:`grid_search`); the test half is reported (docs/matching.md, bench/README.md).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from scholarcrawl.matching import Candidate, MatchPolicy, Reference, match

# name -> (weight in the default set, what it tests)
CATEGORIES: dict[str, tuple[int, str]] = {
    "exact": (30, "the row and the right record agree; distractors around it"),
    "truncated_authors": (24, "Scholar cut a long author list with an ellipsis"),
    "abbreviated_venue": (24, "Scholar gives the ISO-4 abbreviation, Crossref the full title"),
    "missing_year": (24, "Scholar shows no year"),
    "year_off_by_one": (24, "online-first vs print year"),
    "preprint_to_journal": (24, "arXiv row, Crossref has the journal version"),
    "journal_to_arxiv": (24, "journal or conference row, the arXiv API has the preprint"),
    "errata": (26, "erratum, correction, retraction notices and comments among the candidates"),
    "book_chapter": (22, "a chapter: book title as venue; the book and other chapters around"),
    "other_authors": (26, "near-identical titles by other authors, the right one maybe absent"),
    "same_title_other_year": (26, "conference/journal versions and yearly series"),
    "negation": (24, "a title and its negation (not, no, without, un-, non-)"),
    "number": (26, "Part I/II, version numbers, years, phases in titles"),
    "subtitle": (22, "Scholar dropped the subtitle (or Crossref stores it apart)"),
    "non_english": (22, "titles in other languages, diacritics kept or stripped"),
    "typo": (22, "a typo in Scholar's title (forweb, a dropped letter, spelling)"),
    "generic_title": (16, "Introduction, Editorial, Preface…: never identifiable"),
    "no_right_candidate": (24, "the paper is not among plausible distractors"),
}
DEFAULT_SIZE = sum(weight for weight, _ in CATEGORIES.values())


@dataclass(frozen=True, slots=True)
class MatchCase:
    """One labelled row: the Scholar row, the candidates and the identifier to accept."""

    case_id: str
    category: str
    reference: Reference
    candidates: tuple[Candidate, ...]
    expected: str | None
    variant: str = ""  # which variation of the category

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "category": self.category,
            "variant": self.variant,
            "expected": self.expected,
            "reference": {
                "title": self.reference.title,
                "authors": self.reference.authors,
                "year": self.reference.year,
                "venue": self.reference.venue,
            },
            "candidates": [
                {
                    "identifier": c.identifier,
                    "title": c.title,
                    "authors": list(c.authors),
                    "year": c.year,
                    "venues": list(c.venues),
                    "work_type": c.work_type,
                    "is_update": c.is_update,
                }
                for c in self.candidates
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MatchCase:
        ref = data["reference"]
        return cls(
            case_id=data["id"],
            category=data["category"],
            variant=data.get("variant", ""),
            expected=data["expected"],
            reference=Reference(
                title=ref["title"], authors=ref["authors"], year=ref["year"], venue=ref["venue"]
            ),
            candidates=tuple(
                Candidate(
                    identifier=c["identifier"],
                    title=c["title"],
                    authors=tuple(c["authors"]),
                    year=c["year"],
                    venues=tuple(c["venues"]),
                    work_type=c.get("work_type"),
                    is_update=bool(c.get("is_update", False)),
                )
                for c in data["candidates"]
            ),
        )


def _items(text: str) -> tuple[str, ...]:
    """A vocabulary written as "a; b; c" (one readable block instead of a line per word)."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


# --- people ----------------------------------------------------------------------------------

# culture -> (given names, family names)
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "english": (
        _items("James; Sarah; Michael; Emily; David; Laura; Robert; Helen; Thomas"),
        _items(
            "Smith; Johnson; Williams; Brown; Taylor; Anderson; Thompson; Walker; Harris; "
            "Clarke; Mitchell; Campbell; Robinson; Stewart; Morgan; Cooper; Bennett; "
            "Hughes; Foster"
        ),
    ),
    "irish": (
        _items("Siobhan; Ciaran; Aoife; Niall; Eoin"),
        _items("O'Brien; O'Connor; McCarthy; MacDonald; McKenzie; Ó Súilleabháin"),
    ),
    "german": (
        _items("Jürgen; Katrin; Stefan; Anja; Matthias; Sabine; Tobias; Jörg; Ulrike"),
        _items(
            "Müller; Schmidt; Schneider; Fischer; Weber; Schäfer; Köhler; Schröder; Krüger; "
            "Groß; Hoffmann; Wagner; Böhm; von Weizsäcker"
        ),
    ),
    "dutch": (
        _items("Laurens; Pieter; Sanne; Joost; Femke; Maarten; Annelies"),
        _items(
            "van der Berg; de Vries; van Dijk; van den Broek; de Jong; Bakker; Janssen; van "
            "der Maaten; de Boer; van Leeuwen; Visser; ter Haar"
        ),
    ),
    "french": (
        _items("Jean-Pierre; Marie-Claire; Élodie; François; Stéphane; Hélène; Mathieu"),
        _items(
            "Dupont; Lefèvre; Moreau; Girard; Rousseau; Fontaine; Lemaître; Chevalier; Le "
            "Roux; Gauthier; de la Fontaine"
        ),
    ),
    "spanish": (
        _items("José Antonio; María José; Javier; Lucía; Alejandro; Carmen; Íñigo"),
        _items(
            "García-Pérez; Fernández López; Rodríguez; Martínez; Sánchez-Ortiz; Gómez; "
            "Hernández; Muñoz; Álvarez; de la Torre; Ruiz"
        ),
    ),
    "portuguese": (
        _items("João; Ana Paula; Luís; Thiago; Mariana; Beatriz"),
        _items("da Silva; dos Santos; Oliveira; Souza; Ferreira; Gonçalves; Araújo"),
    ),
    "italian": (
        _items("Giuseppe; Giulia; Alessandro; Chiara; Luca; Francesca"),
        _items("Rossi; Russo; De Luca; Esposito; Bianchi; Romano; Di Stefano; Ricci"),
    ),
    "chinese": (
        _items("Wei; Jing; Hao; Xiaoming; Yifan; Lei; Min; Jun; Yu; Zhiyuan; Xin"),
        _items(
            "Wang; Li; Zhang; Liu; Chen; Yang; Huang; Zhao; Wu; Zhou; Xu; Sun; Ma; Zhu; Hu; "
            "Guo; He; Lin; Gao; Luo"
        ),
    ),
    "korean": (
        _items("Min-jun; Ji-woo; Seo-yeon; Hyun-woo; Eun-ji"),
        _items("Kim; Lee; Park; Choi; Jung; Kang; Cho; Yoon"),
    ),
    "japanese": (
        _items("Hiroshi; Yuki; Kenji; Aiko; Takeshi; Naoko"),
        _items("Tanaka; Suzuki; Takahashi; Watanabe; Yamamoto; Nakamura; Kobayashi"),
    ),
    "indian": (
        _items("Priya; Rahul; Anjali; Vikram; Sanjay; Deepika; Arjun"),
        _items("Sharma; Gupta; Patel; Reddy; Iyer; Krishnamurthy; Banerjee; Nair"),
    ),
    "arabic": (
        _items("Omar; Fatima; Ahmed; Layla; Youssef; Nour"),
        _items("Al-Farsi; El-Sayed; Haddad; Al-Rashid; Mansour; Khalil; Abdel-Rahman"),
    ),
    "turkish": (
        _items("Mehmet; Ayşe; Emre; Zeynep; Burak"),
        _items("Yılmaz; Öztürk; Çelik; Şahin; Demir; Kaya; Aydın; Doğan"),
    ),
    "polish": (
        _items("Piotr; Agnieszka; Tomasz; Katarzyna; Jiří"),
        _items("Kowalski; Wiśniewski; Nowak; Wójcik; Dvořák; Lewandowska; Zieliński"),
    ),
    "nordic": (
        _items("Lars; Ingrid; Mikko; Sofie; Anders; Kirsi"),
        _items("Johansson; Andersson; Nielsen; Østergaard; Lindqvist; Sørensen; Järvinen"),
    ),
    "greek": (
        _items("Dimitris; Eleni; Nikos; Maria"),
        _items("Papadopoulos; Georgiou; Nikolaidis; Konstantinou"),
    ),
    "russian": (
        _items("Alexei; Olga; Dmitry; Natalia; Sergei"),
        _items("Ivanov; Smirnov; Kuznetsova; Popov; Sokolov; Volkov"),
    ),
    "vietnamese": (
        _items("Minh; Thi Lan; Duc Anh; Huong"),
        _items("Nguyen; Tran; Pham; Hoang"),
    ),
    "hungarian": (
        _items("Gábor; Zsófia; László"),
        _items("Szabó; Kovács; Tóth; Nagy; Horváth"),
    ),
    "african": (
        _items("Chinedu; Kwame; Ngozi; Amara; Tendai"),
        _items("Okafor; Mensah; Adeyemi; Mwangi; Nkosi; Diallo; Abebe"),
    ),
}
_CULTURE_WEIGHTS = {
    "english": 14,
    "chinese": 14,
    "german": 6,
    "dutch": 5,
    "french": 5,
    "spanish": 5,
    "italian": 4,
    "indian": 6,
    "korean": 4,
    "japanese": 4,
    "portuguese": 3,
    "irish": 2,
    "arabic": 3,
    "turkish": 3,
    "polish": 3,
    "nordic": 3,
    "greek": 2,
    "russian": 3,
    "vietnamese": 2,
    "hungarian": 2,
    "african": 3,
}
_HANZI = {
    "Wang": "王",
    "Li": "李",
    "Zhang": "张",
    "Liu": "刘",
    "Chen": "陈",
    "Yang": "杨",
    "Huang": "黄",
    "Zhao": "赵",
    "Wu": "吴",
    "Zhou": "周",
    "Xu": "徐",
    "Sun": "孙",
    "Ma": "马",
    "Zhu": "朱",
    "Hu": "胡",
    "Guo": "郭",
    "He": "何",
    "Lin": "林",
    "Gao": "高",
    "Luo": "罗",
    "Wei": "伟",
    "Jing": "静",
    "Hao": "浩",
    "Xiaoming": "晓明",
    "Yifan": "一帆",
    "Lei": "磊",
    "Min": "敏",
    "Jun": "军",
    "Yu": "宇",
    "Zhiyuan": "志远",
    "Xin": "欣",
}


@dataclass(frozen=True, slots=True)
class _Person:
    given: str
    family: str
    culture: str


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("ı", "i").replace("ø", "o")


def _person(rng: random.Random, culture: str | None = None) -> _Person:
    if culture is None:
        culture = rng.choices(list(_CULTURE_WEIGHTS), weights=list(_CULTURE_WEIGHTS.values()))[0]
    given, family = _NAMES[culture]
    return _Person(rng.choice(given), rng.choice(family), culture)


def _initials(given: str) -> str:
    return "".join(part[0].upper() for part in re.split(r"[\s-]+", given) if part)


def _scholar_name(rng: random.Random, person: _Person) -> str:
    """A name as Scholar writes it: initials then surname, with the usual variations."""
    family = person.family
    if person.culture == "spanish" and rng.random() < 0.25:
        family = re.split(r"[\s-]", family)[0]  # only the first surname
    if person.culture == "dutch" and rng.random() < 0.2:
        family = " ".join(word[:1].upper() + word[1:] for word in family.split())
    if person.culture == "german" and rng.random() < 0.1:
        family = family.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    if rng.random() < 0.1:
        family = _strip_accents(family)
    return f"{_initials(person.given)} {family}"


def _authors_line(rng: random.Random, people: Sequence[_Person], *, cut: int | None = None) -> str:
    names = [_scholar_name(rng, person) for person in people]
    if cut is None and len(names) > 7:
        cut = rng.randint(4, 7)
    if cut is not None and cut < len(names):
        mark = rng.choice(("…", "...", "…", ", ..."))
        return ", ".join(names[:cut]) + mark
    return ", ".join(names)


def _team(rng: random.Random, size: int | None = None) -> list[_Person]:
    if size is None:
        size = rng.choices(range(1, 11), weights=(6, 14, 16, 16, 13, 10, 8, 6, 6, 5))[0]
    first = _person(rng)
    team = [first]
    while len(team) < size:
        culture = first.culture if rng.random() < 0.5 else None
        person = _person(rng, culture)
        if person not in team:
            team.append(person)
    return team


# --- venues ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Venue:
    name: str  # full title as Crossref gives it
    abbrev: str  # ISO-4 abbreviation (Crossref's short container title)
    field: str
    doi: str  # DOI pattern key, see _doi
    code: str = ""  # journal code in DOIs
    kind: str = "journal"  # journal | proceedings
    scholar: tuple[str, ...] = ()  # other ways Scholar writes it
    title_case: bool = False  # the publisher writes titles in Title Case


_J = _Venue
VENUES: tuple[_Venue, ...] = (
    # machine learning and computing
    _J(
        "IEEE Transactions on Pattern Analysis and Machine Intelligence",
        "IEEE Trans. Pattern Anal. Mach. Intell.",
        "ml",
        "ieee",
        "TPAMI",
        title_case=True,
    ),
    _J(
        "IEEE Transactions on Neural Networks and Learning Systems",
        "IEEE Trans. Neural Netw. Learn. Syst.",
        "ml",
        "ieee",
        "TNNLS",
        title_case=True,
    ),
    _J("Neural Computation", "Neural Comput.", "ml", "mit"),
    _J("Pattern Recognition", "Pattern Recognit.", "ml", "elsevier", "patcog"),
    _J("Neurocomputing", "Neurocomputing", "ml", "elsevier", "neucom"),
    _J(
        "International Journal of Computer Vision",
        "Int. J. Comput. Vis.",
        "ml",
        "springer",
        "11263",
    ),
    _J("Machine Learning", "Mach. Learn.", "ml", "springer", "10994"),
    _J("Expert Systems with Applications", "Expert Syst. Appl.", "ml", "elsevier", "eswa"),
    _J("Information Sciences", "Inf. Sci.", "ml", "elsevier", "ins"),
    _J("ACM Computing Surveys", "ACM Comput. Surv.", "ml", "acm", title_case=True),
    _J("Artificial Intelligence", "Artif. Intell.", "ml", "elsevier", "artint"),
    _J("Nature Machine Intelligence", "Nat. Mach. Intell.", "ml", "nature", "42256"),
    _J("IEEE Access", "IEEE Access", "ml", "ieee", "ACCESS", title_case=True),
    _Venue(
        "IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "CVPR",
        "ml",
        "ieee_conf",
        "CVPR",
        kind="proceedings",
        scholar=(
            "Proceedings of the IEEE/CVF conference on computer vision and pattern recognition",
            "Proceedings of the IEEE conference on computer vision and pattern recognition",
        ),
        title_case=True,
    ),
    _Venue(
        "IEEE/CVF International Conference on Computer Vision (ICCV)",
        "ICCV",
        "ml",
        "ieee_conf",
        "ICCV",
        kind="proceedings",
        scholar=("Proceedings of the IEEE/CVF international conference on computer vision",),
        title_case=True,
    ),
    _Venue(
        "Proceedings of the AAAI Conference on Artificial Intelligence",
        "AAAI",
        "ml",
        "aaai",
        kind="proceedings",
        scholar=("Proceedings of the AAAI conference on artificial intelligence",),
        title_case=True,
    ),
    _Venue(
        "Proceedings of the ACM SIGKDD International Conference on Knowledge Discovery & Data "
        "Mining",
        "KDD",
        "ml",
        "acm",
        kind="proceedings",
        scholar=(
            "Proceedings of the ACM SIGKDD international conference on knowledge discovery & "
            "data mining",
        ),
        title_case=True,
    ),
    _Venue(
        "Proceedings of the Annual Meeting of the Association for Computational Linguistics",
        "ACL",
        "ml",
        "acl",
        kind="proceedings",
        scholar=(
            "Proceedings of the annual meeting of the association for computational linguistics",
        ),
        title_case=True,
    ),
    # biomedicine
    _J("Nature", "Nature", "bio", "nature", "41586"),
    _J("Science", "Science", "bio", "science"),
    _J("Cell", "Cell", "bio", "elsevier", "cell"),
    _J(
        "Proceedings of the National Academy of Sciences",
        "Proc. Natl. Acad. Sci.",
        "bio",
        "pnas",
        scholar=("Proceedings of the National Academy of Sciences", "PNAS"),
    ),
    _J("Nature Communications", "Nat. Commun.", "bio", "nature", "41467"),
    _J("The Lancet", "Lancet", "bio", "lancet"),
    _J("New England Journal of Medicine", "N. Engl. J. Med.", "bio", "nejm"),
    _J("BMJ", "BMJ", "bio", "bmj"),
    _J("PLOS ONE", "PLoS ONE", "bio", "plos", scholar=("PloS one",)),
    _J("Bioinformatics", "Bioinformatics", "bio", "oup", "bioinformatics"),
    _J("Nucleic Acids Research", "Nucleic Acids Res.", "bio", "oup", "nar"),
    _J("Journal of Neuroscience", "J. Neurosci.", "bio", "jneurosci"),
    _J("NeuroImage", "NeuroImage", "bio", "elsevier", "neuroimage"),
    _J("American Journal of Epidemiology", "Am. J. Epidemiol.", "bio", "oup", "aje"),
    _J("Journal of Clinical Investigation", "J. Clin. Invest.", "bio", "jci"),
    _J("Diabetes Care", "Diabetes Care", "bio", "ada"),
    # physics and chemistry
    _J("Physical Review Letters", "Phys. Rev. Lett.", "phys", "aps", "PhysRevLett"),
    _J("Physical Review B", "Phys. Rev. B", "phys", "aps", "PhysRevB"),
    _J("Journal of the American Chemical Society", "J. Am. Chem. Soc.", "phys", "acs", "jacs"),
    _J(
        "Angewandte Chemie International Edition",
        "Angew. Chem. Int. Ed.",
        "phys",
        "wiley",
        "anie",
    ),
    _J("Nano Letters", "Nano Lett.", "phys", "acs", "nanolett"),
    _J("Advanced Materials", "Adv. Mater.", "phys", "wiley", "adma"),
    _J("Applied Physics Letters", "Appl. Phys. Lett.", "phys", "aip"),
    _J("The Journal of Chemical Physics", "J. Chem. Phys.", "phys", "aip"),
    _J("Nature Materials", "Nat. Mater.", "phys", "nature", "41563"),
    _J("ACS Nano", "ACS Nano", "phys", "acs", "acsnano"),
    _J("Journal of Power Sources", "J. Power Sources", "phys", "elsevier", "jpowsour"),
    _J("Energy & Environmental Science", "Energy Environ. Sci.", "phys", "rsc"),
    # economics and social science
    _J("American Economic Review", "Am. Econ. Rev.", "soc", "aea", "aer"),
    _J("The Journal of Finance", "J. Finance", "soc", "wiley", "jofi"),
    _J("The Quarterly Journal of Economics", "Q. J. Econ.", "soc", "oup", "qje"),
    _J("Journal of Public Economics", "J. Public Econ.", "soc", "elsevier", "jpubeco"),
    _J("World Development", "World Dev.", "soc", "elsevier", "worlddev"),
    _J(
        "Journal of Personality and Social Psychology",
        "J. Pers. Soc. Psychol.",
        "soc",
        "apa",
    ),
    _J("Psychological Science", "Psychol. Sci.", "soc", "sage"),
    _J("American Sociological Review", "Am. Sociol. Rev.", "soc", "sage"),
    _J("Research Policy", "Res. Policy", "soc", "elsevier", "respol"),
    _J("Journal of Development Economics", "J. Dev. Econ.", "soc", "elsevier", "jdeveco"),
    _J("Energy Policy", "Energy Policy", "soc", "elsevier", "enpol"),
    # earth and environment
    _J("Remote Sensing of Environment", "Remote Sens. Environ.", "env", "elsevier", "rse"),
    _J("Water Research", "Water Res.", "env", "elsevier", "watres"),
    _J("Environmental Science & Technology", "Environ. Sci. Technol.", "env", "acs", "est"),
    _J("Global Change Biology", "Glob. Change Biol.", "env", "wiley", "gcb"),
    _J("Journal of Hydrology", "J. Hydrol.", "env", "elsevier", "jhydrol"),
    _J("Geophysical Research Letters", "Geophys. Res. Lett.", "env", "agu"),
    _J("Atmospheric Chemistry and Physics", "Atmos. Chem. Phys.", "env", "copernicus", "acp"),
    _J("Science of The Total Environment", "Sci. Total Environ.", "env", "elsevier", "scitotenv"),
)
_LANGUAGE_VENUES: dict[str, tuple[_Venue, ...]] = {
    "de": (
        _J(
            "Zeitschrift für Erziehungswissenschaft",
            "Z. Erziehungswiss.",
            "de",
            "springer",
            "11618",
        ),
        _J("Das Gesundheitswesen", "Gesundheitswesen", "de", "thieme"),
        _J(
            "Zeitschrift für Pflanzenernährung und Bodenkunde",
            "Z. Pflanzenernähr. Bodenkd.",
            "de",
            "wiley",
            "jpln",
        ),
    ),
    "fr": (
        _J("Revue d'économie politique", "Rev. Écon. Polit.", "fr", "cairn"),
        _J("La Presse Médicale", "Presse Méd.", "fr", "elsevier", "lpm"),
        _J("Revue française de sociologie", "Rev. Fr. Sociol.", "fr", "cairn"),
    ),
    "es": (
        _J("Revista Española de Cardiología", "Rev. Esp. Cardiol.", "es", "elsevier", "recesp"),
        _J("Gaceta Sanitaria", "Gac. Sanit.", "es", "elsevier", "gaceta"),
        _J("Revista de Economía Aplicada", "Rev. Econ. Apl.", "es", "scielo"),
    ),
    "pt": (
        _J("Cadernos de Saúde Pública", "Cad. Saúde Pública", "pt", "scielo"),
        _J("Revista de Saúde Pública", "Rev. Saúde Pública", "pt", "scielo"),
    ),
    "it": (
        _J("Giornale Italiano di Cardiologia", "G. Ital. Cardiol.", "it", "pensiero"),
        _J("Rivista di Politica Economica", "Riv. Polit. Econ.", "it", "pensiero"),
    ),
    "pl": (
        _J("Medycyna Pracy", "Med. Pr.", "pl", "nofer"),
        _J("Przegląd Epidemiologiczny", "Przegl. Epidemiol.", "pl", "nofer"),
    ),
    "tr": (
        _J("Türk Psikoloji Dergisi", "Türk Psikol. Derg.", "tr", "tubitak"),
        _J(
            "Türkiye Klinikleri Tıp Bilimleri Dergisi",
            "Türkiye Klin. Tıp Bilim. Derg.",
            "tr",
            "tubitak",
        ),
    ),
    "zh": (
        _J(
            "Chinese Journal of Computers", "Chin. J. Comput.", "zh", "cjc", scholar=("计算机学报",)
        ),
        _J(
            "Scientia Sinica Informationis",
            "Sci. Sin. Inf.",
            "zh",
            "ssi",
            scholar=("中国科学: 信息科学",),
        ),
        _J("Acta Geographica Sinica", "Acta Geogr. Sin.", "zh", "ags", scholar=("地理学报",)),
    ),
}
_PUBLISHER_OF = {
    "elsevier": "Elsevier",
    "springer": "Springer",
    "ieee": "IEEE",
    "ieee_conf": "IEEE",
    "acm": "ACM",
    "wiley": "Wiley",
    "oup": "Oxford University Press",
}
_NEURIPS = "Advances in neural information processing systems"


def _doi(rng: random.Random, venue: _Venue, year: int) -> str:
    yy = year % 100
    n = rng.randint
    style = venue.doi
    if style == "ieee":
        return f"10.1109/{venue.code}.{year}.{n(2800000, 3400000)}"
    if style == "ieee_conf":
        return f"10.1109/{venue.code}{n(40000, 52999)}.{year}.{n(0, 1999):05d}"
    if style == "elsevier":
        return f"10.1016/j.{venue.code}.{year}.{n(1, 12):02d}.{n(1, 199):03d}"
    if style == "springer":
        return f"10.1007/s{venue.code}-{yy:03d}-{n(0, 99999):05d}-{n(0, 9)}"
    if style == "nature":
        if venue.code == "41586" and year < 2017:
            return f"10.1038/nature{n(10000, 25999)}"
        return f"10.1038/s{venue.code}-{yy:03d}-{n(0, 99999):05d}-{n(0, 9)}"
    if style == "aps":
        return f"10.1103/{venue.code}.{n(80, 132)}.{n(100000, 299999)}"
    if style == "acs":
        return f"10.1021/{venue.code}.{n(0, 9)}{rng.choice('bc')}{n(0, 99999):05d}"
    if style == "wiley":
        return f"10.1002/{venue.code}.{year}{n(0, 99999):05d}"
    if style == "pnas":
        return f"10.1073/pnas.{n(1000000000, 2399999999)}"
    if style == "acm":
        return f"10.1145/{n(3000000, 3699999)}.{n(3000000, 3699999)}"
    if style == "plos":
        return f"10.1371/journal.pone.{n(0, 299999):07d}"
    if style == "oup":
        return f"10.1093/{venue.code}/{rng.choice(('btz', 'gkz', 'kwz', 'qjz'))}{n(100, 999)}"
    if style == "aea":
        return f"10.1257/aer.{year}{n(1000, 1999)}"
    if style == "lancet":
        return f"10.1016/S0140-6736({yy:02d}){n(30000, 32999)}-{n(0, 9)}"
    if style == "nejm":
        return f"10.1056/NEJMoa{n(1000000, 2399999)}"
    if style == "bmj":
        return f"10.1136/bmj.{rng.choice('mn')}{n(1000, 4999)}"
    if style == "aaai":
        return f"10.1609/aaai.v{max(1, year - 1986)}i{n(1, 12)}.{n(16000, 29999)}"
    if style == "acl":
        return f"10.18653/v1/{year}.acl-main.{n(1, 780)}"
    if style == "copernicus":
        return f"10.5194/acp-{max(1, year - 2000)}-{n(1, 9999)}-{year}"
    if style == "agu":
        return f"10.1029/{year}GL{n(80000, 99999):06d}"
    if style == "scielo":
        return f"10.1590/0102-311X{n(0, 99999999):08d}"
    if style == "rsc":
        return f"10.1039/C{n(0, 9)}EE{n(0, 9999):05d}"
    if style == "sage":
        return f"10.1177/{n(10000000, 99999999)}"
    if style == "apa":
        return f"10.1037/pspa{n(10000, 99999):07d}"
    if style == "aip":
        return f"10.1063/1.{n(1000000, 5199999)}"
    if style == "jneurosci":
        return f"10.1523/JNEUROSCI.{n(1000, 2999)}-{yy:02d}.{year}"
    if style == "jci":
        return f"10.1172/JCI{n(100000, 169999)}"
    if style == "ada":
        return f"10.2337/dc{yy:02d}-{n(1000, 2999)}"
    if style == "science":
        return f"10.1126/science.{rng.choice(('aab', 'aaz', 'abc', 'adf'))}{n(1000, 9999)}"
    return f"10.{n(4000, 9999)}/{venue.doi}.{year}.{n(1000, 99999)}"


_ARCHIVES = {"ml": "cs", "bio": "q-bio", "phys": "cond-mat", "soc": "econ", "env": "physics"}


def _arxiv_id(rng: random.Random, year: int, field_name: str = "ml") -> str:
    """An arXiv id of the scheme in use that year (archive/YYMMNNN before April 2007)."""
    month = rng.randint(1, 12)
    if year >= 2015:
        return f"{year % 100:02d}{month:02d}.{rng.randint(1, 29999):05d}"
    if year >= 2008:
        return f"{year % 100:02d}{month:02d}.{rng.randint(1, 9999):04d}"
    archive = _ARCHIVES.get(field_name, "cs")
    return f"{archive}/{year % 100:02d}{month:02d}{rng.randint(1, 999):03d}"


# --- titles ----------------------------------------------------------------------------------

_ML = {
    "method": _items(
        "graph neural networks; convolutional neural networks; transformers; vision "
        "transformers; variational autoencoders; generative adversarial networks; deep "
        "reinforcement learning; contrastive learning; random forests; gradient boosting; "
        "Bayesian optimization; federated learning; knowledge distillation; self-supervised "
        "learning; diffusion models; recurrent neural networks; support vector machines; "
        "sparse coding; kernel methods; meta-learning; active learning; transfer learning; "
        "spectral clustering; Gaussian processes; Monte Carlo tree search; large language "
        "models; neural architecture search; low-rank adaptation; mixture of experts; "
        "capsule networks; normalizing flows; spiking neural networks; hypergraph learning; "
        "prompt tuning"
    ),
    "task": _items(
        "image segmentation; object detection; machine translation; speech recognition; "
        "anomaly detection; link prediction; protein structure prediction; traffic "
        "forecasting; sentiment analysis; question answering; named entity recognition; "
        "session-based recommendation; human pose estimation; image captioning; time series "
        "forecasting; molecular property prediction; code generation; video action "
        "recognition; document classification; point cloud registration; fake news "
        "detection; crop yield prediction; fault diagnosis; intrusion detection; visual "
        "place recognition; text summarization"
    ),
    "domain": _items(
        "medical imaging; remote sensing; autonomous driving; electronic health records; "
        "social networks; smart grids; low-resource languages; edge devices; financial "
        "markets; scientific literature; industrial robotics; e-commerce; smart cities; "
        "precision agriculture; wearable sensors; legal documents"
    ),
    "adj": _items(
        "scalable; robust; efficient; interpretable; lightweight; hierarchical; adaptive; "
        "probabilistic; multi-scale; end-to-end; few-shot; differentiable; "
        "privacy-preserving; causal; semi-supervised; attention-based; uncertainty-aware; "
        "continual"
    ),
    "prop": _items(
        "generalization; robustness; expressive power; sample complexity; convergence; "
        "calibration; stability; implicit bias; fairness; transferability"
    ),
    "obj": _items(
        "molecular representations; policies from demonstrations; graph embeddings; "
        "disentangled representations; reward functions; sparse features; visual concepts; "
        "word embeddings; dynamical systems; 3D shapes"
    ),
}
_BIO = {
    "factor": _items(
        "gut microbiota composition; sleep deprivation; air pollution exposure; physical "
        "activity; vitamin D supplementation; maternal obesity; social isolation; dietary "
        "fibre intake; statin therapy; chronic stress; smoking cessation; intermittent "
        "fasting; antibiotic exposure; shift work; sedentary behaviour; alcohol "
        "consumption; green space exposure; omega-3 fatty acids"
    ),
    "outcome": _items(
        "cardiovascular risk; cognitive decline; insulin resistance; depressive symptoms; "
        "all-cause mortality; bone mineral density; tumour progression; vaccine immune "
        "response; hospital readmission; blood pressure; gestational diabetes; asthma "
        "incidence; frailty; sleep quality"
    ),
    "pop": _items(
        "older adults; preterm infants; adolescents; pregnant women; patients with heart "
        "failure; healthcare workers; rural communities; university students; kidney "
        "transplant recipients; postmenopausal women; a Danish cohort; the UK Biobank"
    ),
    "gene": _items(
        "BRCA1; p53; interleukin-6; PD-L1; tau protein; the mTOR pathway; TREM2; amyloid-β; "
        "SIRT1; NF-κB signalling; FOXP3; APOE"
    ),
    "process": _items(
        "neuroinflammation; autophagy; angiogenesis; insulin signalling; synaptic "
        "plasticity; T cell exhaustion; epithelial–mesenchymal transition; liver fibrosis; "
        "DNA repair; lipid metabolism; stem cell ageing; circadian rhythms"
    ),
    "organism": _items(
        "<i>Escherichia coli</i>; <i>Arabidopsis thaliana</i>; <i>Drosophila "
        "melanogaster</i>; zebrafish; mice; <i>Plasmodium falciparum</i>; <i>Saccharomyces "
        "cerevisiae</i>; human organoids"
    ),
    "bmethod": _items(
        "single-cell RNA sequencing; CRISPR screening; mass spectrometry; Mendelian "
        "randomization; metabolomic profiling; whole-genome sequencing; deep learning; "
        "spatial transcriptomics"
    ),
}
_PHYS = {
    "material": _items(
        "topological insulators; perovskite solar cells; graphene oxide membranes; "
        "colloidal quantum dots; metal–organic frameworks; lithium-ion battery cathodes; "
        "superconducting qubits; Bose–Einstein condensates; high-entropy alloys; "
        "ferroelectric thin films; ionic liquids; transition metal dichalcogenides; "
        "covalent organic frameworks; nickel-rich layered oxides; halide perovskite "
        "nanocrystals; amorphous silicon; MoS<sub>2</sub> monolayers"
    ),
    "pprop": _items(
        "thermal conductivity; charge transport; catalytic activity; phase transitions; "
        "optical properties; mechanical stability; spin dynamics; electronic band "
        "structure; ionic conductivity; magnetic anisotropy; photoluminescence quantum "
        "yield; interfacial stability"
    ),
    "pprocess": _items(
        "strain engineering; chemical doping; defect passivation; atomic layer deposition; "
        "laser annealing; surface functionalization; high-pressure synthesis; "
        "electrochemical cycling"
    ),
    "pmethod": _items(
        "density functional theory; molecular dynamics simulations; angle-resolved "
        "photoemission spectroscopy; in situ X-ray diffraction; machine-learned interatomic "
        "potentials; ultrafast spectroscopy; scanning tunnelling microscopy"
    ),
}
_SOC = {
    "policy": _items(
        "minimum wage increases; remote work; monetary policy shocks; trade liberalization; "
        "microfinance; school choice; unconditional cash transfers; carbon pricing; "
        "universal basic income; rent control; immigration enforcement; public procurement; "
        "paid parental leave; broadband expansion; land titling; conditional cash transfers"
    ),
    "soutcome": _items(
        "labour market outcomes; household consumption; firm productivity; political "
        "polarization; educational attainment; subjective well-being; innovation; female "
        "labour force participation; crime; housing affordability; income inequality; "
        "entrepreneurship; child health; voter turnout"
    ),
    "group": _items(
        "small firms; low-income households; migrants; young workers; rural women; public "
        "school teachers; local governments; family firms"
    ),
    "context": _items(
        "evidence from India; evidence from a natural experiment; evidence from China; "
        "quasi-experimental evidence from Germany; evidence from US counties; experimental "
        "evidence from Kenya; evidence from Brazil"
    ),
}
_ENV = {
    "phen": _items(
        "soil organic carbon; groundwater depletion; urban heat islands; coastal erosion; "
        "wildfire activity; glacier mass loss; nitrogen deposition; microplastic pollution; "
        "methane emissions; drought propagation; harmful algal blooms; permafrost thaw; "
        "aerosol–cloud interactions; sea-level rise"
    ),
    "region": _items(
        "the Tibetan Plateau; the Amazon basin; sub-Saharan Africa; the Mediterranean; the "
        "North China Plain; Arctic coastal zones; the Sahel; the Mekong Delta; alpine "
        "catchments; the Great Barrier Reef; boreal forests; agricultural landscapes"
    ),
    "driver": _items(
        "land-use change; climate warming; fertilizer application; urbanization; extreme "
        "precipitation; reforestation; dam construction; fire suppression"
    ),
    "data": _items(
        "Sentinel-2 imagery; Landsat time series; GRACE satellite gravimetry; eddy "
        "covariance measurements; CMIP6 projections; citizen science observations; airborne "
        "LiDAR"
    ),
}
_FIELDS: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    "ml": (
        _ML,
        (
            "{method} for {task}",
            "{method} for {task} in {domain}",
            "{adj} {method} for {task}",
            "{task} with {adj} {method}",
            "{task} via {method}",
            "On the {prop} of {method}",
            "Towards {adj} {task} in {domain}",
            "A {adj} framework for {task} using {method}",
            "Learning {obj} with {method}",
            "Benchmarking {method} for {task} in {domain}",
            "Rethinking {method} for {adj} {task}",
        ),
    ),
    "bio": (
        _BIO,
        (
            "Effects of {factor} on {outcome} in {pop}",
            "Association between {factor} and {outcome} in {pop}",
            "The role of {gene} in {process}",
            "{gene} regulates {process} in {organism}",
            "{factor} and the risk of {outcome} among {pop}",
            "{bmethod} reveals the role of {gene} in {process}",
            "Long-term {factor} and {outcome} in {pop}",
            "Targeting {gene} to modulate {process} in {organism}",
            "Sex differences in the association of {factor} with {outcome}",
        ),
    ),
    "phys": (
        _PHYS,
        (
            "Tuning the {pprop} of {material} by {pprocess}",
            "{material} with enhanced {pprop}",
            "Ab initio study of {pprop} in {material}",
            "Probing {pprop} in {material} with {pmethod}",
            "Enhanced {pprop} of {material} via {pprocess}",
            "Giant {pprop} in {material}",
            "Unconventional {pprop} in {material} revealed by {pmethod}",
            "Controlling the {pprop} of {material} through {pprocess}",
        ),
    ),
    "soc": (
        _SOC,
        (
            "The impact of {policy} on {soutcome}",
            "{policy} and {soutcome} among {group}",
            "{policy} as a driver of {soutcome}",
            "Heterogeneous effects of {policy} on {soutcome}",
            "Who benefits from {policy}? {context}",
            "{policy} and the dynamics of {soutcome}",
            "Revisiting the effect of {policy} on {soutcome}",
            "Long-run effects of {policy} on the {soutcome} of {group}",
        ),
    ),
    "env": (
        _ENV,
        (
            "Spatiotemporal dynamics of {phen} in {region}",
            "Drivers of {phen} in {region}",
            "Mapping {phen} with {data}",
            "Quantifying the contribution of {driver} to {phen} in {region}",
            "Response of {phen} to {driver} in {region}",
            "Monitoring {phen} across {region} using {data}",
            "The influence of {driver} on {phen}",
        ),
    ),
}
_FIELD_NAMES = tuple(_FIELDS)
_SLOT = re.compile(r"\{(\w+)\}")
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")
_SLOT_POOL = {"method2": "method"}

# Non-English titles: language -> (slot vocabulary, templates, name cultures)
_LANGUAGES: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]] = {
    "de": (
        {
            "a": _items(
                "Stickstoffdüngung; Bodenbearbeitung; Lärmbelastung; Schichtarbeit; "
                "Digitalisierung; Ganztagsschule; Klimaerwärmung; Gewässerverschmutzung"
            ),
            "b": _items(
                "Ertragsbildung; Schülerleistungen; Lebensqualität; Bodenfruchtbarkeit; "
                "Arbeitszufriedenheit; Gesundheitsversorgung; Artenvielfalt"
            ),
            "c": _items(
                "Winterweizen; älteren Menschen; Grundschülern; Pflegekräften; "
                "Mittelgebirgsböden; Großstädten; Bayern"
            ),
        },
        (
            "Einfluss der {a} auf die {b} bei {c}",
            "Untersuchungen zur {b} in {c}",
            "Über die Bedeutung der {a} für die {b}",
            "{a} und {b}: Befunde aus {c}",
            "Zum Zusammenhang zwischen {a} und {b} bei {c}",
        ),
        ("german",),
    ),
    "fr": (
        {
            "a": _items(
                "précarité énergétique; mobilité résidentielle; réforme des retraites; "
                "télémédecine; ségrégation scolaire; fiscalité écologique"
            ),
            "b": _items(
                "santé mentale; inégalités territoriales; réussite scolaire; qualité de "
                "vie; emploi des seniors; accès aux soins"
            ),
            "c": _items(
                "Île-de-France; zones rurales; banlieues françaises; Québec; outre-mer; "
                "villes moyennes"
            ),
        },
        (
            "Effets de la {a} sur la {b} en {c}",
            "La {a} et les {b} : le cas des {c}",
            "Analyse spatiale de la {a} en {c}",
            "{a} et {b} : une étude en {c}",
            "Les déterminants de la {b} en {c}",
        ),
        ("french",),
    ),
    "es": (
        {
            "a": _items(
                "insuficiencia cardíaca; obesidad infantil; violencia de género; "
                "desigualdad económica; migración interna; contaminación atmosférica"
            ),
            "b": _items(
                "calidad de vida; mortalidad hospitalaria; rendimiento académico; salud "
                "mental; acceso a la vivienda; empleo juvenil"
            ),
            "c": _items(
                "Andalucía; Cataluña; América Latina; pacientes ancianos; zonas rurales de "
                "México; España"
            ),
        },
        (
            "Efecto de la {a} sobre la {b} en {c}",
            "Análisis de la {a} en {c}",
            "{a} y {b} en {c}",
            "Factores asociados a la {b} en {c}",
            "Evolución de la {a} y la {b} en {c}",
        ),
        ("spanish",),
    ),
    "pt": (
        {
            "a": _items(
                "insegurança alimentar; atenção primária; violência urbana; aleitamento "
                "materno; sífilis congênita"
            ),
            "b": _items(
                "mortalidade infantil; qualidade de vida; saúde bucal; desigualdades "
                "sociais; cobertura vacinal"
            ),
            "c": _items("Brasil; São Paulo; Minas Gerais; Pernambuco; Portugal"),
        },
        (
            "Avaliação da {a} e da {b} no {c}",
            "Fatores associados à {b} em {c}",
            "{a} e {b} em {c}: estudo transversal",
            "Tendência temporal da {b} em {c}",
        ),
        ("portuguese",),
    ),
    "it": (
        {
            "a": _items("fibrillazione atriale; disoccupazione giovanile; scompenso cardiaco"),
            "b": _items("mortalità; produttività; qualità della vita; aderenza terapeutica"),
            "c": _items("Lombardia; Mezzogiorno; pazienti anziani; Italia"),
        },
        (
            "Effetti della {a} sulla {b} in {c}",
            "La {a} e la {b} nel {c}",
            "Analisi della {b} nei {c}",
        ),
        ("italian",),
    ),
    "pl": (
        {
            "a": _items("pracy zmianowej; zanieczyszczenia powietrza; stresu zawodowego"),
            "b": _items("jakość życia; zdrowie psychiczne; wypalenie zawodowe"),
            "c": _items("pielęgniarek; lekarzy; nauczycieli; pracowników biurowych"),
        },
        (
            "Wpływ {a} na {b} wśród {c}",
            "Ocena {a} i jego wpływ na {b} u {c}",
        ),
        ("polish",),
    ),
    "tr": (
        {
            "a": _items("iş stresi; sosyal medya kullanımı; uyku kalitesi; öz yeterlik"),
            "b": _items("tükenmişlik; yaşam doyumu; akademik başarı; kaygı düzeyi"),
            "c": _items("hemşireler; üniversite öğrencileri; öğretmenler; ergenler"),
        },
        (
            "{c} arasında {a} ile {b} arasındaki ilişki",
            "{a} ve {b}: {c} örneği",
        ),
        ("turkish",),
    ),
    "zh": (
        {
            "a": _items("深度学习; 卷积神经网络; 注意力机制; 随机森林; 图神经网络; 迁移学习"),
            "b": _items("图像分割; 故障诊断; 交通流预测; 遥感图像分类; 文本情感分析; 目标检测"),
            "c": _items("气候变化; 城镇化; 数字经济; 土壤盐渍化; 人口老龄化"),
            "d": _items("粮食产量; 居民收入; 碳排放; 地下水位; 区域创新"),
        },
        (
            "基于{a}的{b}研究",
            "{c}对{d}的影响",
            "{a}在{b}中的应用",
            "{c}与{d}的时空耦合分析",
        ),
        ("chinese",),
    ),
}


@dataclass(frozen=True, slots=True)
class _TitleSpec:
    template: str
    slots: tuple[tuple[str, str], ...]
    pools: str  # field or language name whose vocabulary fills the slots

    def render(self) -> str:
        text = self.template.format(**dict(self.slots))
        text = _A_BEFORE_VOWEL.sub(r"\1n ", text)
        return text[:1].upper() + text[1:]

    def slot_names(self) -> list[str]:
        return [name for name, _ in self.slots]

    def with_slot(self, name: str, value: str) -> _TitleSpec:
        return replace(self, slots=tuple((k, value if k == name else v) for k, v in self.slots))


def _vocabulary(pools: str) -> dict[str, tuple[str, ...]]:
    if pools in _FIELDS:
        return _FIELDS[pools][0]
    return _LANGUAGES[pools][0]


def _fill(rng: random.Random, template: str, pools: str) -> _TitleSpec:
    vocabulary = _vocabulary(pools)
    slots: list[tuple[str, str]] = []
    used: set[str] = set()
    for name in _SLOT.findall(template):
        pool = vocabulary[_SLOT_POOL.get(name, name)]
        value = rng.choice([v for v in pool if v not in used] or list(pool))
        used.add(value)
        slots.append((name, value))
    return _TitleSpec(template, tuple(slots), pools)


def _spec(rng: random.Random, pools: str | None = None) -> _TitleSpec:
    pools = pools or rng.choice(_FIELD_NAMES)
    templates = _FIELDS[pools][1] if pools in _FIELDS else _LANGUAGES[pools][1]
    return _fill(rng, rng.choice(templates), pools)


def _sibling(rng: random.Random, spec: _TitleSpec, changes: int = 1) -> _TitleSpec:
    """The same title with ``changes`` slots filled differently (another paper)."""
    names = spec.slot_names()
    if not names:
        return _spec(rng, spec.pools if spec.pools in _FIELDS else None)
    vocabulary = _vocabulary(spec.pools)
    out = spec
    for name in rng.sample(names, min(changes, len(names))):
        current = dict(out.slots)[name]
        pool = [v for v in vocabulary[_SLOT_POOL.get(name, name)] if v != current]
        out = out.with_slot(name, rng.choice(pool))
    return out


_SMALL_WORDS = frozenset(
    _items("a; an; and; as; at; but; by; for; from; in; into; of; on; or; the; to; via; with; vs")
)


def _title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for index, word in enumerate(words):
        if index and word.lower() in _SMALL_WORDS:
            out.append(word.lower())
        elif word[:1].islower():
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
        else:
            out.append(word)
    return " ".join(out)


def _strip_tags(text: str) -> str:
    return re.sub(r"</?[a-z]+>", "", text)


def _sentence_lower(text: str) -> str:
    """Scholar's frequent rendering: first letter capital, the rest lower except acronyms."""
    words = text.split(" ")
    out = []
    for index, word in enumerate(words):
        if any(c.isupper() for c in word[1:]) or (len(word) > 1 and word.isupper()):
            out.append(word)
        elif index == 0:
            out.append(word[:1].upper() + word[1:].lower())
        else:
            out.append(word.lower())
    return " ".join(out)


def _scholar_title(rng: random.Random, title: str) -> str:
    """A canonical title as Scholar shows it (no markup; sometimes re-cased)."""
    text = _strip_tags(title)
    roll = rng.random()
    if roll < 0.15:
        text = _sentence_lower(text)
    elif roll < 0.22:
        text = _title_case(text)
    elif roll < 0.25:
        text = text.upper()
    elif roll < 0.3:
        text = text.replace("–", "-").replace(" - ", " – ")
    return text


# --- works -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Work:
    identifier: str
    title: str
    authors: list[_Person]
    year: int
    venue: _Venue | None
    work_type: str = "journal-article"
    volume: int = 1
    issue: int | None = None
    pages: str | None = None
    book: str | None = None  # chapters: the book's title
    series: str | None = None
    is_update: bool = False
    arxiv: bool = False
    journal_ref: str | None = None
    spec: _TitleSpec | None = field(default=None, repr=False)


def _pages(rng: random.Random) -> str:
    start = rng.randint(1, 4800)
    return f"{start}-{start + rng.randint(3, 25)}"


def _venue_for(rng: random.Random, field_name: str, kind: str | None = None) -> _Venue:
    pool = [v for v in VENUES if v.field == field_name and (kind is None or v.kind == kind)]
    if not pool:
        pool = [v for v in VENUES if v.field == field_name]
    return rng.choice(pool)


def _journal_work(
    rng: random.Random,
    spec: _TitleSpec,
    *,
    authors: list[_Person] | None = None,
    year: int | None = None,
    venue: _Venue | None = None,
) -> _Work:
    field_name = spec.pools if spec.pools in _FIELDS else "ml"
    if venue is None:
        if spec.pools in _LANGUAGES:
            venue = rng.choice(_LANGUAGE_VENUES[spec.pools])
        else:
            venue = _venue_for(rng, field_name)
    year = year if year is not None else rng.randint(2004, 2024)
    title = spec.render()
    if venue.title_case:
        title = _title_case(title)
    work_type = "proceedings-article" if venue.kind == "proceedings" else "journal-article"
    return _Work(
        identifier=_doi(rng, venue, year),
        title=title,
        authors=authors if authors is not None else _team(rng),
        year=year,
        venue=venue,
        work_type=work_type,
        volume=max(1, year - rng.randint(1950, 2010)),
        issue=rng.randint(1, 12) if rng.random() < 0.8 else None,
        pages=_pages(rng),
        spec=spec,
    )


def _arxiv_version(rng: random.Random, work: _Work, year: int, title: str | None = None) -> _Work:
    field_name = work.spec.pools if work.spec is not None else "ml"
    return _Work(
        identifier=_arxiv_id(rng, year, field_name),
        title=_strip_tags(title or work.title),
        authors=list(work.authors),
        year=year,
        venue=None,
        work_type="arxiv",
        arxiv=True,
        spec=work.spec,
    )


def _scholar_venue(rng: random.Random, work: _Work, style: str | None = None) -> str | None:
    """The venue text Scholar shows for a work."""
    if work.arxiv:
        form = rng.choices(("preprint", "bare", "corr"), weights=(8, 1, 1))[0]
        if form == "preprint":
            return f"arXiv preprint arXiv:{work.identifier}"
        if form == "bare":
            return f"arXiv:{work.identifier}"
        return f"CoRR abs/{work.identifier}"
    if work.work_type == "book-chapter":
        return f"{work.book}, {work.pages}" if work.book else None
    venue = work.venue
    if venue is None:
        return None
    if style is None:
        style = rng.choices(
            ("full", "lower", "abbrev", "name", "none", "publisher"),
            weights=(36, 30, 10, 12, 8, 4),
        )[0]
    if style == "none":
        return None
    if style == "publisher":
        return _PUBLISHER_OF.get(venue.doi, "Elsevier")
    numbers = f" {work.volume}"
    if work.issue is not None:
        numbers += f" ({work.issue})"
    if work.pages:
        numbers += f", {work.pages}"
    if venue.kind == "proceedings":
        name = rng.choice(venue.scholar) if venue.scholar else venue.name
        return name + (f", {work.pages}" if work.pages and rng.random() < 0.8 else "")
    if venue.scholar and rng.random() < 0.3:
        return rng.choice(venue.scholar) + numbers
    if style == "abbrev":
        name = venue.abbrev if rng.random() < 0.6 else venue.abbrev.replace(".", "")
        return name + numbers
    if style == "lower":
        return _sentence_lower(venue.name) + numbers
    if style == "name":
        return venue.name
    return venue.name + numbers


def _crossref_title(rng: random.Random, work: _Work) -> str:
    title = work.title
    if "<" in title and rng.random() < 0.4:
        title = _strip_tags(title)
    return title


def _crossref_authors(rng: random.Random, work: _Work) -> tuple[str, ...]:
    if rng.random() < 0.07:
        return ()  # Crossref records without authors are common enough
    names = []
    for person in work.authors:
        if person.culture == "chinese" and rng.random() < 0.03:
            names.append(person.given)  # given and family swapped in the deposit
        else:
            names.append(person.family)
    return tuple(names)


def _crossref(rng: random.Random, work: _Work) -> Candidate:
    """The work as a Crossref record (or an arXiv entry for arXiv versions)."""
    if work.arxiv:
        return Candidate(
            identifier=work.identifier,
            title=work.title,
            authors=tuple(f"{p.given} {p.family}" for p in work.authors),
            year=work.year,
            venues=(work.journal_ref,) if work.journal_ref else (),
            work_type="arxiv",
        )
    venues: tuple[str, ...] = ()
    if work.work_type in ("book-chapter", "book", "edited-book"):
        venues = tuple(v for v in (work.book, work.series) if v)
    elif work.venue is not None:
        venue = work.venue
        name = venue.name
        if venue.kind == "proceedings" and venue.doi == "ieee_conf":
            name = f"{work.year} {venue.name}"
        roll = rng.random()
        if roll < 0.6:
            venues = (name, venue.abbrev)
        elif roll < 0.95:
            venues = (name,)
    return Candidate(
        identifier=work.identifier,
        title=_crossref_title(rng, work),
        authors=_crossref_authors(rng, work),
        year=work.year,
        venues=venues,
        work_type=work.work_type,
        is_update=work.is_update,
    )


def _online_first(rng: random.Random, candidate: Candidate, rate: float = 0.08) -> Candidate:
    """Crossref's issued year is sometimes the online-first year, a year before print."""
    if candidate.year is not None and rng.random() < rate:
        return replace(candidate, year=candidate.year - 1)
    return candidate


def _reference(
    rng: random.Random,
    work: _Work,
    *,
    title: str | None = None,
    year: int | str | None = "work",
    venue: str | bool | None = True,
    cut: int | None = None,
) -> Reference:
    """The Scholar row for a work (year="work" keeps the work's year)."""
    if venue is True:
        venue_text = _scholar_venue(rng, work)
    elif venue is False:
        venue_text = None
    else:
        venue_text = venue
    return Reference(
        title=title if title is not None else _scholar_title(rng, work.title),
        authors=_authors_line(rng, work.authors, cut=cut),
        year=work.year if year == "work" else (year if isinstance(year, int) else None),
        venue=venue_text,
    )


# --- distractors -----------------------------------------------------------------------------

_SUPERSET_SUFFIXES = (
    " in {domain}",
    ": a systematic review",
    ": a survey",
    " revisited",
    ": evidence from a multi-centre study",
    " under distribution shift",
)


def _other_spec(rng: random.Random, spec: _TitleSpec) -> _TitleSpec:
    """Another title of the same field sharing one slot value with ``spec``."""
    for _ in range(20):
        other = _spec(rng, spec.pools)
        shared = [name for name in other.slot_names() if name in dict(spec.slots)]
        if shared:
            name = rng.choice(shared)
            other = other.with_slot(name, dict(spec.slots)[name])
        if other.render().casefold() != spec.render().casefold():
            return other
    return _sibling(rng, spec, 2)


def _distractors(
    rng: random.Random,
    target: _Work,
    count: int,
    *,
    sibling: float = 0.35,
    kinds: Sequence[str] = ("variant", "variant2", "other", "superset"),
) -> list[_Work]:
    """Other works a search for ``target`` returns: the same author's sibling paper (one slot
    changed), other authors' variants, same-topic papers, longer titles."""
    spec = target.spec or _spec(rng)
    out: list[_Work] = []
    seen = {target.title.casefold()}
    if count > 0 and rng.random() < sibling:
        sib = _sibling(rng, spec)
        year = target.year + rng.choice((-2, -1, 0, 0, 1, 2))
        authors = [
            target.authors[0],
            *_team(rng, max(0, len(target.authors) - 1))[: len(target.authors) - 1],
        ]
        venue = target.venue if rng.random() < 0.5 else None
        work = _journal_work(rng, sib, authors=authors, year=year, venue=venue)
        out.append(work)
        seen.add(work.title.casefold())
    attempts = 0
    while len(out) < count and attempts < 50:
        attempts += 1
        kind = rng.choice(list(kinds))
        if kind == "variant":
            other = _sibling(rng, spec)
        elif kind == "variant2":
            other = _sibling(rng, spec, 2)
        elif kind == "superset" and spec.pools in _FIELDS:
            suffix = rng.choice(_SUPERSET_SUFFIXES)
            if "{domain}" in suffix:
                suffix = suffix.format(domain=rng.choice(_ML["domain"]))
            other = _TitleSpec(
                spec.template + suffix.replace("{", "{{").replace("}", "}}"), spec.slots, spec.pools
            )
        else:
            other = _other_spec(rng, spec)
        year = rng.randint(max(2000, target.year - 6), min(2025, target.year + 3))
        work = _journal_work(rng, other, year=year)
        if work.title.casefold() in seen:
            continue
        seen.add(work.title.casefold())
        out.append(work)
    return out


def _ranked(
    rng: random.Random, reference: Reference, candidates: Iterable[Candidate], limit: int = 5
) -> tuple[Candidate, ...]:
    """A plausible search ranking: similar titles first, with noise (never Crossref's score)."""
    scored = [
        (
            fuzz.token_set_ratio(reference.title.casefold(), _strip_tags(c.title).casefold()) / 100
            + rng.gauss(0.0, 0.08),
            index,
            c,
        )
        for index, c in enumerate(candidates)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return tuple(c for _, _, c in scored[:limit])


# --- categories ------------------------------------------------------------------------------

_Built = tuple[Reference, list[Candidate], str | None, str]


def _case_exact(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    ref = _reference(rng, target)
    others = _distractors(rng, target, rng.randint(2, 4))
    return (
        ref,
        [_crossref(rng, target), *(_crossref(rng, w) for w in others)],
        target.identifier,
        "present",
    )


def _case_truncated_authors(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec, authors=_team(rng, rng.randint(7, 16)))
    ref = _reference(rng, target, cut=rng.randint(2, 6))
    others = _distractors(rng, target, rng.randint(2, 4))
    # a paper of the same lab: co-authors shared, another first author
    lab = _journal_work(rng, _sibling(rng, spec), authors=target.authors[1:] + target.authors[:1])
    cands = [
        _online_first(rng, _crossref(rng, target)),
        _crossref(rng, lab),
        *(_crossref(rng, w) for w in others),
    ]
    return ref, cands, target.identifier, "present"


def _case_abbreviated_venue(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng, rng.choice(("ml", "bio", "phys", "soc", "env")))
    field_name = spec.pools
    venue = rng.choice(
        [v for v in VENUES if v.field == field_name and v.kind == "journal" and v.abbrev != v.name]
    )
    target = _journal_work(rng, spec, venue=venue)
    ref = _reference(rng, target, venue=_scholar_venue(rng, target, "abbrev"))
    others = _distractors(rng, target, rng.randint(2, 4))
    cands = [_online_first(rng, _crossref(rng, target)), *(_crossref(rng, w) for w in others)]
    # Crossref often lacks the short title
    if rng.random() < 0.5:
        cands[0] = replace(cands[0], venues=cands[0].venues[:1])
    return ref, cands, target.identifier, "present"


def _case_missing_year(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    ref = _reference(rng, target, year=None, venue=rng.random() < 0.75)
    others = _distractors(rng, target, rng.randint(2, 4), sibling=0.4)
    return (
        ref,
        [_crossref(rng, target), *(_crossref(rng, w) for w in others)],
        target.identifier,
        "present",
    )


def _case_year_off_by_one(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    shown = target.year + (1 if rng.random() < 0.7 else -1)
    ref = _reference(rng, target, year=shown)
    others = _distractors(rng, target, rng.randint(2, 4))
    return (
        ref,
        [_crossref(rng, target), *(_crossref(rng, w) for w in others)],
        target.identifier,
        "present",
    )


_CONNECTIVES = (
    (" for ", " in "),
    (" with ", " using "),
    (" via ", " through "),
    (" on ", " in "),
    (" of ", " in "),
)


def _retitled(rng: random.Random, work: _Work) -> tuple[str, str]:
    """The preprint's title: mostly the published one, sometimes re-cased, sometimes edited
    the way authors edit titles between versions (a connective, an added or dropped word)."""
    roll = rng.random()
    if roll < 0.7:
        return work.title, "same_title"
    if roll < 0.85:
        return _sentence_lower(_strip_tags(work.title)), "recased_title"
    title = _strip_tags(work.title)
    edits = [pair for pair in _CONNECTIVES if pair[0] in title or pair[1] in title]
    if edits and rng.random() < 0.5:
        a, b = rng.choice(edits)
        return (title.replace(a, b, 1) if a in title else title.replace(b, a, 1)), "retitled"
    if rng.random() < 0.5:
        return "Towards " + (
            title if title[:2].isupper() else title[:1].lower() + title[1:]
        ), "retitled"
    adjective = rng.choice(("Efficient", "Robust", "Scalable", "Fast", "Improved"))
    words = title.split(" ")
    title_cased = len(words) > 1 and words[1][:1].isupper()
    rest = title if title_cased or words[0].isupper() else title[:1].lower() + title[1:]
    return f"{adjective} {rest}", "retitled"


def _case_preprint_to_journal(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng, rng.choice(("ml", "ml", "phys", "bio", "soc", "env")))
    journal = _journal_work(rng, spec)
    gap = rng.choices((0, 1, 2, 3), weights=(30, 45, 20, 5))[0]
    title, variant = _retitled(rng, journal)
    preprint = _arxiv_version(rng, journal, journal.year - gap, title)
    ref = _reference(
        rng,
        preprint,
        title=_scholar_title(rng, preprint.title),
        year="work" if rng.random() < 0.9 else None,
    )
    others = _distractors(rng, journal, rng.randint(2, 4))
    return (
        ref,
        [_crossref(rng, journal), *(_crossref(rng, w) for w in others)],
        journal.identifier,
        variant,
    )


def _case_journal_to_arxiv(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng, rng.choice(("ml", "ml", "phys", "bio", "soc", "env")))
    neurips = spec.pools == "ml" and rng.random() < 0.3
    journal = _journal_work(rng, spec)
    gap = rng.choices((0, 1, 2, 3), weights=(35, 45, 15, 5))[0]
    title, variant = _retitled(rng, journal)
    preprint = _arxiv_version(rng, journal, journal.year - gap, title)
    if not neurips and rng.random() < 0.25 and journal.venue is not None:
        preprint.journal_ref = (
            f"{journal.venue.abbrev} {journal.volume}, {journal.pages} ({journal.year})"
        )
    if neurips:
        venue_text = f"{_NEURIPS} {journal.year - 1987}"
        ref = _reference(rng, journal, venue=venue_text)
        variant += "/neurips"
    else:
        ref = _reference(rng, journal)
    others = [
        _arxiv_version(rng, w, w.year, w.title)
        for w in _distractors(rng, journal, rng.randint(2, 4))
    ]
    return (
        ref,
        [_crossref(rng, preprint), *(_crossref(rng, w) for w in others)],
        preprint.identifier,
        variant,
    )


_NOTICE_FORMS = (
    "Erratum: {t}",
    "Erratum to: {t}",
    "Correction to: {t}",
    "Correction: {t}",
    "Corrigendum to “{t}” [{abbrev} {volume} ({year}) {pages}]",
    "Author Correction: {t}",
    "Publisher Correction: {t}",
    "Retraction Note: {t}",
    "Retraction: {t}",
    "{t}",  # Crossref often gives the notice the original's title, with update-to
)


def _notice(rng: random.Random, target: _Work, form: str | None = None) -> _Work:
    form = form or rng.choice(_NOTICE_FORMS)
    venue = target.venue
    title = form.format(
        t=target.title,
        abbrev=venue.abbrev if venue else "",
        volume=target.volume,
        year=target.year,
        pages=target.pages or "",
    )
    year = target.year + rng.choices((0, 1, 2), weights=(40, 50, 10))[0]
    return _Work(
        identifier=_doi(rng, venue, year) if venue else f"10.9999/notice.{rng.randint(1, 99999)}",
        title=title,
        authors=list(target.authors) if rng.random() < 0.8 else [],
        year=year,
        venue=venue,
        is_update=form == "{t}" or rng.random() < 0.6,
        pages=None,
        spec=target.spec,
    )


def _case_errata(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    roll = rng.random()
    notices = [_notice(rng, target) for _ in range(rng.randint(1, 2))]
    others = _distractors(rng, target, rng.randint(1, 2))
    if roll < 0.55:
        ref = _reference(rng, target)
        works = [target, *notices, *others]
        return ref, [_crossref(rng, w) for w in works], target.identifier, "notice_and_original"
    if roll < 0.75:
        ref = _reference(rng, target)
        works = [*notices, *others]
        return ref, [_crossref(rng, w) for w in works], None, "notice_only"
    if roll < 0.88:
        # the row is itself the notice (Scholar lists errata on profiles)
        form = rng.choice(_NOTICE_FORMS[:4])
        notice = _notice(rng, target, form)
        notice.authors = list(target.authors)
        ref = _reference(rng, notice, title=_scholar_title(rng, notice.title))
        works = [notice, target, *others]
        return ref, [_crossref(rng, w) for w in works], notice.identifier, "row_is_notice"
    # a comment on the paper and the authors' reply
    comment = _Work(
        identifier=_doi(rng, target.venue, target.year + 1) if target.venue else "10.9999/c",
        title=f"Comment on “{target.title}”",
        authors=_team(rng, rng.randint(1, 3)),
        year=target.year + 1,
        venue=target.venue,
        spec=spec,
    )
    reply = _Work(
        identifier=_doi(rng, target.venue, target.year + 1) if target.venue else "10.9999/r",
        title=f"Reply to “Comment on ‘{target.title}’”",
        authors=list(target.authors[:2]),
        year=target.year + 1,
        venue=target.venue,
        spec=spec,
    )
    ref = _reference(rng, target)
    works = [comment, reply, target, *others[:1]]
    return ref, [_crossref(rng, w) for w in works], target.identifier, "comment_and_reply"


_BOOK_TOPICS = {
    "ml": (
        "Deep Learning",
        "Pattern Recognition",
        "Data Mining and Knowledge Discovery",
        "Computer Vision",
    ),
    "bio": (
        "Systems Biology",
        "Cancer Research",
        "Neurodegenerative Diseases",
        "Clinical Epidemiology",
    ),
    "phys": ("Nanomaterials", "Battery Technology", "Condensed Matter Physics", "Photovoltaics"),
    "soc": (
        "Development Economics",
        "Labour Economics",
        "Political Psychology",
        "Innovation Studies",
    ),
    "env": ("Environmental Remote Sensing", "Soil Science", "Hydrology", "Climate Adaptation"),
}
_BOOK_FORMS = (
    ("Handbook of {topic}", "Springer Handbooks"),
    ("Encyclopedia of {topic}", None),
    ("{topic}: Methods and Protocols", "Methods in Molecular Biology"),
    ("Advances in {topic}", "Advances in Experimental Medicine and Biology"),
    ("The Oxford Handbook of {topic}", None),
    ("Recent Trends in {topic}", "Lecture Notes in Computer Science"),
)


def _case_book_chapter(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    topic = rng.choice(_BOOK_TOPICS[spec.pools])
    form, series = rng.choice(_BOOK_FORMS)
    book = form.format(topic=topic)
    year = rng.randint(2006, 2024)
    isbn = f"978-3-030-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
    editors = _team(rng, rng.randint(1, 3))

    def chapter(chapter_spec: _TitleSpec, number: int) -> _Work:
        start = rng.randint(1, 600)
        return _Work(
            identifier=f"10.1007/{isbn}_{number}",
            title=chapter_spec.render(),
            authors=_team(rng),
            year=year,
            venue=None,
            work_type="book-chapter",
            pages=f"{start}-{start + rng.randint(10, 40)}",
            book=book,
            series=series if rng.random() < 0.7 else None,
            spec=chapter_spec,
        )

    numbers = rng.sample(range(1, 40), 4)
    target = chapter(spec, numbers[0])
    roll = rng.random()
    if roll < 0.5:
        venue_text: str | None = f"{book}, {target.pages}"
    elif roll < 0.6:
        venue_text = _sentence_lower(book) + f", {target.pages}"
    elif roll < 0.72 and series:
        venue_text = f"{series} {rng.randint(100, 2500)}, {target.pages}"
    elif roll < 0.87:
        venue_text = rng.choice(
            (
                "Springer, Cham",
                "Springer",
                "Elsevier",
                "Academic Press",
                "Springer International Publishing",
            )
        )
    else:
        venue_text = None
    ref = _reference(rng, target, venue=venue_text)
    whole = _Work(
        identifier=f"10.1007/{isbn}",
        title=book,
        authors=editors,
        year=year,
        venue=None,
        work_type=rng.choice(("book", "edited-book")),
        book=None,
        series=series,
    )
    siblings = [chapter(_other_spec(rng, spec), n) for n in numbers[1:3]]
    others = _distractors(rng, target, rng.randint(0, 2), sibling=0.2)
    works = [whole, *siblings, *others]
    cands = [_online_first(rng, _crossref(rng, target)), *(_crossref(rng, w) for w in works)]
    return ref, cands, target.identifier, "present"


_COMMON_TEMPLATES = {
    "ml": ("{method} for {task}", "{task} via {method}", "{adj} {method} for {task}"),
    "bio": ("The role of {gene} in {process}", "Effects of {factor} on {outcome} in {pop}"),
    "phys": ("Giant {pprop} in {material}", "Enhanced {pprop} of {material} via {pprocess}"),
    "soc": ("The impact of {policy} on {soutcome}", "{policy} as a driver of {soutcome}"),
    "env": ("Drivers of {phen} in {region}", "Mapping {phen} with {data}"),
}


def _near_identical(rng: random.Random, title: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        return title
    if roll < 0.75:
        if title.startswith("The "):
            return title[4:5].upper() + title[5:]
        return "The " + title[:1].lower() + title[1:]
    if roll < 0.9:
        return title.replace("-", " ")
    return title + ("s" if not title.endswith("s") else "")


def _case_other_authors(rng: random.Random, index: int) -> _Built:
    field_name = rng.choice(_FIELD_NAMES)
    spec = _fill(rng, rng.choice(_COMMON_TEMPLATES[field_name]), field_name)
    target = _journal_work(rng, spec)
    ref = _reference(rng, target)
    copies = []
    for _ in range(rng.randint(1, 3)):
        other = _journal_work(
            rng,
            spec,
            year=rng.choice(
                (
                    target.year,
                    target.year,
                    target.year + 1,
                    target.year - 1,
                    rng.randint(2004, 2024),
                )
            ),
        )
        other.title = _near_identical(rng, target.title)
        if rng.random() < 0.1:
            other.venue = target.venue
        copies.append(other)
    others = _distractors(rng, target, rng.randint(0, 2), sibling=0.0)
    if rng.random() < 0.6:
        works = [target, *copies, *others]
        return ref, [_crossref(rng, w) for w in works], target.identifier, "present"
    works = [*copies, *others]
    return ref, [_crossref(rng, w) for w in works], None, "absent"


_SERIES_TITLES = (
    "{topic}: highlights of the year",
    "Recent advances in {topic} research",
    "Trends in {topic}",
    "Annual review of {topic} research",
)


def _case_same_title_other_year(rng: random.Random, index: int) -> _Built:
    roll = rng.random()
    if roll < 0.22:
        # a yearly series by the same editor in the same journal: the row's year decides
        field_name = rng.choice(_FIELD_NAMES)
        topic = rng.choice(_BOOK_TOPICS[field_name]).lower()
        title = rng.choice(_SERIES_TITLES).format(topic=topic)
        title = title[:1].upper() + title[1:]
        editor = _team(rng, rng.randint(1, 2))
        venue = _venue_for(rng, field_name, "journal")
        year = rng.randint(2008, 2022)
        spec = _TitleSpec(title.replace("{", "{{").replace("}", "}}"), (), field_name)
        editions = {
            y: _journal_work(rng, spec, authors=editor, year=y, venue=venue)
            for y in (year - 1, year, year + 1)
        }
        ref = _reference(rng, editions[year])
        sub = rng.random()
        if sub < 0.7:
            works = list(editions.values())
            return ref, [_crossref(rng, w) for w in works], editions[year].identifier, "series"
        if sub < 0.92:
            works = [editions[year - 1], editions[year + 1]]
            return ref, [_crossref(rng, w) for w in works], None, "series_year_absent"
        works = [editions[year + 1]]
        return ref, [_crossref(rng, w) for w in works], None, "series_next_year_only"
    # a conference paper and its journal extension: same title, same authors
    field_name = "ml"
    spec = _spec(rng, field_name)
    conference = _journal_work(rng, spec, venue=_venue_for(rng, "ml", "proceedings"))
    gap = rng.choices((0, 1, 2, 3), weights=(20, 40, 28, 12))[0]
    journal = _journal_work(
        rng,
        spec,
        authors=conference.authors + (_team(rng, 1) if rng.random() < 0.3 else []),
        year=conference.year + gap,
        venue=_venue_for(rng, "ml", "journal"),
    )
    journal.title = conference.title
    others = _distractors(rng, conference, rng.randint(1, 2), sibling=0.2)
    row_is_conference = rng.random() < 0.5
    row_work = conference if row_is_conference else journal
    if roll < 0.3 and row_is_conference:
        # only the extension is registered (NeurIPS-like conferences have no DOIs)
        ref = _reference(rng, conference, venue=f"{_NEURIPS} {conference.year - 1987}")
        journal.year = conference.year + max(1, gap)
        works = [journal, *others]
        return ref, [_crossref(rng, w) for w in works], None, "extension_only"
    if roll < 0.45:
        # the row has neither year nor venue: nothing tells the versions apart
        ref = _reference(rng, row_work, year=None, venue=False)
        works = [conference, journal, *others]
        return ref, [_crossref(rng, w) for w in works], None, "no_year_no_venue"
    if gap == 0 and rng.random() < 0.5:
        ref = _reference(rng, row_work, venue=False)
        works = [conference, journal, *others]
        return ref, [_crossref(rng, w) for w in works], None, "same_year_no_venue"
    ref = _reference(
        rng, row_work, venue=_scholar_venue(rng, row_work, rng.choice(("full", "lower", "abbrev")))
    )
    works = [conference, journal, *others]
    variant = "conference_row" if row_work is conference else "journal_row"
    return ref, [_crossref(rng, w) for w in works], row_work.identifier, variant


_NEGATION_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("{x} is all you need", "{x} is not all you need", "ml"),
    ("{x} is enough for {task}", "{x} is not enough for {task}", "ml"),
    ("{method} improves {task}", "{method} does not improve {task}", "ml"),
    ("Supervised {method} for {task}", "Unsupervised {method} for {task}", "ml"),
    ("Linear models of {phen}", "Non-linear models of {phen}", "env"),
    ("{task} with labelled data", "{task} without labelled data", "ml"),
    (
        "{factor} is associated with {outcome} in {pop}",
        "{factor} is not associated with {outcome} in {pop}",
        "bio",
    ),
    (
        "Evidence for an effect of {factor} on {outcome}",
        "No evidence for an effect of {factor} on {outcome}",
        "bio",
    ),
    ("{method} can learn {obj}", "{method} cannot learn {obj}", "ml"),
    (
        "Stationary models of {phen} in {region}",
        "Non-stationary models of {phen} in {region}",
        "env",
    ),
    ("{policy} reduces {soutcome}", "{policy} does not reduce {soutcome}", "soc"),
    ("Why {method} generalize", "Why {method} do not generalize", "ml"),
    ("{policy} matters for {soutcome}", "{policy} never matters for {soutcome}", "soc"),
)
_NEGATION_X = (
    "attention",
    "data augmentation",
    "depth",
    "pretraining",
    "synthetic data",
    "scale",
    "curriculum learning",
)


def _case_negation(rng: random.Random, index: int) -> _Built:
    # every pair in turn, so each negation form has cases
    positive, negative, field_name = _NEGATION_PAIRS[index % len(_NEGATION_PAIRS)]
    vocabulary = dict(_FIELDS[field_name][0])
    vocabulary["x"] = _NEGATION_X
    values = {}
    for name in _SLOT.findall(positive):
        pool = vocabulary.get(name) or _FIELDS["ml"][0][name]
        values[name] = rng.choice(pool)
    titles = [positive.format(**values), negative.format(**values)]
    titles = [t[:1].upper() + t[1:] for t in titles]
    if rng.random() < 0.5:
        titles.reverse()
    row_title, opposite_title = titles
    spec = _TitleSpec(row_title.replace("{", "{{").replace("}", "}}"), (), field_name)
    target = _journal_work(rng, spec)
    target.title = row_title
    shown = _scholar_title(rng, row_title)
    if "does not" in shown and rng.random() < 0.3:
        shown = shown.replace("does not", "doesn't")
    if "Non-linear" in shown and rng.random() < 0.3:
        shown = shown.replace("Non-linear", "Nonlinear")
    ref = _reference(rng, target, title=shown)
    authors = [target.authors[0], *_team(rng, 2)] if rng.random() < 0.35 else None
    opposite = _journal_work(
        rng, spec, authors=authors, year=target.year + rng.choice((0, 0, 1, 1, 2, -1))
    )
    opposite.title = opposite_title
    others = [_journal_work(rng, _spec(rng, field_name)) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.65:
        works = [opposite, target, *others]
        return ref, [_crossref(rng, w) for w in works], target.identifier, "present"
    works = [opposite, *others]
    return ref, [_crossref(rng, w) for w in works], None, "absent"


_ROMANS = ("I", "II", "III", "IV")
_MODEL_NAMES = (
    "SciNet",
    "DeepLab",
    "PointNet",
    "MobileNet",
    "WaveNet",
    "GraphCast",
    "BioLM",
    "VoxelMorph",
)
_STAT_TOPICS = (
    "Cancer statistics",
    "Heart disease and stroke statistics",
    "Global tuberculosis report",
    "Diabetes atlas",
    "Suicide mortality in the United States",
)


_NUMBER_KINDS = ("part", "version", "year", "phase", "dimension", "followup")


def _case_number(rng: random.Random, index: int) -> _Built:
    kind = _NUMBER_KINDS[index % len(_NUMBER_KINDS)]
    field_name = {
        "version": "ml",
        "dimension": "ml",
        "year": "bio",
        "phase": "bio",
        "followup": "bio",
    }.get(kind, rng.choice(_FIELD_NAMES))
    base = _spec(rng, field_name).render()
    title_years: tuple[int, int] | None = None
    n = rng.randint(1, 3)
    m = rng.choice([k for k in range(1, 5) if k != n])
    same_authors = True
    if kind == "part":
        sep = rng.choice((". Part ", ", part ", ": Part "))
        row_title, other_title = f"{base}{sep}{_ROMANS[n - 1]}", f"{base}{sep}{_ROMANS[m - 1]}"
        right_title = row_title if rng.random() < 0.7 else f"{base}{sep}{n}"
    elif kind == "version":
        name = rng.choice(_MODEL_NAMES)
        desc = _spec(rng, "ml").render().lower()
        sep = rng.choice(("-", "v", " "))
        row_title, other_title = f"{name}{sep}{n + 1}: {desc}", f"{name}{sep}{m + 1}: {desc}"
        right_title = row_title
        same_authors = rng.random() < 0.5
    elif kind == "year":
        topic = rng.choice(_STAT_TOPICS)
        y = rng.randint(2012, 2023)
        z = y + rng.choice((-1, 1))
        form = rng.choice(("{t}, {y}", "{t} {y}", "{t}: {y} update"))
        row_title, other_title = form.format(t=topic, y=y), form.format(t=topic, y=z)
        right_title = row_title
        title_years = (y, z)
    elif kind == "phase":
        drug = rng.choice(
            ("semaglutide", "pembrolizumab", "tirzepatide", "dapagliflozin", "nirsevimab")
        )
        pop = rng.choice(_BIO["pop"])
        word = rng.choice(("Phase {k} trial", "A phase {k} randomized trial"))
        n, m = rng.choice(((2, 3), (3, 2), (1, 2)))
        row_title = f"{word.format(k=n)} of {drug} in {pop}"
        other_title = f"{word.format(k=m)} of {drug} in {pop}"
        right_title = (
            row_title
            if rng.random() < 0.8
            else row_title.replace(f"hase {n}", f"hase {_ROMANS[n - 1]}")
        )
    elif kind == "dimension":
        task = rng.choice(
            (
                "human pose estimation",
                "object detection",
                "scene reconstruction",
                "semantic segmentation",
                "hand tracking",
            )
        )
        source = rng.choice(
            ("from monocular video", "in the wild", "with transformers", "from sparse views")
        )
        a, b = rng.choice(((2, 3), (3, 2)))
        row_title, other_title = f"{a}D {task} {source}", f"{b}D {task} {source}"
        row_title, other_title = (
            row_title[:1].upper() + row_title[1:],
            other_title[:1].upper() + other_title[1:],
        )
        right_title = row_title
        same_authors = rng.random() < 0.4
    else:
        words = ("Five", "Ten", "Twenty", "Three")
        first, second = rng.sample(words, 2)
        cohort = rng.choice(
            (
                "the Whitehall II cohort",
                "a randomized trial of bariatric surgery",
                "patients with early psoriatic arthritis",
                "the Nurses' Health Study",
            )
        )
        row_title, other_title = (
            f"{first}-year follow-up of {cohort}",
            f"{second}-year follow-up of {cohort}",
        )
        right_title = row_title
    spec = _TitleSpec(row_title.replace("{", "{{").replace("}", "}}"), (), field_name)
    target = _journal_work(rng, spec, year=title_years[0] if title_years else None)
    target.title = right_title
    ref = _reference(rng, target, title=_scholar_title(rng, row_title))
    authors = list(target.authors) if same_authors else None
    other_year = title_years[1] if title_years else target.year + rng.choice((0, 0, 1, 1, -1, 2))
    other = _journal_work(rng, spec, authors=authors, year=other_year)
    other.title = other_title
    if same_authors and rng.random() < 0.6:
        other.venue = target.venue
    distractors = [_journal_work(rng, _spec(rng, field_name)) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.7:
        works = [other, target, *distractors]
        return ref, [_crossref(rng, w) for w in works], target.identifier, f"{kind}/present"
    works = [other, *distractors]
    return ref, [_crossref(rng, w) for w in works], None, f"{kind}/absent"


_SUBTITLES = (
    "a systematic review and meta-analysis",
    "a randomized controlled trial",
    "theory and experiments",
    "a large-scale benchmark",
    "evidence from a natural experiment",
    "methods and applications",
    "a comparative study",
    "challenges and opportunities",
    "design, implementation and evaluation",
    "lessons from the pandemic",
    "a longitudinal cohort study",
    "a critical review",
)


def _case_subtitle(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    main = spec.render()
    subtitle = rng.choice(_SUBTITLES)
    target = _journal_work(rng, spec)
    full = f"{target.title}: {subtitle}"
    target.title = full
    roll = rng.random()
    year: int | str | None = "work" if rng.random() < 0.88 else None
    others = _distractors(rng, target, rng.randint(1, 3))
    # the same main title by other authors, with its own subtitle
    clash = _journal_work(rng, spec)
    clash.title = f"{clash.title}: {rng.choice([s for s in _SUBTITLES if s != subtitle])}"
    if roll < 0.6:
        ref = _reference(rng, target, title=_scholar_title(rng, main), year=year)
        works = [target, *others] + ([clash] if rng.random() < 0.5 else [])
        return ref, [_crossref(rng, w) for w in works], target.identifier, "scholar_dropped"
    if roll < 0.85:
        ref = _reference(rng, target, year=year)
        cands = [_crossref(rng, target), *(_crossref(rng, w) for w in others)]
        cands[0] = replace(cands[0], title=cands[0].title.split(": ")[0])
        return ref, cands, target.identifier, "crossref_split"
    ref = _reference(rng, target, title=_scholar_title(rng, main), year=year)
    works = [clash, *others]
    return ref, [_crossref(rng, w) for w in works], None, "absent"


def _case_non_english(rng: random.Random, index: int) -> _Built:
    language = list(_LANGUAGES)[index % len(_LANGUAGES)]
    cultures = _LANGUAGES[language][2]
    spec = _spec(rng, language)
    team = [_person(rng, rng.choice(cultures)) for _ in range(rng.randint(1, 5))]
    target = _journal_work(rng, spec, authors=list(dict.fromkeys(team)))
    shown = _strip_tags(target.title)
    roll = rng.random()
    if language != "zh":
        if roll < 0.3:
            shown = _strip_accents(shown)
        elif roll < 0.4 and language == "de":
            shown = shown.replace("ü", "ue").replace("ä", "ae").replace("ö", "oe")
        elif roll < 0.55:
            shown = _sentence_lower(shown)
    if language == "zh" and rng.random() < 0.5:
        line = ", ".join(_HANZI[p.family] + _HANZI.get(p.given, p.given) for p in target.authors)
        venue = target.venue.scholar[0] if target.venue and target.venue.scholar else None
        ref = Reference(
            shown,
            line,
            target.year,
            f"{venue} {target.volume} ({target.issue or 1}), {target.pages}" if venue else None,
        )
        variant = "zh/hanzi_authors"
    else:
        ref = _reference(rng, target, title=shown)
        variant = f"{language}/latin_authors"
    siblings = []
    for _ in range(rng.randint(1, 3)):
        authors = (
            [target.authors[0], *_team(rng, 1)]
            if rng.random() < 0.3
            else [_person(rng, rng.choice(cultures)) for _ in range(rng.randint(1, 4))]
        )
        siblings.append(
            _journal_work(
                rng,
                _sibling(rng, spec),
                authors=list(dict.fromkeys(authors)),
                year=target.year + rng.choice((-1, 0, 1, 2)),
            )
        )
    if rng.random() < 0.85:
        cands = [_online_first(rng, _crossref(rng, target)), *(_crossref(rng, w) for w in siblings)]
        return ref, cands, target.identifier, variant
    return ref, [_crossref(rng, w) for w in siblings], None, variant + "/absent"


_SPELLING = (
    ("modelling", "modeling"),
    ("optimization", "optimisation"),
    ("behaviour", "behavior"),
    ("tumour", "tumor"),
    ("fibre", "fiber"),
    ("labelled", "labeled"),
    ("signalling", "signaling"),
    ("generalization", "generalisation"),
    ("urbanization", "urbanisation"),
    ("labour", "labor"),
    ("ageing", "aging"),
    ("centre", "center"),
)


_TYPO_KINDS = ("merge", "spelling", "drop", "swap", "merge", "double", "hyphen")


def _typo(rng: random.Random, title: str, kind: str) -> tuple[str, str]:
    """Scholar's title with one typo of the given kind (another when it does not apply)."""
    if kind in ("spelling", "hyphen"):
        for british, american in _SPELLING:
            for a, b in ((british, american), (american, british)):
                if a in title:
                    return title.replace(a, b, 1), "spelling"
        if kind == "hyphen" and "-" in title:
            return title.replace("-", "", 1), "hyphen"
        kind = "merge"
    words = title.split(" ")
    if kind == "merge":
        spots = [
            i
            for i in range(len(words) - 1)
            if words[i].lower() in ("for", "of", "in", "on", "and", "with", "the", "to")
            and words[i + 1].isalpha()
        ]
        if spots:
            i = rng.choice(spots)
            words[i : i + 2] = [words[i] + words[i + 1]]
            return " ".join(words), "merged_words"
        kind = "drop"
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return title + " ", "none"
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randint(1, len(w) - 2)
    if kind == "double":
        words[i] = w[:j] + w[j] + w[j:]
        return " ".join(words), "doubled_letter"
    if kind == "swap":
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words), "swapped_letters"
    words[i] = w[:j] + w[j + 1 :]
    return " ".join(words), "dropped_letter"


def _case_typo(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    shown, variant = _typo(rng, _scholar_title(rng, target.title), _TYPO_KINDS[index % 7])
    ref = _reference(rng, target, title=shown)
    others = _distractors(rng, target, rng.randint(2, 4), sibling=0.4)
    cands = [_online_first(rng, _crossref(rng, target)), *(_crossref(rng, w) for w in others)]
    return ref, cands, target.identifier, variant


_GENERIC_TITLES = (
    "Introduction",
    "Editorial",
    "Preface",
    "Foreword",
    "Book review",
    "Book Reviews",
    "Discussion",
    "Commentary",
    "Conclusion",
    "Introduction to the special issue",
    "Guest editorial",
    "Editorial: introduction",
    "Overview",
    "Summary",
    "Acknowledgements",
    "In memoriam",
    "Editor's note",
    "Letter to the editor",
)


def _case_generic_title(rng: random.Random, index: int) -> _Built:
    title = rng.choice(_GENERIC_TITLES)
    spec = _TitleSpec(title.replace("{", "{{").replace("}", "}}"), (), rng.choice(_FIELD_NAMES))
    target = _journal_work(rng, spec)
    ref = _reference(rng, target)
    works = []
    if rng.random() < 0.4:
        works.append(target)  # the row's own notice may well be there: still not identifiable
    for _ in range(rng.randint(2, 4)):
        works.append(_journal_work(rng, spec, year=rng.randint(2000, 2024)))
    return (
        ref,
        [_crossref(rng, w) for w in works],
        None,
        "own_present" if works[0] is target else "others_only",
    )


def _case_no_right_candidate(rng: random.Random, index: int) -> _Built:
    spec = _spec(rng)
    target = _journal_work(rng, spec)
    ref = _reference(rng, target)
    works = _distractors(rng, target, rng.randint(2, 5), sibling=0.7)
    if rng.random() < 0.5 and spec.pools in _FIELDS:
        # the same author's longer title on the same subject
        longer = _journal_work(
            rng,
            _TitleSpec(
                spec.template + " in {domain}".replace("{domain}", rng.choice(_ML["domain"])),
                spec.slots,
                spec.pools,
            ),
            authors=list(target.authors),
            year=target.year + rng.choice((0, 1, 2)),
        )
        works.append(longer)
    return ref, [_crossref(rng, w) for w in works], None, "absent"


_BUILDERS: dict[str, Callable[[random.Random, int], _Built]] = {
    "exact": _case_exact,
    "truncated_authors": _case_truncated_authors,
    "abbreviated_venue": _case_abbreviated_venue,
    "missing_year": _case_missing_year,
    "year_off_by_one": _case_year_off_by_one,
    "preprint_to_journal": _case_preprint_to_journal,
    "journal_to_arxiv": _case_journal_to_arxiv,
    "errata": _case_errata,
    "book_chapter": _case_book_chapter,
    "other_authors": _case_other_authors,
    "same_title_other_year": _case_same_title_other_year,
    "negation": _case_negation,
    "number": _case_number,
    "subtitle": _case_subtitle,
    "non_english": _case_non_english,
    "typo": _case_typo,
    "generic_title": _case_generic_title,
    "no_right_candidate": _case_no_right_candidate,
}


def category_sizes(n: int = DEFAULT_SIZE) -> dict[str, int]:
    """Cases per category for a set of ``n`` (largest remainder on the weights, >= 10 each)."""
    minimum = 10
    if n < minimum * len(CATEGORIES):
        raise ValueError(f"a matching set needs at least {minimum * len(CATEGORIES)} cases")
    total = sum(weight for weight, _ in CATEGORIES.values())
    exact = {name: n * weight / total for name, (weight, _) in CATEGORIES.items()}
    sizes = {name: max(minimum, math.floor(value)) for name, value in exact.items()}
    order = sorted(CATEGORIES, key=lambda name: (-(exact[name] - math.floor(exact[name])), name))
    index = 0
    while sum(sizes.values()) < n:
        sizes[order[index % len(order)]] += 1
        index += 1
    while sum(sizes.values()) > n:
        name = max(sizes, key=lambda k: (sizes[k], k))
        sizes[name] -= 1
    return sizes


def build_cases(seed: int = 4, n: int = DEFAULT_SIZE) -> list[MatchCase]:
    """The labelled set: ``n`` cases over every category, the same for the same seed."""
    cases = []
    for category, size in category_sizes(n).items():
        builder = _BUILDERS[category]
        for index in range(size):
            rng = random.Random(f"{seed}:{category}:{index}")
            reference, candidates, expected, variant = builder(rng, index)
            ranked = _ranked(rng, reference, candidates)
            if expected is not None and expected not in {c.identifier for c in ranked}:
                expected = None  # ranked out of the top five: the search did not return it
                variant += "/ranked_out"
            cases.append(
                MatchCase(
                    case_id=f"{category}-{index:03d}",
                    category=category,
                    reference=reference,
                    candidates=ranked,
                    expected=expected,
                    variant=variant,
                )
            )
    return cases


def _in_dev(case_id: str) -> bool:
    return hashlib.sha256(case_id.encode("utf-8")).digest()[0] % 2 == 0


def dev_test_split(cases: Sequence[MatchCase]) -> tuple[list[MatchCase], list[MatchCase]]:
    """(dev, test): by a hash of the case id, so a case stays on its side as the set grows."""
    dev = [case for case in cases if _in_dev(case.case_id)]
    test = [case for case in cases if not _in_dev(case.case_id)]
    return dev, test


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the matcher did with one case."""

    case: MatchCase
    accepted: str | None  # the accepted identifier
    reason: str | None  # why nothing was accepted

    @property
    def correct_accept(self) -> bool:
        return self.accepted is not None and _same_id(self.accepted, self.case.expected)

    @property
    def wrong_accept(self) -> bool:
        return self.accepted is not None and not _same_id(self.accepted, self.case.expected)

    @property
    def missed(self) -> bool:
        return self.case.expected is not None and not self.correct_accept


def _same_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts over some outcomes. precision = correct accepts / accepts; recall = correct
    accepts / cases whose expected identifier is not None (None when undefined)."""

    cases: int
    positives: int
    accepts: int
    correct_accepts: int
    wrong_accepts: int

    @property
    def precision(self) -> float | None:
        return self.correct_accepts / self.accepts if self.accepts else None

    @property
    def recall(self) -> float | None:
        return self.correct_accepts / self.positives if self.positives else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "positives": self.positives,
            "accepts": self.accepts,
            "correct_accepts": self.correct_accepts,
            "wrong_accepts": self.wrong_accepts,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
        }


def evaluate(cases: Iterable[MatchCase], policy: MatchPolicy) -> list[Outcome]:
    """Run the matcher (``best_match``'s decision) on every case."""
    outcomes = []
    for case in cases:
        result = match(case.reference, case.candidates, policy)
        accepted = result.candidate.identifier if result.candidate is not None else None
        outcomes.append(Outcome(case, accepted, result.reason))
    return outcomes


def tally(outcomes: Iterable[Outcome]) -> Tally:
    items = list(outcomes)
    return Tally(
        cases=len(items),
        positives=sum(1 for o in items if o.case.expected is not None),
        accepts=sum(1 for o in items if o.accepted is not None),
        correct_accepts=sum(1 for o in items if o.correct_accept),
        wrong_accepts=sum(1 for o in items if o.wrong_accept),
    )


@dataclass(frozen=True, slots=True)
class GridPoint:
    accept_threshold: float
    min_title: float
    tally: Tally


@dataclass(frozen=True, slots=True)
class GridResult:
    points: tuple[GridPoint, ...]
    best: GridPoint | None  # None when no point reaches the precision floor
    tied: tuple[GridPoint, ...]  # every point as good as the best
    min_precision: float


ACCEPT_GRID = tuple(round(0.60 + 0.01 * i, 2) for i in range(36))  # 0.60 .. 0.95
MIN_TITLE_GRID = tuple(round(0.70 + 0.01 * i, 2) for i in range(29))  # 0.70 .. 0.98


def grid_search(
    cases: Sequence[MatchCase],
    base: MatchPolicy,
    *,
    accept_values: Sequence[float] = ACCEPT_GRID,
    min_title_values: Sequence[float] = MIN_TITLE_GRID,
    min_precision: float = 0.99,
) -> GridResult:
    """The (accept_threshold, min_title) that maximises recall with precision >= the floor.

    Weights, the ambiguity margin and the informativeness floor stay ``base``'s. Ties (the
    same recall and precision): the strictest point (highest accept_threshold, then highest
    min_title) among those whose grid neighbours are ties too, so the choice is not on the
    edge of a cliff; the strictest tie when no tie is interior.
    """
    points = []
    for accept in accept_values:
        for min_title in min_title_values:
            policy = replace(base, accept_threshold=accept, min_title=min_title)
            points.append(GridPoint(accept, min_title, tally(evaluate(cases, policy))))
    feasible = [p for p in points if (p.tally.precision or 0.0) >= min_precision]
    if not feasible:
        return GridResult(tuple(points), None, (), min_precision)

    def key(p: GridPoint) -> tuple[float, float]:
        return (p.tally.recall or 0.0, p.tally.precision or 0.0)

    top = max(key(p) for p in feasible)
    tied = [p for p in feasible if key(p) == top]
    tied_at = {(p.accept_threshold, p.min_title) for p in tied}
    accepts, titles = list(accept_values), list(min_title_values)

    def interior(p: GridPoint) -> bool:
        i, j = accepts.index(p.accept_threshold), titles.index(p.min_title)
        neighbours = [
            (accepts[i + di], titles[j + dj])
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1))
            if 0 <= i + di < len(accepts) and 0 <= j + dj < len(titles)
        ]
        return all(n in tied_at for n in neighbours)

    pool = [p for p in tied if interior(p)] or tied
    best = max(pool, key=lambda p: (p.accept_threshold, p.min_title))
    return GridResult(tuple(points), best, tuple(tied), min_precision)
