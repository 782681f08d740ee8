"""The archivist's pages: signing in, the session cookie, CSRF, the append form's messages, corrections, escaping."""

from __future__ import annotations

import re
from typing import Any

from service.tokens import revoke_token
from tests.http.conftest import Server
from tests.web.conftest import BROWSER, csrf_of, page, sign_in

XSS_QUOTE = '<script>alert("quote")</script> <img src=x onerror=alert("img")> <a href="javascript:alert(1)">click</a> javascript:alert(2)'
STATEMENT_FORM = {
    "type": "StatementMade", "stream": "", "occurred": "2024-06-13", "speaker": "person-boris-grinev",
    "quote": "We will keep working with Dubna.", "language": "en", "context": "An interview after the vote",
    "source.publisher": "T-invariant", "source.title": "An interview", "source.published": "2024-06-20",
}


OWN_SCRIPT = '<script src="/static/copy.js" defer></script>'
"""The one script a page loads: its own, from this origin."""


def post(server: Server, path: str, form: dict[str, Any]) -> Any:
    return server.client.post(path, data=form, headers=BROWSER, follow_redirects=False)


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_never_the_token(server: Server) -> None:
    form = page(server, "/archivist")
    assert form.status_code == 200 and 'type="password"' in form.text
    response = post(server, "/archivist/sign-in", {"csrf": csrf_of(form.text), "token": server.tokens["archivist"]})
    assert response.status_code == 303 and response.headers["location"] == "/archivist"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("accord_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert server.tokens["archivist"] not in cookie and server.tokens["archivist"] not in response.text
    assert "Append a fact" in page(server, "/archivist").text


def test_sign_in_refuses_an_unknown_token_a_reader_and_a_forged_form(server: Server) -> None:
    form = page(server, "/archivist")
    token = csrf_of(form.text)
    unknown = post(server, "/archivist/sign-in", {"csrf": token, "token": "accord_nope"})
    assert unknown.status_code == 401 and "knows no such token" in unknown.text
    reader = post(server, "/archivist/sign-in", {"csrf": csrf_of(unknown.text), "token": server.tokens["reader"]})
    assert reader.status_code == 403 and "may read but not append" in reader.text
    server.client.cookies.clear()
    forged = post(server, "/archivist/sign-in", {"csrf": token, "token": server.tokens["archivist"]})
    assert forged.status_code == 403 and "accord_session" not in forged.headers.get("set-cookie", "")


def test_appending_without_the_session_csrf_token_is_refused_and_writes_nothing(server: Server) -> None:
    sign_in(server)
    head = server.archive.store.head().position
    for csrf in ("", "not-the-token"):
        refused = post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": csrf})
        assert refused.status_code == 403 and "did not come from this site" in refused.text
    assert server.archive.store.head().position == head
    server.client.cookies.clear()
    assert post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": "x"}).headers["location"] == "/archivist"


def test_validation_messages_sit_by_their_fields_and_keep_what_was_typed(server: Server) -> None:
    csrf = sign_in(server)
    typed = {**STATEMENT_FORM, "csrf": csrf, "quote": "", "source.url": "javascript:alert(1)", "tally.yes": "x",
             "occurred": "June 2024", "speaker": "Boris Grinev"}
    response = post(server, "/archivist/facts", typed)
    assert response.status_code == 422
    errors = response.context["errors"]  # type: ignore[attr-defined]
    assert errors["quote"] == "required" and errors["source.url"] == "must be an absolute http(s) URL"
    assert set(errors) >= {"quote", "source.url", "occurred", "speaker"}
    html = response.text
    assert '<p class="error" id="f-quote-error">Quote: required</p>' in html
    assert 'id="f-source-url" name="source.url" value="javascript:alert(1)"' in html and 'aria-invalid="true"' in html
    assert 'value="Boris Grinev"' in html and "An interview after the vote</textarea>" in html
    assert not re.search(r"<a\s[^>]*href=\"\s*javascript", html, re.IGNORECASE)


def test_an_appended_fact_has_a_page_and_is_recorded_by_the_token_name(server: Server) -> None:
    csrf = sign_in(server)
    response = post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": csrf, "tally.yes": ""})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    event_id = re.fullmatch(r"/events/([0-9a-f-]{36})\?appended=1", location)[1]  # type: ignore[index]
    event = server.client.get(f"/events/{event_id}").json()
    assert event["recorded_by"] == "archivist-alice" and event["stream"] == "person-boris-grinev"
    assert event["data"] == {"speaker": "person-boris-grinev", "quote": "We will keep working with Dubna.", "language": "en",
                             "context": "An interview after the vote"}
    assert "The fact was appended" in page(server, location).text


def test_every_catalogue_type_has_a_form(server: Server) -> None:
    sign_in(server)
    from events.catalogue import CATALOGUE

    for event_type in CATALOGUE:
        form = page(server, "/archivist", type=event_type)
        assert form.status_code == 200 and f'name="type" value="{event_type}"' in form.text
        for label in re.findall(r'<label for="([^"]+)"', form.text):
            assert f'id="{label}"' in form.text


def test_a_correction_from_the_facts_page_shows_what_changed_and_why(server: Server) -> None:
    csrf = sign_in(server)
    appended = post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": csrf})
    event_id = appended.headers["location"].split("/")[2].split("?")[0]
    form = page(server, f"/events/{event_id}/correct")
    assert form.status_code == 200 and "We will keep working with Dubna.</textarea>" in form.text
    values: dict[str, Any] = dict(form.context["values"])  # type: ignore[attr-defined]
    values |= {"csrf": csrf, "action": "correct", "medium": "interview", "why": "", "source.publisher": "T-invariant"}
    missing_reason = post(server, f"/events/{event_id}/correct", values)
    assert missing_reason.status_code == 422 and missing_reason.context["errors"]["why"] == "required"  # type: ignore[attr-defined]
    assert post(server, f"/events/{event_id}/correct", {**values, "why": "It was an interview"}).status_code == 303
    shown = page(server, f"/events/{event_id}").text
    assert "Why: It was an interview" in shown and "<th scope=\"row\">Medium</th><td>(none)</td><td>interview</td>" in shown
    retract = post(server, f"/events/{event_id}/correct", {**values, "action": "retract", "why": "Misattributed"})
    assert retract.status_code == 303 and "Retracted." in page(server, f"/events/{event_id}").text


def test_script_and_javascript_links_in_a_quote_show_as_text(server: Server) -> None:
    source = {"publisher": "<b>Evil</b> Press", "title": '<img src=x onerror=alert("title")>', "url": "https://example.org/?q=<script>"}
    appended = server.append("person-boris-grinev", {
        "type": "StatementMade", "occurred": "2024-06", "sources": [source],
        "data": {"speaker": "anonymous", "speaker_description": "<script>alert('who')</script>", "quote": XSS_QUOTE},
    })
    assert appended.status_code == 201, appended.text
    event_id = appended.json()["ids"][0]
    server.settled()
    for path in (f"/events/{event_id}", "/search?q=onerror", "/search?q=click", "/timeline"):
        html = page(server, path).text.replace(OWN_SCRIPT, "")
        assert not re.search(r"<(script|img|b)\b", html, re.IGNORECASE), path
        assert not re.search(r"<a\s[^>]*href=\"\s*javascript", html, re.IGNORECASE), path
    html = page(server, f"/events/{event_id}").text
    assert "&lt;script&gt;alert(&#34;quote&#34;)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(&#34;img&#34;)&gt;" in html
    assert "https://example.org/?q=&lt;script&gt;" in html and 'href="https://example.org' not in html  # shown, not linked
    highlighted = page(server, "/search", q="onerror").text
    assert "&lt;img src=x <mark" in highlighted or "onerror</mark>" in highlighted


def test_when_reads_are_private_a_signed_in_archivist_reads_the_pages(settings_for: Any) -> None:
    from fastapi.testclient import TestClient

    from service.api import create_app
    from tests.http.conftest import make_tokens

    settings = settings_for(public_read=False)
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        private = Server(client, tokens)
        refused = page(private, "/agreements")
        assert refused.status_code == 401 and 'href="/archivist?next=/agreements"' in refused.text
        sign_in(private)
        assert page(private, "/agreements").status_code == 200
        assert client.get("/agreements").status_code == 200  # the session cookie is sent with JSON requests too


def test_the_summary_of_mistakes_links_to_each_field(server: Server) -> None:
    csrf = sign_in(server)
    response = post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": csrf, "quote": ""})
    assert '<a href="#f-quote">Quote: required</a>' in response.text


def test_a_session_is_known_to_every_node_and_stored_only_as_a_hash(server: Server, settings_for: Any) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from service.api import create_app
    from service.web.session import COOKIE, web_sessions

    csrf = sign_in(server)
    cookie = server.client.cookies[COOKIE]
    with server.archive.store.engine.connect() as connection:
        stored = list(connection.execute(select(web_sessions)))
    assert len(stored) == 1 and cookie not in str(stored) and stored[0].name == "archivist-alice"
    this_node = settings_for()
    other_node = this_node.model_copy(update={"data_dir": this_node.data_dir.parent / "other-node"})  # its own index
    with TestClient(create_app(other_node)) as other:
        other.cookies.set(COOKIE, cookie)
        assert "Append a fact" in other.get("/archivist", headers=BROWSER).text
        assert post(server, "/archivist/sign-out", {"csrf": csrf}).status_code == 303
        assert 'type="password"' in other.get("/archivist", headers=BROWSER).text


def test_revoking_the_token_ends_its_web_sessions_and_signing_in_with_it(server: Server) -> None:
    csrf = sign_in(server)
    assert "Append a fact" in page(server, "/archivist").text
    revoke_token(server.archive.store.engine, "archivist-alice")
    head = server.archive.store.head().position
    assert post(server, "/archivist/facts", {**STATEMENT_FORM, "csrf": csrf}).headers["location"] == "/archivist"
    assert server.archive.store.head().position == head
    form = page(server, "/archivist")
    assert 'type="password"' in form.text  # signed out
    again = post(server, "/archivist/sign-in", {"csrf": csrf_of(form.text), "token": server.tokens["archivist"]})
    assert again.status_code == 401
