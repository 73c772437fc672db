"""The LLM backend failing under concurrent load: every ask still gets a cited answer.

A fake OpenAI-compatible server (real HTTP) answers each question with its own fault: 429s
(with Retry-After), 500s, hangs past the client's timeout, streams cut or stalled midway,
a stream trickling past the answer's deadline, malformed events, SSE error events; the real
openai client (short timeout, one retry) and the real server (uvicorn, real index) between.
Nothing may surface as an error: the LLM's answer when it came through, else the extractive
answer with its one-line notice.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.app.wiring import App
from bot.frontends.api import create_api
from bot.frontends.server import ServerThread
from bot.render.markdown import escape as md_escape
from bot.types import Answer
from tests.fakes.openai_server import FakeOpenAI, Recorded, Reply

_SOURCE = re.compile(r"<<<SOURCE (\d+)>>>\n(.*?)\n<<<END SOURCE \1>>>", re.DOTALL)
_QUESTION = re.compile(r"^(?:Last question|Question): (.+)$", re.MULTILINE)
FALLBACK = "The language model is unavailable ({}); this is an extractive answer."
FOLLOW_UP = "And how many of them were women?"
FIRST = "How many foreigners were deported?"


def source_with(body: dict[str, Any], needle: str) -> int:
    """The number the prompt gave to the first source containing ``needle``."""
    prompt = "\n".join(m["content"] for m in body["messages"])
    for m in _SOURCE.finditer(prompt):
        if needle in m.group(2):
            return int(m.group(1))
    raise AssertionError(f"no source contains {needle!r}")


def citing(template: str, needle: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: template.format(n=source_with(body, needle))


@dataclass(frozen=True)
class Case:
    """A question, what the fake does with it, and what the asker must get."""

    question: str
    reply: Reply  # on every attempt, or only on the first when ``then`` is set
    reason: str | None  # the fallback notice's reason; None: the LLM's answer comes through
    then: Reply | None = None  # the reply to the client's retry
    expect: str = ""  # in the LLM's (verified) answer


DELTAS = "2,825 foreigners , including 476 women , have been deported [1] ."
CASES = {
    "ok": Case(FIRST, Reply(citing("2,825 foreigners, including 476 women, have been "
                                   "deported [{n}].", "2,825")), None,
               expect="2,825 foreigners, including 476 women, have been deported [1]."),
    "429 then ok": Case(
        "How many individuals were arrested?",
        Reply(status=429, headers={"retry-after": "1", "retry-after-ms": "50"}), None,
        then=Reply(citing("Police arrested 3,455 individuals from 20 countries [{n}].",
                          "3,455 ind")),
        expect="Police arrested 3,455 individuals from 20 countries [1].",
    ),
    "429": Case("How many people were brought to trial?",
                Reply(status=429, headers={"retry-after-ms": "50"}), "HTTP 429: rate limited"),
    "500": Case("How many countries were those arrested from?", Reply(status=500), "HTTP 500"),
    "hang": Case("When did the Cambodian authorities announce the arrests?",
                 Reply("never sent [1].", hang=3600), "timed out"),
    "stream cut": Case("How many major cases went to legal proceedings?",
                       Reply(DELTAS, drop_after=3), "server unreachable or connection lost"),
    "stream stalls": Case("What did the authorities seize at the scene?",
                          Reply(DELTAS, stall_after=3, stall=3600), "timed out"),
    # Each delta within the read timeout, the whole answer (never complete) past the deadline.
    "stream trickles": Case("Which crimes were committed?", Reply(DELTAS * 500, every=1.0),
                            "too slow: no complete answer within 10 s"),
    "malformed event": Case("Who uploaded promotional videos featuring Korean women?",
                            Reply(DELTAS, malformed=True), "malformed response"),
    "error event": Case("How many of the deported foreigners were women?",
                        Reply(DELTAS, error_after=2), "the server reported an error"),
    # A follow-up: condensing it fails (a JSON body cut halfway), answering it works.
    "follow-up": Case(FOLLOW_UP, Reply("Standalone question: unused", drop_after=1), None,
                      expect="476 of the deported foreigners were women [1]."),
}  # fmt: skip
BY_QUESTION = {case.question: case for case in CASES.values()}


def script(recorded: Recorded) -> Reply:
    """Each question's fault, on each attempt (the client numbers its retries)."""
    question = _QUESTION.findall(recorded.prompt)[-1].strip()
    case = BY_QUESTION[question]
    if question == FOLLOW_UP and recorded.body.get("stream"):  # the answer, after condensing
        return Reply(citing("476 of the deported foreigners were women [{n}].", "476 women"))
    retry = int(recorded.headers.get("x-stainless-retry-count", "0"))
    return case.then if case.then is not None and retry > 0 else case.reply


def check(app: App, name: str, data: dict[str, Any]) -> None:
    """The answer the asker of ``CASES[name]`` must get: cited, grounded, and honest about
    which answerer wrote it."""
    case = CASES[name]
    assert not data["abstained"] and data["citations"], (name, data)
    for c in data["citations"]:
        doc = app.store.catalog.get(c["doc_id"])
        assert doc is not None and doc.text[c["start"] : c["end"]] == c["quote"], (name, c)
    if case.reason is None:
        assert data["mode"] == "llm" and data.get("notice") is None, (name, data)
        assert data["answer"] == case.expect, (name, data)
    else:
        assert data["mode"] == "extractive", (name, data)
        assert data["notice"] == FALLBACK.format(case.reason), (name, data)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.script = script
        yield server


@pytest.fixture
def llm_app(make_app: Callable[..., App], fake: FakeOpenAI) -> App:
    """The sample indexed, answering through the fake: 5 s timeout, one retry, 10 s in all.

    Generous, so that a busy machine never turns a good reply into a timeout: the faults
    that must time out (a hang, a stall, a trickle) never finish at all."""
    return make_app(openai_base_url=fake.url, answerer="llm", openai_model="fake-model",
                    llm_timeout=5, llm_retries=1, llm_deadline=10.0)  # fmt: skip


@pytest.fixture
def api_url(llm_app: App) -> Iterator[str]:
    """The HTTP API (/api, /v1) over ``llm_app`` in uvicorn, without the web UI's start-up."""
    with ServerThread(create_api(llm_app)) as server:
        yield server.url


def test_thirty_concurrent_asks_through_llm_faults_all_get_cited_answers(
    llm_app: App, api_url: str, fake: FakeOpenAI
) -> None:
    with httpx.Client(base_url=api_url, timeout=60) as client:  # conversations to follow up
        firsts = [client.post("/api/ask", json={"question": FIRST}).json() for _ in range(3)]
    for first in firsts:
        check(llm_app, "ok", first)
    names = [name for name in CASES if name != "follow-up"] * 3 + ["follow-up"] * 3
    start = threading.Barrier(len(names))

    def ask(i: int) -> tuple[str, int, str]:
        name = names[i]
        body: dict[str, Any] = {"question": CASES[name].question}
        if name == "follow-up":
            body["conversation_id"] = firsts[i % 3]["conversation_id"]
        with httpx.Client(base_url=api_url, timeout=60) as client:
            start.wait()
            resp = client.post("/api/ask", json=body)
        return name, resp.status_code, resp.text

    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(ask, range(len(names))))

    assert [status for _, status, _ in results] == [200] * len(names), results
    for name, _, text in results:
        check(llm_app, name, json.loads(text))
    # What the fake saw, per question: one retry after a 429, a 500 or a hang (never after a
    # stream that started), and a follow-up condensed (a cut body, retried) before answering.
    attempts = Counter(
        (_QUESTION.findall(r.prompt)[-1], bool(r.body.get("stream"))) for r in fake.completions
    )
    retried = {"429 then ok", "429", "500", "hang"}
    want = {(c.question, True): 6 if name in retried else 3 for name, c in CASES.items()}
    want[(FIRST, True)] += 3  # the three first questions of the conversations
    want[(FOLLOW_UP, False)] = 6
    assert attempts == want


def _sse(client: httpx.Client, question: str) -> list[dict[str, Any] | str]:
    """The events of a streamed /v1/chat/completions, "[DONE]" as is."""
    body = {"model": "reportbot", "stream": True,
            "messages": [{"role": "user", "content": question}]}  # fmt: skip
    events: list[dict[str, Any] | str] = []
    with client.stream("POST", "/v1/chat/completions", json=body) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(
            "text/event-stream"
        )
        for line in resp.iter_lines():
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
                events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_streamed_answers_through_llm_faults_end_with_citations(llm_app: App, api_url: str) -> None:
    """The OpenAI-compatible SSE stream and the service's own stream (the web UI's)."""
    names = [name for name in CASES if name != "follow-up"]
    start = threading.Barrier(2 * len(names))

    def over_http(name: str) -> list[dict[str, Any] | str]:
        with httpx.Client(base_url=api_url, timeout=60) as client:
            start.wait()
            return _sse(client, CASES[name].question)

    def in_process(name: str) -> list[str | Answer]:
        start.wait()
        return list(llm_app.service.stream(CASES[name].question))

    with ThreadPoolExecutor(2 * len(names)) as pool:
        http = [pool.submit(over_http, name) for name in names]
        web = [pool.submit(in_process, name) for name in names]
        streams = [f.result() for f in http]
        answers = [f.result() for f in web]

    for name, events in zip(names, streams, strict=True):
        assert events[-1] == "[DONE]", (name, events)
        chunks = [e for e in events[:-1] if isinstance(e, dict)]
        assert not [e for e in chunks if "error" in e], (name, events)
        last = chunks[-1]
        assert last["choices"][0]["finish_reason"] == "stop" and last["citations"], (name, last)
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        reason = CASES[name].reason
        if reason is None:
            assert text.startswith(CASES[name].expect) and "**Sources**" in text, (name, text)
        else:
            assert text.startswith(f"_{md_escape(FALLBACK.format(reason))}_"), (name, text)
    for name, items in zip(names, answers, strict=True):
        final = items[-1]
        assert isinstance(final, Answer) and all(isinstance(i, str) for i in items[:-1])
        check(llm_app, name, final.as_json())
