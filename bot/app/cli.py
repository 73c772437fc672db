"""The `reportbot` command: ingest, list, remove, search, ask, chat, serve."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.app.settings import Settings
from bot.app.wiring import App, build_app, open_store
from bot.grounding.citations import render_text
from bot.types import Answer
from index import Filters, HybridSearcher, Ingestor, ReportbotError

log = logging.getLogger("reportbot")


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record, error) for each non-empty line of a JSONL file."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, f"line {n}: invalid JSON ({exc.msg})"
                continue
            if not isinstance(record, dict):
                yield n, None, f"line {n}: expected a JSON object"
                continue
            yield n, record, None


def _filters(args: argparse.Namespace, record: dict[str, Any] | None = None) -> Filters:
    """The command's filters; a batch line's "as_of" (YYYY-MM-DD) overrides --as-of."""
    as_of = (record or {}).get("as_of") or args.as_of
    return Filters(args.since, args.until, args.source, as_of)


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    report = Ingestor(store).ingest(args.paths, progress=not args.quiet)
    if args.json:
        _print_json(report.as_json())
    else:
        # Each problem on its own line (odd file names escaped), then the summary last.
        for f in report.failed:
            print(f"  failed: {_one_line(f['location'])}: {_one_line(f['reason'])}",
                  file=sys.stderr)  # fmt: skip
        dups = report.duplicates
        named = store.documents_by_id([*report.same_text.values(), *dups, *dups.values()])

        def where(doc_id: str) -> str:
            return _one_line(named[doc_id].location if doc_id in named else doc_id)

        for location, doc_id in report.same_text.items():
            print(f"  same text as {where(doc_id)}, stored once: {_one_line(location)}",
                  file=sys.stderr)  # fmt: skip
        for doc_id, original in dups.items():
            print(f"  near-copy of {where(original)}, cited once: {where(doc_id)}",
                  file=sys.stderr)  # fmt: skip
        print(report.summary())
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _one_line(text: str) -> str:
    """``text`` with newlines and other control characters escaped, for one line of output."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    docs = open_store(settings).documents()
    if args.json:
        keys = ("doc_id", "title", "source", "published", "url", "location", "ingested_at")
        _print_json([{**{k: getattr(d, k) for k in keys}, "chunks": d.n_chunks} for d in docs])
        return 0
    for d in docs:
        meta = ", ".join(p for p in (d.source, d.published) if p)
        print(f"{d.doc_id}  {d.title or d.location}" + (f"  ({meta})" if meta else ""))
    print(f"{len(docs)} reports")
    return 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    ids: list[str] = []
    for target in args.targets:
        if store.document(target):
            ids.append(target)
            continue
        loc = str(Path(target).expanduser().resolve()) if not target.startswith("http") else target
        found = store.find(loc) or store.find(target)
        if not found:
            print(f"error: no report with id or path {target!r} (see `reportbot list`)",
                  file=sys.stderr)  # fmt: skip
            return 2
        ids.extend(found)
    store.remove(ids)
    print(f"removed {len(ids)} report(s)")
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    searcher = HybridSearcher(open_store(settings))
    if args.batch:
        for _, record, error in _jsonl(Path(args.batch)):
            if error or record is None:
                _print_json({"error": error})
                continue
            query = str(record.get("question", ""))
            hits = searcher.search(query, k=args.k, filters=_filters(args, record))
            _print_json({"id": record.get("id"), "results": [h.as_json() for h in hits]})
        return 0
    hits = searcher.search(args.query, k=args.k, filters=_filters(args))
    if args.json:
        _print_json([h.as_json() for h in hits])
        return 0
    for i, h in enumerate(hits, start=1):
        d = h.document
        print(
            f"{i}. [{h.score:.4f}] {d.title or d.doc_id} "
            f"({', '.join(filter(None, [d.source, d.published]))})"
        )
        print("   " + h.chunk.text[:300].replace("\n", " "))
    return 0


def _ask_one(app: App, record: dict[str, Any], filters: Filters) -> dict[str, object]:
    turns = record.get("turns") or [record.get("question")]
    if not all(isinstance(t, str) and t.strip() for t in turns):
        return {"id": record.get("id"), "error": 'each line needs "question" or "turns" (strings)'}
    conversation: str | None = None
    answer: Answer | None = None
    for turn in turns:
        answer = app.service.answer(turn, conversation, filters)
        conversation = answer.conversation_id
    assert answer is not None
    app.service.reset(conversation or "")
    out = answer.as_json()
    out.pop("conversation_id", None)
    return {"id": record.get("id"), **out}


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    app = build_app(settings)
    filters = _filters(args)
    if args.batch:
        for _, record, error in _jsonl(Path(args.batch)):
            if record is not None:
                filters = _filters(args, record)
            _print_json(
                {"error": error} if error or record is None else _ask_one(app, record, filters)
            )
        return 0
    if not args.question:
        print("error: give a question, or --batch FILE.jsonl", file=sys.stderr)
        return 2
    answer = app.service.answer(args.question, None, filters)
    if args.json:
        out = answer.as_json()
        out.pop("conversation_id", None)
        _print_json(out)
    else:
        print(render_text(answer))
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    app = build_app(settings)
    n = app.store.count()
    print(f"reportbot ({app.service.mode} mode, {n} reports). Ask a question; 'new' starts over, "
          "'quit' leaves.")  # fmt: skip
    conversation: str | None = None
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.lower() in {"quit", "exit", "q"}:
            return 0
        if question.lower() == "new":
            conversation = None
            continue
        if not question:
            continue
        answer = None
        for item in app.service.stream(question, conversation):
            if isinstance(item, Answer):
                answer = item
        if answer is not None:
            conversation = answer.conversation_id
            print(render_text(answer))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """The web UI and the HTTP API in one process (adds the sample report on a first start)."""
    from bot.frontends.server import serve

    serve(settings, args.host, args.port)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.evaluate import evaluate, format_table, load_questions

    app = build_app(settings)
    result = evaluate(app, load_questions(Path(args.questions)), k=args.k)
    metrics = result.metrics()
    print(format_table(metrics))
    if args.out:
        Path(args.out).write_text(
            json.dumps({"metrics": metrics, "rows": result.rows}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return 0


def cmd_follow(settings: Settings, args: argparse.Namespace) -> int:
    """Poll feeds (given ones, else every followed one) and ingest new or changed entries."""
    import threading

    from index import FeedFollower, FollowReport, parse_interval

    try:
        interval = parse_interval(args.every) if args.every else settings.follow_every
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = open_store(settings)
    follower = FeedFollower(store, Ingestor(store), settings)
    follower.follow(args.feeds)
    if not follower.followed():
        print("error: no feeds followed yet; give a feed URL", file=sys.stderr)
        return 2

    def show(report: FollowReport) -> None:
        if args.json:
            _print_json(report.as_json())
            return
        print(report.summary(), flush=True)
        for f in report.ingest.failed:
            print(f"  failed: {f['location']}: {f['reason']}", file=sys.stderr)

    try:
        if args.once:
            report = follower.poll_once(args.feeds or None)
            show(report)
            errors = [s for s in report.feeds.values() if s.startswith("error")]
            return 1 if errors and len(errors) == len(report.feeds) else 0
        follower.run_forever(interval, threading.Event(), on_report=show, urls=args.feeds or None)
        return 0
    finally:
        follower.close()
        store.close()


def cmd_telegram(settings: Settings, args: argparse.Namespace) -> int:
    """The Telegram bot: long polling, or a webhook when REPORTBOT_TELEGRAM_WEBHOOK_URL is set."""
    from bot.frontends.telegram import TelegramBot

    app = build_app(settings, persistent_conversations=True)
    bot = TelegramBot(app.service, settings)
    how = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "polling"
    print(f"reportbot on Telegram ({how}, {app.service.mode} answers); Ctrl+C stops.",
          file=sys.stderr)  # fmt: skip
    bot.run()
    return 0


def cmd_slack(settings: Settings, args: argparse.Namespace) -> int:
    """The Slack bot: Socket Mode (default) or HTTP events (REPORTBOT_SLACK_MODE, --mode)."""
    from slack_bolt.error import BoltError

    from bot.frontends.slack import EVENTS_PATH, SlackBot

    if args.mode:
        settings = settings.model_copy(update={"slack_mode": args.mode})
    app = build_app(settings, persistent_conversations=True)
    try:
        bot = SlackBot(app.service, settings)
    except BoltError as exc:  # e.g. auth.test refused the bot token
        print(f"error: Slack: {exc}", file=sys.stderr)
        return 2
    where = f"{settings.slack_http_host}:{settings.slack_http_port}{EVENTS_PATH}"
    how = "Socket Mode" if settings.slack_mode == "socket" else f"HTTP on {where}"
    print(f"reportbot on Slack ({how}, {app.service.mode} answers); Ctrl+C stops.", file=sys.stderr)
    bot.run()
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="reportbot", description="Cited answers over news reports.")
    p.add_argument("--data-dir", type=Path, help="where the index lives (REPORTBOT_DATA_DIR)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="add reports: files, folders, .jsonl")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--json", action="store_true", help="print a JSON report")
    ing.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ing.set_defaults(func=cmd_ingest)

    ls = sub.add_parser("list", help="list the reports in the index")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    rm = sub.add_parser("remove", help="remove reports by id or path")
    rm.add_argument("targets", nargs="+")
    rm.set_defaults(func=cmd_remove)

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--since", help="only reports published on or after YYYY-MM-DD")
        sp.add_argument("--until", help="only reports published on or before YYYY-MM-DD")
        sp.add_argument("--source", help="only reports from this outlet")
        sp.add_argument(
            "--as-of",
            help="the day the question is asked (YYYY-MM-DD, default today): reports from the "
            "days before it rank higher (REPORTBOT_RECENCY_DAYS); in --batch, a line's as_of",
        )

    se = sub.add_parser("search", help="ranked passages for a query")
    se.add_argument("query", nargs="?", default="")
    se.add_argument("--k", type=int, default=10)
    se.add_argument("--json", action="store_true")
    se.add_argument("--batch", help='JSONL of {"id", "question"}; writes {"id", "results"} lines')
    filters(se)
    se.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="a cited answer to a question")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--batch", help='JSONL of {"id", "question"} or {"id", "turns"}')
    filters(ask)
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="a conversation in the terminal")
    chat.set_defaults(func=cmd_chat)
    ev = sub.add_parser("eval", help="metrics over a question file (JSONL)")
    ev.add_argument("questions", help="JSONL: question|turns, answers, doc_ids|urls, abstain")
    ev.add_argument("--out", help="write metrics and per-question rows as JSON here")
    ev.add_argument("--k", type=int, default=10, help="retrieval depth for hit@k / MRR")
    ev.set_defaults(func=cmd_eval)

    srv = sub.add_parser("serve", help="web UI and HTTP API (REPORTBOT_HOST, REPORTBOT_PORT)")
    srv.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port to listen on (default 7860)")
    srv.set_defaults(func=cmd_serve)

    fol = sub.add_parser("follow", help="poll RSS/Atom feeds and ingest new or changed entries")
    fol.add_argument("feeds", nargs="*", help="feed URLs to follow (default: those followed)")
    fol.add_argument("--every", help="poll interval: 30s, 15m, 2h (REPORTBOT_FOLLOW_EVERY, s)")
    fol.add_argument("--once", action="store_true", help="poll once and exit")
    fol.add_argument("--json", action="store_true", help="print each poll as JSON")
    fol.set_defaults(func=cmd_follow)

    tg = sub.add_parser("telegram", help="the Telegram bot (REPORTBOT_TELEGRAM_TOKEN)")
    tg.set_defaults(func=cmd_telegram)

    sl = sub.add_parser("slack", help="the Slack bot (REPORTBOT_SLACK_BOT_TOKEN, _APP_TOKEN)")
    sl.add_argument("--mode", choices=["socket", "http"], help="default: REPORTBOT_SLACK_MODE")
    sl.set_defaults(func=cmd_slack)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")  # fmt: skip
    if not args.verbose:  # "EOF marker not found" and the like: the ingest report says it better
        for noisy in ("pypdf", "trafilatura"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        func: Callable[[Settings, argparse.Namespace], int] = args.func
        return func(settings, args)
    except ReportbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
