"""Each dashboard loads only the widget JavaScript it uses (Voila's ``page_config_hook``).

Voila puts every installed JupyterLab extension in every page's config, and the browser
loads each one before the first widget shows: 142 files, 9.6 MB per dashboard with this
package's dependencies (jupyter-vuetify alone is 2.4 MB, threejs 0.57 MB, ipywebrtc
0.43 MB), whether or not the page draws a 3D view or opens a webcam.

A dashboard names the widget libraries it uses in its notebook metadata, by their
JupyterLab extension names::

    "metadata": {"sora_widgets": {"extensions": ["anywidget", "jupyter-webrtc"]}}

and :func:`page_config_hook` keeps only those, the extensions they share at run time
(their ``package.json`` ``sharedPackages`` that are extensions themselves, e.g.
jupyter-vuetify → jupyter-vue), and :data:`ALWAYS` (the widget managers every Voila
page needs). A notebook that declares nothing keeps everything, as before, so a user's
own notebook served beside ours never loses a widget library.

What a library needs that its package does not declare (ipyvolume's figure is built
from jupyter-threejs, jupyter-vue, jupyter-vuetify and bqscales models on the Python
side; only the 3D forest page, forest3d.ipynb, declares it since the Studio's
space-time view became a canvas anywidget) is written out in :data:`NEEDS`; ``tests/test_page_weight_browser.py`` opens
every dashboard and fails on a widget that cannot be drawn.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ALWAYS", "METADATA_KEY", "NEEDS", "declared_extensions", "immutable_static_paths", "link_header",
           "page_config_hook", "preload_urls", "recorded_scripts", "with_needs"]

#: Where a notebook lists its widget extensions: ``metadata["sora_widgets"][METADATA_KEY]``.
METADATA_KEY = "extensions"

#: Loaded on every page: the widget managers (Voila drops the one that does not match
#: the installed ipywidgets) and the core ipywidgets controls.
ALWAYS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager7",
    "@voila-dashboards/widgets-manager8",
)

#: Extensions a library's Python side creates models from without its JS package
#: sharing them (found by listing the ``_model_module`` of every widget an
#: ``ipyvolume.figure()`` + ``scatter`` makes).
NEEDS: Mapping[str, tuple[str, ...]] = {
    "ipyvolume": ("jupyter-threejs", "jupyter-vue", "jupyter-vuetify", "bqscales"),
    "bqplot": ("bqscales",),
}


def declared_extensions(notebook: str | os.PathLike) -> list[str] | None:
    """The extensions ``notebook`` declares in its metadata, or None when it declares none.

    Args:
        notebook (`str | os.PathLike`): path of the ``.ipynb`` file.

    Returns:
        `list[str] | None`: extension names as written; None for a notebook without the key,
        one that cannot be read, or one whose value is not a list of strings (all are then kept).
    """
    try:
        with open(notebook, encoding="utf-8") as f:
            metadata = json.load(f).get("metadata")
    except (OSError, ValueError, AttributeError):
        return None
    return _declared_in(metadata)


def _declared_in(metadata: Any) -> list[str] | None:
    """The extension names a notebook's ``metadata`` declares (see :func:`declared_extensions`)."""
    meta = (metadata.get("sora_widgets") if isinstance(metadata, Mapping) else None) or {}
    names = meta.get(METADATA_KEY) if isinstance(meta, Mapping) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return list(names)


def _shared_extensions(ext: Mapping[str, Any], available: set[str]) -> set[str]:
    """The extensions ``ext`` shares at run time and does not bundle (from its package.json)."""
    path = ext.get("ext_path")
    if not path:
        return set()
    try:
        with open(Path(path) / "package.json", encoding="utf-8") as f:
            shared = (json.load(f).get("jupyterlab") or {}).get("sharedPackages") or {}
    except (OSError, ValueError):
        return set()
    return {name for name, how in shared.items()
            if name in available and isinstance(how, dict) and how.get("bundled") is False}


def with_needs(names: Iterable[str], extensions: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """``names`` plus everything they need, transitively, among the installed ``extensions``.

    Args:
        names (`Iterable[str]`): extension names a page declares.
        extensions (`Mapping[str, Mapping]`): installed federated extensions by name, as
            ``jupyterlab_server.config.get_federated_extensions`` returns them (``ext_path`` is read).

    Returns:
        `set[str]`: the closure, :data:`ALWAYS` included.
    """
    available = set(extensions)
    todo = [*names, *ALWAYS]
    keep: set[str] = set()
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        todo.extend(NEEDS.get(name, ()))
        if name in extensions:
            todo.extend(_shared_extensions(extensions[name], available))
    return keep


def _installed(extra_path=None) -> dict[str, dict[str, Any]]:
    """The federated extensions Voila finds (by name), as ``get_federated_extensions`` returns them."""
    from jupyterlab_server.config import get_federated_extensions
    from voila.utils import get_voila_labextensions_path

    return get_federated_extensions(get_voila_labextensions_path(extra_path))


def page_config_hook(page_config: dict[str, Any], base_url: str, settings: dict[str, Any], log,
                     voila_configuration, notebook_path: str) -> dict[str, Any]:
    """Voila's ``VoilaConfiguration.page_config_hook``: keep the extensions the page declares.

    Args:
        page_config (`dict`): Voila's page config; ``federated_extensions`` is a list of
            ``{"name", "load", ...}`` dicts, one per extension the browser will load.
        base_url (`str`): the server's base URL (unused).
        settings (`dict`): the tornado settings; ``contents_manager.root_dir`` is the served folder.
        log (`logging.Logger`): where a declared but missing extension is reported.
        voila_configuration: Voila's configuration (unused).
        notebook_path (`str`): the notebook, relative to the served folder (or absolute).

    Returns:
        `dict`: the same config with ``federated_extensions`` cut to the declared set; unchanged
        for a notebook that declares nothing.
    """
    root = getattr(settings.get("contents_manager"), "root_dir", None) or os.getcwd()
    path = Path(notebook_path) if os.path.isabs(notebook_path) else Path(root) / notebook_path
    names = declared_extensions(path)
    if names is None:
        return page_config
    installed = _installed(getattr(voila_configuration, "extra_labextensions_path", None))
    keep = with_needs(names, installed)
    missing = sorted(set(names) - set(installed))
    if missing and log is not None:
        log.warning("%s declares widget extensions that are not installed: %s", notebook_path, ", ".join(missing))
    page_config = dict(page_config)
    page_config["federated_extensions"] = [x for x in page_config.get("federated_extensions", [])
                                           if x.get("name") in keep]
    return page_config


#: A file name webpack gave a content hash (``remoteEntry.c8c9eed2cdefdeac.js``, ``528.d9f5934c.js``):
#: its bytes never change under that name. ``style.js`` has none, so it is never cached for long.
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.js$")


def immutable_static_paths(base_url: str = "/", extensions: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """URL paths of the widget JavaScript that may be cached for a year: content-hashed names only.

    Voila serves ``/voila/labextensions/`` with ``Cache-Control: no-cache``, so a returning
    visitor's browser asks again for each of a page's ~90 scripts. jupyter_server's
    ``FileFindHandler`` sends ``public, max-age=31536000, immutable`` for any path that starts
    with one of the tornado setting ``static_immutable_cache``'s entries; this lists each hashed
    file exactly (a new version has a new name, so nothing stale is ever served).

    Args:
        base_url (`str`): the server's base URL (Voila's ``base_url``; ``/`` unless served under a prefix).
        extensions (`Mapping`, *optional*): installed federated extensions by name (default: those
            Voila finds).

    Returns:
        `list[str]`: ``<base_url>voila/labextensions/<name>/static/<hashed file>`` paths.
    """
    if extensions is None:
        from jupyterlab_server.config import get_federated_extensions
        from voila.utils import get_voila_labextensions_path

        extensions = get_federated_extensions(get_voila_labextensions_path())
    base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    paths = []
    for name, ext in sorted(extensions.items()):
        static = Path(ext.get("ext_path", "")) / "static"
        if static.is_dir():
            paths += [f"{base}voila/labextensions/{name}/static/{f.name}"
                      for f in sorted(static.iterdir()) if _HASHED.search(f.name)]
    return paths


def preload_urls(metadata: Mapping[str, Any], base_url: str = "/",
                 extensions: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The scripts a dashboard's page will ask for before its first widget, so the browser fetches them while the cells run.

    Voila writes ``<script src=".../voila.js">`` only after the last cell has run, and voila.js asks
    for each extension's ``remoteEntry`` only once it has started; until then the browser fetches
    nothing. These are those files' URLs, exactly as the page will ask for them: ``voila.js``, then the
    entry file of each extension the page keeps (:func:`with_needs` of what it declares, less the
    widget manager Voila drops for the installed ipywidgets), then the webpack chunks the running code
    asks for next, in waves, each wave once the previous one has run (about 85 files: 60 of Voila's own,
    the rest the widget managers' and the page's extensions'). Their names only the running code knows;
    :func:`recorded_scripts` lists them as chromium fetched them for the Studio, and a page preloads those
    that exist on this server and belong to Voila or to an extension it keeps (from an out-of-date list,
    fewer are preloaded, never a missing file).

    Args:
        metadata (`Mapping`): the notebook's metadata (``notebook.metadata``).
        base_url (`str`, *optional*, defaults to ``"/"``): the server's base URL.
        extensions (`Mapping`, *optional*): installed federated extensions by name (default: those Voila finds).

    Returns:
        `list[str]`: URL paths (the chunks of an extension with the ``?v=`` query its loader adds); only
        ``voila.js`` for a notebook that declares nothing (its page loads every extension, too many to fetch
        ahead of need).
    """
    base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    urls = [f"{base}voila/static/voila.js"]
    names = _declared_in(metadata)
    if names is None:
        return urls
    if extensions is None:
        extensions = _installed()
    from voila.utils import get_voila_labextensions_path, maybe_inject_widgets_manager_extension

    keep = [{"name": n} for n in sorted(with_needs(names, extensions)) if n in extensions]
    keep = maybe_inject_widgets_manager_extension(keep, get_voila_labextensions_path())
    for ext in keep:
        load = ((extensions[ext["name"]].get("jupyterlab") or {}).get("_build") or {}).get("load")
        if load:
            # Some packages were built on Windows ("static\\remoteEntry…js", jupyter-threejs): the browser
            # asks for the path with "/", and the header names it the same way.
            urls.append(f"{base}voila/labextensions/{ext['name']}/{load.removeprefix('./').replace(chr(92), '/')}")
    kept = {ext["name"]: extensions[ext["name"]] for ext in keep if ext["name"] in extensions}
    urls += [base + path for path in recorded_scripts() if _serves(path, kept)]
    return urls


@functools.lru_cache(maxsize=1)
def recorded_scripts() -> tuple[str, ...]:
    """The scripts a widget page fetches after ``voila.js`` and the entry files, in order, as recorded.

    From ``page_scripts.json`` beside this module (``benchmarks/studio_page_timeline.py --record-scripts``
    writes it): paths relative to the base URL, ``voila/static/<chunk>`` or
    ``voila/labextensions/<extension>/static/<chunk>?v=<hash>``.
    """
    text = (importlib.resources.files("sora_widgets.auth") / "page_scripts.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["scripts"])


@functools.lru_cache(maxsize=1)
def _voila_static_files() -> frozenset[str]:
    """Names of the files Voila serves under ``/voila/static/`` (its lab template's static folders)."""
    from voila.paths import collect_static_paths

    return frozenset(f.name for d in collect_static_paths(["voila", "nbconvert"], "lab") if os.path.isdir(d)
                     for f in Path(d).iterdir())


def _serves(path: str, kept: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a recorded script ``path`` is a file this server has, of Voila or of one of the ``kept`` extensions."""
    path = path.split("?", 1)[0]
    if path.startswith("voila/static/"):
        return path.removeprefix("voila/static/") in _voila_static_files()
    name, sep, file = path.removeprefix("voila/labextensions/").partition("/static/")
    if not path.startswith("voila/labextensions/") or not sep or name not in kept or "/" in file:
        return False
    return (Path(kept[name].get("ext_path", "")) / "static" / file).is_file()


def link_header(urls: Iterable[str]) -> str:
    """An HTTP ``Link`` header value asking the browser to preload each of ``urls`` as a script.

    Args:
        urls (`Iterable[str]`): URL paths (as :func:`preload_urls` gives them).
    """
    return ", ".join(f"<{u}>; rel=preload; as=script" for u in urls)
