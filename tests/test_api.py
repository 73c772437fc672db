"""The HTTP API against a running server: /api, /healthz, OpenAI-compatible /v1, errors, load."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from bot.app.wiring import App
from bot.frontends.server import ServerThread

DEPORTED = "2,825 foreigners, including 476 women"
HARBOUR = (
    b"---\ntitle: Harbour reopens\nsource: Port Daily\ndate: 2025-10-20\n---\n"
    b"The harbour reopened on Monday after 12 days of repairs.\n"
)


@pytest.fixture
def api(sample_app: App, serve: Callable[[App], ServerThread]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=serve(sample_app).url, timeout=60) as client:
        yield client


def _error(resp: httpx.Response) -> str:
    body = resp.json()
    assert set(body["error"]) >= {"message", "type"}, body
    return str(body["error"]["message"])


def test_ask_returns_the_answer_contract_and_continues_a_conversation(api: httpx.Client) -> None:
    resp = api.post("/api/ask", json={"question": "How many were deported?"})
    assert resp.status_code == 200
    body = resp.json()
    assert DEPORTED in body["answer"] and body["mode"] == "extractive" and not body["abstained"]
    c = body["citations"][0]
    assert c["n"] == 1 and DEPORTED in c["quote"] and c["source"] == "The Asia Business Daily"
    assert set(c) >= {"n", "doc_id", "title", "url", "source", "published", "quote", "start", "end"}
    assert "passage" not in c
    assert body["verification"]["ok"] is True and body["conversation_id"]
    # The short direct answer first: a span of citation [1]'s report, inside its quote.
    short = body["short_answer"]
    assert short["text"] == "2,825 foreigners" and short["citation"] == 1
    assert body["answer"].startswith(short["text"])
    assert c["start"] <= short["start"] < short["end"] <= c["end"]

    follow = api.post(
        "/api/ask",
        json={
            "question": "And how many of them were women?",
            "conversation_id": body["conversation_id"],
        },
    )
    assert follow.status_code == 200 and "476" in follow.json()["answer"]
    assert follow.json()["conversation_id"] == body["conversation_id"]
    assert api.get("/healthz").json() == {"status": "ok", "mode": "extractive", "documents": 1}


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/api/ask", {"json": {}}, 422, "question: field required"),
    (
        "POST",
        "/api/ask",
        {"json": {"question": 5}},
        422,
        "question: input should be a valid string",
    ),
    (
        "POST",
        "/api/ask",
        {"json": {"question": "   "}},
        422,
        "question: string should have at least 1",
    ),
    (
        "POST",
        "/api/ask",
        {"json": {"question": "q", "conversation_id": ["x"]}},
        422,
        "conversation_id: input should be a valid string",
    ),
    (
        "POST",
        "/api/ask",
        {"json": {"question": "q", "since": "last week"}},
        422,
        "since: expected a date",
    ),
    ("POST", "/api/ask", {"json": {"question": "q", "colour": 1}}, 422, "colour: unknown field"),
    (
        "POST",
        "/api/ask",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        422,
        "not valid JSON",
    ),
    ("POST", "/api/ask", {"json": ["a list"]}, 422, "must be a JSON object"),
    ("GET", "/api/ask", {}, 405, "GET is not allowed"),
    ("GET", "/api/nothing-here", {}, 404, "no such endpoint"),
    ("DELETE", "/api/documents/no-such-doc", {}, 404, "no report with id 'no-such-doc'"),
    ("POST", "/api/documents", {"data": {"x": "1"}}, 422, "files: field required"),
    (
        "POST",
        "/api/documents",
        {"files": {"files": ("evil.exe", b"MZ")}},
        415,
        "unsupported file type '.exe'",
    ),
    ("POST", "/api/documents", {"files": {"files": ("empty.txt", b"")}}, 422, "empty file"),
    ("POST", "/api/documents", {"data": {"url": "/etc/passwd"}}, 400, "not a web address"),
    ("POST", "/api/documents", {"data": {"url": "file:///etc/passwd"}}, 400, "not a web address"),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": []}},
        422,
        "messages: list should have at least 1",
    ),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "system", "content": "x"}]}},
        400,
        "needs a user message",
    ),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "wizard", "content": "x"}]}},
        422,
        "messages.0.role: input should be",
    ),
]


def test_api_docs_and_schema_are_served_open_without_a_token(api: httpx.Client) -> None:
    schema = api.get("/api/openapi.json")
    assert schema.status_code == 200 and "/v1/chat/completions" in schema.json()["paths"]
    assert not [p for p in schema.json()["paths"] if "{rest" in p]  # catch-alls stay hidden
    page = api.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text  # served from the installed package: works offline
    script = api.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert api.get("/api/docs/assets/swagger-ui.css").status_code == 200
    assert api.get("/api/docs/assets/..%2F__init__.py").status_code == 404


def test_bad_requests_get_json_errors_that_say_what_is_wrong(api: httpx.Client) -> None:
    wrong = []
    for method, path, kwargs, status, message in BAD_REQUESTS:
        resp = api.request(method, path, **kwargs)
        if resp.status_code != status or message not in _error(resp):
            wrong.append((method, path, kwargs, resp.status_code, resp.text))
    assert not wrong


def test_documents_can_be_uploaded_listed_asked_and_removed(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    srv = serve(make_app(max_upload_bytes=2_000))
    with httpx.Client(base_url=srv.url, timeout=60) as api:
        resp = api.post("/api/documents", files={"files": ("../harbour.md", HARBOUR)})
        assert resp.status_code == 200, resp.text
        report = resp.json()
        assert len(report["added"]) == 1 and report["failed"] == [] and report["chunks"] >= 1
        docs = api.get("/api/documents").json()
        assert docs["count"] == 2
        harbour = next(d for d in docs["documents"] if d["title"] == "Harbour reopens")
        assert harbour["source"] == "Port Daily" and harbour["published"] == "2025-10-20"
        assert harbour["location"].endswith("/uploads/harbour.md")

        answer = api.post("/api/ask", json={"question": "How many days of repairs?"}).json()
        assert (
            "12 days" in answer["answer"] and answer["citations"][0]["title"] == "Harbour reopens"
        )

        again = api.post("/api/documents", files={"files": ("harbour.md", HARBOUR)}).json()
        assert again["unchanged"] == [harbour["doc_id"]]

        assert (
            api.delete(f"/api/documents/{harbour['doc_id']}").json()["removed"] == harbour["doc_id"]
        )
        assert api.get("/api/documents").json()["count"] == 1
        assert api.delete(f"/api/documents/{harbour['doc_id']}").status_code == 404

        over = api.post("/api/documents", files={"files": ("big.txt", b"word " * 500)})
        assert over.status_code == 413 and "over the upload limit of 2,000" in _error(over)
        huge = api.post("/api/documents", files={"files": ("huge.txt", b"word " * 40_000)})
        assert huge.status_code == 413 and "REPORTBOT_MAX_UPLOAD_BYTES" in _error(huge)


def test_api_token_guards_api_v1_and_web_ui(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    srv = serve(make_app(api_token="s3cret"))
    with httpx.Client(base_url=srv.url, timeout=60) as api:
        for path in ("/api/documents", "/v1/models"):
            resp = api.get(path)
            assert resp.status_code == 401 and "API token" in _error(resp)
            assert resp.headers["www-authenticate"] == "Bearer"
            wrong = api.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert api.get(path, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        ask = api.post("/api/ask", json={}, headers={"Authorization": "Bearer nope"})
        assert ask.status_code == 401  # the token is checked before the body
        assert api.get("/healthz").status_code == 200
        assert api.get("/config").status_code == 401  # the web UI needs the token too
        login = api.post("/login", data={"username": "me", "password": "s3cret"})
        assert login.status_code == 200 and api.get("/config").status_code == 200
        # The API docs too; a browser is asked for the token (HTTP Basic, any user name).
        for path in ("/api/docs", "/api/openapi.json", "/api/docs/assets/swagger-ui.css"):
            resp = api.get(path)
            assert resp.status_code == 401 and "API token" in _error(resp), path
            assert resp.headers["www-authenticate"].startswith('Basic realm="reportbot"')
            assert api.get(path, auth=("me", "nope")).status_code == 401
        page = api.get("/api/docs", auth=("anyone", "s3cret"))
        assert page.status_code == 200 and "/api/openapi.json" in page.text
        schema = api.get("/api/openapi.json", headers={"Authorization": "Bearer s3cret"})
        assert schema.status_code == 200 and "/api/ask" in schema.json()["paths"]
        assert api.get("/api/documents", auth=("me", "s3cret")).status_code == 401  # Bearer only

    client = openai.OpenAI(base_url=f"{srv.url}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    client = openai.OpenAI(base_url=f"{srv.url}/v1", api_key="s3cret", max_retries=0)
    assert [m.id for m in client.models.list()] == ["reportbot"]


def test_openai_client_gets_cited_answers_streamed_or_not(
    sample_app: App, serve: Callable[[App], ServerThread]
) -> None:
    client = openai.OpenAI(base_url=f"{serve(sample_app).url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["reportbot"]
    question: list[Any] = [{"role": "user", "content": "How many were deported?"}]
    resp = client.chat.completions.create(model="reportbot", messages=question)
    content = resp.choices[0].message.content or ""
    assert DEPORTED in content and "**Sources**" in content and "The Asia Business Daily" in content
    assert resp.choices[0].finish_reason == "stop"
    citations = (resp.model_extra or {})["citations"]
    assert DEPORTED in citations[0]["quote"] and citations[0]["n"] == 1
    assert (resp.model_extra or {})["short_answer"]["text"] == "2,825 foreigners"
    assert content.startswith("**2,825 foreigners**")  # shown first, in bold

    chunks = list(client.chat.completions.create(model="reportbot", messages=question, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert DEPORTED in (chunks[-1].model_extra or {})["citations"][0]["quote"]
    assert (chunks[-1].model_extra or {})["short_answer"]["citation"] == 1

    # A follow-up continues the conversation this server answered ...
    follow: list[Any] = [
        *question,
        {"role": "assistant", "content": content},
        {"role": "user", "content": "And how many of them were women?"},
    ]
    answer = client.chat.completions.create(model="reportbot", messages=follow)
    assert "476" in (answer.choices[0].message.content or "")
    # ... and one whose history came from elsewhere replays its user turns.
    follow[1] = {"role": "assistant", "content": "(an answer from another server)"}
    follow.insert(0, {"role": "system", "content": "Be brief."})
    parts = [{"type": "text", "text": "And how many of them were women?"}]
    follow[-1] = {"role": "user", "content": parts}
    replayed = client.chat.completions.create(model="reportbot", messages=follow)
    assert "476" in (replayed.choices[0].message.content or "")

    with pytest.raises(openai.BadRequestError, match="needs a user message"):
        client.chat.completions.create(
            model="reportbot", messages=[{"role": "assistant", "content": "hi"}]
        )


def test_twenty_simultaneous_asks_all_succeed_while_a_report_is_added(
    sample_app: App, serve: Callable[[App], ServerThread]
) -> None:
    url = serve(sample_app).url
    start = threading.Barrier(22)

    def ask(i: int) -> tuple[int, str]:
        with httpx.Client(base_url=url, timeout=120) as client:
            start.wait()
            if i == 20:
                resp = client.post("/api/documents", files={"files": ("harbour.md", HARBOUR)})
            elif i == 21:
                resp = client.get("/api/documents")
            else:
                resp = client.post("/api/ask", json={"question": "How many were deported?"})
            return resp.status_code, resp.text

    with ThreadPoolExecutor(22) as pool:
        results = list(pool.map(ask, range(22)))
    assert all(status == 200 for status, _ in results), [r for r in results if r[0] != 200]
    assert all(DEPORTED in text for _, text in results[:20])
    assert len({text.split('"conversation_id":')[1] for _, text in results[:20]}) == 20
