"""Security and robustness, round 2 (issue 14), over real HTTP where it matters: no server file
through the web UI's queue, slow and oversized clients, bounded conversations, throttled token
guessing, uploads that leave nothing behind, and the smaller leaks.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio.utils import get_upload_folder

from bot.app.wiring import App
from bot.frontends.library import Library
from bot.frontends.server import ServerThread
from bot.frontends.web import WebUI

TOKEN = "tok-hardening-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MARKER = "zebras"


def _error(resp: httpx.Response) -> str:
    return str(resp.json()["error"]["message"])


# -- 1. the web UI never reads a server file ----------------------------------------------------


def gradio_call(web: httpx.Client, fn: str, data: list[Any]) -> dict[str, Any]:
    """One event through gradio's own queue, as the browser sends it; the final message."""
    deps = web.get("/config").json()["dependencies"]
    fn_index = next(d["id"] for d in deps if d.get("api_name") == fn)
    session = uuid.uuid4().hex
    joined = web.post(
        "/gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None},
    )
    assert joined.status_code == 200, joined.text
    with web.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                message: dict[str, Any] = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the queue closed without completing the event")


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    """A file on the server, outside the data dir, with a unique name and a telling text."""
    path = tmp_path / f"outside-{uuid.uuid4().hex[:12]}.txt"
    path.write_text(f"The lighthouse keeper counted 4,321 {MARKER} on the island.\n" * 3)
    return path


def _in_gradio_cache(name: str) -> list[Path]:
    folder = Path(get_upload_folder())
    return list(folder.rglob(name)) if folder.exists() else []


def test_the_web_ui_never_copies_serves_or_indexes_a_server_file(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread], server_file: Path
) -> None:
    app = make_app(api_token=TOKEN)
    file_data = {"path": str(server_file), "meta": {"_type": "gradio.FileData"}}
    with httpx.Client(base_url=serve(app).url, timeout=60) as web:
        assert web.post("/login", data={"username": "u", "password": TOKEN}).status_code == 200
        forged = [{"role": "user", "content": [{"type": "file", "file": file_data}]}]
        chat = gradio_call(web, "ask", ["How many were deported?", forged, None])
        assert chat["success"] is False, chat
        assert "not uploaded by a user" in chat["output"]["error"]
        assert "gradio_api/file=" not in json.dumps(chat)  # no link to a copy

        add = gradio_call(web, "add", [[file_data], ""])
        assert add["success"] is False and "not uploaded by a user" in add["output"]["error"]
        documents = web.get("/api/documents", headers=AUTH).json()
        assert documents["count"] == 1, documents  # the sample alone
        asked = web.post("/api/ask", json={"question": f"How many {MARKER}?"}, headers=AUTH)
        assert asked.status_code == 200 and "4,321" not in asked.text
    assert _in_gradio_cache(server_file.name) == []
    uploads = app.settings.data_dir / "uploads"
    assert not uploads.exists() or server_file.name not in os.listdir(uploads)
    assert all(MARKER not in (d.title or "") for d in app.service.documents())


def test_the_library_handler_accepts_only_files_gradio_received(
    make_app: Callable[..., App], server_file: Path
) -> None:
    """Called directly (no gradio preprocessing in front), the handler refuses too."""
    app = make_app()
    with pytest.warns(UserWarning, match="not a file uploaded through this page"):
        status, rows, *_ = WebUI(app, Library(app)).add([str(server_file)], "")
    assert "not a file uploaded" in status and len(rows) == 1
    assert not (app.settings.data_dir / "uploads" / server_file.name).exists()

    upload = Path(get_upload_folder()) / uuid.uuid4().hex / "harbour.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("The harbour reopened on Monday after 12 days of repairs.\n")
    status, rows, *_ = WebUI(app, Library(app)).add([str(upload)], "")
    assert "1 added" in status and len(rows) == 2


# -- 2. slow clients ------------------------------------------------------------------------------


def open_slow(srv: ServerThread, n: int, head: bytes) -> list[socket.socket]:
    """``n`` loopback connections that sent ``head`` (half a request) and then nothing."""
    socks = []
    for _ in range(n):
        sock = socket.create_connection((srv.host, srv.port), timeout=10)
        sock.sendall(head)
        socks.append(sock)
    return socks


def read_until_closed(sock: socket.socket, timeout: float = 30.0) -> bytes:
    """Everything the server sends until it closes the connection (waits at most ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {timeout} s; got {data[:200]!r}") from None
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return data


def test_slow_clients_are_timed_out_and_evicted_and_the_server_keeps_answering(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    app = make_app(max_connections=50, header_timeout=3, body_timeout=2)
    srv = serve(app)
    half_header = b"GET /healthz HTTP/1.1\r\nHost: reportbot\r\nX-Slow: "
    slow = open_slow(srv, 300, half_header)
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        for _ in range(5):  # each one makes room by closing the oldest slow connection
            assert client.get("/healthz").json()["status"] == "ok"
        asked = client.post("/api/ask", json={"question": "How many were deported?"})
        assert asked.status_code == 200 and "2,825" in asked.json()["answer"]
    replies = [read_until_closed(s) for s in slow]  # evicted at once, or after 3 s
    assert all(r.startswith(b"HTTP/1.1 408 ") for r in replies), {r[:60] for r in replies}
    assert sum(b"to make room" in r for r in replies) >= 250
    assert sum(b"not received within 3 s" in r for r in replies) >= 1

    # Connections busy with a request (headers in, body awaited) are not evicted: a newcomer
    # over the cap gets a clear 503, and the stalled bodies are cut off after 2 s.
    stalled = open_slow(
        srv,
        50,
        b"POST /api/ask HTTP/1.1\r\nHost: reportbot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{",
    )
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        busy = client.get("/healthz")
        assert busy.status_code == 503, busy.text
        assert "REPORTBOT_MAX_CONNECTIONS" in _error(busy) and busy.headers["retry-after"]
        replies = [read_until_closed(s) for s in stalled]
        cut_off = [r for r in replies if b" 408 " in r and b"body stalled for 2 s" in r]
        # (one whose neighbour's close was still in flight may have been refused as busy)
        assert all(r in cut_off or b" 503 " in r for r in replies), replies[0]
        assert len(cut_off) >= 45
        assert client.get("/healthz").status_code == 200


def test_request_headers_are_capped_in_size(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    srv = serve(make_app(max_header_bytes=4096))
    (sock,) = open_slow(srv, 1, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 8000)
    assert read_until_closed(sock).startswith(b"HTTP/1.1 431 ")
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        assert client.get("/healthz", headers={"X-Fine": "a" * 2000}).status_code == 200


# -- 3. one question limit everywhere, capped /v1 requests ---------------------------------------

LONG = "How many were deported? " * 300  # 7,200 characters
TOO_LONG = "over the limit of 4,000 (REPORTBOT_MAX_QUESTION_CHARS)"


def test_one_question_limit_for_the_api_v1_and_the_web_ui(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    app = make_app()
    srv = serve(app)
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        api = client.post("/api/ask", json={"question": LONG})
        assert api.status_code == 413 and TOO_LONG in _error(api), api.text
        assert api.json()["error"]["type"] == "question_too_long"
        v1 = client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": LONG}]}
        )
        assert v1.status_code == 413 and _error(v1) == _error(api)
        streamed = client.post(
            "/v1/chat/completions",
            json={"stream": True, "messages": [{"role": "user", "content": LONG}]},
        )
        assert streamed.status_code == 413 and _error(streamed) == _error(api)
        replayed = [  # an earlier user turn is a question too (it is replayed)
            {"role": "user", "content": LONG},
            {"role": "assistant", "content": "…"},
            {"role": "user", "content": "And how many of them were women?"},
        ]
        v1 = client.post("/v1/chat/completions", json={"messages": replayed})
        assert v1.status_code == 413 and TOO_LONG in _error(v1)
        many = [{"role": "user", "content": "hi"}] * 101
        v1 = client.post("/v1/chat/completions", json={"messages": many})
        assert v1.status_code == 413 and "over the limit of 100 per request" in _error(v1)
        assert "REPORTBOT_MAX_MESSAGES" in _error(v1)

        # The web chat's own queue: a huge event is refused before gradio parses it, and a
        # question over the limit is refused with the same message (not echoed into the chat).
        huge = client.post(
            "/gradio_api/queue/join", content=b'{"data": ["' + b"x" * 1_100_000 + b'"]}'
        )
        assert huge.status_code == 413 and "over the limit of 1,000,000" in _error(huge)
        done = gradio_call(client, "ask", [LONG, [], None])
        assert done["success"] is True
        assert done["output"]["data"][1] == []  # the chat stays empty
        ok = client.post("/api/ask", json={"question": "How many were deported?"})
        assert ok.status_code == 200 and "2,825" in ok.json()["answer"]

    ui = WebUI(app, Library(app))
    with pytest.warns(UserWarning, match=r"REPORTBOT_MAX_QUESTION_CHARS"):
        steps = list(ui.respond(LONG, [], None))
    assert all(not step[1] for step in steps)


def test_the_chat_bots_refuse_a_long_question_with_the_same_message(
    make_app: Callable[..., App], report: Path
) -> None:
    import asyncio

    from tests.fakes.slack_api import FakeSlack
    from tests.fakes.telegram_api import FakeBotAPI, polling
    from tests.test_slack import APP_TOKEN, BOT_TOKEN, mention, socket_mode
    from tests.test_slack import make_bot as slack_bot
    from tests.test_telegram import TOKEN as TG_TOKEN
    from tests.test_telegram import make_bot as telegram_bot

    app = make_app([report])

    async def telegram() -> FakeBotAPI:
        async with FakeBotAPI(TG_TOKEN) as api, polling(telegram_bot(app, api)):
            api.message(LONG, chat_id=5)
            await api.wait_sent(1, 5)
        return api

    [reply] = asyncio.run(telegram()).sent(5)
    assert TOO_LONG in reply.text and "question is 7,19" in reply.text

    with FakeSlack(BOT_TOKEN, APP_TOKEN) as slack, socket_mode(slack_bot(app, slack)):
        slack.event(mention(LONG))
        [post] = slack.wait_posts(1, "C1")
    assert TOO_LONG in post.text


# -- 4. conversations stay bounded ------------------------------------------------------------


def test_a_long_thread_of_follow_ups_keeps_a_bounded_window(make_app: Callable[..., App]) -> None:
    """Each follow-up used to nest every earlier question of its thread into the next."""
    service = make_app().service
    cid = service.answer("How many foreigners were deported?").conversation_id
    standalones = []
    for i in range(30):
        service.answer(f"And how many of them were women in week {i}?", cid)
        standalones.append(service.conversations.load(cid)[-1].standalone)
    assert len(service.conversations.load(cid)) == 10  # max_turns
    assert "deported" in standalones[3]  # the thread's subject, while it is remembered
    assert "week 29" in standalones[-1] and "week 20" not in standalones[-1]
    assert max(len(s) for s in standalones) < 200, standalones[-1]


def test_conversations_in_memory_are_capped_least_recent_first(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    app = make_app(max_conversations=3)
    with httpx.Client(base_url=serve(app).url, timeout=60) as client:
        ids = [
            client.post("/api/ask", json={"question": "How many were deported?"}).json()[
                "conversation_id"
            ]
            for _ in range(3)
        ]
        client.post("/api/ask", json={"question": "Who?", "conversation_id": ids[0]})  # used
        ids.append(
            client.post("/api/ask", json={"question": "How many?"}).json()["conversation_id"]
        )
    assert [app.service.knows(c) for c in ids] == [True, False, True, True]


# -- 5. token guessing is throttled -------------------------------------------------------------


def test_failed_sign_ins_are_throttled_per_client_on_the_api_and_the_web_ui(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    srv = serve(make_app(api_token=TOKEN, auth_failures=3, auth_window=60))
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        for guess in ("a", "b", "c"):
            wrong = client.get("/api/documents", headers={"Authorization": f"Bearer {guess}"})
            assert wrong.status_code == 401
        for attempt in (
            lambda: client.get("/api/documents", headers={"Authorization": "Bearer d"}),
            lambda: client.get("/api/documents", headers=AUTH),  # even the right one, for now
            lambda: client.post("/v1/chat/completions", json={}, headers=AUTH),
            lambda: client.post("/login", data={"username": "u", "password": TOKEN}),
        ):
            throttled = attempt()
            assert throttled.status_code == 429, throttled.text
            assert 0 < int(throttled.headers["retry-after"]) <= 60
            assert "too many failed sign-ins" in _error(throttled)
        assert client.get("/healthz").status_code == 200  # no credentials: not throttled

        # Another client (here, behind the local proxy) is not affected; the web UI's
        # sign-in counts its failures too.
        other = {"X-Forwarded-For": "203.0.113.9"}
        assert client.get("/api/documents", headers={**AUTH, **other}).status_code == 200
        for guess in ("a", "b", "c"):
            login = client.post("/login", data={"username": "u", "password": guess}, headers=other)
            assert login.status_code == 400
        login = client.post("/login", data={"username": "u", "password": TOKEN}, headers=other)
        assert login.status_code == 429 and login.headers["retry-after"]


# -- 6. uploads leave nothing behind ------------------------------------------------------------


def test_failed_duplicate_and_removed_uploads_leave_nothing_in_the_uploads_folder(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    from bot.app.wiring import SAMPLE_REPORT

    app = make_app()
    uploads = app.settings.data_dir / "uploads"

    def stored() -> set[str]:
        return set(os.listdir(uploads)) if uploads.exists() else set()

    harbour = b"The harbour reopened on Monday after 12 days of repairs, the port said.\n"
    with httpx.Client(base_url=serve(app).url, timeout=60) as api:
        bad = api.post("/api/documents", files={"files": ("broken.pdf", b"%PDF-1.4 not a pdf")})
        assert bad.status_code == 422 and bad.json()["error"]["type"] == "ingest_failed"
        copy = api.post("/api/documents", files={"files": ("copy.txt", SAMPLE_REPORT.read_bytes())})
        assert copy.status_code == 200 and not copy.json()["added"], copy.text
        mixed = api.post(
            "/api/documents",
            files=[("files", ("harbour.txt", harbour)), ("files", ("tool.exe", b"MZ"))],
        )
        assert mixed.status_code == 415
        assert stored() == set()

        added = api.post("/api/documents", files={"files": ("harbour.txt", harbour)})
        assert added.status_code == 200 and stored() == {"harbour.txt"}
        again = api.post("/api/documents", files={"files": ("harbour.txt", harbour)})
        assert again.status_code == 200 and stored() == {"harbour.txt"}  # kept: in use
        records = b"".join(
            json.dumps(
                {"id": i, "title": f"Record {i}", "text": f"Ferry {i} sailed {i}0 km."}
            ).encode()
            + b"\n"
            for i in (1, 2)
        )
        assert api.post("/api/documents", files={"files": ("r.jsonl", records)}).status_code == 200
        docs = {d["title"]: d["doc_id"] for d in api.get("/api/documents").json()["documents"]}
        for title, left in (
            ("Record 1", {"harbour.txt", "r.jsonl"}),  # the other record still reads it
            ("Record 2", {"harbour.txt"}),
            ("The harbour reopened on Monday after 12 days of repairs, the port said.", set()),
        ):
            assert api.delete(f"/api/documents/{docs[title]}").status_code == 200, title
            assert stored() == left, title


# -- 7. the smaller ones ------------------------------------------------------------------------


def test_an_impossible_date_is_a_422_with_the_reason(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    with httpx.Client(base_url=serve(make_app()).url, timeout=60) as api:
        for field, value, reason in (
            ("since", "2025-13-45", "month must be in 1..12"),
            ("until", "2025-02-30", "day is out of range for month"),
            ("as_of", "2025-1-1", "expected a date YYYY-MM-DD"),
        ):
            resp = api.post("/api/ask", json={"question": "How many?", field: value})
            assert resp.status_code == 422, resp.text
            assert _error(resp).startswith(f"{field}: ") and reason in _error(resp), resp.text
        ok = api.post(
            "/api/ask", json={"question": "How many were deported?", "since": "2024-02-29"}
        )
        assert ok.status_code == 200


def test_remote_clients_see_file_names_not_server_paths(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread]
) -> None:
    from bot.app.wiring import SAMPLE_REPORT

    with httpx.Client(base_url=serve(make_app()).url, timeout=60) as api:
        remote = {"X-Forwarded-For": "203.0.113.9"}  # a client behind the local proxy
        [far] = api.get("/api/documents", headers=remote).json()["documents"]
        assert far["location"] == "sample-report.txt"
        failed = api.post(
            "/api/documents", files={"files": ("broken.pdf", b"%PDF-1.4 nope")}, headers=remote
        )
        assert failed.status_code == 422
        assert [f["location"] for f in failed.json()["report"]["failed"]] == ["broken.pdf"]
        [near] = api.get("/api/documents").json()["documents"]  # the operator, on this machine
        assert near["location"] == str(SAMPLE_REPORT.resolve())


def test_a_token_sent_to_the_web_ui_never_reaches_stderr_or_a_log(
    make_app: Callable[..., App],
    serve: Callable[[App], ServerThread],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token pasted into the wrong field (the remove dropdown) made gradio print a
    traceback quoting it; now it goes through the log's secret redaction."""
    app = make_app(api_token=TOKEN)
    with caplog.at_level(logging.DEBUG), httpx.Client(base_url=serve(app).url, timeout=60) as web:
        assert web.post("/login", data={"username": "u", "password": TOKEN}).status_code == 200
        done = gradio_call(web, "remove", [TOKEN])
        assert done["success"] is False
        for path in (f"/gradio_api/file={TOKEN}", f"/no-such-page-{TOKEN}"):
            web.get(path)
    out, err = capfd.readouterr()
    logged = "\n".join(
        r.getMessage() + (r.exc_text or "") + str(r.exc_info or "") for r in caplog.records
    )
    assert any("gradio event failed" in r.getMessage() for r in caplog.records)
    assert TOKEN not in out + err + logged


def test_v1_markdown_shows_an_outlet_name_literally(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread], tmp_path: Path
) -> None:
    from markdown_it import MarkdownIt

    hostile = "Daily *Bold* _it_\n# Heading\n!alert ![x](http://evil.example/x.png)\n- item"
    path = tmp_path / "hostile.jsonl"
    record = {
        "id": "h1",
        "title": "Ferry #1 *sails*",
        "source": hostile,
        "date": "2025-10-01",
        "text": "The ferry carried 812 passengers across the bay on Monday, the operator said.",
    }
    path.write_text(json.dumps(record) + "\n")
    app = make_app([path])
    with httpx.Client(base_url=serve(app).url, timeout=60) as api:
        resp = api.post(
            "/v1/chat/completions",
            json={
                "messages": [
                    {"role": "user", "content": "How many passengers did the ferry carry?"}
                ]
            },
        )
    content = resp.json()["choices"][0]["message"]["content"]
    assert "812" in content
    html = MarkdownIt("commonmark").render(content)
    assert "<img" not in html and "<h1" not in html and "<em>" not in html, html
    strong = re.findall(r"<strong>(.*?)</strong>", html, re.DOTALL)
    assert "Sources" in strong and not any("Bold" in t or "Heading" in t for t in strong)
    assert html.count("<li>") == 1  # one footnote: the outlet's "- item" made no list item
    assert "Daily *Bold* _it_ # Heading !alert ![x](http://evil.example/x.png) - item" in (
        html.replace("\n", " ")
    )


def test_failed_sign_ins_slide_out_of_the_window_and_memory_stays_bounded() -> None:
    from bot.frontends import throttle

    now = [0.0]
    failures = throttle.FailedSignIns(limit=3, window=60, clock=lambda: now[0])
    for t in (0.0, 10.0, 20.0):
        now[0] = t
        assert failures.retry_after("a") == 0
        failures.failed("a")
    assert failures.retry_after("a") == 40  # until the first failure is 60 s old
    now[0] = 60.5
    assert failures.retry_after("a") == 0 and failures.retry_after("b") == 0
    for i in range(throttle._MAX_CLIENTS + 50):
        failures.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(failures._failures) <= throttle._MAX_CLIENTS
