"""HTML of the replay server: Scholar's 2026 profile page, detail page, co-author list,
sign-in page, redirects.

Detail pages (:func:`render_detail_html`) follow the real page of 2024 in
``../shared/scholar-pages/detail``; co-author lists (:func:`render_colleagues_html`) the
markup public scrapers read, as no real copy is known. Both are described where defined.

The profile page reproduces the markup of real 2026 pages (``hl=en``): the
same element ids, classes, nesting and attribute forms, with the large inline
scripts and styles, the follow/co-author/citation dialogs' bodies and the
"Public access" panel left out because they carry no data. Reproduced:

* ``<meta http-equiv="Content-Type" content="text/html;charset=UTF-8">``, the
  canonical link ``https://scholar.google.com/citations?user=ID&amp;hl=en``,
  ``<title>`` and description wrapped in U+202A/U+202C bidi embeddings, the
  "Cited by 18.747" number format of the description;
* ``#gs_md_err`` (hidden) and ``#gsc_a_err`` ("The system can't perform the
  operation now"): both are present on every normal page;
* the stats table ``#gsc_rsb_st`` (All / Since <year>), the cites-per-year chart
  (see :func:`_chart`), the co-author sidebar ``#gsc_rsb_co`` (only when there
  are co-authors, like its ``#gsc_prf_t-ath`` tab);
* a "View all" button ``button#gsc_coauth_opn`` in the co-author sidebar's header when the
  profile has more co-authors than the 20 it shows (scrapers open the full list then);
* header ``#gsc_prf_in``, ``.gsc_prf_il`` (affiliation, org link with a raw
  ``&`` in its href as Scholar writes it), ``#gsc_prf_ivh`` ("Verified email at
  ..." and an optional Homepage link), ``#gsc_prf_int`` interests;
* rows ``tr.gsc_a_tr``: ``a.gsc_a_at`` (``citation_for_view`` link carrying
  sortby/cstart/pagesize like Scholar's), two ``div.gs_gray`` (authors; venue
  followed by ``<span class="gs_oph">, YEAR</span>``, ``, 0`` for a row
  without year, nothing when the venue is empty), ``a.gsc_a_ac`` with
  ``cites=ID[,ID...]`` (``href=""`` and no text without citations), merged
  markers ``a.gsc_a_acm`` (``data-eid``/``data-eud``) or ``span.gsc_a_m``
  holding ``*``, and ``span.gsc_a_h.gsc_a_hc`` year (empty without year);
* ``#gsc_a_nn`` "Articles 1&ndash;20" and ``#gsc_bpf_more`` with a bare
  ``disabled`` attribute when no row follows.

No rows (an empty profile, or ``cstart`` past the end): the table body holds
Scholar's single ``<tr class="gsc_a_tr"><td class="gsc_a_e" colspan="3">There
are no articles in this profile.</td></tr>``. Scrapers of real Scholar rely on
that row appearing on the page after the last one as well as on empty
profiles; ``#gsc_a_nn`` is then empty and "Show more" disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from scholarcrawl.replay.generator import DEFAULT_PAGESIZE, escape_html

if TYPE_CHECKING:
    from scholarcrawl.replay.generator import DetailMarkup, GeneratedProfile, PageWindow
    from scholarcrawl.scholar.model import (
        Coauthor,
        ProfileHeader,
        PublicationDetail,
        PublicationRow,
    )

__all__ = [
    "NO_ARTICLES_TEXT",
    "chart_geometry",
    "detail_chart_geometry",
    "escape",
    "render_colleagues_html",
    "render_detail_html",
    "render_google_error",
    "render_moved",
    "render_not_found",
    "render_profile_html",
    "render_scholar_captcha_page",
    "render_signin_page",
    "render_sorry_page",
]

NO_ARTICLES_TEXT = "There are no articles in this profile."
_ERR_TEXT = "The system can&#39;t perform the operation now. Try again later."
_LRE, _PDF = "\u202a", "\u202c"  # Scholar wraps <title>/description parts in these

# chart geometry of real pages: 160 px tall, one year every 32 px from the right
CHART_HEIGHT = 160
YEAR_STEP = 32
LABEL_RIGHT = 3
BAR_RIGHT = 8


escape = escape_html


# --------------------------------------------------------------------------- chart


def _axis(max_count: int) -> tuple[int, int]:
    """(axis maximum, divisions) as real charts draw them.

    Observed: 25 -> 26 (2 x 13), 40 -> 40, 88 -> 90 (2 x 45), 212 -> 220
    (4 x 55), 1413 -> 1500 (4 x 375): the step is rounded up to a quarter of
    its leading decimal unit, then to an integer.
    """
    div = 4 if max_count >= 100 else 2
    step = max_count / div
    digits = len(str(int(step))) if step >= 1 else 1
    gran = 10 ** (digits - 1) / 4
    whole = -(-step // gran) * gran
    step_i = int(-(-whole // 1))
    return max(step_i, 1) * div, div


def chart_geometry(
    cites_per_year: dict[int, int],
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int, int]], int, int]:
    """Year labels and bars of the cites-per-year chart.

    Returns ``(labels, bars, axis_max, divisions)``: labels ``(year, right)``
    for every year of the span, bars ``(year, count, right, height, z_index)``
    only for years with citations. With ``N`` years and ``i`` the year's index
    from the left: label ``right = 3 + 32 * (N - 1 - i)``, bar
    ``right = label right + 5`` and ``z-index = N - i`` (1 = latest year), so a
    missing bar leaves a gap in the z-index sequence, as on Scholar;
    ``height = floor(count * 160 / axis_max)``, ``top = 160 - height``.
    """
    years = sorted(cites_per_year)
    if not years or not any(cites_per_year.values()):
        return [], [], 0, 0
    n = len(years)
    axis_max, div = _axis(max(cites_per_year.values()))
    labels: list[tuple[int, int]] = []
    bars: list[tuple[int, int, int, int, int]] = []
    for i, year in enumerate(years):
        slot = n - 1 - i
        labels.append((year, LABEL_RIGHT + YEAR_STEP * slot))
        count = cites_per_year[year]
        if count > 0:
            height = count * CHART_HEIGHT // axis_max
            bars.append((year, count, BAR_RIGHT + YEAR_STEP * slot, height, n - i))
    return labels, bars, axis_max, div


def _chart(header: ProfileHeader) -> str:
    labels, bars, axis_max, div = chart_geometry(header.cites_per_year)
    if not labels:
        return ""
    # tick order of real pages: max, 1/2, 1/4, 3/4
    fracs = [(4, 4), (2, 4), (1, 4), (3, 4)] if div == 4 else [(2, 2), (1, 2)]
    lines = ['<div class="gsc_g_x" style="top:160px;"></div>']
    tick_labels = ['<div class="gsc_g_xtl" style="top:153px;">0</div>']
    for k, d in fracs:
        top = CHART_HEIGHT - CHART_HEIGHT * k // d
        lines.append(f'<div class="gsc_g_xt" style="top:{top}px;"></div>')
        tick_labels.append(
            f'<div class="gsc_g_xtl" style="top:{top - 7}px;">{axis_max * k // d}</div>'
        )
    parts = [
        '<div class="gsc_g_hist_wrp" dir="rtl"><div class="gsc_g_hist_x">',
        *lines,
        '</div><div class="gsc_g_hist_xl">',
        *tick_labels,
        '</div><div class="gsc_md_hist_w"><div class="gsc_md_hist_b">',
    ]
    parts += [f'<span class="gsc_g_t" style="right:{r}px">{y}</span>' for y, r in labels]
    parts += [
        f'<a href="javascript:void(0)" class="gsc_g_a" style="right:{r}px;top:{CHART_HEIGHT - h}px;'
        f'height:{h}px;z-index:{z}"><span class="gsc_g_al">{c}</span></a>'
        for _y, c, r, h, z in bars
    ]
    parts.append("</div></div></div>")
    return "".join(parts)


# --------------------------------------------------------------------------- page parts


def _fmt_cited(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # "Cited by 18.747" on real hl=en pages


def _head(p: GeneratedProfile) -> str:
    h = p.header
    sid = p.scholar_id
    name = escape(h.name)
    bits = [h.affiliation or ""]
    if h.citations_all:
        bits.append(f"{_LRE}Cited by {_fmt_cited(h.citations_all)}{_PDF}")
    bits += list(h.interests)
    desc = escape(" - ".join(f"{_LRE}{b}{_PDF}" for b in bits if b))
    return (
        f"<!doctype html><html><head><title>{_LRE}{name}{_PDF} - {_LRE}Google Scholar{_PDF}"
        '</title><meta http-equiv="Content-Type" content="text/html;charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="referrer" content="origin-when-cross-origin">'
        '<meta name="viewport" content="width=device-width,initial-scale=1,minimum-scale=1,'
        'maximum-scale=2"><meta name="format-detection" content="telephone=no">'
        '<link rel="shortcut icon" href="/favicon.ico">'
        f'<link rel="canonical" href="https://scholar.google.com/citations?user={sid}&amp;hl=en">'
        f'<meta name="description" content="{desc}">'
        f'<meta property="og:description" content="{desc}">'
        f'<meta property="og:title" content="{name}">'
        '<meta property="og:image" content="https://scholar.googleusercontent.com/citations?'
        f'view_op=medium_photo&amp;user={sid}&amp;citpid={p.citpid}">'
        '<meta property="og:type" content="website"><meta name="twitter:card" content="summary">'
        "</head>"
    )


def _dialog_head(did: str, title: str) -> str:
    return (
        f'<div id="{did}" class="gs_md_d gs_md_ds gs_ttzi" role="dialog" tabindex="-1" '
        f'aria-labelledby="{did}-t" data-wfc="{did}-x"><div class="gs_md_hdr">'
        f'<a href="javascript:void(0)" id="{did}-x" role="button" aria-label="Cancel" '
        f'data-mdx="{did}" class="gs_btnCLS gs_md_x gs_md_hdr_c gs_in_ib gs_btn_lrge">'
        '<span class="gs_ico"></span><span class="gs_ia_notf"></span><span class="gs_lbl">'
        f'</span></a><h2 id="{did}-t" class="gs_md_hdr_t">{title}</h2>'
        f'<div class="gs_md_hdr_b"></div></div><div id="{did}-bdy" class="gs_md_bdy">'
    )


def _body_top(sid: str) -> str:
    works = f"/citations?hl=en&amp;user={sid}&amp;view_op=list_works"
    login = (
        "https://accounts.google.com/Login?hl=en&amp;continue="
        "https://scholar.google.com/schhp%3Fhl%3Den"
    )
    return (
        '<body><div id="gs_top" onclick="">'
        '<div id="gs_md_ldg" style="display:none">Loading...</div>'
        f'<div id="gs_md_err" style="display:none">{_ERR_TEXT}</div><div id="gs_md_s"></div>'
        '<div data-h="0" class="gs_md_wnw gs_md_ds">'
        + _dialog_head("gsc_md_hist", "Citations per year")
        + '<div id="gsc_md_hist_c"></div></div></div></div>'
        '<div data-h="600" class="gs_md_wnw gs_md_ds gs_md_wmw">'
        + _dialog_head("gsc_md_cbyd", "Duplicate citations")
        + f'<form id="gsc_md_cbyd_f" action="{works}" method="post">'
        '<input type="hidden" name="s" value=""><div class="gs_md_lbl">The following articles '
        'are merged in Scholar. Their <a id="gsc_md_cbyd_c" href="javascript:void(0)">combined '
        "citations</a> are counted only for the first article.</div>"
        '<div id="gsc_md_cbyd_l"></div></form></div></div></div>'
        '<div data-h="600" class="gs_md_wnw gs_md_ds gs_md_wmw">'
        + _dialog_head("gsc_md_cbym", "Merged citations")
        + '<div class="gs_md_lbl">This "Cited by" count includes citations to the following '
        'articles in Scholar. The ones marked <span id="gsc_md_cbym_s">*</span> may be '
        "different from the article in the profile.</div>"
        f'<div id="gsc_md_cbym_l" data-act="{works}"></div></div></div></div>'
        '<div id="gs_hdr" role="banner" class="gs_hdr_src">'
        '<a id="gs_hdr_lgo" class="" href="/schhp?hl=en" aria-label="Homepage"></a>'
        '<div id="gs_hdr_md"><div id="gs_hdr_srch"><form id="gs_hdr_frm" action="/citations">'
        '<input type=hidden name="view_op" value="search_authors">'
        '<input type=hidden name="hl" value="en"><div class="gs_in_txtw gs_in_txtb">'
        '<input type="text" class="gs_in_txt" name="mauthors" value="" id="gs_hdr_tsi" '
        'placeholder="Search profiles" size="50" maxlength="2048" autocapitalize="off" '
        'aria-label="Search"><div class="gs_in_txts"></div></div></form></div></div>'
        f'<div id="gs_hdr_act"><a id="gs_hdr_act_s" href="{login}">Sign in</a></div></div>'
        '<form action="" method="post" id="gs_alrt"><span id="gs_alrt_m"></span>'
        '<span id="gs_alrt_h"></span><a id="gs_alrt_l" href="javascript:void(0)" '
        'class="gs_fm_s" data-fm="gs_alrt"></a></form>'
        '<div id="gs_bdy"><div id="gs_bdy_sb" role="navigation"><div id="gs_bdy_sb_in"></div>'
        '</div><div id="gs_bdy_ccl" role="main">'
        '<div id="gsc_bdy" class="gs_scl" data-tab="gsc_prf_t-art" data-usv="">'
    )


_STAT_TITLES = (
    (
        "Citations",
        "This is the number of citations to all publications. The second column has the "
        "&quot;recent&quot; version of this metric which is the number of new citations in "
        "the last 5 years to all publications.",
    ),
    (
        "h-index",
        "h-index is the largest number h such that h publications have at least h citations. "
        "The second column has the &quot;recent&quot; version of this metric which is the "
        "largest number h such that h publications have at least h new citations in the last "
        "5 years.",
    ),
    (
        "i10-index",
        "i10-index is the number of publications with at least 10 citations. The second column "
        "has the &quot;recent&quot; version of this metric which is the number of publications "
        "that have received at least 10 new citations in the last 5 years.",
    ),
)


# "View all": only when the sidebar does not show every co-author (scrapers open the full
# list, view_op=list_colleagues, when they find this button)
_VIEW_ALL = (
    '<span class="gsc_rsb_action"><button type="button" id="gsc_coauth_opn" '
    'class="gs_btnPR gs_in_ib gs_btn_flat gs_btn_lrge gs_btn_lsu"><span class="gs_wr">'
    '<span class="gs_lbl">View all</span></span></button></span>'
)


def _sidebar(p: GeneratedProfile) -> str:
    h = p.header
    values = (
        (h.citations_all, h.citations_since),
        (h.h_index_all, h.h_index_since),
        (h.i10_all, h.i10_since),
    )
    rows = "".join(
        f'<tr><td class="gsc_rsb_sc1"><a href="javascript:void(0)" class="gsc_rsb_f gs_ibl" '
        f'title="{title}">{label}</a></td><td class="gsc_rsb_std">{a or 0}</td>'
        f'<td class="gsc_rsb_std">{b or 0}</td></tr>'
        for (label, title), (a, b) in zip(_STAT_TITLES, values, strict=True)
    )
    out = [
        '<div class="gsc_rsb" role="navigation"><a id="gsc_rsb_gpl" class="gsc_rsb_s" '
        'href="/citations?hl=en">Get my own profile</a>'
        '<div class="gsc_rsb_s gsc_prf_pnl" id="gsc_rsb_cit" role="region" '
        'aria-labelledby="gsc_prf_t-cit"><h3 class="gsc_rsb_header">'
        '<span class="gsc_rsb_title">Cited by</span></h3><table id="gsc_rsb_st"><thead><tr>'
        '<th class="gsc_rsb_sth"></th><th class="gsc_rsb_sth">All</th>'
        f'<th class="gsc_rsb_sth">Since {h.since_year}</th></tr></thead><tbody>{rows}'
        "</tbody></table>",
        _chart(h),
        "</div>",
    ]
    if h.coauthors:
        out.append(
            '<div class="gsc_rsb_s gsc_prf_pnl" id="gsc_rsb_co" role="region" '
            'aria-labelledby="gsc_prf_t-ath"><h3 class="gsc_rsb_header">'
            '<span class="gsc_rsb_title">Co-authors</span>'
            + (_VIEW_ALL if p.more_coauthors else "")
            + '</h3><ul class="gsc_rsb_a">'
        )
        for co, email in zip(h.coauthors, p.coauthor_emails, strict=True):
            cid = co.scholar_id
            out.append(
                f'<li><div class="gsc_rsb_aa" tabindex="0"><span id="gsc_rsb-{cid}" '
                'class="gs_rimg gs_pp_tn gs_pp_mo_sm gsc_rsb_a_pht">'
                f'<img alt="{escape(co.name)}" sizes="(max-width:981px) 56px,32px" '
                f'src="/scholar/images/cleardot.gif" id="gsc_rsb-{cid}-img" class="gs_pp_df" '
                'data-src="/citations/images/avatar_scholar_56.png" '
                'data-srcset="/citations/images/avatar_scholar_32.png 32w,'
                "/citations/images/avatar_scholar_56.png 56w,"
                '/citations/images/avatar_scholar_128.png 128w"></span>'
                '<span class="gsc_rsb_a_desc">'
                f'<a tabindex="-1" href="/citations?user={cid}&amp;hl=en">{escape(co.name)}</a>'
                f'<span class="gsc_rsb_a_ext">{escape(co.affiliation or "")}</span>'
                f'<span class="gsc_rsb_a_ext gsc_rsb_a_ext2">{escape(email)}</span>'
                '<span class="gsc_rsb_tap"><span class="gs_btnPR"><span class="gs_ico">'
                "</span></span></span></span></div></li>"
            )
        out.append("</ul></div>")
    out.append("</div>")
    return "".join(out)


def _profile_block(p: GeneratedProfile) -> str:
    h = p.header
    name = escape(h.name)
    photo = escape(h.photo_url or "/citations/images/avatar_scholar_128.png")
    medium = photo.replace("view_op=view_photo", "view_op=medium_photo")
    email = f"Verified email at {escape(h.email_domain)}" if h.email_domain else ""
    if h.homepage:
        email += (
            f' - <a href="{escape(h.homepage)}" rel="nofollow" class="gsc_prf_ila">Homepage</a>'
        )
    interests = "".join(
        '<a href="/citations?view_op=search_authors&amp;hl=en&amp;mauthors=label:'
        f'{quote(i.lower().replace(" ", "_").replace("-", "_"))}" class="gsc_prf_inta gs_ibl">'
        f"{escape(i)}</a>"
        for i in h.interests
    )
    tabs = (
        '<a id="gsc_prf_t-art" class="gsc_prf_tab" href="javascript:void(0)" role=tab '
        'aria-controls="gsc_art" aria-selected="true">Articles</a>'
        '<a id="gsc_prf_t-cit" class="gsc_prf_tab" href="javascript:void(0)" role="tab" '
        'aria-controls="gsc_rsb_cit">Cited by</a>'
    )
    if h.coauthors:
        tabs += (
            '<a id="gsc_prf_t-ath" class="gsc_prf_tab" href="javascript:void(0)" role=tab '
            'aria-controls="gsc_rsb_co">Co-authors</a>'
        )
    return (
        '<div class="gsc_lcl" role="main" id="gsc_prf_w"><div id="gsc_prf">'
        '<a href="javascript:void(0)" role="button" id="gsc_prf_btnf" '
        'class="gsc_prf_btn gsc_prf_btn_top gs_btnFA gsc_prf_btn_act"><span class="gs_ico">'
        '</span><span class="gsc_prf_btn_lbl">Follow</span></a>'
        '<div id="gsc_prf_pu"><div id="gsc_prf_pua" class="gs_rimg">'
        f'<img alt="{name}" sizes="print 80px,128px" src="{photo}" id="gsc_prf_pup-img" '
        f'srcset="{photo} 128w,{medium} 256w"></div></div>'
        f'<div id="gsc_prf_i"><div id="gsc_prf_inw"><div id="gsc_prf_in">{name}</div></div>'
        f'<div class="gsc_prf_il">{p.affiliation_html}</div>'
        f'<div class="gsc_prf_il" id="gsc_prf_ivh">{email}</div>'
        f'<div class="gsc_prf_il" id="gsc_prf_int">{interests}</div></div></div></div>'
        f'<div id="gsc_prf_t_wrp" role="navigation"><div id="gsc_prf_t" role="tablist">{tabs}'
        "</div></div>"
        f'<div class="gsc_lcl gsc_prf_pnl" id="gsc_art" role="region" '
        f'aria-labelledby="gsc_prf_t-art">'
    )


def _table_head(sid: str, xsrf: str, sortby: str | None) -> str:
    works = f"/citations?hl=en&amp;user={sid}&amp;view_op=list_works"
    action = works + (f"&amp;sortby={sortby}" if sortby else "")
    sel = {None: "", "pubdate": "", "title": ""}
    sel[sortby] = " gsc_dd_sort-sel"
    return (
        f'<form method="post" action="{action}"><input type="hidden" name="xsrf" value="{xsrf}">'
        '<div id="gsc_a_tw"><table id="gsc_a_t"><thead><tr id="gsc_a_tr0" aria-hidden="true">'
        '<th class="gsc_a_t"></th><th class="gsc_a_c"></th><th class="gsc_a_y"></th></tr>'
        '<tr id="gsc_a_trh"><th class="gsc_a_t" scope="col"><span id="gsc_a_ta">'
        f'<a href="{works}&amp;sortby=title" class="gsc_a_a">Title</a></span>'
        '<div id="gsc_dd_sort-r" class="gs_md_r gs_md_rmb gs_md_rmbl"><button type="button" '
        'id="gsc_dd_sort-b" aria-controls="gsc_dd_sort-d" aria-haspopup="true" '
        'ontouchstart="gs_evt_dsp(event)" class=" gs_in_se gs_btn_mnu gs_btn_flat gs_btn_lrge '
        'gs_btn_half gs_btn_lsu gs_press gs_md_tb"><span class="gs_wr"><span class="gs_lbl">'
        'Sort</span><span class="gs_icm"></span></span></button><div id="gsc_dd_sort-d" '
        'class="gs_md_d gs_md_ds gs_md_ulr" role="menu" tabindex="-1"><div id="gsc_dd_sort-s" '
        'class="gs_oph gsc_dd_sec gsc_dd_sep">'
        f'<a role="menuitem" href="{works}" tabindex="-1" class="gs_md_li{sel[None]}">'
        "Sort by citations</a>"
        f'<a role="menuitem" href="{works}&amp;sortby=pubdate" tabindex="-1" '
        f'class="gs_md_li{sel["pubdate"]}">Sort by year</a>'
        f'<a role="menuitem" href="{works}&amp;sortby=title" tabindex="-1" '
        f'class="gs_md_li{sel["title"]}">Sort by title</a></div></div></div></th>'
        '<th class="gsc_a_c" scope="col" dir="rtl"><span id="gsc_a_ca"><div class="gs_nph">'
        'Cited by</div><div class="gs_oph">Cited by</div></span></th>'
        '<th class="gsc_a_y" scope="col"><span class="gsc_a_h" id="gsc_a_ha">'
        f'<a href="{works}&amp;sortby=pubdate" class="gsc_a_a">Year</a></span></th></tr>'
        '</thead><tbody id="gsc_a_b">'
    )


_FOOTER = (
    '<div id="gs_ftr_sp" role="presentation"></div><div id="gs_ftr" class="gs_md_rmb" '
    'role="contentinfo"><div id="gs_ftr_rt"><a href="//www.google.com/intl/en/policies/privacy/">'
    'Privacy</a><a href="//www.google.com/intl/en/policies/terms/">Terms</a>'
    '<a href="javascript:void(0)" ontouchstart="gs_evt_dsp(event)" role="button" '
    'aria-controls="gs_ftr_mnu" aria-haspopup="true" class="gs_press gs_md_tb">Help</a></div>'
    '<div id="gs_ftr_mnu" class="gs_md_d gs_md_ds gs_ttzi gs_md_ulr" role="menu" tabindex="-1">'
    '<a role="menuitem" href="/intl/en/scholar/about.html" tabindex="-1" class="gs_md_li">'
    'About Scholar</a><a role="menuitem" href="//support.google.com/websearch?p=scholar_dsa'
    '&amp;hl=en" tabindex="-1" class="gs_md_li">Search help</a></div></div></div></body></html>'
)


def _row(p: GeneratedProfile, row: PublicationRow, link_params: str) -> str:
    sid = p.scholar_id
    key = row.scholar_pub_key or ""
    mk = p.markup.get(key)
    title_html = mk.title_html if mk is not None else escape(row.title)
    authors = escape(row.authors or "")
    # the year follows a non-empty venue (", 0" without a year); nothing after an empty one
    raw_venue = (mk.venue_text if mk is not None else None) or row.venue
    venue = f'{escape(raw_venue)}<span class="gs_oph">, {row.year or 0}</span>' if raw_venue else ""
    marker = ""
    if row.citations > 0:
        cites = "https://scholar.google.com/scholar?oi=bibs&amp;hl=en&amp;cites=" + ",".join(
            row.cluster_ids
        )
        cls = "gsc_a_ac gs_ibl"
        extra = ""
        if mk is not None and mk.merge_style == "acm":
            cls += " gsc_a_acm"
            extra = f' data-eid="{key}" data-eud="{mk.merged_with or ""}"'
        elif mk is not None and mk.merge_style == "star":
            marker = (
                '<span class="gsc_a_m"><a href="javascript:void(0)" class="gsc_a_am" '
                f'data-eid="{key}">*</a></span>'
            )
        cited = f'<a href="{cites}" class="{cls}"{extra}>{row.citations}</a>{marker}'
    else:
        cited = '<a href="" class="gsc_a_ac gs_ibl"></a>'
    year = row.year if row.year is not None else ""
    return (
        '<tr class="gsc_a_tr"><td class="gsc_a_t"><a href="/citations?view_op=view_citation'
        f'&amp;hl=en&amp;user={sid}{link_params}&amp;citation_for_view={key}" class="gsc_a_at">'
        f'{title_html}</a><div class="gs_gray">{authors}</div><div class="gs_gray">{venue}</div>'
        f'</td><td class="gsc_a_c">{cited}</td><td class="gsc_a_y">'
        f'<span class="gsc_a_h gsc_a_hc gs_ibl">{year}</span></td></tr>'
    )


def _table_tail(w: PageWindow) -> str:
    nn = f"Articles {w.cstart + 1}&ndash;{w.end}" if w.rows else ""
    disabled = "" if w.more else "disabled "
    return (
        '</tbody></table><div id="gsc_a_sp"></div>'
        f'<div id="gsc_a_err" class="gs_alrt">{_ERR_TEXT}</div></div>'
        f'<div id="gsc_lwp"><span id="gsc_a_nn">{nn}</span><div id="gsc_bpf">'
        f'<button type="button" id="gsc_bpf_more" {disabled}class="gs_btnPD gs_in_ib '
        'gs_btn_flat gs_btn_lrge gs_btn_lsu"><span class="gs_wr"><span class="gs_ico"></span>'
        '<span class="gs_lbl">Show more</span></span></button></div></div></form></div>'
        "</div></div></div>"
    )


def render_profile_html(
    profile: GeneratedProfile,
    cstart: int | None = 0,
    pagesize: int | None = DEFAULT_PAGESIZE,
    sortby: str | None = None,
) -> str:
    """The whole profile page for one ``cstart``/``pagesize``/``sortby`` window."""
    w = profile.window(cstart, pagesize, sortby)
    top = profile.cached_fragment("top")
    if top is None:
        top = (
            _head(profile)
            + _body_top(profile.scholar_id)
            + _sidebar(profile)
            + _profile_block(profile)
        )
        profile.store_fragment("top", top)
    params = ""
    if w.sortby:
        params += f"&amp;sortby={w.sortby}"
    if w.cstart:
        params += f"&amp;cstart={w.cstart}"
    if w.pagesize != DEFAULT_PAGESIZE:
        params += f"&amp;pagesize={w.pagesize}"
    if w.rows:
        body = "".join([_row(profile, r, params) for r in w.rows])
    else:
        body = f'<tr class="gsc_a_tr"><td class="gsc_a_e" colspan="3">{NO_ARTICLES_TEXT}</td></tr>'
    head = _table_head(profile.scholar_id, profile.xsrf, w.sortby)
    return "".join((top, head, body, _table_tail(w), _FOOTER))


# --------------------------------------------------------------------------- detail page

# the article chart of real detail pages: bars 57 px at most, one year every 33 px from the left
DETAIL_CHART_HEIGHT = 57
DETAIL_YEAR_STEP = 33
DETAIL_BAR_LEFT = 5
_SCHOLAR = "https://scholar.google.com/scholar?oi=bibs&amp;hl=en"
_LOGIN = (
    "https://accounts.google.com/Login?hl=en&amp;continue="
    "https://scholar.google.com/schhp%3Fhl%3Den"
)
# The field order of real pages; the value of "Authors" is the full list, comma separated.
_DETAIL_FIELDS = (
    ("Publication date", "publication_date"),
    ("Journal", "journal"),
    ("Conference", "conference"),
    ("Book", "book"),
    ("Source", "source"),
    ("Volume", "volume"),
    ("Issue", "issue"),
    ("Pages", "pages"),
    ("Publisher", "publisher"),
)


def detail_chart_geometry(
    cites_per_year: dict[int, int],
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int, int]], int]:
    """Year labels and bars of a detail page's citations chart, as on the real page.

    Returns ``(labels, bars, width)``: labels ``(year, left)`` for every year of the span,
    bars ``(year, count, left, height, z_index)`` only for years with citations. With ``N``
    years and ``i`` the year's index from the left: label ``left = 33 * i``, bar
    ``left = 33 * i + 5``, ``z-index = N - i`` (gaps where a year has no bar),
    ``height = round(count * 57 / max)`` and ``top = 57 - height``; ``width = 33 * N - 2``.
    The real page of 2024 (six years, 44..148 citations) is reproduced pixel for pixel.
    """
    years = sorted(cites_per_year)
    top = max(cites_per_year.values(), default=0)
    if not years or top <= 0:
        return [], [], 0
    n = len(years)
    labels = [(year, DETAIL_YEAR_STEP * i) for i, year in enumerate(years)]
    bars = []
    for i, year in enumerate(years):
        count = cites_per_year[year]
        if count > 0:
            height = (2 * count * DETAIL_CHART_HEIGHT + top) // (2 * top)  # rounded half up
            bars.append((year, count, DETAIL_YEAR_STEP * i + DETAIL_BAR_LEFT, height, n - i))
    return labels, bars, DETAIL_YEAR_STEP * n - 2


def _detail_chart(detail: PublicationDetail, cites: str) -> str:
    labels, bars, width = detail_chart_geometry(detail.cites_per_year)
    if not labels:
        return ""
    parts = [
        f'<div id="gsc_oci_graph_wrapper"><div id="gsc_oci_graph" style="width:{width}px;">'
        '<div id="gsc_oci_graph_x"></div><div id="gsc_oci_graph_bars">'
    ]
    parts += [f'<span class="gsc_oci_g_t" style="left:{left}px">{y}</span>' for y, left in labels]
    parts += [
        f'<a href="{_SCHOLAR}&amp;cites={cites}&amp;as_sdt=5&amp;as_ylo={y}&amp;as_yhi={y}" '
        f'class="gsc_oci_g_a" style="left:{left}px;height:{h}px;'
        f'top:{DETAIL_CHART_HEIGHT - h}px;z-index:{z}"><span class="gsc_oci_g_al">{c}</span></a>'
        for y, c, left, h, z in bars
    ]
    parts.append("</div></div></div>")
    return "".join(parts)


def _field(label: str, value_html: str, value_id: str | None = None) -> str:
    vid = f' id="{value_id}"' if value_id else ""
    return (
        f'<div class="gs_scl"><div class="gsc_oci_field">{label}</div>'
        f'<div class="gsc_oci_value"{vid}>{value_html}</div></div>'
    )


def _versions_html(mk: DetailMarkup) -> str:
    authors = escape(", ".join(mk.authors_short))
    line = f"{authors}\u00a0- {escape(mk.source_line)}" if mk.source_line else authors
    out = []
    for v in mk.versions:
        links = []
        if v.citations:
            links.append(
                f'<a class="gsc_oms_link" href="{_SCHOLAR}&amp;cites={v.cluster_id}&amp;as_sdt=5">'
                f"Cited by {v.citations}</a>"
            )
        links.append(
            f'<a class="gsc_oms_link" href="{_SCHOLAR}&amp;q=related:{v.related}:'
            'scholar.google.com/">Related articles</a>'
        )
        if v.versions > 1:
            links.append(
                f'<a class="gsc_oms_link" href="{_SCHOLAR}&amp;cluster={v.cluster_id}">'
                f"All {v.versions} versions</a>"
            )
        out.append(
            '<div class="gsc_oci_merged_snippet"><div><a href="/scholar?oi=bibs&amp;cluster='
            f'{v.cluster_id}&amp;btnI=1&amp;hl=en">{mk.title_html}</a></div><div>{line}</div>'
            f"<div>{' '.join(links)}</div></div>"
        )
    return "".join(out)


def _detail_table(detail: PublicationDetail, mk: DetailMarkup) -> str:
    rows = []
    if detail.authors:
        rows.append(_field("Authors", escape(", ".join(detail.authors))))
    for label, name in _DETAIL_FIELDS:
        value = getattr(detail, name)
        if value:
            rows.append(_field(label, escape(value)))
    if detail.description:
        rows.append(
            _field(
                "Description",
                f'<div class="gsh_small">{escape(detail.description)}</div>',
                "gsc_oci_descr",
            )
        )
    if detail.citations:
        cites = ",".join(v.cluster_id for v in mk.versions) or (detail.cluster_id or "")
        rows.append(
            _field(
                "Total citations",
                f'<div style="margin-bottom:1em"><a href="{_SCHOLAR}&amp;cites={cites}'
                f'&amp;as_sdt=5">Cited by {detail.citations}</a></div>'
                + _detail_chart(detail, cites),
            )
        )
    if mk.versions:
        rows.append(_field("Scholar articles", _versions_html(mk)))
    return '<div id="gsc_oci_table">' + "".join(rows) + "</div>"


def _detail_title(detail: PublicationDetail, mk: DetailMarkup) -> str:
    clk = f"hl=en&amp;sa=T&amp;ei={mk.click_token}"
    gg = ""
    if detail.fulltext_url:
        kind = "[PDF]" if detail.fulltext_kind == "pdf" else "[HTML]"
        gg = (
            '<div id="gsc_oci_title_gg"><div class="gsc_oci_title_ggi">'
            f'<a href="{escape(detail.fulltext_url)}" data-clk="{clk}">'
            f"<span class='gsc_vcd_title_ggt'>{kind}</span> from {escape(mk.fulltext_host or '')}"
            "</a></div></div>"
        )
    if detail.title_url:
        title = (
            f'<a class="gsc_oci_title_link" href="{escape(detail.title_url)}" '
            f'data-clk="{clk}">{mk.title_html}</a>'
        )
    else:
        title = mk.title_html
    return f'<div id="gsc_oci_title_wrapper">{gg}<div id="gsc_oci_title">{title}</div></div>'


def _meta_description(detail: PublicationDetail, mk: DetailMarkup) -> str:
    text = ", ".join((*mk.authors_short, mk.source_line) if mk.source_line else mk.authors_short)
    if detail.citations:
        text += f" - Cited by {detail.citations}"
    return escape(text)


def _page_head(title: str, description: str, og_title: str) -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        '<meta http-equiv="Content-Type" content="text/html;charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="referrer" content="always">'
        '<meta name="viewport" content="width=device-width,initial-scale=1,minimum-scale=1,'
        'maximum-scale=2"><meta name="format-detection" content="telephone=no">'
        '<link rel="shortcut icon" href="/favicon.ico">'
        f'<meta name="description" content="{description}">'
        f'<meta property="og:description" content="{description}">'
        f'<meta property="og:title" content="{og_title}">'
        '<meta property="og:image" content=""><meta property="og:type" content="website">'
        '<meta name="twitter:card" content="summary"></head>'
    )


def _page_top(sid: str, heading: str) -> str:
    """``#gs_top`` up to the main column of a page below a profile (detail, co-authors)."""
    works = f"/citations?view_op=list_works&amp;hl=en&amp;hl=en&amp;user={sid}"
    return (
        '<body><div id="gs_top" onclick="">'
        '<div id="gs_md_ldg" style="display:none">Loading...</div>'
        f'<div id="gs_md_err" style="display:none">{_ERR_TEXT}</div><div id="gs_md_s"></div>'
        '<div data-h="800" class="gs_md_wnw gs_md_ds gs_md_wmw">'
        + _dialog_head("gs_md_cita-d", "")
        + '<div id="gs_md_cita-l" aria-live="assertive"></div></div></div></div>'
        f'<div id="gs_hdr" role="banner"><a href="{works}" id="gs_hdr_bck" role="button" '
        'class="gs_btnALT gs_in_ib gs_btn_lrge"><span class="gs_ico"></span>'
        '<span class="gs_ia_notf"></span><span class="gs_lbl"></span></a>'
        f'<div id="gs_hdr_md"><h1 dir="ltr">{heading}</h1></div>'
        f'<div id="gs_hdr_act"><a id="gs_hdr_act_s" href="{_LOGIN}">Sign in</a></div></div>'
        '<form action="" method="post" id="gs_alrt"><span id="gs_alrt_m"></span>'
        '<span id="gs_alrt_h"></span><a id="gs_alrt_l" href="javascript:void(0)" '
        'class="gs_fm_s" data-fm="gs_alrt"></a></form>'
    )


def _owner_sidebar(p: GeneratedProfile) -> str:
    """The left column of a detail page: the profile's owner, photo and name."""
    sid, name = p.scholar_id, escape(p.header.name)
    photo = f"https://scholar.googleusercontent.com/citations?view_op=small_photo&amp;user={sid}"
    photo += f"&amp;citpid={p.citpid}"
    big = photo.replace("small_photo", "view_photo")
    return (
        '<div id="gs_bdy"><div id="gs_bdy_sb" role="navigation"><div id="gs_bdy_sb_in">'
        f'<div id="gsc_sb_ui" class="gs_bdy_sb_sec"><a href="/citations?user={sid}&amp;hl=en" '
        f'class="gs_ibl"><span class="gs_rimg gs_pp_sm"><img alt="{name}" sizes="42px" '
        f'src="{photo}" srcset="{photo} 42w,{big} 96w" width="42" height="56"></span></a>'
        f'<div><a href="/citations?user={sid}&amp;hl=en">{name}</a></div></div></div></div>'
    )


def render_detail_html(profile: GeneratedProfile, key: str) -> str:
    """The detail page (``view_op=view_citation``) of the profile's row ``key`` (``USER:KEY``).

    Follows the real page of 2024 (``#gsc_oci_*`` markup): ``<title>View article</title>``,
    the meta description "W Cai, Z Wang, ..., IEEE access, 2018 - Cited by 485", the owner in
    the left column (``#gsc_sb_ui``), ``#gsc_vcpb`` with its edit link and the form holding
    ``s=KEY``, the [PDF]/[HTML] box ``#gsc_oci_title_gg`` (only with a full-text link), the
    title ``#gsc_oci_title`` (a ``a.gsc_oci_title_link`` when linked, bare text otherwise),
    then ``#gsc_oci_table``: one ``div.gs_scl`` per field with ``.gsc_oci_field`` and
    ``.gsc_oci_value`` (Authors, Publication date, Journal | Conference | Book | Source,
    Volume, Issue, Pages, Publisher, Description in ``#gsc_oci_descr > div.gsh_small``,
    Total citations with its "Cited by N" ``cites=`` link and chart, Scholar articles with a
    ``div.gsc_oci_merged_snippet`` per cluster). A field without a value has no row; a paper
    without citations has neither "Total citations" nor a chart. Raises ``KeyError`` for a
    key that is not the profile's.
    """
    detail, mk = profile.detail(key), profile.detail_markup(key)
    if detail is None or mk is None:
        raise KeyError(key)
    sid = profile.scholar_id
    edit = (
        f"/citations?view_op=edit_citation&amp;hl=en&amp;user={sid}&amp;citation_for_view={key}"
        f"&amp;citation_for_view={key}&amp;back_view_op=view_citation"
    )
    works = f"/citations?view_op=list_works&amp;hl=en&amp;hl=en&amp;user={sid}"
    return "".join(
        (
            _page_head("View article", _meta_description(detail, mk), escape(detail.title)),
            _page_top(sid, "View article"),
            _owner_sidebar(profile),
            f'<div id="gs_bdy_ccl" role="main"><div id="gsc_vcpb" data-edit-link="{edit}">'
            '<form method="post" id="gsc_vcpb_btns" '
            'action="/citations?view_op=view_citation&amp;hl=en">'
            f'<input type="hidden" name="xsrf" value="{profile.xsrf}">'
            f'<input type="hidden" name="s" value="{key}">'
            f'<input type="hidden" name="continue" value="{works}"></form>',
            _detail_title(detail, mk),
            _detail_table(detail, mk),
            "</div></div></div>",
            _FOOTER,
        )
    )


# --------------------------------------------------------------------------- co-author list


def _colleague(co: Coauthor, email: str) -> str:
    photo = "/citations/images/avatar_scholar_56.png"
    cid, name = co.scholar_id, escape(co.name)
    link = f"/citations?user={cid}&amp;hl=en"
    return (
        f'<div class="gsc_ucoar gs_scl" id="gsc_ucoar-{cid}"><div class="gs_ai gs_scl">'
        f'<a href="{link}" class="gs_ai_pho"><span class="gs_rimg gs_pp_sm">'
        f'<img alt="{name}" sizes="56px" src="{photo}" width="56" height="56"></span></a>'
        f'<div class="gs_ai_t gs_ai_pss"><h3 class="gs_ai_name"><a href="{link}">{name}</a></h3>'
        f'<div class="gs_ai_aff">{escape(co.affiliation or "")}</div>'
        f'<div class="gs_ai_eml">{escape(email)}</div></div></div></div>'
    )


def render_colleagues_html(profile: GeneratedProfile) -> str:
    """The full co-author list (``view_op=list_colleagues``) of ``profile``.

    No real copy of this page is known: the list's markup is what public scrapers read
    (scholarly's ``_get_coauthors_long``, Selenium scrapers of the "View all" dialog):
    ``div#gsc_codb_content`` holding, per co-author and in the sidebar's order,
    ``div.gsc_ucoar.gs_scl#gsc_ucoar-ID > div.gs_ai.gs_scl`` with ``a.gs_ai_pho`` (photo,
    ``img alt`` = name) and ``div.gs_ai_t.gs_ai_pss`` holding ``h3.gs_ai_name > a``
    (``/citations?user=ID&hl=en``), ``div.gs_ai_aff`` and ``div.gs_ai_eml`` ("Verified email
    at x.org", empty when none); the card markup of Scholar's author search. The frame
    around it (title "NAME - Co-authors", the header of a page below a profile) is
    plausible, not observed. No co-authors: an empty ``#gsc_codb_content``.
    """
    entries = [
        _colleague(co, email)
        for co, email in zip(profile.all_coauthors, profile.all_coauthor_emails, strict=True)
    ]
    name = escape(profile.header.name)
    return "".join(
        (
            _page_head(f"{name} - Co-authors", f"Co-authors of {name}", name),
            _page_top(profile.scholar_id, "Co-authors"),
            '<div id="gs_bdy"><div id="gs_bdy_sb" role="navigation"><div id="gs_bdy_sb_in">'
            '</div></div><div id="gs_bdy_ccl" role="main"><div id="gsc_codb">'
            f'<div id="gsc_codb_content">{"".join(entries)}</div></div></div></div>',
            _FOOTER,
        )
    )


# --------------------------------------------------------------------------- other pages


def render_moved(location: str) -> str:
    """Body of Google's 302 responses ("302 Moved ... The document has moved")."""
    loc = escape(location)
    return (
        '<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n'
        "<TITLE>302 Moved</TITLE></HEAD><BODY>\n<H1>302 Moved</H1>\nThe document has moved\n"
        f'<A HREF="{loc}">here</A>.\n</BODY></HTML>\n'
    )


def render_signin_page(continue_url: str) -> str:
    """A minimal Google sign-in page: where Scholar sends unknown or missing ids.

    Like the real one it is titled "Google Scholar Citations" and carries no
    profile markup (no ``#gsc_prf_in``, no ``tr.gsc_a_tr``).
    """
    cont = escape(continue_url)
    return (
        '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8">'
        '<meta name="referrer" content="origin"><title>Google Scholar Citations</title></head>'
        '<body><div id="initialView"><h1 id="headingText"><span>Sign in</span></h1>'
        '<div id="headingSubtext"><span>to continue to Google Scholar Citations</span></div>'
        '<form method="post" action="/accounts/ServiceLogin" id="identifierForm">'
        '<input type="email" name="identifier" id="identifierId" autocomplete="username" '
        'aria-label="Email or phone">'
        f'<input type="hidden" name="continue" value="{cont}">'
        '<button type="submit" id="identifierNext">Next</button></form>'
        "<p>Not your computer? Use a private browsing window to sign in.</p></div></body></html>"
    )


# A made-up reCAPTCHA site key of the real key's shape (40 characters, "6L" prefix).
REPLAY_SITEKEY = "6LeRePLAyAAAAAAserverNotARealSiteKey0000"


def render_sorry_page(url: str, *, ip: str, time: str, q: str = "", data_s: str = "") -> str:
    """Google's ``/sorry/index`` reCAPTCHA interstitial for a blocked ``url``.

    Follows the real page (2022, usually sent with HTTP 429): ``<title>`` is the
    blocked URL itself, ``form#captcha-form`` posts to ``index``, the widget is
    ``div#recaptcha.g-recaptcha`` with ``data-sitekey``/``data-callback``/``data-s``,
    hidden ``q`` and ``continue`` inputs, the "Our systems have detected unusual
    traffic from your computer network" notice and the ``IP address:`` / ``Time:``
    / ``URL:`` footer. No ``gsc_*`` markup. ``time`` is shown as given
    (``2026-01-31T12:00:00Z`` form).
    """
    u = escape(url)
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html>\n<head>'
        '<meta http-equiv="content-type" content="text/html; charset=utf-8">'
        f'<meta name="viewport" content="initial-scale=1"><title>{u}</title></head>\n'
        '<body style="font-family: arial, sans-serif; background-color: #fff; color: #000; '
        'padding:20px; font-size:18px;" '
        "onload=\"e=document.getElementById('captcha');if(e){e.focus();}\">\n"
        '<div style="max-width:400px;">\n<hr noshade size="1" style="color:#ccc; '
        'background-color:#ccc;"><br>\n<form id="captcha-form" action="index" method="post">\n'
        '<noscript>\n<div style="font-size:13px;">\n  In order to continue, please enable '
        "javascript on your web browser.\n</div>\n</noscript>\n"
        '<script src="https://www.google.com/recaptcha/api.js" async defer></script>\n'
        "<script>var submitCallback = function(response) "
        "{document.getElementById('captcha-form').submit();};</script>\n"
        f'<div id="recaptcha" class="g-recaptcha" data-sitekey="{REPLAY_SITEKEY}" '
        f'data-callback="submitCallback" data-s="{escape(data_s)}"></div>\n\n'
        f"<input type='hidden' name='q' value='{escape(q)}'>"
        f'<input type="hidden" name="continue" value="{u}">\n</form>\n'
        '<hr noshade size="1" style="color:#ccc; background-color:#ccc;">\n\n'
        '<div style="font-size:13px;">\n<b>About this page</b><br><br>\n\n'
        "Our systems have detected unusual traffic from your computer network.  This page "
        "checks to see if it&#39;s really you sending the requests, and not a robot.  "
        "<a href=\"#\" onclick=\"document.getElementById('infoDiv').style.display='block';\">"
        "Why did this happen?</a><br><br>\n\n"
        '<div id="infoDiv" style="display:none; background-color:#eee; padding:10px; '
        'margin:0 0 15px 0; line-height:1.4em;">\nThis page appears when Google automatically '
        "detects requests coming from your computer network which appear to be in violation of "
        'the <a href="//www.google.com/policies/terms/">Terms of Service</a>. The block will '
        "expire shortly after those requests stop.\n</div>\n\n"
        f"IP address: {escape(ip)}<br>Time: {escape(time)}<br>URL: {u}<br>\n"
        "</div>\n</div>\n</body>\n</html>\n"
    )


def render_scholar_captcha_page(url: str) -> str:
    """A Scholar page (HTTP 200) whose content is Scholar's own CAPTCHA block.

    Scholar's chrome (``#gs_top``, ``#gs_hdr``) around ``div#gs_captcha_ccl``
    ("Please show you're not a robot") holding ``form#gs_captcha_f`` and a
    ``g-recaptcha`` widget; no profile markup. No real sample of this page is
    stored: the ids are those scrapers test for, the rest is a plausible frame.
    """
    u = escape(url)
    return (
        "<!doctype html><html><head><title>Google Scholar</title>"
        '<meta http-equiv="Content-Type" content="text/html;charset=UTF-8">'
        '<meta name="referrer" content="origin-when-cross-origin"></head>'
        '<body><div id="gs_top" onclick=""><div id="gs_hdr" role="banner">'
        '<a id="gs_hdr_lgo" href="/schhp?hl=en" aria-label="Homepage"></a></div>'
        '<div id="gs_bdy"><div id="gs_bdy_ccl" role="main">'
        '<div id="gs_captcha_ccl"><h1>Please show you&#39;re not a robot</h1>'
        '<div id="gs_captcha_c"><form id="gs_captcha_f" method="post" action="/sorry/index">'
        '<script src="https://www.google.com/recaptcha/api.js" async defer></script>'
        f'<div class="g-recaptcha" data-sitekey="{REPLAY_SITEKEY}"></div>'
        f'<input type="hidden" name="continue" value="{u}"></form>'
        "<noscript><p>Sorry, we can&#39;t verify that you&#39;re not a robot when JavaScript "
        "is turned off.</p><p>Please enable JavaScript in your browser and reload this page."
        "</p></noscript></div></div></div></div>" + _FOOTER
    )


_ERRORS = {
    403: (
        "Forbidden",
        "Your client does not have permission to get URL <code>{path}</code> from this server.",
    ),
    429: (
        "Too Many Requests",
        "We&#39;re sorry, but you have sent too many requests to us recently. "
        "Please try again later.",
    ),
    500: ("Server Error", "The server encountered an error and could not complete your request."),
    503: ("Service Unavailable", "The service you requested is not available at this time."),
}


def render_google_error(status: int, path: str) -> str:
    """Google's error page for ``status`` (403, 429, 500, 503), shaped like its 404."""
    title, message = _ERRORS.get(status, ("Error", "Please try again later."))
    return (
        f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error {status} ({title})!!1"
        f"</title><p><b>{status}.</b> <ins>That’s an error.</ins><p>"
        + message.replace("{path}", escape(path))
        + " <ins>That’s all we know.</ins></html>"
    )


def render_not_found(path: str) -> str:
    """Google-style 404 body."""
    return (
        "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1"
        f"</title><p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL "
        f"<code>{escape(path)}</code> was not found on this server. "
        "<ins>That’s all we know.</ins></html>"
    )
