"""`reportbot serve`: the JSON API and the gradio UI (mounted at "/") in one uvicorn process."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from bot.app.wiring import App, build_app, quiet_offline_env
from bot.config.settings import Settings

log = logging.getLogger("reportbot.server")


class _LoggedTracebacks:
    """Stands in for the ``traceback`` module inside gradio: its ``print_exc()`` (a failed
    event, a refused input) goes to the "gradio" logger, so through the redaction of every
    log record (chat_common.protect_secrets) instead of straight to stderr, where a token a
    user typed into the wrong field was printed."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def print_exc(*_: object, **__: object) -> None:
        logging.getLogger("gradio").error("gradio event failed", exc_info=True)


def _log_gradio_tracebacks() -> None:
    import gradio.queueing
    import gradio.route_utils
    import gradio.routes
    import gradio.utils

    for module in (gradio.queueing, gradio.route_utils, gradio.routes, gradio.utils):
        if getattr(module, "traceback", None) is traceback:
            module.traceback = _LoggedTracebacks()  # type: ignore[attr-defined]


def create_server_app(app: App) -> Any:
    """FastAPI app: /api, /v1 and /healthz first, then the web UI at "/".

    With REPORTBOT_API_TOKEN set, the web UI asks for it too (any user name, the token as
    password): its gradio endpoints could otherwise be used to bypass the API's token.
    """
    quiet_offline_env()
    import gradio as gr

    from bot.frontends.api import create_api
    from bot.frontends.library import Library
    from bot.frontends.web import CSS, build_ui

    _log_gradio_tracebacks()
    library = Library(app)
    api = create_api(app, library)
    demo = build_ui(app, library)
    token = app.settings.api_token

    def check(_user: str, password: str) -> bool:
        return bool(token) and secrets.compare_digest(password.encode(), (token or "").encode())

    served = gr.mount_gradio_app(
        api,
        demo,
        path="/",
        # Gradio may hand out (copy into its cache and serve) only files it received as
        # uploads: never the data dir, nor anything else on the server (see below).
        allowed_paths=[],
        blocked_paths=[str(Path(app.settings.data_dir).resolve())],
        server_name=app.settings.host,
        server_port=app.settings.port,
        auth=check if token else None,
        auth_message="Enter the API token (REPORTBOT_API_TOKEN) as the password."
        if token
        else None,
        max_file_size=app.settings.max_upload_bytes,
        footer_links=["api", "settings"],
        run_history=False,
        css=CSS,
        theme=gr.themes.Soft(),
        ssr_mode=False,
        mcp_server=False,
    )
    # gradio checks the paths in a request (a chat history or a file list naming a server
    # file) against its upload folder only once a Blocks "has launched"; a mounted one never
    # does, so without this any signed-in user could read any file the server can.
    demo.has_launched = True
    served.state.reportbot_settings = app.settings  # the server limits (see _uvicorn_server)
    return served


def _uvicorn_server(asgi: Any, **config: Any) -> Any:
    """A uvicorn Server that also ends gradio's heartbeat streams when it shuts down.

    An open browser tab keeps one such stream; without this, Ctrl-C would wait for it forever.
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for route in getattr(asgi, "routes", []):
                stop_event = getattr(getattr(route, "app", None), "stop_event", None)
                if stop_event is not None:
                    stop_event.set()
            await super().shutdown(sockets)

    config.setdefault("timeout_graceful_shutdown", 10)
    settings = getattr(getattr(asgi, "state", None), "reportbot_settings", None)
    if settings is not None:  # deadlines, a connection cap, keep-alive: connections.py
        from bot.frontends.connections import ConnectionLimits

        for key, value in ConnectionLimits.from_settings(settings).uvicorn_config().items():
            config.setdefault(key, value)
    return Server(uvicorn.Config(asgi, **config))


class ServerThread:
    """uvicorn in a background thread on a given (or free) port; for tests and benchmarks."""

    def __init__(self, asgi: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = _uvicorn_server(asgi, log_level="warning", timeout_graceful_shutdown=5)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def prepare_app(settings: Settings) -> App:
    """Open (or create) the index; on a first start (no data directory yet) add the sample."""
    from bot.frontends.library import Library

    quiet_offline_env()
    data_dir = settings.data_dir
    fresh = not data_dir.exists() or not any(data_dir.iterdir())
    app = build_app(settings)
    if fresh:  # a first start: give a new user something to ask about at once
        first = Library(app).ensure_sample()
        if first is not None:
            log.info("new library in %s: added the sample report (%s)", data_dir, first.summary())
    elif app.store.count() == 0:
        log.info(
            "no reports in %s: the index is empty. Add some in the web UI's library tab or "
            "with `reportbot ingest FILE_OR_FOLDER_OR_URL`.",
            data_dir.resolve(),
        )
    return app


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """`reportbot serve`: prepare the App, then serve the API and the web UI until stopped."""
    host = host or settings.host
    port = settings.port if port is None else port
    app = prepare_app(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_token:
        log.warning(
            "serving on %s without REPORTBOT_API_TOKEN: anyone who can reach it can "
            "ask, upload and remove reports",
            host,
        )
    asgi = create_server_app(app)
    stop = threading.Event()
    follower = start_feed_follower(app, stop)
    print(
        f"reportbot: web UI at http://{host}:{port}/ · API at http://{host}:{port}/api/docs "
        f"· OpenAI-compatible at http://{host}:{port}/v1 ({app.service.mode} mode)",
        flush=True,
    )
    try:
        _uvicorn_server(asgi, host=host, port=port, log_level="warning").run()
    finally:
        stop.set()
        if follower is not None:
            follower.join(timeout=30)


def start_feed_follower(app: App, stop: threading.Event) -> threading.Thread | None:
    """Poll the followed feeds (REPORTBOT_FOLLOW_FEEDS and earlier `reportbot follow`s) in a
    background thread until ``stop`` is set; None when no feed is followed."""
    from index import FeedFollower

    follower = FeedFollower(app.store, app.ingestor, app.settings)
    follower.follow(app.settings.follow_feeds)
    if not follower.followed():
        follower.close()
        return None

    def report(result: Any) -> None:
        log.info("feeds polled: %s", result.summary())

    def run() -> None:
        try:
            follower.run_forever(app.settings.follow_every, stop, on_report=report)
        finally:
            follower.close()

    thread = threading.Thread(target=run, name="feed-follower", daemon=True)
    thread.start()
    log.info("following %d feed(s) every %.0f s", len(follower.followed()),
                app.settings.follow_every)  # fmt: skip
    return thread
