"""Pages and JSON at the same URLs: negotiation, what each page shows, errors as pages, security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.web.rendering import TEMPLATES, environment
from tests.builders import source, statement
from tests.http.conftest import Server
from tests.http.test_api import eventually
from tests.web.conftest import BROWSER, page

JINR_SIGNED = "/agreements/agreement-cern-jinr"
ENTITY_JINR = "22a2410c-7ff4-4620-848f-f2307eade4b1"
PAGES = ["/", "/search?q=JINR", f"/events/{ENTITY_JINR}", "/agreements", JINR_SIGNED, "/entities", "/entities/org-jinr", "/timeline"]


@pytest.mark.parametrize("path", PAGES)
def test_a_browser_gets_the_page_and_everyone_else_json_at_the_same_url(seeded: Server, path: str) -> None:
    html = seeded.client.get(path, headers=BROWSER)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["vary"] == "Accept" and "<h1" in html.text
    plain = seeded.client.get(path)
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json" and plain.headers["vary"] == "Accept"
    for headers in ({"Accept": "application/json"}, {"Accept": "*/*"}, {"Accept": "text/html;q=0.5, application/json"}):
        assert seeded.client.get(path, headers=headers).headers["content-type"] == "application/json"
    forced = seeded.client.get(path + ("&" if "?" in path else "?") + "format=json", headers=BROWSER)
    assert forced.headers["content-type"] == "application/json"
    if "search" not in path and path != "/":  # search bodies carry scores that need not repeat to the last digit
        assert forced.json() == plain.json()


def test_each_page_is_fed_by_the_json_endpoints_query(seeded: Server) -> None:
    state = seeded.client.get(JINR_SIGNED).json()
    html = page(seeded, JINR_SIGNED)
    assert html.context["state"].to_json() == state  # type: ignore[attr-defined]
    found = seeded.client.get("/search", params={"q": "Dubna"}).json()
    shown = page(seeded, "/search", q="Dubna").context  # type: ignore[attr-defined]
    assert shown["results"].total == found["total"] and [h["event_id"] for h in shown["hits"]] == [h["event_id"] for h in found["hits"]]


def test_pages_carry_security_headers_and_no_inline_script_or_style(seeded: Server) -> None:
    response = page(seeded, "/search", q="JINR")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "script-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["referrer-policy"] == "same-origin"
    assert seeded.client.get("/static/accord.css").headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in seeded.client.get("/docs").headers  # FastAPI's own page keeps its script
    assert "default-src 'self'" in page(seeded, "/nowhere").headers["content-security-policy"]  # error pages too
    for template in Path(TEMPLATES).rglob("*.html"):
        text = template.read_text()
        scripts = re.findall(r"<script\b[^>]*>", text)
        assert all(re.fullmatch(r'<script src="/static/[a-z]+\.js" defer>', s) for s in scripts), f"{template}: inline script"
        assert " style=" not in text and "<style" not in text, template
        assert "|safe" not in text.replace(" ", ""), f"{template}: only the search highlight may be marked safe, in Python"
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text, template


def test_the_environment_escapes_whatever_a_template_prints() -> None:
    env = environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_the_search_page_has_highlights_facets_that_filter_pages_and_a_suggestion(seeded: Server) -> None:
    html = page(seeded, "/search", q="JINR", per_page=5).text
    assert '<mark class="match term0">JINR</mark>' in html
    facet = re.search(r'<a href="(/search\?[^"]*publisher=T-invariant[^"]*)">T-invariant <span class="count">(\d+)</span>', html)
    assert facet, "the publisher facet links to a filtered search"
    filtered = page(seeded, facet[1].replace("&amp;", "&"))
    assert filtered.context["results"].total == int(facet[2])  # type: ignore[attr-defined]
    assert "Publisher: T-invariant" in filtered.text and 'rel="next"' in html and 'aria-current="page"' in html
    assert re.search(r'Did you mean <a href="/search\?q=Dubna">Dubna</a>', page(seeded, "/search", q="Dubnna").text)
    dated = page(seeded, "/search", q="JINR", **{"from": "2026", "to": "2026"}).context  # type: ignore[attr-defined]
    assert dated["results"].total > 0 and all(h["occurred"].startswith("2026") for h in dated["hits"])


def test_the_search_page_shows_the_entity_card_first_and_where_each_hit_matched(seeded: Server) -> None:
    response = page(seeded, "/search", q="Путин")
    html = response.text
    assert html.index('class="entity-card"') < html.index('class="hits"')
    assert '<a href="/entities/person-vladimir-putin">Vladimir Putin</a>' in html and "/timeline?entity=person-vladimir-putin" in html
    assert "Matched in" in html
    titled = page(seeded, "/search", q='"window to the West"', per_page=100).text
    assert 'Matched in a source&#39;s title or publisher: <span class="where">“<mark class="match term0">Window</mark>' in titled
    only = page(seeded, "/search", q='"window to the West"', quotes_only="true")
    assert 0 < only.context["results"].total < 34 and "Matched in: the words themselves" in only.text  # type: ignore[attr-defined]
    card = page(seeded, "/search", q="KEK").text
    assert "Cooperation agreement between JINR and KEK" in card


def test_reported_speech_is_the_publisher_s_account_never_in_quotation_marks(server: Server) -> None:
    said = statement("called on CERN to stop cooperating with JINR", speaker="person-boris-grinev", quote_kind="reported",
                     sources=[source(publisher="T-invariant")])
    assert server.append("person-boris-grinev", said).status_code == 201
    found, _ = eventually(lambda: server.client.get("/search", params={"q": "cooperating"}).json()["total"] == 1, 2.0)
    assert found
    html = page(server, "/search", q="cooperating", kind="reported").text
    account = re.search(r'<p class="quote reported">(.*?)</p>', html, re.S)
    assert account and account[1].startswith("According to T-invariant") and "“" not in account[1]
    assert "<blockquote" not in html.split('class="hits"')[1].split("</ol>")[0]


def test_no_results_and_an_unreadable_query_say_so(seeded: Server) -> None:
    nothing = page(seeded, "/search", q="zyzzyvaquux")
    assert nothing.status_code == 200 and "Nothing found" in nothing.text and "No fact matches" in nothing.text
    unreadable = page(seeded, "/search", q="AND")
    assert unreadable.status_code == 400 and "This search cannot be read" in unreadable.text
    bad_date = page(seeded, "/search", q="JINR", **{"from": "yesterday"})
    assert bad_date.status_code == 400 and "From:" in bad_date.text


def test_a_fact_page_shows_quote_speaker_sources_chain_and_citations(seeded: Server) -> None:
    hit = seeded.client.get("/search", params={"q": '"feeds the Russian war machine"'}).json()["hits"][0]
    response = page(seeded, f"/events/{hit['event_id']}")
    html = response.text
    event = seeded.client.get(f"/events/{hit['event_id']}").json()
    assert "feeds the Russian war machine" in html and '<a href="/entities/person-boris-grinev">Boris Grinev</a>' in html
    assert event["hash"] in html and f"{event['position']} (version" in html and "T-invariant" in html
    permalink = f"http://testserver/events/{event['id']}"
    cite = response.context["cite"]  # type: ignore[attr-defined]
    assert all(permalink in text for text in (cite.plain, cite.markdown, cite.csl_json))
    assert 'id="cite-plain"' in html and f'href="/events/{event["id"]}/correct"' in html


def test_an_agreement_page_redraws_as_of_valid_at_with_a_drawn_timeline(seeded: Server) -> None:
    now = page(seeded, JINR_SIGNED)
    assert now.context["state"].status == "expired" and "<svg" in now.text  # type: ignore[attr-defined]
    for entry in now.context["state"].history:  # type: ignore[attr-defined]
        assert f'<a href="/events/{entry.fact.event_id}">' in now.text
    then = page(seeded, JINR_SIGNED, valid_at="2024-06-30")
    assert then.context["state"].status == "in_force" and 'value="2024-06-30"' in then.text  # type: ignore[attr-defined]
    assert "Showing the world on 30 June 2024" in then.text
    assert "Expired on its end date, January 2025; no source reports it." in now.text
    assert 'class="history"' in now.text and "in force → expired" in now.text and "By date: the end date passed" in now.text
    assert 'class="band band-in_force"' in now.text and 'class="band band-expired band-by-date"' in now.text
    assert 'class="now"' in now.text and 'class="legend"' in now.text and 'role="img"' not in now.text
    assert "Vote scheduled for 20 June 2024" in now.text and "scheduled for" in now.text
    assert "Germany abstained" in now.text and "country-germany" not in now.text and "`signed`" not in now.text
    for said in ("feeds the Russian war machine", "we will find out on June 20"):
        assert said in now.text  # statements about the agreement
    assert "Supersede" not in now.text
    kek = page(seeded, "/agreements/agreement-jinr-kek").text
    assert kek.count('<blockquote class="quote"') == 5 and "In force as last reported" in kek
    ussr = page(seeded, "/agreements/agreement-cern-ussr").text
    assert "In force as last reported in 1967; superseded by " in ussr and 'href="/agreements/agreement-cern-russia"' in ussr
    assert "This title is the archivist’s" in ussr
    belarus = page(seeded, "/agreements/agreement-cern-belarus").text
    assert "<h1>Cooperation agreement between CERN and Belarus</h1>" in belarus and "This title is the archivist’s" in belarus
    bad = page(seeded, JINR_SIGNED, valid_at="soon")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html") and "valid_at" in bad.text


def test_agreements_entities_and_the_timeline_in_words(seeded: Server) -> None:
    listed = page(seeded, "/agreements").text
    assert "Cooperation agreement between CERN and JINR" in listed and "superseded" in listed and "expired, by date" in listed
    assert listed.count('class="status status-in_force') == 1  # JINR–KEK alone: the others ended or gave way
    jinr = page(seeded, "/entities/org-jinr").text
    assert "ОИЯИ" in jinr and "Joint Institute for Nuclear Research" in jinr and "Timeline" in jinr
    timeline = page(seeded, "/timeline", limit=5)
    assert timeline.status_code == 200 and "Later facts" in timeline.text


def test_a_missing_thing_is_a_page_for_a_browser_and_a_problem_for_a_client(seeded: Server) -> None:
    html = page(seeded, "/events/6f1f0a5e-8f53-4b7e-9d0e-acc0bd000001")
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html") and "Not Found" in html.text
    problem = seeded.client.get("/events/6f1f0a5e-8f53-4b7e-9d0e-acc0bd000001")
    assert problem.headers["content-type"] == "application/problem+json" and problem.headers["vary"] == "Accept"
    assert html.headers["vary"] == "Accept"
    assert page(seeded, "/entities/org-nowhere").status_code == 404
