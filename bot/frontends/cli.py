"""The `reportbot` command: ingest, list, remove, search, ask, chat, eval, serve, follow, bots.

Only the standard library is imported up front, so `reportbot --help` answers at once; each
command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config.paths import configured_data_dir
from bot.render.text import plural

if TYPE_CHECKING:
    from bot.app.wiring import App
    from bot.config.settings import Settings
    from index import Filters, Store

log = logging.getLogger("reportbot")

# Exit codes (in `reportbot --help` and the README).
EXIT_OK = 0  # done
EXIT_FAILED = 1  # nothing done: every input failed, or the index holds no reports
EXIT_USAGE = 2  # bad arguments or settings, or an index that cannot be opened
EXIT_PARTIAL = 3  # some inputs failed, the others landed (ingest, remove, follow, --batch)
EXIT_PIPE_CLOSED = 141  # what a shell reports for a program its pipe's reader left (SIGPIPE)
EXIT_CODES = """\
exit codes:
  0    done
  1    nothing done: every input failed, or the index holds no reports
  2    usage or set-up error: bad arguments or settings, an index that cannot be opened
  3    partly done: some inputs failed, the others landed
  130  interrupted
  141  the output was closed early (piped into `head`, say)"""
JSON_COMMANDS = {"ingest", "list", "remove", "search", "ask", "eval", "follow", "timeline"}


def open_store(settings: Settings) -> Store:
    from bot.app.wiring import open_store as open_

    return open_(settings)


def build_app(settings: Settings, **kwargs: Any) -> App:
    from bot.app.wiring import build_app as build

    return build(settings, **kwargs)


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _outcome(failed: int, landed: int) -> int:
    """0 when nothing failed, 3 when some inputs failed and others landed, else 1."""
    if not failed:
        return EXIT_OK
    return EXIT_PARTIAL if landed else EXIT_FAILED


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
    from index import Filters

    as_of = (record or {}).get("as_of") or args.as_of
    return Filters(args.since, args.until, args.source, as_of)


def empty_index_message(data_dir: Path) -> str:
    """What to say when the index in ``data_dir`` holds no reports: where it looked and how
    to add some."""
    from bot.app.wiring import SAMPLE_REPORT

    where = data_dir.expanduser().resolve()
    lines = [
        f"no reports in {where}: the index is empty.",
        "  Add some:   reportbot ingest FILE_OR_FOLDER_OR_URL …   (reportbot ingest --help)",
        f"  e.g.        reportbot ingest {SAMPLE_REPORT}",
        "  Or use another index: --data-dir DIR (or REPORTBOT_DATA_DIR).",
    ]
    local = Path("data")  # the default before the user data dir: say where an old index is
    if (local / "catalog.sqlite").exists() and local.resolve() != where:
        lines.append(f"  There is an index in {local.resolve()}: --data-dir {local}")
    return "\n".join(lines)


def _has_no_reports(settings: Settings, args: argparse.Namespace, store: Store | None) -> bool:
    """True (after saying so, plainly) when the index holds no reports. Without ``store`` it
    only looks for the catalog, so a mistyped data dir is never created."""
    if store is None:
        empty = not (settings.data_dir / "catalog.sqlite").exists()
    else:
        empty = store.count() == 0
    if empty:
        message = empty_index_message(settings.data_dir)
        if args.json:
            where = str(settings.data_dir.expanduser().resolve())
            error = {"type": "empty_index", "message": message.splitlines()[0], "data_dir": where}
            _print_json({"error": error})
        print(f"reportbot: {message}", file=sys.stderr)
    return empty


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from index import Ingestor

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
    landed = len(report.added) + len(report.updated) + len(report.unchanged)
    return _outcome(len(report.failed), landed)


def _one_line(text: str) -> str:
    """``text`` with newlines and other control characters escaped, for one line of output."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    exists = (settings.data_dir / "catalog.sqlite").exists()  # never create a mistyped dir
    docs = open_store(settings).documents() if exists else []
    if args.json:
        keys = ("doc_id", "title", "source", "published", "url", "location", "ingested_at")
        _print_json([{**{k: getattr(d, k) for k in keys}, "chunks": d.n_chunks} for d in docs])
        return EXIT_OK
    for d in docs:
        meta = ", ".join(p for p in (d.source, d.published) if p)
        print(f"{d.doc_id}  {d.title or d.location}" + (f"  ({meta})" if meta else ""))
    print(f"{plural(len(docs), 'report')} in {settings.data_dir.expanduser().resolve()}")
    return EXIT_OK


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    ids: list[str] = []
    missing: list[str] = []
    for target in args.targets:
        if store.document(target):
            ids.append(target)
            continue
        loc = str(Path(target).expanduser().resolve()) if not target.startswith("http") else target
        found = store.find(loc) or store.find(target)
        if found:
            ids.extend(found)
        else:
            missing.append(target)
    store.remove(ids)
    if args.json:
        _print_json({"removed": ids, "not_found": missing})
    else:
        for target in missing:
            print(f"  not found: no report with id or path {_one_line(target)!r} "
                  "(see `reportbot list`)", file=sys.stderr)  # fmt: skip
        print(f"removed {plural(len(ids), 'report')}")
    return _outcome(len(missing), len(ids))


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    from index import HybridSearcher

    if _has_no_reports(settings, args, None):
        return EXIT_FAILED
    store = open_store(settings)
    if _has_no_reports(settings, args, store):
        return EXIT_FAILED
    searcher = HybridSearcher(store)
    if args.batch:
        failed = done = 0
        for _, record, error in _jsonl(Path(args.batch)):
            if error or record is None:
                _print_json({"error": error})
                failed += 1
                continue
            query = str(record.get("question", ""))
            hits = searcher.search(query, k=args.k, filters=_filters(args, record))
            _print_json({"id": record.get("id"), "results": [h.as_json() for h in hits]})
            done += 1
        return _outcome(failed, done)
    if not args.query.strip():
        print("error: give a query, or --batch FILE.jsonl", file=sys.stderr)
        return EXIT_USAGE
    hits = searcher.search(args.query, k=args.k, filters=_filters(args))
    if args.json:
        _print_json([h.as_json() for h in hits])
        return EXIT_OK
    for i, h in enumerate(hits, start=1):
        d = h.document
        print(
            f"{i}. [{h.score:.4f}] {d.title or d.doc_id} "
            f"({', '.join(filter(None, [d.source, d.published]))})"
        )
        print("   " + h.chunk.text[:300].replace("\n", " "))
    return EXIT_OK


def cmd_timeline(settings: Settings, args: argparse.Namespace) -> int:
    """A figure's history across reports: a table per series, or the JSON of the README."""
    from bot.timeline.build import TimelineBuilder
    from bot.timeline.render import table
    from index import HybridSearcher

    if not args.claim.strip():
        print('error: give a claim, e.g. reportbot timeline "foreigners deported"', file=sys.stderr)
        return EXIT_USAGE
    if _has_no_reports(settings, args, None):
        return EXIT_FAILED
    store = open_store(settings)
    if _has_no_reports(settings, args, store):
        return EXIT_FAILED
    timeline = TimelineBuilder(HybridSearcher(store)).build(args.claim, _filters(args))
    if args.json:
        _print_json(timeline.as_json())
    else:
        print(table(timeline))
    return EXIT_OK if timeline.series else EXIT_FAILED


def _ask_one(app: App, record: dict[str, Any], filters: Filters) -> dict[str, object]:
    turns = record.get("turns") or [record.get("question")]
    if not all(isinstance(t, str) and t.strip() for t in turns):
        return {"id": record.get("id"), "error": 'each line needs "question" or "turns" (strings)'}
    conversation: str | None = None
    answer = None
    for turn in turns:
        answer = app.service.answer(turn, conversation, filters)
        conversation = answer.conversation_id
    assert answer is not None
    app.service.reset(conversation or "")
    out = answer.as_json()
    out.pop("conversation_id", None)
    return {"id": record.get("id"), **out}


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if not args.batch and not (args.question or "").strip():
        print("error: give a question, or --batch FILE.jsonl", file=sys.stderr)
        return EXIT_USAGE
    if _has_no_reports(settings, args, None):
        return EXIT_FAILED
    app = build_app(settings)
    if _has_no_reports(settings, args, app.store):
        return EXIT_FAILED
    filters = _filters(args)
    if args.batch:
        failed = done = 0
        for _, record, error in _jsonl(Path(args.batch)):
            if record is not None:
                filters = _filters(args, record)
            out = {"error": error} if error or record is None else _ask_one(app, record, filters)
            _print_json(out)
            failed, done = (failed + 1, done) if "error" in out else (failed, done + 1)
        return _outcome(failed, done)
    answer = app.service.answer(args.question, None, filters)
    if args.json:
        out = answer.as_json()
        out.pop("conversation_id", None)
        _print_json(out)
    else:
        from bot.render.text import render_text

        print(render_text(answer))
    return EXIT_OK


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.render.text import render_text
    from bot.types import Answer

    if _has_no_reports(settings, args, None):
        return EXIT_FAILED
    app = build_app(settings)
    if _has_no_reports(settings, args, app.store):
        return EXIT_FAILED
    n = app.store.count()
    print(f"reportbot ({app.service.mode} mode, {plural(n, 'report')}). Ask a question; 'new' "
          "starts over, 'quit' leaves.")  # fmt: skip
    conversation: str | None = None
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if question.lower() in {"quit", "exit", "q"}:
            return EXIT_OK
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
    return EXIT_OK


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.evaluate import evaluate, format_table, load_questions

    if _has_no_reports(settings, args, None):
        return EXIT_FAILED
    app = build_app(settings)
    result = evaluate(app, load_questions(Path(args.questions)), k=args.k)
    metrics = result.metrics()
    if args.json:
        _print_json(metrics)
    else:
        print(format_table(metrics))
    if args.out:
        Path(args.out).write_text(
            json.dumps({"metrics": metrics, "rows": result.rows}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return EXIT_OK


def cmd_follow(settings: Settings, args: argparse.Namespace) -> int:
    """Poll feeds (given ones, else every followed one) and ingest new or changed entries."""
    import threading

    from index import FeedFollower, FollowReport, Ingestor, parse_interval

    try:
        interval = parse_interval(args.every) if args.every else settings.follow_every
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = open_store(settings)
    follower = FeedFollower(store, Ingestor(store), settings)
    follower.follow(args.feeds)
    if not follower.followed():
        print("error: no feeds followed yet; give a feed URL", file=sys.stderr)
        return EXIT_USAGE

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
            failed = len(errors) + len(report.ingest.failed)
            ingest = report.ingest
            landed = len(report.feeds) - len(errors) + len(ingest.added) + len(ingest.updated)
            return _outcome(failed, landed)
        follower.run_forever(interval, threading.Event(), on_report=show, urls=args.feeds or None)
        return EXIT_OK
    finally:
        follower.close()
        store.close()


def cmd_telegram(settings: Settings, args: argparse.Namespace) -> int:
    """The Telegram bot: long polling, or a webhook when REPORTBOT_TELEGRAM_WEBHOOK_URL is set."""
    from bot.frontends.telegram import TelegramBot

    app = build_app(settings, persistent_conversations=True)
    _log_if_empty(app)
    bot = TelegramBot(app.service, settings)
    how = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "polling"
    print(f"reportbot on Telegram ({how}, {app.service.mode} answers); Ctrl+C stops.",
          file=sys.stderr)  # fmt: skip
    bot.run()
    return EXIT_OK


def cmd_slack(settings: Settings, args: argparse.Namespace) -> int:
    """The Slack bot: Socket Mode (default) or HTTP events (REPORTBOT_SLACK_MODE, --mode)."""
    from slack_bolt.error import BoltError

    from bot.frontends.slack import EVENTS_PATH, SlackBot

    if args.mode:
        settings = settings.model_copy(update={"slack_mode": args.mode})
    app = build_app(settings, persistent_conversations=True)
    _log_if_empty(app)
    try:
        bot = SlackBot(app.service, settings)
    except BoltError as exc:  # e.g. auth.test refused the bot token
        print(f"error: Slack: {exc}", file=sys.stderr)
        return EXIT_USAGE
    where = f"{settings.slack_http_host}:{settings.slack_http_port}{EVENTS_PATH}"
    how = "Socket Mode" if settings.slack_mode == "socket" else f"HTTP on {where}"
    print(f"reportbot on Slack ({how}, {app.service.mode} answers); Ctrl+C stops.", file=sys.stderr)
    bot.run()
    return EXIT_OK


def _log_if_empty(app: App) -> None:
    """A chat bot still starts over an empty index (reports can be added while it runs)."""
    if app.store.count() == 0:
        log.warning("%s", empty_index_message(app.settings.data_dir))


INGEST_HELP = """\
Inputs, any mix of:
  files     .txt .md .markdown (optional --- front matter: title, source, date, url)
            .html .htm (article text and metadata)
            .pdf (a text layer; citations name the page)   .docx
            .jsonl (one report per line: {"id"?, "url"?, "title"?, "date"?, "source"?, "text"})
  folders   every such file below them
  URLs      http(s) article pages (the canonical URL becomes the citation link)
  feeds     RSS/Atom feed URLs: every entry's article (`reportbot follow` keeps one current)

Re-ingesting is idempotent; changed content at the same path or URL replaces the old version.
An input that cannot be read is reported with the reason and the rest still lands (exit 3).
"""


def _parser() -> argparse.ArgumentParser:
    data_dir, origin = configured_data_dir()

    def global_options(json_out: bool) -> argparse.ArgumentParser:
        """The global options again, so they are accepted after the command too: without
        defaults, so they never overwrite a value given before the command."""
        shared = argparse.ArgumentParser(add_help=False)
        g = shared.add_argument_group("global options (also accepted before the command)")
        g.add_argument(
            "--data-dir",
            type=Path,
            default=argparse.SUPPRESS,
            metavar="DIR",
            help=f"where the index lives (now: {data_dir}, from {origin})",
        )
        if json_out:
            g.add_argument(
                "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON"
            )
        g.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="log more (DEBUG for reportbot, INFO for the libraries)",
        )
        return shared

    parents = {True: global_options(True), False: global_options(False)}
    epilog = (
        f"data directory: {data_dir} (from {origin}).\n"
        "  By default the user's data directory, whatever folder you run from;\n"
        "  --data-dir or REPORTBOT_DATA_DIR (environment or .env) choose another.\n\n"
        f"{EXIT_CODES}\n\n"
        "Settings: REPORTBOT_* environment variables or a .env file (see README.md)."
    )
    p = argparse.ArgumentParser(
        prog="reportbot",
        description="Cited answers over news reports.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data-dir", type=Path, metavar="DIR", help=f"where the index lives (now: {data_dir})"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=f"print JSON ({', '.join(sorted(JSON_COMMANDS))})",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log more (DEBUG for reportbot, INFO for the libraries)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, json_out: bool = True, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            parents=[parents[json_out]],
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kw,
        )

    ing = command("ingest", "add reports: files, folders, article URLs, RSS/Atom feeds")
    ing.description = f"Add reports to the index.\n\n{INGEST_HELP}"
    ing.add_argument(
        "paths", nargs="+", metavar="INPUT", help="a file, a folder, an article URL or a feed URL"
    )
    ing.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ing.set_defaults(func=cmd_ingest)

    ls = command("list", "list the reports in the index")
    ls.set_defaults(func=cmd_list)

    rm = command("remove", "remove reports by id or path")
    rm.add_argument(
        "targets",
        nargs="+",
        metavar="ID_OR_PATH",
        help="a report's id (see `reportbot list`), or the path or URL it came from",
    )
    rm.set_defaults(func=cmd_remove)

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--since", metavar="YYYY-MM-DD", help="only reports published on or after this day"
        )
        sp.add_argument(
            "--until", metavar="YYYY-MM-DD", help="only reports published on or before this day"
        )
        sp.add_argument("--source", metavar="OUTLET", help="only reports from this outlet")
        sp.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="the day the question is asked (default today): reports from the "
            "REPORTBOT_RECENCY_DAYS (10) days before it rank higher; in --batch, a line's "
            '"as_of" overrides it',
        )

    se = command("search", "ranked passages for a query")
    se.add_argument("query", nargs="?", default="", help="what to look for (words or a question)")
    se.add_argument("--k", type=int, default=10, metavar="N", help="how many passages (default 10)")
    se.add_argument(
        "--batch",
        metavar="FILE.jsonl",
        help='search each {"id", "question"} line; prints {"id", "results"} lines',
    )
    filters(se)
    se.set_defaults(func=cmd_search)

    ask = command("ask", "a cited answer to a question")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument(
        "--batch",
        metavar="FILE.jsonl",
        help='answer each {"id", "question"} or {"id", "turns": [...]} line; prints '
        "one JSON answer per line",
    )
    filters(ask)
    ask.set_defaults(func=cmd_ask)

    tl = command("timeline", "a figure's history across reports: a dated table per series")
    tl.add_argument("claim", help='what is counted, e.g. "foreigners deported from Cambodia"')
    filters(tl)
    tl.set_defaults(func=cmd_timeline)

    chat = command("chat", "a conversation in the terminal", json_out=False)
    chat.set_defaults(func=cmd_chat)

    ev = command("eval", "metrics over a question file (JSONL)")
    ev.add_argument(
        "questions",
        metavar="QUESTIONS.jsonl",
        help="one question per line: question|turns, answers, doc_ids|urls, abstain",
    )
    ev.add_argument("--out", metavar="FILE", help="write metrics and per-question rows as JSON")
    ev.add_argument(
        "--k",
        type=int,
        default=10,
        metavar="N",
        help="retrieval depth for hit@k / MRR (default 10)",
    )
    ev.set_defaults(func=cmd_eval)

    srv = command(
        "serve", "web UI and HTTP API; a first start adds the sample report", json_out=False
    )
    srv.add_argument("--host", help="address to listen on (default REPORTBOT_HOST, 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port to listen on (default REPORTBOT_PORT, 7860)")
    srv.set_defaults(func=cmd_serve)

    fol = command("follow", "poll RSS/Atom feeds and ingest new or changed entries")
    fol.add_argument(
        "feeds",
        nargs="*",
        metavar="FEED_URL",
        help="feeds to follow from now on (default: every feed followed before)",
    )
    fol.add_argument(
        "--every",
        metavar="INTERVAL",
        help="poll interval: 30s, 15m, 2h (default REPORTBOT_FOLLOW_EVERY, 900 s)",
    )
    fol.add_argument("--once", action="store_true", help="poll once and exit")
    fol.set_defaults(func=cmd_follow)

    tg = command("telegram", "the Telegram bot (REPORTBOT_TELEGRAM_TOKEN)", json_out=False)
    tg.set_defaults(func=cmd_telegram)

    sl = command("slack", "the Slack bot (REPORTBOT_SLACK_BOT_TOKEN, _APP_TOKEN)", json_out=False)
    sl.add_argument(
        "--mode",
        choices=["socket", "http"],
        help="Socket Mode or HTTP events (default REPORTBOT_SLACK_MODE, socket)",
    )
    sl.set_defaults(func=cmd_slack)
    return p


def _configure_logging(verbose: bool) -> None:
    """reportbot's own messages at INFO (a first start says what it did), libraries at
    WARNING; -v: reportbot at DEBUG, libraries at INFO."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("reportbot").setLevel(logging.DEBUG if verbose else logging.INFO)
    if not verbose:  # "EOF marker not found" and the like: the ingest report says it better
        for noisy in ("pypdf", "trafilatura"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.json and args.command not in JSON_COMMANDS:
        parser.error(f"--json: `{args.command}` has no JSON output")
    _configure_logging(args.verbose)
    from bot.config.settings import Settings
    from index import ConfigError, ReportbotError

    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        func: Callable[[Settings, argparse.Namespace], int] = args.func
        return func(settings, args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ReportbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output left (`| head`): stop without a trace
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return EXIT_PIPE_CLOSED


if __name__ == "__main__":
    sys.exit(main())
