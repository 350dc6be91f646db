"""What the Voila server does once, at start, so that no page pays for it.

A server's event loop is one thread: whatever it computes while a page loads, the page waits
for. A py-spy profile of the server during a cold server's first Studio page (2-core machine,
2026-12-04) showed three costs that have nothing to do with that page:

- **Compiling Voila's page templates.** nbconvert builds a new Jinja environment for every
  page (Voila makes one exporter per request), and an environment compiles each template it
  renders (``index.html.j2`` and the ten or so it extends and includes): every page, not only
  the first, paid for it. Jinja's own remedy is a *bytecode cache*: the page exporter
  (:func:`page_exporter_class`, put in Voila's place by :func:`use_page_exporter`) gives each new
  environment one process-wide cache. Its entries are keyed by template name and file and checked
  against the source's checksum, so an edited template is compiled again, never served stale.
- **Compiling nbformat's JSON-schema validator**, on the first notebook the server reads (once
  per notebook format version).
- **Hashing the static files** for their ``ETag``: tornado reads and hashes a file the first
  time it serves it (a widget page fetches ~90 scripts, ~5 MB).

:func:`warm_up_server` does all three on a thread as the server starts (well before its kernel
pool is ready for a page), so the first visitor finds them done.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import jinja2
from jinja2 import meta

__all__ = ["compiled_template_count", "page_exporter_class", "start_server_warm_up", "use_page_exporter",
           "warm_up_server"]

log = logging.getLogger(__name__)


class _ProcessBytecode(jinja2.BytecodeCache):
    """Compiled template code kept in memory for the whole process (Jinja's ``BytecodeCache`` interface)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # checks the source checksum; a mismatch leaves it empty

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def __len__(self) -> int:
        return len(self._code)


#: One cache per kind of environment: code compiled for an async environment, or with other extensions,
#: is not the code another would compile (every page's environment is of the same kind).
_CACHES: dict[tuple[bool, tuple[str, ...]], _ProcessBytecode] = {}
_CACHES_LOCK = threading.Lock()


def _cache_for(environment: jinja2.Environment) -> _ProcessBytecode:
    kind = (bool(environment.is_async), tuple(sorted(environment.extensions)))
    with _CACHES_LOCK:
        return _CACHES.setdefault(kind, _ProcessBytecode())


def compiled_template_count() -> int:
    """How many compiled templates the process keeps for its pages (all kinds of environment together)."""
    with _CACHES_LOCK:
        return sum(len(c) for c in _CACHES.values())


@functools.lru_cache(maxsize=1)
def page_exporter_class() -> type:
    """Voila's page exporter, whose Jinja environments share the process's compiled templates.

    nbconvert builds the environment when an exporter first needs it; this subclass gives it the
    process-wide bytecode cache then (before any template is loaded). :func:`use_page_exporter` makes
    Voila's page renderer use it.
    """
    from voila.exporter import VoilaExporter

    class SharedTemplateCodeExporter(VoilaExporter):
        @property
        def environment(self) -> jinja2.Environment:
            environment = super().environment
            if environment.bytecode_cache is None:
                environment.bytecode_cache = _cache_for(environment)
            return environment

    return SharedTemplateCodeExporter


def use_page_exporter() -> None:
    """Make Voila's page renderer build its exporters from :func:`page_exporter_class`.

    Voila creates one ``VoilaExporter`` per page in ``voila.notebook_renderer`` and offers no setting
    for its class (nbconvert's ``extra_loaders``, the one way into the environment, is not configurable),
    so the name that module looks up is pointed at the subclass: the one patch of Voila in this package.
    ``tests/test_server_warm_up.py`` fails if a Voila upgrade moves that name.
    """
    import voila.notebook_renderer

    if not hasattr(voila.notebook_renderer, "VoilaExporter"):
        raise RuntimeError("voila.notebook_renderer has no VoilaExporter: this Voila renders pages differently; "
                           "update sora_widgets/auth/server_warm_up.py")
    voila.notebook_renderer.VoilaExporter = page_exporter_class()


def _compile_page_templates(exporter) -> int:
    """Compile the exporter's page template and every template it names (extends, includes, imports).

    Names are found with ``jinja2.meta.find_referenced_templates`` (constant names only; a name computed at
    render time is compiled then, once). Returns how many templates were loaded.
    """
    from nbconvert.filters.highlight import Highlight2HTML

    # A page registers this filter just before it renders (``generate_from_notebook_node``); Jinja checks at
    # compile time that every filter a template names exists (the code looks it up by name when it runs).
    exporter.register_filter("highlight_code", Highlight2HTML(parent=exporter))
    environment = exporter.environment
    _ = exporter.template  # the page's own template, loaded exactly as a page loads it
    queue, seen = [exporter.template_file], set()
    while queue:
        name = queue.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            source, _filename, _uptodate = environment.loader.get_source(environment, name)
            environment.get_template(name)
        except jinja2.TemplateError as exc:  # compiled when a page needs it; the log says which, to look into
            log.info("server warm-up: template %s not compiled now: %s", name, exc)
            continue
        queue.extend(meta.find_referenced_templates(environment.parse(source)))
    return len(seen)


def _validate_notebooks(folder: Path) -> int:
    """Read each notebook in ``folder`` (the dashboards) once: nbformat compiles its schema validators."""
    import nbformat

    nbformat.v4.new_code_cell("")  # the prelaunch hook's identity cell is validated too
    count = 0
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nbformat.read(path, as_version=4)
            count += 1
        except Exception as exc:  # noqa: BLE001 - its page reports a broken notebook; the warm-up goes on
            log.debug("server warm-up: %s not read: %s", path, exc)
    return count


def _hash_static_files(roots: Iterable[str | os.PathLike]) -> tuple[int, int]:
    """Have tornado hash every file under ``roots`` now (it keeps the hash per absolute path for the process).

    Returns (files, bytes) hashed. ``tornado.web.StaticFileHandler.get_version`` is tornado's public way to
    ask for a file's version hash; every static handler Voila uses shares that per-process table.
    """
    from tornado.web import StaticFileHandler

    files = size = 0
    for root in roots:
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            continue
        for folder, _dirs, names in os.walk(root):
            for name in names:
                rel = os.path.relpath(os.path.join(folder, name), root)
                if StaticFileHandler.get_version({"static_path": root}, rel):
                    files += 1
                    size += os.path.getsize(os.path.join(folder, name))
    return files, size


def warm_up_server(app) -> dict[str, float]:
    """Do the server's one-time page work now (see the module docstring); returns what was done.

    Args:
        app: the running Voila application (``voila.app.Voila``): its ``template_paths``, ``config``,
            ``voila_configuration.template``, ``root_dir``, ``static_paths`` and ``labextensions_path``
            are read.

    Returns:
        `dict[str, float]`: ``templates`` (compiled), ``notebooks`` (read), ``static_files`` and
        ``static_mb`` (hashed), ``seconds`` (wall time of the whole warm-up).
    """
    from voila.paths import collect_static_paths

    t0 = time.perf_counter()
    template = app.voila_configuration.template
    exporter = page_exporter_class()(template_paths=app.template_paths, template_name=template, config=app.config)
    templates = _compile_page_templates(exporter)
    notebooks = _validate_notebooks(Path(app.root_dir))
    roots = [*app.static_paths, *app.labextensions_path, *collect_static_paths(["voila", "nbconvert"], template)]
    files, size = _hash_static_files(dict.fromkeys(roots))
    return {"templates": templates, "notebooks": notebooks, "static_files": files, "static_mb": size / 2**20,
            "seconds": time.perf_counter() - t0}


def start_server_warm_up(app) -> threading.Thread:
    """Run :func:`warm_up_server` for ``app`` on a daemon thread and log what it did (a failure is logged, not raised)."""

    def run() -> None:
        try:
            done = warm_up_server(app)
        except Exception:  # noqa: BLE001 - pages still work, only slower: say so in the log
            app.log.warning("server warm-up failed; pages compile and hash on first use", exc_info=True)
            return
        app.log.info("server warm-up: %(templates)d page templates compiled, %(notebooks)d notebooks read, "
                     "%(static_files)d static files (%(static_mb).1f MB) hashed in %(seconds).2f s", done)

    thread = threading.Thread(target=run, name="sora-widgets-server-warm-up", daemon=True)
    thread.start()
    return thread
