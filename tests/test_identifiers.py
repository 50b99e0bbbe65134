from __future__ import annotations

import dataclasses

import pytest

from scholarcrawl.identifiers import (
    FoundIdentifier,
    IdentifierKind,
    arxiv_version,
    doi_is_arxiv,
    extract_identifiers,
    normalise_arxiv,
    normalise_doi,
    normalise_pmcid,
    normalise_pmid,
)

# --------------------------------------------------------------------------- normalise_doi


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1038/srep16696", "10.1038/srep16696"),
        ("10.1038/SREP16696", "10.1038/srep16696"),
        ("doi:10.1038/srep16696", "10.1038/srep16696"),
        ("DOI: 10.1038/srep16696", "10.1038/srep16696"),
        ("info:doi/10.1038/srep16696", "10.1038/srep16696"),
        ("https://doi.org/10.1038/srep16696", "10.1038/srep16696"),
        ("http://dx.doi.org/10.1038/srep16696", "10.1038/srep16696"),
        ("https://www.doi.org/10.1038/srep16696", "10.1038/srep16696"),
        ("HTTPS://DOI.ORG/10.1038/SREP16696", "10.1038/srep16696"),
        ("doi.org/10.1038/srep16696", "10.1038/srep16696"),
        ("https://doi.org/10.1038/srep16696/", "10.1038/srep16696"),
        ("https://doi.org/10.1038/srep16696?utm_source=x#abstract", "10.1038/srep16696"),
        ("https://doi.org/10.1038%2Fsrep16696", "10.1038/srep16696"),
        ("10.1038%2Fsrep16696", "10.1038/srep16696"),
        ("https%3A%2F%2Fdoi.org%2F10.1038%2Fsrep16696", "10.1038/srep16696"),
        ("  10.1038/srep16696  ", "10.1038/srep16696"),
        ("10.1038/srep16696.", "10.1038/srep16696"),
        ("10.1038/srep16696,", "10.1038/srep16696"),
        ("10.1038/srep16696;", "10.1038/srep16696"),
        ("10.1038/srep16696:", "10.1038/srep16696"),
        ("10.1038/srep16696).", "10.1038/srep16696"),
        ("10.1038/srep16696]", "10.1038/srep16696"),
        ("10.1038/srep16696>", "10.1038/srep16696"),
        ("(doi:10.1000/xyz123)", "10.1000/xyz123"),
        ("<10.1000/xyz123>", "10.1000/xyz123"),
        ('"10.1000/xyz123"', "10.1000/xyz123"),
        # balanced brackets belong to the DOI
        ("10.1016/0370-2693(86)90350-0", "10.1016/0370-2693(86)90350-0"),
        ("10.1016/0370-2693(86)90350-0).", "10.1016/0370-2693(86)90350-0"),
        ("10.1002/[sici]x", "10.1002/[sici]x"),
        (
            "10.1002/(SICI)1097-4636(199812)43:4<404::AID-JBM8>3.0.CO;2-F",
            "10.1002/(sici)1097-4636(199812)43:4<404::aid-jbm8>3.0.co;2-f",
        ),
        ("10.123456789/x", "10.123456789/x"),
        ("10.48550/arXiv.2101.00001", "10.48550/arxiv.2101.00001"),
    ],
)
def test_normalise_doi(raw: str, expected: str) -> None:
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "10.1/x",  # prefix too short
        "10.123/x",
        "10.1234567890/x",  # prefix too long
        "10.1234/",  # empty suffix
        "10.1234/.",
        "10.1234",
        "11.1234/x",
        "doi:",
        "https://doi.org/",
        "https://example.org/10.1234/x",
        "10.1234/a b",
        "10.1109/TPAMI.20…",  # cut by Scholar
        "10.1109/TPAMI.20...",
        "10.1109/TPA…MI.2019",
        "10.1234/" + "x" * 400,  # not a plausible DOI
        "x" * 100_000,
        "10.1234/ab\x00cd",
    ],
)
def test_normalise_doi_refuses(raw: str) -> None:
    assert normalise_doi(raw) is None


@pytest.mark.parametrize("raw", [None, 10, b"10.1038/srep16696", ["10.1038/x"]])
def test_normalisers_accept_any_object(raw: object) -> None:
    for normalise in (
        normalise_doi,
        normalise_arxiv,
        arxiv_version,
        normalise_pmid,
        normalise_pmcid,
        doi_is_arxiv,
    ):
        assert normalise(raw) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- arXiv


@pytest.mark.parametrize(
    ("raw", "expected", "version"),
    [
        # new scheme: 4 digits from 0704 to 1412, 5 digits from 1501
        ("0704.0001", "0704.0001", None),
        ("1412.8999", "1412.8999", None),
        ("1501.00001", "1501.00001", None),
        ("2101.00001", "2101.00001", None),
        ("2101.00001v1", "2101.00001", 1),
        ("2101.00001v3", "2101.00001", 3),
        ("2101.00001V12", "2101.00001", 12),
        ("arXiv:2101.00001", "2101.00001", None),
        ("arxiv:2101.00001v2", "2101.00001", 2),
        ("arXiv 2101.00001", "2101.00001", None),
        ("CoRR abs/1706.03762", "1706.03762", None),
        ("abs/1706.03762", "1706.03762", None),
        ("https://arxiv.org/abs/2101.00001", "2101.00001", None),
        ("https://arxiv.org/abs/2101.00001v2", "2101.00001", 2),
        ("http://export.arxiv.org/abs/2101.00001", "2101.00001", None),
        ("arxiv.org/abs/2101.00001", "2101.00001", None),
        ("https://arxiv.org/pdf/2101.00001.pdf", "2101.00001", None),
        ("https://arxiv.org/pdf/2101.00001v4.pdf", "2101.00001", 4),
        ("https://arxiv.org/pdf/2101.00001v4", "2101.00001", 4),
        ("https://arxiv.org/abs/2101.00001?context=cs", "2101.00001", None),
        ("10.48550/arXiv.2101.00001", "2101.00001", None),
        ("https://doi.org/10.48550/arXiv.2101.00001", "2101.00001", None),
        # old scheme
        ("astro-ph/0601001", "astro-ph/0601001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("arXiv:hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9108001", "hep-th/9108001", None),  # the first month of arXiv
        ("math/0703001", "math/0703001", None),  # the last month of the old scheme
        ("cond-mat/0001001", "cond-mat/0001001", None),
        ("q-alg/9701001", "q-alg/9701001", None),  # historic archive
        ("solv-int/9901001", "solv-int/9901001", None),
        ("cmp-lg/9404001", "cmp-lg/9404001", None),
        # the subject class is not part of the id
        ("math.AG/0309136", "math/0309136", None),
        ("arXiv:math.AG/0309136v1", "math/0309136", 1),
        ("cs.AI/0101001", "cs/0101001", None),
        ("physics.acc-ph/0601001", "physics/0601001", None),
        ("https://arxiv.org/abs/math.AG/0309136", "math/0309136", None),
        ("https://arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001", 3),
        ("10.48550/arXiv.hep-th/9901001", "hep-th/9901001", None),
    ],
)
def test_normalise_arxiv(raw: str, expected: str, version: int | None) -> None:
    assert normalise_arxiv(raw) == expected
    assert arxiv_version(raw) == version


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "2113.00001",  # month 13
        "2100.00001",  # month 00
        "hep-th/9913001",  # month 13
        "hep-th/9900001",
        "0703.0001",  # before the new scheme started
        "1412.12345",  # 5 digits before 2015
        "1501.1234",  # 4 digits from 2015
        "2101.000001",
        "2101.00000",
        "2101.00001v0",
        "2101.00001v",
        "foo-th/9901001",  # unknown archive
        "hep/9901001",
        "hep-th/0704001",  # old scheme ended in March 2007
        "hep-th/9107001",  # arXiv started in August 1991
        "hep-th/9901000",
        "hep-th/990100",
        "10.1038/srep16696",  # a DOI, but not arXiv's
        "10.48550/arXiv.2113.00001",
        "https://example.org/abs/2101.00001",
        "2101.00001 2101.00002",
        "x" * 100_000,
    ],
)
def test_normalise_arxiv_refuses(raw: str) -> None:
    assert normalise_arxiv(raw) is None
    assert arxiv_version(raw) is None


@pytest.mark.parametrize(
    ("doi", "expected"),
    [
        ("10.48550/arxiv.2101.00001", "2101.00001"),
        ("10.48550/arXiv.2101.00001", "2101.00001"),
        ("https://doi.org/10.48550/arXiv.1706.03762", "1706.03762"),
        ("10.48550/arXiv.hep-th/9901001", "hep-th/9901001"),
        ("10.48550/arXiv.2113.00001", None),
        ("10.48550/zenodo.123", None),
        ("10.1038/srep16696", None),
        ("2101.00001", None),
        ("", None),
    ],
)
def test_doi_is_arxiv(doi: str, expected: str | None) -> None:
    assert doi_is_arxiv(doi) == expected


# --------------------------------------------------------------------------- PubMed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", "12345678"),
        ("1", "1"),
        ("PMID: 12345678", "12345678"),
        ("PMID 12345678", "12345678"),
        ("pmid:12345678", "12345678"),
        ("00012345", "12345"),
        ("https://pubmed.ncbi.nlm.nih.gov/12345678/", "12345678"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/12345678", "12345678"),
        ("", None),
        ("0", None),
        ("123456789", None),  # 9 digits
        ("PMID: ", None),
        ("12a45", None),
        ("PMC1234567", None),
    ],
)
def test_normalise_pmid(raw: str, expected: str | None) -> None:
    assert normalise_pmid(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PMC1234567", "PMC1234567"),
        ("pmc1234567", "PMC1234567"),
        ("PMCID: PMC1234567", "PMC1234567"),
        ("PMC0012345", "PMC12345"),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", "PMC1234567"),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567/", "PMC1234567"),
        ("1234567", None),  # could as well be a PMID
        ("PMC", None),
        ("PMC0", None),
        ("PMC1234567890", None),
        ("", None),
    ],
)
def test_normalise_pmcid(raw: str, expected: str | None) -> None:
    assert normalise_pmcid(raw) == expected


# --------------------------------------------------------------------------- extraction


def _pairs(found: list[FoundIdentifier]) -> list[tuple[IdentifierKind, str]]:
    return [(f.kind, f.value) for f in found]


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        # Scholar venue styles for arXiv
        ("arXiv preprint arXiv:1706.03762, 2017", [("arxiv", "1706.03762")]),
        ("CoRR, abs/1706.03762", [("arxiv", "1706.03762")]),
        ("CoRR abs/1706.03762", [("arxiv", "1706.03762")]),
        ("ArXiv abs/1706.03762", [("arxiv", "1706.03762")]),
        ("arXiv 2101.00001", [("arxiv", "2101.00001")]),
        ("arXiv:2101.00001v2 [cs.LG]", [("arxiv", "2101.00001")]),
        ("arXiv e-prints, arXiv:2101.00001", [("arxiv", "2101.00001")]),
        ("see arxiv.org/abs/2101.00001v3.", [("arxiv", "2101.00001")]),
        ("https://arxiv.org/pdf/2101.00001v1.pdf", [("arxiv", "2101.00001")]),
        ("arXiv:hep-th/9901001", [("arxiv", "hep-th/9901001")]),
        ("Preprint hep-th/9901001v2, 1999", [("arxiv", "hep-th/9901001")]),
        ("arXiv:math.AG/0309136", [("arxiv", "math/0309136")]),
        ("math.AG/0309136", [("arxiv", "math/0309136")]),
        # DOIs
        ("Nature 521, 436 (2015). doi:10.1038/nature14539", [("doi", "10.1038/nature14539")]),
        ("(doi:10.1000/xyz123)", [("doi", "10.1000/xyz123")]),
        ("[10.1000/xyz123]", [("doi", "10.1000/xyz123")]),
        ("see https://doi.org/10.1000/XYZ123.", [("doi", "10.1000/xyz123")]),
        ("see https://doi.org/10.1000/xyz123?via=x, ok", [("doi", "10.1000/xyz123")]),
        ("see https://doi.org/10.1000%2Fxyz123", [("doi", "10.1000/xyz123")]),
        ('<a href="10.1000/xyz123">', [("doi", "10.1000/xyz123")]),
        ("«10.1000/xyz123»", [("doi", "10.1000/xyz123")]),
        ("DOI 10.1000/xyz123\u200f", [("doi", "10.1000/xyz123")]),
        ("10.1000/xyz123 — Journal", [("doi", "10.1000/xyz123")]),
        ("Phys. Lett. B 10.1016/0370-2693(86)90350-0.", [("doi", "10.1016/0370-2693(86)90350-0")]),
        (
            "J Biomed Mater Res 10.1002/(SICI)1097-4636(199812)43:4<404::AID-JBM8>3.0.CO;2-F",
            [("doi", "10.1002/(sici)1097-4636(199812)43:4<404::aid-jbm8>3.0.co;2-f")],
        ),
        # arXiv's DOI gives both
        (
            "doi:10.48550/arXiv.2101.00001",
            [("doi", "10.48550/arxiv.2101.00001"), ("arxiv", "2101.00001")],
        ),
        # PubMed
        ("PMID: 12345678", [("pmid", "12345678")]),
        ("PMID 12345678; PMCID: PMC7654321", [("pmid", "12345678"), ("pmcid", "PMC7654321")]),
        ("PMCID: 7654321", [("pmcid", "PMC7654321")]),
        ("Free text at PMC7654321.", [("pmcid", "PMC7654321")]),
        ("pubmed.ncbi.nlm.nih.gov/12345678/", [("pmid", "12345678")]),
        ("www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/", [("pmcid", "PMC7654321")]),
        # several, by position
        (
            "PMC7654321, arXiv:2101.00001, 10.1000/xyz123, PMID: 42",
            [
                ("pmcid", "PMC7654321"),
                ("arxiv", "2101.00001"),
                ("doi", "10.1000/xyz123"),
                ("pmid", "42"),
            ],
        ),
    ],
)
def test_extract_from_venue(venue: str, expected: list[tuple[IdentifierKind, str]]) -> None:
    assert _pairs(extract_identifiers({"venue": venue})) == expected


@pytest.mark.parametrize(
    "venue",
    [
        "Proceedings of the IEEE, 1706.03762",  # pages, not arXiv: no marker
        "Journal of Things 12 (3), 2101.00001",
        "arXiv preprint arXiv:1713.00001, 2017",  # month 13
        "arXiv preprint arXiv:1706.0376, 2017",  # 4 digits in 2017
        "arXiv:0703.0001",  # before the new scheme
        "arXiv:foo-th/9901001",  # unknown archive
        "foo-th/9901001",
        "example.org/hep-th/9901001",  # part of a path
        "hep-th/99010011",
        "10.1/x",  # prefix too short
        "10.123/abc",
        "110.1234/abc",
        "DOI10.1234/abc",
        "IEEE Transactions on Pattern Analysis and Machine Intelligence 10.1109/TPAMI.20…",
        "IEEE Transactions 10.1109/TPAMI.20...",
        "IEEE Transactions https://doi.org/10.1109/TPAMI.20…",
        "IEEE Transactions 10.1109/TPAMI.2019.2929146 …",
        "arXiv preprint arXiv:1706.03762…",
        "PMID: 1234…",
        "PMC12345…",
        "10.1000/abcé",  # a Unicode DOI would be cut short
        "PMID 123456789",  # 9 digits
        "PMID: 0",
        "PMC1234",  # too short without the PMCID marker
        "NPMC1234567",
        "pmc1234567",
        "12345678",  # a bare number is not a PMID
        "https://pubmed.ncbi.nlm.nih.gov/",
        "Corrosion 2101.00001",
        "",
    ],
)
def test_extract_refuses(venue: str) -> None:
    assert extract_identifiers({"venue": venue}) == []


def test_identifier_inside_another_is_not_reported() -> None:
    found = extract_identifiers({"venue": "10.1371/journal.PMC1234567 and 10.1000/hep-th/9901001"})
    assert _pairs(found) == [
        ("doi", "10.1371/journal.pmc1234567"),
        ("doi", "10.1000/hep-th/9901001"),
    ]


def test_found_identifier_reports_field_and_text() -> None:
    found = extract_identifiers(
        {
            "title": "Attention is all you need",
            "authors": None,
            "venue": "arXiv preprint arXiv:1706.03762v5, 2017 (doi:10.1000/XYZ123).",
        }
    )
    assert found == [
        FoundIdentifier(kind="arxiv", value="1706.03762", field="venue", text="arXiv:1706.03762v5"),
        FoundIdentifier(kind="doi", value="10.1000/xyz123", field="venue", text="10.1000/XYZ123"),
    ]


def test_found_identifier_is_frozen() -> None:
    found = FoundIdentifier(kind="doi", value="10.1000/x", field="venue", text="10.1000/x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.value = "10.1000/y"  # type: ignore[misc]


def test_same_identifier_is_reported_once_where_first_found() -> None:
    found = extract_identifiers(
        {
            "title": "On hep-th/9901001",
            "venue": "arXiv:hep-th/9901001v2; DOI 10.1000/ABC, doi:10.1000/abc.",
            "extra": "https://doi.org/10.1000/abc",
        },
        links=["https://arxiv.org/abs/hep-th/9901001", "https://doi.org/10.1000/abc"],
    )
    assert [(f.kind, f.value, f.field, f.text) for f in found] == [
        ("arxiv", "hep-th/9901001", "title", "hep-th/9901001"),
        ("doi", "10.1000/abc", "venue", "10.1000/ABC"),
    ]


def test_arxiv_doi_gives_both_and_dedups_with_the_arxiv_id() -> None:
    found = extract_identifiers(
        {"venue": "arXiv preprint arXiv:2101.00001"},
        links=["https://doi.org/10.48550/arXiv.2101.00001"],
    )
    assert [(f.kind, f.value, f.field) for f in found] == [
        ("arxiv", "2101.00001", "venue"),
        ("doi", "10.48550/arxiv.2101.00001", "link"),
    ]


def test_fields_in_mapping_order_then_links() -> None:
    found = extract_identifiers(
        {"venue": "PMID: 111", "title": "PMC22222", "authors": "doi:10.1000/a"},
        links=["https://pubmed.ncbi.nlm.nih.gov/333/"],
    )
    assert [(f.field, f.value) for f in found] == [
        ("venue", "111"),
        ("title", "PMC22222"),
        ("authors", "10.1000/a"),
        ("link", "333"),
    ]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://doi.org/10.1038/srep16696", [("doi", "10.1038/srep16696")]),
        ("http://dx.doi.org/10.1038/SREP16696", [("doi", "10.1038/srep16696")]),
        ("https://doi.org/10.1038%2Fsrep16696", [("doi", "10.1038/srep16696")]),
        ("https://dl.acm.org/doi/10.1145/3292500.3330701", [("doi", "10.1145/3292500.3330701")]),
        (
            "https://onlinelibrary.wiley.com/doi/abs/10.1002/anie.201915678?af=R",
            [("doi", "10.1002/anie.201915678")],
        ),
        (
            "https://www.tandfonline.com/doi/full/10.1080/01621459.2017.1285773#abstract",
            [("doi", "10.1080/01621459.2017.1285773")],
        ),
        (
            "https://doi.org/10.48550/arXiv.1706.03762",
            [("doi", "10.48550/arxiv.1706.03762"), ("arxiv", "1706.03762")],
        ),
        ("https://arxiv.org/abs/1706.03762v7", [("arxiv", "1706.03762")]),
        ("https://arxiv.org/pdf/1706.03762.pdf", [("arxiv", "1706.03762")]),
        ("https://arxiv.org/abs/1706.03762/", [("arxiv", "1706.03762")]),
        ("http://arxiv.org/abs/astro-ph/0601001v1", [("arxiv", "astro-ph/0601001")]),
        ("https://pubmed.ncbi.nlm.nih.gov/12345678/", [("pmid", "12345678")]),
        ("https://www.ncbi.nlm.nih.gov/pubmed/12345678", [("pmid", "12345678")]),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", [("pmcid", "PMC1234567")]),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567/", [("pmcid", "PMC1234567")]),
        # links give only what their URL form says
        ("https://www.biorxiv.org/content/10.1101/2020.01.01.123456v1.full.pdf", []),
        ("https://example.org/paper?id=arXiv:1706.03762", []),
        ("https://example.org/PMID12345678", []),
        ("https://arxiv.org/abs/1713.00001", []),
        ("https://arxiv.org/list/cs.LG/recent", []),
        ("https://scholar.google.com/citations?user=abc&hl=en", []),
    ],
)
def test_extract_from_links(link: str, expected: list[tuple[IdentifierKind, str]]) -> None:
    found = extract_identifiers({}, links=[link])
    assert _pairs(found) == expected
    assert all(f.field == "link" for f in found)


@pytest.mark.parametrize(
    ("fields", "links"),
    [
        ({}, ()),
        ({"venue": None, "title": ""}, []),
        ({"venue": "\x00\x01\x02 10.\x00 arXiv:\x7f PMID:\u202e"}, ["", "\x00"]),
        ({"venue": "\ud800 10.1000/\udfff"}, ["https://doi.org/\ud800"]),
        (None, None),
        ({"venue": 42}, [None, 7]),
    ],
)
def test_extract_never_raises(fields: object, links: object) -> None:
    extract_identifiers(fields, links)  # type: ignore[arg-type]


def test_a_single_link_string_is_one_link() -> None:
    found = extract_identifiers({}, links="https://arxiv.org/abs/2101.00001")
    assert _pairs(found) == [("arxiv", "2101.00001")]


@pytest.mark.parametrize(
    "text",
    [
        "arXiv" + " " * 200_000 + "1706.03762",
        "10.1234/" + "(" * 100_000 + ")" * 100_000,
        "10.1234/a" + "<a::" * 50_000,
        "10.1234/" + "a:" * 100_000 + "…",
        "arXiv:" * 35_000,
        "PMID" + " " * 200_000,
        "PMC12345 " * 22_000,
        "hep-th/" * 30_000,
        "10." * 70_000,
        "doi.org/" * 25_000,
        "1" * 200_000,
    ],
)
def test_pathological_input_returns(text: str) -> None:
    # Only that it finishes; every regular expression is linear.
    extract_identifiers({"venue": text}, links=[text])
    normalise_doi(text)
    normalise_arxiv(text)
