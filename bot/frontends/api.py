"""The HTTP API: /api/ask, /api/documents, /healthz and an OpenAI-compatible /v1 surface."""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import logging
import secrets
from pathlib import Path
from typing import Annotated, Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app.wiring import App
from bot.chat.service import QuestionTooLong
from bot.frontends.chat_common import protect_secrets
from bot.frontends.library import Library, LibraryError, document_json, public_location
from bot.frontends.openai_compat import OpenAICompat
from bot.frontends.throttle import AuthThrottle
from bot.timeline.build import TimelineBuilder
from index import Filters, ReportbotError, VectorStoreUnavailable

log = logging.getLogger("reportbot.api")


def _real_date(value: str) -> str:
    """A YYYY-MM-DD that is a day of the calendar ("2025-02-30" is not)."""
    try:
        datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date ({exc})") from None
    return value


Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_real_date)]
UPLOAD_PATH = "/api/documents"
DOCS_ASSETS = "/api/docs/assets"
DOCS_FILES = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5, no CDN
JSON_LIMIT = 1_000_000  # a question with its conversation, as JSON (REPORTBOT_MAX_JSON_BYTES)
GRADIO_UPLOADS = "/gradio_api/upload"
SOMETHING_WRONG = "Something went wrong while answering; the server log has the details."
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
    500: "server_error",
}


class AskRequest(BaseModel):
    """POST /api/ask: a question, optionally continuing a conversation, optionally filtered."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[  # its length limit is the service's: the same everywhere
        str, StringConstraints(strip_whitespace=True, min_length=1)
    ]
    conversation_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    since: Date | None = None
    until: Date | None = None
    source: str | None = None
    as_of: Date | None = None

    def filters(self) -> Filters:
        return Filters(self.since, self.until, self.source, self.as_of)


def error_response(
    status: int, message: str, kind: str | None = None, **headers: str
) -> JSONResponse:
    """Every error the API returns: {"error": {"message", "type"}} with a fitting status."""
    body = {"error": {"message": message, "type": kind or _TYPES.get(status, "error")}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def validation_message(exc: RequestValidationError) -> str:
    """ "question: field required; conversation_id: input should be a valid string"."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        msg = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            loc, msg = (
                [],
                f"request body is not valid JSON ({err.get('ctx', {}).get('error', msg)})",
            )
        elif err.get("type") == "missing" and not loc:
            msg = "a JSON request body is required"
        elif err.get("type") in ("model_attributes_type", "dict_type") and not loc:
            msg = "the request body must be a JSON object"
        elif err.get("type") == "string_pattern_mismatch":
            msg = "expected a date YYYY-MM-DD"
        elif err.get("type") == "value_error":
            msg = str(err.get("ctx", {}).get("error", msg))
        elif err.get("type") == "extra_forbidden":
            msg = "unknown field"
        msg = msg[:1].lower() + msg[1:]
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def is_remote(request: Request) -> bool:
    """Is the client on another machine (not loopback; behind a local proxy, the client
    the proxy names in X-Forwarded-For)?"""
    host = request.client.host if request.client else ""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def require_token(app: App, browser: bool = False) -> Any:
    """A dependency that checks `Authorization: Bearer <REPORTBOT_API_TOKEN>` when one is set.

    ``browser``: also HTTP Basic with the token as the password (any user name), and a 401
    that makes the browser ask for it: for the API docs page, which a browser opens.
    """
    token = app.settings.api_token
    challenge = {"WWW-Authenticate": 'Basic realm="reportbot", charset="UTF-8"'}

    def check(request: Request) -> None:
        if not token:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Starlette decodes headers as Latin-1, so this gives back the bytes the client sent.
        sent = given.strip().encode("latin-1")
        if browser and scheme.lower() == "basic":
            try:
                sent = base64.b64decode(sent, validate=True).partition(b":")[2]
            except (binascii.Error, ValueError):
                sent = b""
        elif scheme.lower() != "bearer":
            sent = b""
        # Constant time, on bytes, against the token's UTF-8, so any token works.
        if not sent or not secrets.compare_digest(sent, token.encode()):
            raise HTTPException(
                401,
                "missing or wrong API token: send 'Authorization: Bearer <REPORTBOT_API_TOKEN>'",
                headers=challenge if browser else None,
            )

    return Depends(check)


def _install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = exc.headers or ({"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {})
        return error_response(exc.status_code, str(exc.detail), **headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(422, validation_message(exc))

    @api.exception_handler(ReportbotError)
    async def refused(request: Request, exc: ReportbotError) -> Response:
        if isinstance(exc, (LibraryError, QuestionTooLong)):
            return error_response(exc.status, str(exc), exc.kind)
        if isinstance(exc, VectorStoreUnavailable):  # a Chroma server away: try again later
            return error_response(503, str(exc), "vector_store_unavailable", **{"Retry-After": "5"})
        return error_response(500, str(exc), "reportbot_error")

    @api.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, SOMETHING_WRONG)


class BodyLimit:
    """Refuses an oversized request body from its Content-Length, before it is read, and
    stops reading one sent without it (chunked) as soon as it passes the limit: the form
    parser would otherwise spool a whole upload to disk before any per-file check, and a
    JSON body is parsed in memory. Uploads may be ``limit`` bytes; questions (``/api/ask``,
    ``/v1/chat/completions`` with their history, the web UI's events) ``json_limit``."""

    def __init__(self, app: ASGIApp, limit: int, json_limit: int = JSON_LIMIT) -> None:
        self.app = app
        self.limit = limit
        self.json_limit = json_limit

    def _too_big(self, size: str, limit: int, what: str) -> str:
        return f"the {what} is {size} bytes, over the limit of {limit:,} bytes per request" + (
            " (REPORTBOT_MAX_UPLOAD_BYTES)" if what == "upload" else ""
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] == UPLOAD_PATH
        if not upload and (
            not scope["path"].startswith(("/api/", "/v1/", "/gradio_api/"))
            or scope["path"].startswith(GRADIO_UPLOADS)  # gradio's own max_file_size
        ):
            await self.app(scope, receive, send)
            return
        limit, what = (self.limit, "upload") if upload else (self.json_limit, "request body")
        framed = limit + 64 * 1024 if upload else limit  # multipart framing
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > framed:
            too_big = self._too_big(f"{int(length):,}", limit, what)
            await error_response(413, too_big, "payload_too_large")(scope, receive, send)
            return
        if not upload:  # small: read it here, then hand it on (or refuse it whole)
            await self._buffered(scope, receive, send, framed)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > framed:
                too_big = self._too_big(f"more than {framed:,}", limit, what)
                raise LibraryError(too_big, 413, "payload_too_large")
            return message

        await self.app(scope, counted, send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            received += len(message.get("body", b""))
            if received > limit:
                text = self._too_big(f"more than {limit:,}", limit, "request body")
                await error_response(413, text, "payload_too_large")(scope, receive, send)
                return
            messages.append(message)
            if not message.get("more_body"):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


def _api_routes(app: App, library: Library) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[require_token(app)])

    @router.post("/ask")
    def ask(body: AskRequest) -> dict[str, object]:
        return app.service.answer(body.question, body.conversation_id, body.filters()).as_json()

    @router.get("/timeline")
    def timeline(
        q: Annotated[str, StringConstraints(max_length=1000)] = "",
        since: Date | None = None,
        until: Date | None = None,
        source: str | None = None,
    ) -> dict[str, object]:
        """A figure's history across reports (the JSON of `reportbot timeline --json`)."""
        if not q.strip():
            raise HTTPException(422, "q: give a claim to chart, e.g. ?q=foreigners+deported")
        builder = TimelineBuilder(app.searcher)
        return builder.build(q, Filters(since, until, source)).as_json()

    @router.get("/documents")
    def documents(request: Request) -> dict[str, object]:
        remote = is_remote(request)
        docs = [document_json(d, remote) for d in library.documents()]
        return {"documents": docs, "count": len(docs)}

    @router.post("/documents")
    async def upload(request: Request) -> Response:
        try:
            form = await request.form(max_files=50, max_fields=50)
        except LibraryError:  # BodyLimit stopped an oversized body
            raise
        except Exception as exc:  # malformed multipart: say so instead of a 500
            raise LibraryError(f"could not read the upload: {exc}") from exc
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        urls = [v.strip() for k, v in form.multi_items() if k == "url" and isinstance(v, str)]
        if not files and not any(urls):
            raise LibraryError(
                "files: field required (send multipart/form-data with one or "
                "more files, or a url field)",
                status=422,
            )
        paths: list[Path] = []
        try:
            for f in files:
                paths.append(await run_in_threadpool(library.save_upload, f.filename or "", f.file))
        except BaseException:  # one refused: the ones saved before it are not kept either
            library.discard(paths)
            raise
        finally:
            for f in files:
                await f.close()
        report = await run_in_threadpool(library.ingest, paths, [u for u in urls if u])
        if is_remote(request):  # where the server keeps uploads is none of their business
            for failure in report.failed:
                failure["location"] = public_location(failure["location"])
            report.same_text = {public_location(k): v for k, v in report.same_text.items()}
        body = report.as_json()
        if report.failed and not (report.added or report.updated or report.unchanged):
            reasons = "; ".join(
                f"{f['location'].rsplit('/', 1)[-1]}: {f['reason']}" for f in report.failed
            )
            body = {
                "error": {"message": f"nothing was added: {reasons}", "type": "ingest_failed"},
                "report": body,
            }
            return JSONResponse(body, status_code=422)
        return JSONResponse(body)

    @router.delete("/documents/{doc_id}")
    def remove(doc_id: str) -> dict[str, object]:
        doc = library.remove(doc_id)
        return {"removed": doc.doc_id, "title": doc.title}

    return router


def _v1_routes(app: App) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[require_token(app)])
    compat = OpenAICompat(app.service, app.settings.max_messages, app.settings.max_question_chars)
    router.add_api_route("/models", compat.models, methods=["GET"])
    router.add_api_route("/chat/completions", compat.completions, methods=["POST"])
    return router


def _not_found(api: FastAPI) -> None:
    """JSON 404/405 for unknown /api and /v1 paths (the web UI is mounted at "/")."""

    def missing(request: Request) -> Response:
        for route in api.routes:
            if getattr(route, "endpoint", None) is missing:
                continue
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL:
                return error_response(405, f"{request.method} is not allowed on {request.url.path}")
        return error_response(404, f"no such endpoint: {request.method} {request.url.path}")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    for prefix in ("/api", "/v1"):
        api.add_api_route(
            prefix + "/{rest:path}", missing, methods=methods, include_in_schema=False
        )


def create_api(app: App, library: Library | None = None) -> FastAPI:
    """The FastAPI app with every endpoint; the web UI is mounted on it by the server."""
    if app.settings.api_token or app.settings.openai_api_key:  # never in any log record
        protect_secrets(app.settings.api_token, app.settings.openai_api_key)
    library = library or Library(app)
    api = FastAPI(
        title="reportbot",
        version="0.1.0",
        docs_url=None,  # served below, behind the token like the rest of /api
        redoc_url=None,
        openapi_url=None,
    )
    api.add_middleware(
        BodyLimit, limit=app.settings.max_upload_bytes, json_limit=app.settings.max_json_bytes
    )
    if app.settings.api_token:  # outermost: a throttled client is refused before anything
        api.add_middleware(
            AuthThrottle, limit=app.settings.auth_failures, window=app.settings.auth_window
        )
    _install_error_handlers(api)
    docs_guard = [require_token(app, browser=True)]

    @api.get("/api/openapi.json", include_in_schema=False, dependencies=docs_guard)
    def openapi() -> JSONResponse:
        return JSONResponse(api.openapi())

    @api.get("/api/docs", include_in_schema=False, dependencies=docs_guard)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="reportbot API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @api.get(DOCS_ASSETS + "/{name}", include_in_schema=False, dependencies=docs_guard)
    def docs_asset(name: str) -> FileResponse:
        """Swagger UI itself, from the installed package: the docs work offline (no CDN)."""
        if name not in DOCS_FILES:
            raise HTTPException(404, f"no such file: {name}")
        return FileResponse(SWAGGER_UI / name)

    @api.get("/healthz")
    def healthz() -> dict[str, object]:
        health: dict[str, object] = {
            "status": "ok", "mode": app.service.mode, "documents": app.store.count()
        }  # fmt: skip
        problem = app.store.unavailable()
        if problem:  # still answering, from BM25 alone: degraded, not down
            health.update(status="degraded", vector_store=problem)
        return health

    api.include_router(_api_routes(app, library))
    api.include_router(_v1_routes(app))
    _not_found(api)
    return api


__all__ = ["AskRequest", "create_api", "error_response", "validation_message"]
