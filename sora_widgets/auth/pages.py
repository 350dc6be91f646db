"""The login, sign-up and message pages: plain HTML, styled like the dashboards, no script.

Every value that came from a person goes through ``html.escape``. The CSS is
inline so the pages need no static route that an anonymous visitor could reach.
"""

from __future__ import annotations

import functools
import importlib.resources
from html import escape

__all__ = ["login_page", "signup_page", "message_page", "needs_role_html", "logged_in_html"]

_CSS = """
body { margin: 0; background: #f5f6f8; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #223; }
.sw-auth { max-width: 380px; margin: 8vh auto; background: #fff; border: 1px solid #dde1e8; border-radius: 8px;
           padding: 24px 28px; box-shadow: 0 1px 3px rgba(0,0,0,.06); }
.sw-auth h1 { font-size: 22px; margin: 0 0 4px; }
.sw-auth p.sw-sub { margin: 0 0 16px; color: #667; }
.sw-auth label { display: block; margin: 10px 0 3px; font-weight: 600; }
.sw-auth input { width: 100%; box-sizing: border-box; padding: 7px 9px; border: 1px solid #c4cad6; border-radius: 4px;
                 font: inherit; }
.sw-auth input:focus { outline: 2px solid #5b8def; border-color: #5b8def; }
.sw-auth button { margin-top: 16px; width: 100%; padding: 8px; border: 0; border-radius: 4px; background: #2f6fde;
                  color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.sw-auth .sw-error { background: #fdecea; color: #8a1c12; border: 1px solid #f3b8b0; border-radius: 4px; padding: 8px 10px;
                     margin: 8px 0; }
.sw-auth .sw-note { background: #eef4ff; border: 1px solid #c6d7f7; border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
.sw-auth .sw-alt { margin-top: 14px; color: #556; }
.sw-auth small { color: #667; }
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            # No icon request: the server has no /favicon.ico, and its 404 is a console error in the browser tests.
            f"<link rel='icon' href='data:,'>"
            f"<title>{escape(title)} · sora-widgets</title><style>{_CSS}</style></head>"
            f"<body><main class='sw-auth'>{body}</main></body></html>")


def _error(error: str | None) -> str:
    return f"<div class='sw-error' role='alert'>{escape(error)}</div>" if error else ""


def login_page(*, xsrf_form_html: str, action: str, signup_url: str | None, next_url: str = "",
               handle: str = "", error: str | None = None, note: str | None = None) -> str:
    """The login form. ``xsrf_form_html`` is tornado's hidden ``_xsrf`` field (trusted HTML)."""
    signup = (f"<p class='sw-alt'>New here? <a id='sw-signup-link' href='{escape(signup_url)}'>Create an account</a></p>"
              if signup_url else "")
    body = (f"<h1>Log in</h1><p class='sw-sub'>sora-widgets studio</p>"
            f"{_error(error)}{f'<div class=sw-note>{escape(note)}</div>' if note else ''}"
            f"<form method='post' action='{escape(action)}' id='sw-login-form'>{xsrf_form_html}"
            f"<input type='hidden' name='next' value='{escape(next_url)}'>"
            f"<label for='handle'>Handle</label>"
            f"<input id='handle' name='handle' autocomplete='username' required value='{escape(handle)}'>"
            f"<label for='password'>Password</label>"
            f"<input id='password' name='password' type='password' autocomplete='current-password' required>"
            f"<button type='submit' id='sw-login-submit'>Log in</button></form>{signup}")
    return _page("Log in", body)


def signup_page(*, xsrf_form_html: str, action: str, login_url: str, next_url: str = "",
                values: dict | None = None, error: str | None = None, min_password_chars: int = 8) -> str:
    """The sign-up form: handle, display name, password (twice), birthdate."""
    v = {k: escape(str(x)) for k, x in (values or {}).items()}
    body = (f"<h1>Create an account</h1><p class='sw-sub'>You must be 13 or older. "
            f"Accounts of people under 18 are teen accounts, with extra protections.</p>{_error(error)}"
            f"<form method='post' action='{escape(action)}' id='sw-signup-form'>{xsrf_form_html}"
            f"<input type='hidden' name='next' value='{escape(next_url)}'>"
            f"<label for='handle'>Handle</label>"
            f"<input id='handle' name='handle' autocomplete='username' required value='{v.get('handle', '')}'>"
            f"<small>2-30 letters, digits, _ or .</small>"
            f"<label for='display_name'>Display name</label>"
            f"<input id='display_name' name='display_name' autocomplete='name' value='{v.get('display_name', '')}'>"
            f"<label for='password'>Password</label>"
            f"<input id='password' name='password' type='password' autocomplete='new-password' required>"
            f"<small>at least {min_password_chars} characters</small>"
            f"<label for='password2'>Password again</label>"
            f"<input id='password2' name='password2' type='password' autocomplete='new-password' required>"
            f"<label for='birthdate'>Birthdate</label>"
            f"<input id='birthdate' name='birthdate' type='date' required value='{v.get('birthdate', '')}'>"
            f"<button type='submit' id='sw-signup-submit'>Create account</button></form>"
            f"<p class='sw-alt'>Have an account? <a href='{escape(login_url)}'>Log in</a></p>")
    return _page("Sign up", body)


def message_page(title: str, message: str, *, link_url: str, link_text: str) -> str:
    """A one-message page with one link (logged out, teen account created, ...)."""
    body = (f"<h1>{escape(title)}</h1><div class='sw-note' role='status'>{escape(message)}</div>"
            f"<p class='sw-alt'><a id='sw-continue' href='{escape(link_url)}'>{escape(link_text)}</a></p>")
    return _page(title, body)


def needs_role_html(*, handle: str, role: str, needed: str, logout_url: str) -> str:
    """The body Voila shows instead of a dashboard the user's role may not open."""
    return (f"<div class='sw-needs-role' role='alert' style='max-width:560px;margin:40px auto;padding:16px 20px;"
            f"border:1px solid #f3b8b0;background:#fdecea;border-radius:6px;font:14px system-ui,sans-serif'>"
            f"<h2 style='margin-top:0'>This page needs the {escape(needed)} role</h2>"
            f"<p>You are logged in as @{escape(handle)}, a {escape(role)}. Ask an admin to grant you the "
            f"{escape(needed)} role, or <a href='{escape(logout_url)}'>log in as someone else</a>.</p></div>")


@functools.lru_cache(maxsize=1)
def dashboard_css() -> str:
    """The page-level CSS of every served dashboard (``dashboard.css``: phone-sized layouts)."""
    return (importlib.resources.files("sora_widgets.auth") / "dashboard.css").read_text(encoding="utf-8")


def logged_in_html(handle: str, display_name: str | None, logout_url: str) -> str:
    """The small "logged in as" bar every served dashboard shows at the top, with the dashboards' page CSS."""
    name = escape(display_name or handle)
    return (f"<style>{dashboard_css()}</style>"
            f"<div class='sw-logged-in' style='display:flex;flex-wrap:wrap;justify-content:flex-end;gap:4px 12px;"
            f"font:13px system-ui,sans-serif;color:#445;padding:2px 0'>"
            f"<span>Logged in as <b class='sw-user-name'>{name}</b> (@{escape(handle)})</span>"
            f"<a class='sw-logout' href='{escape(logout_url)}'>Log out</a></div>")
