"""The server's front door: a home page that says what each dashboard is, who it is for, with a picture.

Voila's own index is a bare list of ``.ipynb`` names. Logged-in people land here
instead (``/``, registered with the login pages so it comes before Voila's tree):
one card per dashboard in the served folder — its name, who it is for, one line
on what it does, a picture — in the order people use them. A page that needs a
role the visitor lacks (notebook metadata ``needs_role``, the same gate as
``hook.prelaunch_hook``) is shown greyed with the reason instead of a link.

What a card says comes from :data:`CATALOGUE` for our dashboards; a notebook can
say its own with metadata ``{"sora_widgets": {"title": ..., "for": ..., "about": ...}}``
(a notebook neither names gets its file name and a generic picture). Every value
is escaped; the page has no script.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..store import NotFound
from .hook import NEEDS_ROLE

__all__ = ["CATALOGUE", "Card", "HomeHandler", "cards_for", "home_page"]


@dataclass(frozen=True)
class Card:
    """One dashboard on the home page."""

    notebook: str  #: file name, relative to the served folder
    title: str
    audience: str  #: who it is for, in words
    about: str  #: one line on what it does
    picture: str  #: name of an SVG in ``auth/pictures`` (without ``.svg``)
    needs_role: str | None = None
    allowed: bool = True


#: Our dashboards, in the order people use them: (file, title, who it is for, what it does).
CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("studio.ipynb", "Studio", "Creators",
     "Describe a scene and its sound, watch it render, compare takes, publish."),
    ("feed.ipynb", "Feed", "Everyone",
     "Scroll clips from people you follow and the community; like, comment, remix."),
    ("messages.ipynb", "Messages", "Everyone",
     "Direct messages with people you know, with clips shared in the conversation."),
    ("my_cameo.ipynb", "My cameo", "Creators",
     "Put yourself in clips: record once, choose who may use your likeness, see every use."),
    ("lineage.ipynb", "Remix lineage", "Creators and analysts",
     "Explore who remixed what, follow a chain back to its original, remix any clip."),
    ("guardian.ipynb", "Family", "Parents and teens",
     "Link a teen's account; set messages, feed personalisation and daily screen time."),
    ("provenance.ipynb", "Was this made here?", "Anyone with a video",
     "Drop a file: read its signature, watermark and origin, and the clip it came from."),
    ("moderation.ipynb", "Moderation", "Reviewers",
     "Work the queue of flagged clips: watch, decide, explain."),
    ("admin.ipynb", "Accounts", "Admins",
     "Roles, disabled accounts and password resets."),
)

_PICTURES = importlib.resources.files("sora_widgets.auth") / "pictures"


def _picture_svg(name: str) -> str:
    path = _PICTURES / f"{name}.svg"
    if not path.is_file():
        path = _PICTURES / "notebook.svg"
    return path.read_text(encoding="utf-8")


def _metadata(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return (json.load(f).get("metadata") or {}).get("sora_widgets") or {}
    except (OSError, ValueError, AttributeError):
        return {}


def cards_for(folder: str | os.PathLike, role: str | None) -> list[Card]:
    """The cards of the notebooks directly in ``folder``, catalogue order first, for a visitor with ``role``.

    Args:
        folder: the served folder (Voila's root).
        role: the visitor's role (``None``: unknown user: every gated page is greyed).
    """
    folder = Path(folder)
    present = {p.name: p for p in sorted(folder.glob("*.ipynb")) if not p.name.startswith(".")}
    known = {name: (title, who, about) for name, title, who, about in CATALOGUE}
    order = [n for n, *_ in CATALOGUE if n in present] + [n for n in present if n not in known]
    cards = []
    for name in order:
        meta = _metadata(present[name])
        title, who, about = known.get(name, (Path(name).stem.replace("_", " ").capitalize(), "", ""))
        needs = meta.get("needs_role")
        allowed = not needs or role in NEEDS_ROLE.get(needs, (needs,))
        cards.append(Card(name, str(meta.get("title") or title), str(meta.get("for") or who),
                          str(meta.get("about") or about), Path(name).stem if name in known else "notebook",
                          needs, allowed))
    return cards


def home_page(cards: list[Card], *, handle: str, base_url: str) -> str:
    """The home page's HTML (a complete document; every value escaped; no script).

    Args:
        cards: from :func:`cards_for`.
        handle: the logged-in user, shown with a "Log out" link.
        base_url: the server's base URL (links are ``<base_url>voila/render/<notebook>``).
    """
    items = []
    for c in cards:
        inner = (f"<div class='sw-card-picture'>{_picture_svg(c.picture)}</div>"
                 f"<div class='sw-card-text'><h2>{escape(c.title)}</h2>"
                 + (f"<p class='sw-card-for'>For {escape(c.audience.lower() if c.audience else 'you')}</p>")
                 + (f"<p class='sw-card-about'>{escape(c.about)}</p>" if c.about else "")
                 + ("" if c.allowed else f"<p class='sw-card-locked'>Needs the {escape(c.needs_role or '')} role</p>")
                 + "</div>")
        if c.allowed:
            href = escape(url_path_join(base_url, "voila/render", c.notebook))
            items.append(f"<li><a class='sw-card' href='{href}' data-notebook='{escape(c.notebook)}'>{inner}</a></li>")
        else:
            items.append(f"<li><div class='sw-card sw-card-disabled' aria-disabled='true' "
                         f"data-notebook='{escape(c.notebook)}'>{inner}</div></li>")
    logout = escape(url_path_join(base_url, "logout"))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'>"
        f"<title>sora-widgets</title><style>{_CSS}</style></head><body>"
        f"<header class='sw-home-head'><h1>sora-widgets</h1><span class='sw-logged-in'>Logged in as "
        f"<b>@{escape(handle)}</b> · <a href='{logout}'>Log out</a></span></header>"
        f"<main><p class='sw-home-intro'>Make video with sound, put yourself in it, remix others' clips — "
        f"and keep every step in the open. Pick where to start:</p>"
        f"<ul class='sw-cards'>{''.join(items)}</ul></main></body></html>")


_CSS = """
body { margin: 0; background: #f5f6f8; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #223; }
.sw-home-head { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: baseline; justify-content: space-between;
                padding: 14px 20px; background: #fff; border-bottom: 1px solid #dde1e8; }
.sw-home-head h1 { margin: 0; font-size: 20px; }
main { max-width: 1100px; margin: 0 auto; padding: 12px 16px 32px; box-sizing: border-box; }
.sw-home-intro { color: #556; }
.sw-cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 14px;
            grid-template-columns: repeat(auto-fill, minmax(min(100%, 300px), 1fr)); }
.sw-card { display: flex; gap: 14px; align-items: flex-start; height: 100%; box-sizing: border-box; padding: 14px;
           background: #fff; border: 1px solid #dde1e8; border-radius: 8px; color: inherit; text-decoration: none; }
a.sw-card:hover, a.sw-card:focus { border-color: #2f6fde; box-shadow: 0 1px 6px rgba(47,111,222,.2); outline: none; }
.sw-card h2 { margin: 0 0 2px; font-size: 17px; }
.sw-card p { margin: 2px 0; overflow-wrap: anywhere; }
.sw-card-picture { flex: 0 0 96px; }
.sw-card-text { min-width: 0; }
.sw-card-for { color: #2f6fde; font-weight: 600; font-size: 13px; }
.sw-card-about { color: #445; }
.sw-card-disabled { opacity: .55; }
.sw-card-locked { color: #8a1c12; font-size: 13px; }
"""


class HomeHandler(JupyterHandler):
    """``GET /``: the home page for the logged-in visitor (anyone else is sent to the login page)."""

    @web.authenticated
    def get(self):
        user = self.current_user
        handle = user.username
        provider = self.identity_provider
        try:
            role = provider.store.get_user(handle)["role"]
        except (NotFound, AttributeError):
            role = None
        root = self.settings.get("contents_manager").root_dir if self.settings.get("contents_manager") else "."
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.finish(home_page(cards_for(root, role), handle=handle, base_url=self.base_url))
