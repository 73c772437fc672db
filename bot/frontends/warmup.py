"""`python -m bot.frontends.warmup`: write the bytecode of exactly the modules reportbot runs.

`make install` runs it once instead of compiling every installed file (`uv sync
--compile-bytecode` compiled 13,843, dev tools included, for 82 s): it ingests the sample
report into a throw-away index, answers a question and builds the web app, with bytecode
writing on (even under PYTHONDONTWRITEBYTECODE), so later starts load compiled modules.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path


def warm_up(data_dir: Path) -> None:
    import bot.frontends.cli  # noqa: F401  (the command itself, and its --help)
    from bot.app.wiring import SAMPLE_REPORT, build_app
    from bot.config.settings import Settings
    from index import Filters

    # Offline and local whatever the environment says: this only has to run the code paths.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        answerer="extractive",
        embedding="local",
        vector_store="embedded",
    )
    app = build_app(settings)
    try:
        app.ingestor.ingest([str(SAMPLE_REPORT)], progress=False)
        for question in ("How many were deported?", "Who announced the arrests?"):
            app.service.answer(question, None, Filters())  # a count; names (the NER reader)
        from bot.frontends.server import create_server_app

        create_server_app(app)
    finally:
        app.store.close()


def main() -> int:
    sys.dont_write_bytecode = False
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reportbot-warmup-") as tmp:
        warm_up(Path(tmp) / "data")
    print(f"compiled the modules reportbot uses ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
