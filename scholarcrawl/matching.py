"""Is this Crossref work or arXiv entry the paper a Scholar row describes? (pure functions)

Scholar gives a title, an author line (``"A Vaswani, N Shazeer, N Parmar…"``: initials then
surname, long lists cut with an ellipsis), often a year and a venue string with volume, issue
and pages. Crossref's ``/works?query.bibliographic`` and the arXiv API give candidates. A
candidate is accepted only with a stated confidence (docs/matching.md):

* **Components** in [0, 1]: title, first author, year, venue. Their weighted mean is the
  ``total`` (the confidence stored as evidence). A value unknown on either side (no year, no
  venue, no authors, names or venues written in different scripts) scores :data:`NEUTRAL`:
  it neither supports nor contradicts.
* **Hard rules** that no weight outvotes: a title that differs by a negation or a number; an
  erratum, correction or retraction notice (or a comment/reply) for a row that is not one; a
  dropped subtitle without author and year support; years two or more apart (except a
  preprint/published pair, allowed three); a known first author found nowhere in the
  candidate's list; a venue that contradicts the row without an exact year.
* **Thresholds** (:class:`MatchPolicy`): ``min_title`` on the title alone, ``accept_threshold``
  on the total, and ``ambiguity_margin``: :func:`best_match` refuses when two different
  identifiers are accepted within the margin, unless they are versions of one work
  (preprint/published, conference/journal, yearly editions) that the row's kind, venue or
  exact year tells apart.

Crossref's own relevance score is never used: it is not normalised across queries.

Settings (:meth:`MatchPolicy.from_settings`): ``MATCH_TITLE_WEIGHT``, ``MATCH_AUTHOR_WEIGHT``,
``MATCH_YEAR_WEIGHT``, ``MATCH_VENUE_WEIGHT``, ``MATCH_ACCEPT_THRESHOLD``,
``MATCH_MIN_TITLE_SIMILARITY``, ``MATCH_AMBIGUITY_MARGIN``,
``MATCH_MIN_TITLE_INFORMATIVENESS``.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from scholarcrawl.fingerprint import AUTHOR_SPLIT, ELLIPSES, first_author_surname, normalise_title

# A component whose value is unknown on one side: no evidence either way.
NEUTRAL = 0.5

# Reasons a candidate is rejected (MatchScore.reason), a closed vocabulary.
REASONS = (
    "update_notice",  # erratum/correction/retraction notice vs a row that is not one
    "commentary_mismatch",  # "Comment on …", "Reply to …", "Book review …" vs a row that is not
    "negation_mismatch",  # the titles differ by not/no/without/un-/non-…
    "number_mismatch",  # the titles differ by a number: digits, Part II, GPT-3/GPT-4, 2019/2020
    "uninformative_title",  # "Introduction", "Editorial": nothing to identify a paper by
    "title_mismatch",  # title similarity below MatchPolicy.min_title
    "subtitle_unsupported",  # equal only before ":", without matching author and year
    "year_mismatch",  # two or more years apart (four for a preprint/published pair)
    "author_mismatch",  # the row's first author is nowhere in the candidate's list, and back
    "venue_mismatch",  # the venues contradict each other and the years are not equal
    "below_threshold",  # total below MatchPolicy.accept_threshold
    "ambiguous",  # another identifier scored within MatchPolicy.ambiguity_margin
)


def _wordset(text: str) -> frozenset[str]:
    """A set of words written as one block of text."""
    return frozenset(text.split())


# --- title keys ------------------------------------------------------------------------------

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_CONTRACTIONS = (
    (re.compile(r"\bcan['’]t\b", re.IGNORECASE), "can not"),
    (re.compile(r"\bwon['’]t\b", re.IGNORECASE), "will not"),
    (re.compile(r"n['’]t\b", re.IGNORECASE), " not"),
    (re.compile(r"\bcannot\b", re.IGNORECASE), "can not"),
)
# "RETRACTED ARTICLE: X" is the retracted paper itself (the row may list it), not a notice.
_RETRACTED_PREFIX = re.compile(r"^\W*retracted(?:\s+article)?\s*[:.\]]\s*", re.IGNORECASE)
_TRAILING_LABEL = re.compile(
    r"\s*[(\[](?:extended abstract|invited (?:paper|talk)|student abstract|short paper|"
    r"poster|abstract|preprint)[)\]]\s*$",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"^\W*(?:errat(?:um|a)\b|corrigend(?:um|a)\b|addendum\b"
    r"|(?:author |publisher |editorial )?correction(?:\s*:|\s+to\b|\s+notice\b|\s*$)"
    r"|retraction(?:\s*:|\s+(?:note|notice|statement|to)\b|\s*$)"
    r"|notice of retraction\b|(?:editorial )?expression of concern\b|publisher['’]?s note\b)",
    re.IGNORECASE,
)
_COMMENTARY = re.compile(
    r"^\W*(?:comments? on\b|(?:authors?['’]? )?reply\b|replies to\b|rebuttal\b"
    r"|response to (?:the )?comments?\b|discussion (?:of|on)\b|book review\b|commentary on\b"
    r"|letter to the editor\b)",
    re.IGNORECASE,
)
# Where Scholar (or Crossref, which stores subtitles apart) may cut a title in two.
_SUBTITLE_SEPARATOR = re.compile(r"\s*[:：]\s*|\s+[-–—]\s+|\s*—\s*|(?<=\w)[?!.]\s+(?=[A-Z])")

_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "non",
        "without",
        "never",
        "nor",
        "neither",
        "none",
        "nothing",
        "nicht",
        "kein",
        "keine",
        "keinen",
        "ohne",
        "sans",
        "pas",
        "sin",
        "nao",
        "senza",
        "nie",
    }
)
# A word that differs only by one of these prefixes is its negation (supervised/unsupervised);
# checked only when a whole word differs, never inside a longer change.
_NEGATION_PREFIXES = ("non", "un", "in", "im", "ir", "il", "dis")
# Written apart ("non-linear") or together ("nonlinear"): joined before comparing.
_JOINED_PREFIXES = frozenset({"non", "un"})

_ROMAN = {
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "xi": 11,
    "xii": 12,
    "xiii": 13,
    "xiv": 14,
    "xv": 15,
    "xvi": 16,
    "xvii": 17,
    "xviii": 18,
    "xix": 19,
    "xx": 20,
}
_ROMAN_SINGLE = {"i": 1, "v": 5, "x": 10}
# A single-letter numeral counts only after one of these ("Part I", "Type I", "Phase I").
_NUMBER_CUES = frozenset(
    {
        "part",
        "parts",
        "vol",
        "volume",
        "chapter",
        "book",
        "phase",
        "stage",
        "type",
        "class",
        "series",
        "section",
        "paper",
        "study",
        "trial",
        "level",
        "grade",
        "generation",
        "round",
        "wave",
        "teil",
        "partie",
        "parte",
    }
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_DIGITS = re.compile(r"\d+")

STOPWORDS = _wordset(
    """a an the of for and or in on at to by with from via into as is are be been its it their
    this that these those using based toward towards over under between among about through
    within after before during than do does can will we our you your how what why when which
    der die das den dem des und von zur zum zu im fur mit bei auf aus ein eine einer
    de la le les des du et en au aux un une sur par pour dans avec
    el los las y del al con por para una e o da do dos das em na nos com um uma
    di il lo gli della delle dei degli per con nel nella ve ile bir w z i na ze"""
)
# Words that say what kind of text something is, not what it is about.
GENERIC_WORDS = _wordset(
    """introduction introductory editorial editorials preface foreword prologue epilogue
    afterword book books review reviews discussion discussions commentary commentaries comment
    comments reply replies response responses rejoinder letter letters editor editors abstract
    abstracts index contents conclusion conclusions concluding overview summary summaries note
    notes news obituary erratum errata correction corrections corrigendum addendum
    acknowledgment acknowledgments acknowledgement acknowledgements reviewers referees front
    matter back cover table chapter appendix references bibliography guest special issue issues
    volume proceedings report reports announcement announcements memoriam tribute remarks
    opening closing keynote address session panel workshop symposium conference meeting program
    programme author authors instructions information miscellanea correspondence highlights
    welcome message president presidential chair invited talk part section supplement
    supplementary material materials year annual update perspective perspectives viewpoint essay
    thoughts general new untitled title"""
)

_FOLD = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ŀ": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ŋ": "ng",
    }
)
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}


def _is_cjk(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA"))


def _fold(token: str) -> str:
    if token in _GREEK:
        return _GREEK[token]
    return token.translate(_FOLD)


def _words(text: str) -> list[str]:
    """Normalised, folded words; CJK characters are words of their own (no spaces to split on)."""
    out: list[str] = []
    for word in normalise_title(text).split():
        word = _fold(word)
        if any(_is_cjk(char) for char in word):
            run = ""
            for char in word:
                if _is_cjk(char):
                    if run:
                        out.append(run)
                        run = ""
                    out.append(char)
                else:
                    run += char
            if run:
                out.append(run)
        else:
            out.append(word)
    return out


def _clean_title(title: str) -> str:
    text = html.unescape(_TAG.sub("", title))
    text = unicodedata.normalize("NFKC", text).strip().strip("\"'“”‘’«»")
    text = _RETRACTED_PREFIX.sub("", text)
    return _TRAILING_LABEL.sub("", text).strip()


def _title_tokens(clean: str) -> tuple[str, ...]:
    text = clean
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    words = _words(text)
    joined: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in _JOINED_PREFIXES and i + 1 < len(words):
            joined.append(words[i] + words[i + 1])
            i += 2
        else:
            joined.append(words[i])
            i += 1
    return tuple(joined)


def _number_value(tokens: Sequence[str], index: int) -> int | None:
    """The number a whole word stands for ("3", "iii", "three"; "i" only as "Part I")."""
    token = tokens[index]
    if token.isdigit():
        return int(token)
    if token in _ROMAN:
        return _ROMAN[token]
    if token in _ROMAN_SINGLE and index > 0 and tokens[index - 1] in _NUMBER_CUES:
        return _ROMAN_SINGLE[token]
    return _NUMBER_WORDS.get(token)


def _numbers(tokens: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """The numbers a title names (digits anywhere, roman numerals as part numbers, words)."""
    found: Counter[int] = Counter()
    for index, token in enumerate(tokens):
        digits = _DIGITS.findall(token)
        if digits:
            found.update(int(run) for run in digits)
            continue
        value = _number_value(tokens, index)
        if value is not None:
            found[value] += 1
    return tuple(sorted(found.items()))


def _same_numbers(a: Sequence[str], a_range: range, b: Sequence[str], b_range: range) -> bool:
    """Whether two differing chunks are the same numbers written differently (3 / III)."""
    values_a = [_number_value(a, i) for i in a_range]
    values_b = [_number_value(b, j) for j in b_range]
    return bool(values_a) and None not in values_a and values_a == values_b


def _is_content(token: str) -> bool:
    if token in STOPWORDS:
        return False
    return len(token) >= 2 or token.isdigit() or _is_cjk(token[0])


@dataclass(frozen=True, slots=True)
class _TitleKey:
    tokens: tuple[str, ...]
    text: str
    numbers: tuple[tuple[int, int], ...]
    content: int  # content words (not stopwords)

    @classmethod
    def of(cls, clean: str) -> _TitleKey:
        tokens = _title_tokens(clean)
        return cls(
            tokens=tokens,
            text=" ".join(tokens),
            numbers=_numbers(tokens),
            content=sum(1 for token in tokens if _is_content(token)),
        )


@dataclass(frozen=True, slots=True)
class _TitleFacts:
    key: _TitleKey
    main: _TitleKey | None  # the part before a subtitle separator, when there is one
    main_informativeness: float
    notice: bool
    commentary: bool


@lru_cache(maxsize=8192)
def _title_facts(title: str) -> _TitleFacts:
    clean = _clean_title(title)
    main: _TitleKey | None = None
    main_informativeness = 0.0
    parts = _SUBTITLE_SEPARATOR.split(clean, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        main = _TitleKey.of(parts[0])
        main_informativeness = _informativeness(main.tokens)
        if not main.tokens:
            main = None
    return _TitleFacts(
        key=_TitleKey.of(clean),
        main=main,
        main_informativeness=main_informativeness,
        notice=_NOTICE.match(clean) is not None,
        commentary=_COMMENTARY.match(clean) is not None,
    )


def _negation_between(chunk_a: Sequence[str], chunk_b: Sequence[str]) -> bool:
    negations_a = Counter(token for token in chunk_a if token in _NEGATIONS)
    negations_b = Counter(token for token in chunk_b if token in _NEGATIONS)
    if negations_a != negations_b:
        return True
    for left, right in ((chunk_a, chunk_b), (chunk_b, chunk_a)):
        for word in left:
            for prefix in _NEGATION_PREFIXES:
                stem = word[len(prefix) :]
                if word.startswith(prefix) and len(stem) >= 3 and stem in right:
                    return True
    return False


def _compare_keys(a: _TitleKey, b: _TitleKey) -> tuple[float, str | None]:
    """Similarity in [0, 1] and a mismatch flag ("negation_mismatch", "number_mismatch").

    The similarity is the lower of a character similarity (rapidfuzz ratio / token_sort;
    token_set only scaled by how much of the longer title the shorter covers, so a subset is
    not a match) and a word agreement: the share of content words both titles have, where a
    spelling variant, a typo or a different spacing ("forweb") counts as the same word and a
    substituted, added or missing word does not.
    """
    if not a.tokens or not b.tokens:
        return (1.0 if a.text == b.text else 0.0), None
    if a.text == b.text:
        return 1.0, None
    coverage = min(len(a.tokens), len(b.tokens)) / max(len(a.tokens), len(b.tokens))
    characters = (
        max(
            fuzz.ratio(a.text, b.text),
            fuzz.token_sort_ratio(a.text, b.text),
            fuzz.token_set_ratio(a.text, b.text) * coverage,
        )
        / 100.0
    )
    unmatched_a = unmatched_b = 0
    negation = False
    matcher = SequenceMatcher(None, a.tokens, b.tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        chunk_a, chunk_b = a.tokens[i1:i2], b.tokens[j1:j2]
        joined_a, joined_b = "".join(chunk_a), "".join(chunk_b)
        if joined_a == joined_b:
            continue  # only the spacing differs
        if _same_numbers(a.tokens, range(i1, i2), b.tokens, range(j1, j2)):
            continue  # "Phase 3" / "Phase III"
        if _negation_between(chunk_a, chunk_b):
            negation = True
        elif chunk_a and chunk_b and fuzz.ratio(joined_a, joined_b) >= 80:
            continue  # a spelling variant or a typo of the same words
        unmatched_a += sum(1 for token in chunk_a if _is_content(token))
        unmatched_b += sum(1 for token in chunk_b if _is_content(token))
    content = max(a.content, b.content, 1)
    words = 1.0 - min(1.0, max(unmatched_a, unmatched_b) / content)
    # The stricter of the two: characters forgive a substituted word in a long title
    # ("smart cities" vs "smart grids"), words forgive nothing but spelling.
    similarity = min(characters, words)
    if characters < 0.6:
        return similarity, None  # unrelated titles: the flags would say nothing more
    if negation:
        return similarity, "negation_mismatch"
    if a.numbers != b.numbers:
        return similarity, "number_mismatch"
    return similarity, None


# Scholar may drop a subtitle (or Crossref store it apart): the part before ":" must be this
# similar, and the row's first author and year must agree.
SUBTITLE_EQUALITY = 0.95
SUBTITLE_PENALTY = 0.05
SUBTITLE_MIN_AUTHOR = 0.9
SUBTITLE_MIN_YEAR = 0.8
SUBTITLE_MIN_INFORMATIVENESS = 0.5


def _title_component(ref: _TitleFacts, cand: _TitleFacts) -> tuple[float, str | None, bool]:
    """(similarity, flag, subtitle path used)."""
    similarity, flag = _compare_keys(ref.key, cand.key)
    if flag is not None or similarity >= SUBTITLE_EQUALITY:
        return similarity, flag, False
    best = 0.0
    pairs = (
        (ref.key, cand.main, cand.main_informativeness),
        (cand.key, ref.main, ref.main_informativeness),
    )
    for whole, main, informativeness in pairs:
        if main is None or informativeness < SUBTITLE_MIN_INFORMATIVENESS:
            continue
        part, part_flag = _compare_keys(whole, main)
        if part_flag is None and part >= SUBTITLE_EQUALITY:
            best = max(best, part)
    if best - SUBTITLE_PENALTY > similarity:
        return best - SUBTITLE_PENALTY, None, True
    return similarity, None, False


def _informativeness(tokens: Sequence[str]) -> float:
    content = [
        token
        for token in tokens
        if _is_content(token) and token not in GENERIC_WORDS and not token.isdigit()
    ]
    # CJK titles have a word per character: two characters make about one word.
    count = sum(0.5 if _is_cjk(token[0]) else 1.0 for token in content)
    if count <= 0:
        return 0.1 if len(tokens) >= 3 else 0.0
    if count < 2:
        return 0.3
    if count < 3:
        return 0.6
    if count < 4:
        return 0.8
    return 1.0


def title_informativeness(title: str) -> float:
    """How well a title identifies a paper, 0..1 (used to shed load before querying).

    Content words are words that are neither stopwords nor generic (``GENERIC_WORDS``:
    "Introduction", "Editorial", "Preface", "Book review", "Discussion", …). No content word
    gives 0.0 (0.1 for a longer generic title such as "Introduction to the special issue"),
    one gives 0.3, two 0.6, three 0.8, four or more 1.0.
    """
    return _informativeness(_title_facts(title).key.tokens)


# --- authors ---------------------------------------------------------------------------------

_NAME_PARTICLES = _wordset(
    """van von der den de del della di da das dos du la le lo ter ten te zu af al el bin ibn
    y e d l st"""
)
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})

AUTHOR_SAME = 1.0  # the same surname (diacritics, case, ü/ue folded)
AUTHOR_COMPOUND = 0.9  # a compound surname shares a word (García vs García-Pérez)
AUTHOR_FUZZY = 0.85  # one or two letters apart in a long surname (transliteration, typo)
AUTHOR_ELSEWHERE = 0.6  # the row's first author is in the candidate's list, not first


def _strip_ellipses(text: str) -> str:
    for mark in ELLIPSES:
        text = text.replace(mark, " ")
    return text


def _name_tokens(name: str) -> tuple[str, ...]:
    tokens = [_fold(token) for token in normalise_title(_strip_ellipses(name)).split()]
    while len(tokens) > 1 and (tokens[-1] in _NAME_SUFFIXES or len(tokens[-1]) == 1):
        tokens.pop()  # "Smith Jr", "Vaswani A"
    return tuple(tokens)


def _surname_key(tokens: Sequence[str]) -> str:
    words = [token for token in tokens if token not in _NAME_PARTICLES] or list(tokens)
    return words[-1] if words else ""


def _split_names(line: str | None) -> list[str]:
    if not line:
        return []
    names = []
    for part in AUTHOR_SPLIT.split(line.strip()):
        part = _strip_ellipses(part).strip()
        if part and normalise_title(part):
            names.append(part)
    return names


def first_author_key(authors_line_or_name: str) -> str:
    """The normalised surname of the first name in a Scholar line or of one candidate name.

    Works on both sides: ``"L van der Maaten, G Hinton"``, ``"van der Maaten"``,
    ``"Laurens van der Maaten"`` and ``"Maaten, L. van der"`` all give ``"maaten"``; Scholar's
    ellipsis is ignored, "Jr"/"III" and trailing initials are dropped, ø/ł/ı are folded.
    This is :func:`scholarcrawl.fingerprint.first_author_surname` with those refinements.
    """
    surname = _fold(first_author_surname(authors_line_or_name))
    if surname and surname not in _NAME_SUFFIXES and len(surname) > 1:
        return surname
    names = _split_names(authors_line_or_name)
    return _surname_key(_name_tokens(names[0])) if names else ""


def _german_fold(key: str) -> str:
    return key.replace("ae", "a").replace("oe", "o").replace("ue", "u").replace("ss", "s")


def _latin(tokens: Iterable[str]) -> bool:
    return any("a" <= char <= "z" for token in tokens for char in token)


def _surname_similarity(scholar: Sequence[str], candidate: Sequence[str]) -> float:
    """How surely a Scholar name (initials first) and a candidate name are one person."""
    key_s, key_c = _surname_key(scholar), _surname_key(candidate)
    if not key_s or not key_c:
        return 0.0
    if key_s == key_c or _german_fold(key_s) == _german_fold(key_c):
        return AUTHOR_SAME
    # Scholar's first word is the initials; the rest is the surname, maybe compound.
    surname_words = {
        token
        for token in (scholar[1:] if len(scholar) > 1 else scholar)
        if len(token) >= 3 and token not in _NAME_PARTICLES
    }
    candidate_words = {
        token for token in candidate if len(token) >= 3 and token not in _NAME_PARTICLES
    }
    if surname_words & candidate_words:
        return AUTHOR_COMPOUND
    if min(len(key_s), len(key_c)) >= 5 and Levenshtein.normalized_similarity(key_s, key_c) >= 0.8:
        return AUTHOR_FUZZY
    return 0.0


def _author_component(
    scholar: tuple[tuple[str, ...], ...], candidate: tuple[tuple[str, ...], ...]
) -> tuple[float, str | None]:
    """(score, note). Unknown (no names, or names in different scripts) is NEUTRAL."""
    if not scholar or not candidate:
        return NEUTRAL, "authors_unknown"
    if _latin(scholar[0]) != _latin(candidate[0]):
        return NEUTRAL, "authors_other_script"
    first = _surname_similarity(scholar[0], candidate[0])
    if first > 0:
        return first, None
    # Scholar lists the authors in the paper's order; a different first author is weak
    # evidence unless the name is at least somewhere in the other list.
    if any(_surname_similarity(scholar[0], other) >= AUTHOR_FUZZY for other in candidate[1:]):
        return AUTHOR_ELSEWHERE, "first_author_elsewhere"
    if any(_surname_similarity(other, candidate[0]) >= AUTHOR_FUZZY for other in scholar[1:]):
        return AUTHOR_ELSEWHERE, "first_author_elsewhere"
    return 0.0, None


# --- years -----------------------------------------------------------------------------------

YEAR_OFF_BY_ONE = 0.8  # online-first vs print year
# A preprint and its published version: months to years apart.
PREPRINT_YEAR_SCORES = {0: 1.0, 1: 0.9, 2: 0.6, 3: 0.3}


def _year_component(
    ref_year: int | None, cand_year: int | None, preprint_pair: bool
) -> tuple[float, str | None]:
    if ref_year is None or cand_year is None:
        return NEUTRAL, None
    gap = abs(ref_year - cand_year)
    if preprint_pair:
        if gap in PREPRINT_YEAR_SCORES:
            return PREPRINT_YEAR_SCORES[gap], None
        return 0.0, "year_mismatch"
    if gap == 0:
        return 1.0, None
    if gap == 1:
        return YEAR_OFF_BY_ONE, None
    return 0.0, "year_mismatch"


# --- venues ----------------------------------------------------------------------------------

_VENUE_STOPWORDS = _wordset(
    """of the on and in for at to a an de la le du des der die das und fur y e di del il
    pp vol no nr"""
)
_PREPRINT_WORDS = frozenset(
    {
        "arxiv",
        "corr",
        "biorxiv",
        "medrxiv",
        "chemrxiv",
        "psyarxiv",
        "socarxiv",
        "techrxiv",
        "ssrn",
        "preprint",
        "preprints",
    }
)
_PREPRINT_TYPES = frozenset({"arxiv", "posted-content"})
# A venue made of these alone names a publisher, not a journal or a book ("Springer, Cham").
_PUBLISHER_WORDS = _wordset(
    """springer elsevier wiley blackwell press university mit cambridge oxford crc routledge
    taylor francis cham berlin heidelberg new york london boston publishing publishers verlag
    academic sage ieee acm citeseer inc ltd gmbh co emerald iop mdpi group"""
)
VENUE_CONTRADICTION = 0.25


def _venue_tokens(text: str) -> tuple[str, ...]:
    words = _words(html.unescape(_TAG.sub("", text)))
    return tuple(
        word
        for word in words
        if word not in _VENUE_STOPWORDS and not any(c.isdigit() for c in word)
    )


def _is_subsequence(short: str, long: str) -> bool:
    position = 0
    for char in short:
        position = long.find(char, position) + 1
        if position == 0:
            return False
    return True


def _venue_word_match(a: str, b: str) -> float:
    """An ISO-4 abbreviation matches its word: a prefix ("Trans." of "Transactions") or the
    word with letters left out ("Natl." of "National", "Mgmt." of "Management")."""
    if a == b:
        return 1.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if long.startswith(short):
        return 1.0 if len(short) >= 2 else 0.8
    if len(short) >= 3 and short[0] == long[0] and _is_subsequence(short, long):
        return 0.85
    return 0.0


# Words many venue names share: they count for little ("Journal of X" vs "Journal of Y").
_COMMON_VENUE_WORDS = (
    "journal",
    "international",
    "proceedings",
    "transactions",
    "review",
    "reviews",
    "letters",
    "research",
    "science",
    "sciences",
    "advances",
    "annals",
    "annual",
    "conference",
    "symposium",
    "workshop",
    "meeting",
    "ieee",
    "acm",
    "society",
    "american",
    "european",
    "national",
    "bulletin",
    "archives",
    "reports",
    "communications",
    "studies",
    "systems",
    "applications",
    "applied",
)
COMMON_VENUE_WORD_WEIGHT = 0.3


@lru_cache(maxsize=4096)
def _venue_word_weight(word: str) -> float:
    """A common word, or an abbreviation of one ("J.", "Int.", "Trans."), weighs little."""
    for common in _COMMON_VENUE_WORDS:
        if common.startswith(word) and (len(word) >= 2 or word == "j"):
            return COMMON_VENUE_WORD_WEIGHT
        if len(word) >= 3 and word[0] == common[0] and _is_subsequence(word, common):
            return COMMON_VENUE_WORD_WEIGHT  # "Natl." of "National"
    return 1.0


def _aligned(a: Sequence[str], b: Sequence[str]) -> float:
    """Weighted Dice coefficient of the best in-order alignment of two venue word lists."""
    if not a or not b:
        return 0.0
    weights_a = [_venue_word_weight(word) for word in a]
    weights_b = [_venue_word_weight(word) for word in b]
    previous = [0.0] * (len(b) + 1)
    for word_a, weight_a in zip(a, weights_a, strict=True):
        current = [0.0]
        for j, word_b in enumerate(b, start=1):
            pair = _venue_word_match(word_a, word_b) * min(weight_a, weights_b[j - 1])
            current.append(max(previous[j], current[j - 1], previous[j - 1] + pair))
        previous = current
    return 2.0 * previous[-1] / (sum(weights_a) + sum(weights_b))


# An acronym spelled out by a run of the other venue's words is as good as the name.
ACRONYM_MATCH = 0.9


def _collapse_acronyms(a: Sequence[str], b: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """``b`` with every run of words whose initials spell a word of ``a`` replaced by that
    word ("Proceedings National Academy Sciences" -> "pnas", "Computer Vision Pattern
    Recognition" -> "cvpr"), and whether any run was found."""
    out = list(b)
    found = False
    for acronym in a:
        if not 3 <= len(acronym) <= 8 or not acronym.isalpha():
            continue
        size = len(acronym)
        for start in range(0, len(out) - size + 1):
            run = out[start : start + size]
            if "".join(word[0] for word in run) == acronym:
                out[start : start + size] = [acronym]
                found = True
                break
    return tuple(out), found


def _venue_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    collapsed_b, found_in_b = _collapse_acronyms(a, b)
    collapsed_a, found_in_a = _collapse_acronyms(b, a)
    return max(
        _aligned(a, b),
        _aligned(a, collapsed_b),
        _aligned(collapsed_a, b),
        ACRONYM_MATCH if found_in_a or found_in_b else 0.0,
    )


@dataclass(frozen=True, slots=True)
class _VenueFacts:
    text: str
    tokens: tuple[str, ...]
    preprint: bool
    publisher_only: bool


@lru_cache(maxsize=8192)
def _venue_facts(text: str) -> _VenueFacts:
    tokens = _venue_tokens(text)
    preprint = any(token in _PREPRINT_WORDS for token in tokens) or "research square" in (
        " ".join(tokens)
    )
    return _VenueFacts(
        text=text.casefold(),
        tokens=tokens,
        preprint=preprint,
        publisher_only=bool(tokens) and all(token in _PUBLISHER_WORDS for token in tokens),
    )


def _venue_component(
    ref_venue: str | None, candidate: Candidate, cand_preprint: bool
) -> tuple[float, bool, str | None]:
    """(score, known on both sides, note)."""
    if (
        ref_venue
        and candidate.identifier
        and candidate.identifier.casefold() in ref_venue.casefold()
    ):
        return 1.0, True, "identifier_in_venue"
    ref = _venue_facts(ref_venue) if ref_venue else None
    if ref is None or not ref.tokens or ref.publisher_only:
        return NEUTRAL, False, None
    venues = [_venue_facts(venue) for venue in candidate.venues if venue and venue.strip()]
    venues = [venue for venue in venues if venue.tokens]
    if ref.preprint:
        if (candidate.work_type or "") == "arxiv" and "arxiv" in ref.tokens:
            return 1.0, True, None
        preprint_venues = [venue for venue in venues if venue.preprint]
        if preprint_venues:
            return max(_venue_similarity(ref.tokens, v.tokens) for v in preprint_venues), True, None
        # a preprint row and a journal record: the venue says nothing about the match
        return NEUTRAL, False, "preprint_row"
    venues = [venue for venue in venues if not venue.preprint]
    if cand_preprint and not venues:
        return NEUTRAL, False, "preprint_candidate"
    if not venues:
        return NEUTRAL, False, None
    if not any(_latin(venue.tokens) == _latin(ref.tokens) for venue in venues):
        return NEUTRAL, False, "venue_other_script"
    return max(_venue_similarity(ref.tokens, venue.tokens) for venue in venues), True, None


# --- the public types ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """What Scholar says about a publication (one profile row)."""

    title: str
    authors: str | None  # Scholar's author line, initials then surname, maybe cut with "…"
    year: int | None
    venue: str | None  # Scholar's venue text, with volume, issue and pages


@dataclass(frozen=True, slots=True)
class Candidate:
    """What an API says (built from a Crossref work or an arXiv entry by the caller)."""

    identifier: str  # DOI or arXiv id
    title: str
    authors: tuple[str, ...]  # family names or full names, first author first (may be empty)
    year: int | None
    venues: tuple[str, ...]  # container titles (full and short), may be empty
    work_type: str | None = None  # Crossref type or "arxiv"
    is_update: bool = False  # an erratum/correction notice (Crossref update-to)


_SETTING_KEYS = {
    "title_weight": "MATCH_TITLE_WEIGHT",
    "author_weight": "MATCH_AUTHOR_WEIGHT",
    "year_weight": "MATCH_YEAR_WEIGHT",
    "venue_weight": "MATCH_VENUE_WEIGHT",
    "accept_threshold": "MATCH_ACCEPT_THRESHOLD",
    "min_title": "MATCH_MIN_TITLE_SIMILARITY",
    "ambiguity_margin": "MATCH_AMBIGUITY_MARGIN",
    "min_informativeness": "MATCH_MIN_TITLE_INFORMATIVENESS",
}
_WEIGHTS = ("title_weight", "author_weight", "year_weight", "venue_weight")
_THRESHOLDS = ("accept_threshold", "min_title", "ambiguity_margin", "min_informativeness")


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Weights and thresholds of the match (settings ``MATCH_*``, see :meth:`from_settings`).

    The total is the weighted mean of the four components (weights need not sum to one).
    A candidate is accepted when no hard rule rejects it, its title similarity is at least
    ``min_title``, its total at least ``accept_threshold`` and the row's title is at least
    ``min_informativeness`` informative; :func:`best_match` refuses two accepted identifiers
    closer than ``ambiguity_margin``.
    """

    title_weight: float
    author_weight: float
    year_weight: float
    venue_weight: float
    accept_threshold: float
    min_title: float
    ambiguity_margin: float
    min_informativeness: float = 0.25

    def __post_init__(self) -> None:
        for name in (*_WEIGHTS, *_THRESHOLDS):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{_SETTING_KEYS[name]} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{_SETTING_KEYS[name]} must be finite, got {value!r}")
        for name in _WEIGHTS:
            if getattr(self, name) < 0:
                raise ValueError(f"{_SETTING_KEYS[name]} must be >= 0, got {getattr(self, name)}")
        if self.weight_sum <= 0:
            raise ValueError("the MATCH_*_WEIGHT settings must not all be 0")
        for name in _THRESHOLDS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"{_SETTING_KEYS[name]} must be between 0 and 1, got {getattr(self, name)}"
                )

    @property
    def weight_sum(self) -> float:
        return self.title_weight + self.author_weight + self.year_weight + self.venue_weight

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> MatchPolicy:
        """Read the ``MATCH_*`` settings; a missing (or None) key keeps DEFAULT_POLICY's value."""
        values: dict[str, float] = {}
        for name, key in _SETTING_KEYS.items():
            raw = settings.get(key)
            if raw is None:
                values[name] = getattr(DEFAULT_POLICY, name)
                continue
            if isinstance(raw, bool):
                raise ValueError(f"{key} must be a number, got {raw!r}")
            try:
                values[name] = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a number, got {raw!r}") from None
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        """The policy as ``MATCH_*`` setting names and values (JSON-ready)."""
        return {key: getattr(self, name) for name, key in _SETTING_KEYS.items()}


# Chosen on the dev half of scholarcrawl.matchset (python -m bench.matching --grid): the grid
# over accept_threshold x min_title that maximises recall with precision >= 0.99 on dev.
DEFAULT_POLICY = MatchPolicy(
    title_weight=0.55,
    author_weight=0.2,
    year_weight=0.15,
    venue_weight=0.1,
    accept_threshold=0.82,
    min_title=0.86,
    ambiguity_margin=0.05,
    min_informativeness=0.25,
)


@dataclass(frozen=True, slots=True)
class MatchScore:
    """The components, total and decision for one candidate.

    Components are in [0, 1]. ``title``: similarity of the normalised titles (through a
    dropped subtitle: the main titles' similarity minus 0.05). ``author``: 1.0 same
    first-author surname, 0.9 compound surname sharing a word, 0.85 near-identical long
    surname, 0.6 the first author found elsewhere in the other list, 0.0 not found, NEUTRAL
    (0.5) when either side has no names. ``year``: 1.0 equal, 0.8 one apart (0.9/0.6/0.3
    for one/two/three years between a preprint and its published version), 0.0 further,
    NEUTRAL when either is unknown. ``venue``: abbreviation-aware similarity of the row's
    venue and the best container title, NEUTRAL when either is unknown, a publisher name, or
    a preprint server vs a journal.
    """

    title: float
    author: float
    year: float
    venue: float
    total: float
    accepted: bool
    reason: str | None
    threshold: float = 0.0  # the policy's accept_threshold
    min_title: float = 0.0  # the policy's min_title
    notes: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """JSON-ready components, total, decision and the thresholds they were held to."""
        return {
            "title": round(self.title, 4),
            "author": round(self.author, 4),
            "year": round(self.year, 4),
            "venue": round(self.venue, 4),
            "total": round(self.total, 4),
            "accepted": self.accepted,
            "reason": self.reason,
            "accept_threshold": self.threshold,
            "min_title": self.min_title,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What a candidate's comparison found, before any threshold (cached per pair)."""

    title: float
    author: float
    year: float
    venue: float
    title_reason: str | None  # hard reasons about the title itself
    other_reason: str | None  # hard reasons about authors, year, venue, subtitle support
    informativeness: float
    notes: tuple[str, ...]


def _is_preprint_candidate(candidate: Candidate) -> bool:
    if (candidate.work_type or "") in _PREPRINT_TYPES:
        return True
    return any(_venue_facts(venue).preprint for venue in candidate.venues if venue)


def _is_preprint_row(reference: Reference) -> bool:
    return bool(reference.venue) and _venue_facts(reference.venue or "").preprint


@lru_cache(maxsize=8192)
def _scholar_names(line: str | None) -> tuple[tuple[str, ...], ...]:
    return tuple(tokens for tokens in (_name_tokens(n) for n in _split_names(line)) if tokens)


@lru_cache(maxsize=8192)
def _candidate_names(authors: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    names = []
    for author in authors:
        # "Family, Given" keeps its family part; anything else is a family or a full name
        tokens = _name_tokens(author.split(",", 1)[0] if "," in author else author)
        if tokens:
            names.append(tokens)
    return tuple(names)


@lru_cache(maxsize=16384)
def _evaluate(reference: Reference, candidate: Candidate) -> _Evidence:
    ref_title, cand_title = _title_facts(reference.title), _title_facts(candidate.title)
    notes: list[str] = []
    title_reason: str | None = None
    if ref_title.notice != (candidate.is_update or cand_title.notice):
        title_reason = "update_notice"  # a notice matches only a row that is one
    elif ref_title.commentary != cand_title.commentary:
        title_reason = "commentary_mismatch"
    title, flag, subtitle = _title_component(ref_title, cand_title)
    title_reason = title_reason or flag
    if subtitle:
        notes.append("subtitle")

    ref_preprint = _is_preprint_row(reference)
    cand_preprint = _is_preprint_candidate(candidate)
    preprint_pair = ref_preprint != cand_preprint
    if preprint_pair:
        notes.append("preprint_pair")
    author, author_note = _author_component(
        _scholar_names(reference.authors), _candidate_names(candidate.authors)
    )
    if author_note:
        notes.append(author_note)
    year, year_reason = _year_component(reference.year, candidate.year, preprint_pair)
    venue, venue_known, venue_note = _venue_component(reference.venue, candidate, cand_preprint)
    if venue_note:
        notes.append(venue_note)

    other_reason: str | None = None
    year_exact = reference.year is not None and reference.year == candidate.year
    if subtitle and (author < SUBTITLE_MIN_AUTHOR or year < SUBTITLE_MIN_YEAR or year == NEUTRAL):
        other_reason = "subtitle_unsupported"
    elif year_reason is not None:
        other_reason = year_reason
    elif author == 0.0:
        other_reason = "author_mismatch"
    elif venue_known and venue < VENUE_CONTRADICTION and not year_exact:
        other_reason = "venue_mismatch"
    return _Evidence(
        title=title,
        author=author,
        year=year,
        venue=venue,
        title_reason=title_reason,
        other_reason=other_reason,
        informativeness=_informativeness(ref_title.key.tokens),
        notes=tuple(notes),
    )


def _decide(evidence: _Evidence, policy: MatchPolicy) -> MatchScore:
    total = (
        policy.title_weight * evidence.title
        + policy.author_weight * evidence.author
        + policy.year_weight * evidence.year
        + policy.venue_weight * evidence.venue
    ) / policy.weight_sum
    reason = evidence.title_reason
    if reason is None and evidence.informativeness < policy.min_informativeness:
        reason = "uninformative_title"
    if reason is None and evidence.title < policy.min_title:
        reason = "title_mismatch"
    if reason is None:
        reason = evidence.other_reason
    if reason is None and total < policy.accept_threshold:
        reason = "below_threshold"
    return MatchScore(
        title=evidence.title,
        author=evidence.author,
        year=evidence.year,
        venue=evidence.venue,
        total=total,
        accepted=reason is None,
        reason=reason,
        threshold=policy.accept_threshold,
        min_title=policy.min_title,
        notes=evidence.notes,
    )


def score(
    reference: Reference, candidate: Candidate, policy: MatchPolicy = DEFAULT_POLICY
) -> MatchScore:
    """Compare one candidate with the row (components, total, accepted, reason)."""
    return _decide(_evaluate(reference, candidate), policy)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The decision over a candidate list: the accepted candidate, or why there is none.

    ``reason`` is None when a candidate was accepted, else ``"no_candidates"``,
    ``"none_accepted"`` or ``"ambiguous"`` (then ``score`` is the best one, marked so).
    """

    candidate: Candidate | None
    score: MatchScore | None
    reason: str | None
    scored: tuple[tuple[Candidate, MatchScore], ...]


def _same_work(a: Candidate, b: Candidate) -> bool:
    """Possibly two records of one work: near-identical titles, and the same first author
    unless one record has no authors (then nothing says they are different works)."""
    similarity, flag = _compare_keys(_title_facts(a.title).key, _title_facts(b.title).key)
    if flag is not None or similarity < SUBTITLE_EQUALITY:
        return False
    key_a = first_author_key(a.authors[0]) if a.authors else ""
    key_b = first_author_key(b.authors[0]) if b.authors else ""
    return not key_a or not key_b or key_a == key_b


# Among versions of one work, a venue this much better than the others' picks its version.
VENUE_PREFERENCE = 0.25


def _resolve_versions(
    reference: Reference, contenders: list[tuple[Candidate, MatchScore]]
) -> tuple[Candidate, MatchScore] | None:
    """Pick one of the versions of one work (preprint/published, conference/journal, yearly
    editions) by what the row says: its kind, then its venue, then its exact year."""
    first = contenders[0][0]
    if not all(_same_work(first, candidate) for candidate, _ in contenders[1:]):
        return None
    pool = contenders
    wanted = _is_preprint_row(reference)  # a preprint row wants the preprint
    preferred = [pair for pair in pool if _is_preprint_candidate(pair[0]) == wanted]
    if preferred:
        pool = preferred
    if len(pool) > 1:
        best_venue = max(pair[1].venue for pair in pool)
        if best_venue > NEUTRAL:
            pool = [pair for pair in pool if pair[1].venue > best_venue - VENUE_PREFERENCE]
    if len(pool) > 1 and reference.year is not None:
        exact = [pair for pair in pool if pair[0].year == reference.year]
        if exact:
            pool = exact
    return pool[0] if len(pool) == 1 else None


def match(
    reference: Reference, candidates: Sequence[Candidate], policy: MatchPolicy = DEFAULT_POLICY
) -> MatchResult:
    """Score every candidate and decide (see :class:`MatchResult`)."""
    best: dict[str, tuple[Candidate, MatchScore]] = {}
    for candidate in candidates:
        key = candidate.identifier.strip().casefold()
        scored = (candidate, score(reference, candidate, policy))
        if key not in best or scored[1].total > best[key][1].total:
            best[key] = scored
    pairs = tuple(best.values())
    if not pairs:
        return MatchResult(None, None, "no_candidates", pairs)
    accepted = sorted((p for p in pairs if p[1].accepted), key=lambda p: -p[1].total)
    if not accepted:
        top = max(pairs, key=lambda p: p[1].total)
        return MatchResult(None, top[1], "none_accepted", pairs)
    top_candidate, top_score = accepted[0]
    # Close scores are ambiguous; so is any other version of the top work that the row
    # could also be (accepted, or short of the threshold only: an unknown author list costs
    # a version points, not its claim), however it scored.
    contenders = [accepted[0]]
    for pair in sorted(pairs, key=lambda p: -p[1].total):
        if pair is accepted[0]:
            continue
        close = pair[1].accepted and top_score.total - pair[1].total < policy.ambiguity_margin
        version = pair[1].reason in (None, "below_threshold") and _same_work(top_candidate, pair[0])
        if close or version:
            contenders.append(pair)
    if len(contenders) == 1:
        return MatchResult(top_candidate, top_score, None, pairs)
    chosen = _resolve_versions(reference, contenders)
    if chosen is not None and chosen[1].accepted:
        candidate, chosen_score = chosen
        notes = (*chosen_score.notes, "version_preferred")
        return MatchResult(candidate, replace(chosen_score, notes=notes), None, pairs)
    ambiguous = replace(accepted[0][1], accepted=False, reason="ambiguous")
    return MatchResult(None, ambiguous, "ambiguous", pairs)


def best_match(
    reference: Reference, candidates: Sequence[Candidate], policy: MatchPolicy = DEFAULT_POLICY
) -> tuple[Candidate, MatchScore] | None:
    """The one candidate the row identifies with the policy's confidence, or None."""
    result = match(reference, candidates, policy)
    if result.candidate is None or result.score is None:
        return None
    return result.candidate, result.score
