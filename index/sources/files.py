"""Files and folders: which files a list of inputs names, and each file's reports or errors.

The format is the registry's (``index.readers``) by extension. Every problem becomes a
SourceError for that file or record, never an exception that stops the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from index import readers
from index.readers.encodings import ReadError
from index.readers.text import is_url
from index.types import Item, SourceError

_NOT_REGULAR = "not a regular file (a pipe, socket or device): only files and folders are read"


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over the size limit and anything but a regular file."""
    if path.exists() and not path.is_file():
        raise ReadError(_NOT_REGULAR)
    size = path.stat().st_size
    if size > max_bytes:
        raise ReadError(f"file is {size:,} bytes, over the limit of {max_bytes:,} "
                        "(REPORTBOT_MAX_FILE_BYTES)")  # fmt: skip
    return path.read_bytes()


def iter_files(inputs: list[str]) -> Iterator[Path | str | SourceError]:
    """Files named or found (recursively, hidden ones skipped) under folders; URLs as given."""
    for raw in inputs:
        if is_url(raw):
            yield raw
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from _folder_files(path)
        else:
            yield path.resolve() if path.exists() else path


def _folder_files(folder: Path) -> Iterator[Path | SourceError]:
    """The files under ``folder``; links that are broken or lead out of it are errors."""
    top = folder.resolve()
    seen: set[Path] = set()
    for child in sorted(folder.rglob("*")):
        rel = child.relative_to(folder)
        if any(p.startswith(".") for p in rel.parts):
            continue
        where = str(top / rel)
        try:
            target = child.resolve()
        except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a link loop
            yield SourceError(
                where, "symbolic link loop: the link leads back to itself; fix or remove it"
            )
            continue
        if child.is_symlink() and not target.exists():
            yield SourceError(
                where, f"broken symbolic link: its target {target} does not exist; fix or remove it"
            )
        elif child.is_symlink() and not target.is_relative_to(top):
            yield SourceError(where, f"symbolic link to {target}, outside the folder: not "
                                     "followed (name the target itself to ingest it)")  # fmt: skip
        elif target.is_file() and target not in seen:
            seen.add(target)
            yield target
        elif target.exists() and not target.is_file() and not target.is_dir():
            yield SourceError(where, _NOT_REGULAR)


def read_file(path: Path, max_bytes: int) -> Iterator[Item]:
    """The SourceDocs of one file, or a SourceError saying why it cannot be read."""
    fmt = readers.for_path(path)
    if fmt is None:
        supported = ", ".join(readers.extensions())
        yield SourceError(str(path), f"unsupported file type {path.suffix or '(none)'!r} "
                                     f"(supported: {supported})")  # fmt: skip
        return
    try:
        if fmt.stream is not None:
            yield from fmt.stream(path, max_bytes)
        elif fmt.parse is not None:
            yield fmt.parse(read_bytes(path, max_bytes), location=str(path), max_bytes=max_bytes)
    except FileNotFoundError:
        yield SourceError(str(path), "no such file or folder")
    except PermissionError:
        yield SourceError(str(path), "permission denied: reportbot may not read this file "
                                     "(check its permissions)")  # fmt: skip
    except (ReadError, OSError, ValueError) as exc:
        yield SourceError(str(path), str(exc))
    except Exception as exc:  # a parser crash on a strange file: that file fails, not the batch
        yield SourceError(str(path), f"could not read the file ({type(exc).__name__}: {exc})")


def estimate_reports(inputs: list[str]) -> int:
    """About how many reports (or errors) ``iter_sources`` will give: a progress bar's total.

    Counts files without reading them, except JSONL files, whose lines are counted (a fast
    scan); a URL counts as one (a feed is more).
    """
    total = 0
    for item in iter_files(inputs):
        if isinstance(item, Path) and item.suffix.lower() == ".jsonl":
            total += max(1, _count_lines(item))
        else:
            total += 1
    return total


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return 1
    return lines + (last != b"\n")
