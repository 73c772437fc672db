"""`reportbot serve`: the JSON API and the gradio UI (mounted at "/") in one uvicorn process."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from typing import Any

from bot.app.settings import Settings
from bot.app.wiring import App, build_app, quiet_offline_env

log = logging.getLogger("reportbot.server")


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

    library = Library(app)
    api = create_api(app, library)
    demo = build_ui(app, library)
    token = app.settings.api_token

    def check(_user: str, password: str) -> bool:
        return bool(token) and secrets.compare_digest(password.encode(), (token or "").encode())

    return gr.mount_gradio_app(
        api,
        demo,
        path="/",
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
            log.warning(
                "new library in %s: added the sample report (%s)", data_dir, first.summary()
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
        log.warning("feeds polled: %s", result.summary())

    def run() -> None:
        try:
            follower.run_forever(app.settings.follow_every, stop, on_report=report)
        finally:
            follower.close()

    thread = threading.Thread(target=run, name="feed-follower", daemon=True)
    thread.start()
    log.warning("following %d feed(s) every %.0f s", len(follower.followed()),
                app.settings.follow_every)  # fmt: skip
    return thread
