"""No script a person writes ever runs in someone else's browser (issue 13 item 1).

Payloads go into every text field a person controls - clip prompts, remix edits, review
reasons, appeal reasons, report reasons, moderation evidence, display names (cameo names
and handles are refused outright) - through the services the widgets call. Then a real
chromium opens every dashboard (studio, lineage, my_cameo, moderation, admin) as every role
(creator, reviewer, admin), clicks to the views that show those texts (a remix node's detail,
a claimed case), and checks that the payload is shown as text while no script ran: no
``alert`` dialog (``page.on("dialog")``), ``window.__xss`` never set. One server, one page per role.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import click_tree_node, login, make_account

from sora_widgets import cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict, review
from sora_widgets.moderation.service import hold_for_review, record_verdict
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Breaks out of double- and single-quoted attributes and of text; every variant sets window.__xss and alerts.
PAYLOAD = ("x\"'><img src=x onerror=\"window.__xss='img';alert('xss')\">"
           "<script>window.__xss='script';alert('xss')</script><svg onload=\"window.__xss='svg'\"></svg>")
SEEN = "onerror="  # what the escaped payload shows as text

ROLES = {"xc": "creator", "xr": "reviewer", "xa": "admin"}
READY = {  # a dashboard is ready when one of these is on the page
    "studio.ipynb": ".sw-who, .sw-dashboard-error",
    "lineage.ipynb": ".sw-remix-tree .sw-node, .sw-dashboard-error",
    "my_cameo.ipynb": ".sw-use-status, .sw-my-cameos, .sw-dashboard-error",
    "moderation.ipynb": ".sw-claim-next, .sw-needs-role, .sw-dashboard-error",
    "admin.ipynb": ".sw-admin-handle, .sw-needs-role, .sw-dashboard-error",
}


def _clip(tag: int, prompt: str = PAYLOAD) -> Clip:
    rng = np.random.default_rng(tag)
    frames = rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    return Clip(frames, np.zeros((1, 4000), np.float32), 8, 16_000, {"prompt": prompt})


def _asset() -> CameoAsset:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    return CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)


def seed_payloads(store) -> dict:
    """Every person-written text, set to the payload through the services; returns ids the test clicks."""
    for h, role in ROLES.items():
        make_account(store, h, role=role, display_name=f"{h} {PAYLOAD}")
    # Handles and cameo names are refused, not escaped: they are [a-z0-9_.] only.
    with pytest.raises(ValueError):
        make_account(store, PAYLOAD)
    with pytest.raises(ValueError):
        cameo.create(store, owner="xc", clip=_clip(0), kind="object", name=PAYLOAD, asset=_asset())
    # Lineage: an original with a payload prompt and a remix whose edit is the payload.
    root = store.save_clip(_clip(1), owner="xc", status="published")
    remix = store.save_clip(_clip(2), owner="xr", status="published", parent_id=root,
                            edit={"prompt": PAYLOAD, "changes": {"style": PAYLOAD}})
    # Cameos: each role owns one; someone else used it in a clip whose prompt is the payload.
    for i, (owner, user) in enumerate((("xc", "xr"), ("xr", "xa"), ("xa", "xc"))):
        cid = cameo.create(store, owner=owner, clip=_clip(10 + i, "cameo"), kind="object", name=f"mug{i}",
                           asset=_asset(), audience="everyone")
        cameo.use(store, cid, user=user)
        clip = _clip(20 + i).with_meta(recipe={"prompt": PAYLOAD, "cameo_ids": [cid]})
        clip_id = store.save_clip(clip, owner=user, status="published")
        cameo.link_uses(store, clip_id=clip_id, user=user, cameo_ids=[cid])
    # Moderation: a held clip whose evidence and reasons are the payload, decided with a payload reason,
    # appealed with a payload reason (back in the queue); and a user's report with a payload reason.
    held = store.save_clip(_clip(30), owner="xc", status="held")
    v = Verdict("review", {"hate": 0.5}, [PAYLOAD], [{"category": "hate", "start": 0, "end": 5, "text": PAYLOAD[:5],
                                                      "source": "transcript", "transcript": PAYLOAD}],
                {"prompt": PAYLOAD, "transcript": PAYLOAD, "speech": True}, ["hate"])
    record_verdict(store, v, target_kind="clip", target_id=held, user="xc")
    case = hold_for_review(store, held, v, user="xc")
    review.claim(store, "xr", case)
    review.decide(store, "xr", case, "remove", PAYLOAD)
    review.appeal(store, "xc", case, PAYLOAD)
    reported = store.save_clip(_clip(31), owner="xc", status="published")
    review.open_report_case(store, reporter="xa", clip_id=reported, reason=PAYLOAD)
    return {"remix": remix}


def test_no_payload_runs_on_any_dashboard_for_any_role(voila, browser, tmp_home):
    store = open_store(tmp_home)
    ids = seed_payloads(store)
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="xss")
    ran: list[str] = []

    def check(page, where: str, *, shown: bool = True) -> None:
        page.wait_for_timeout(300)  # an <img onerror> fires right after the image fails
        flag = page.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")
        assert flag is None, f"script ran on {where}: window.__xss = {flag}"
        assert not ran, f"alert() ran on {where}: {ran}"
        if shown:
            assert SEEN in page.inner_text("body"), f"the payload is not shown as text on {where}"

    for handle, role in ROLES.items():
        ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
        page = ctx.new_page()
        page.set_default_timeout(180_000)  # a page's kernel may take long to start on a busy 2-core machine
        page.on("dialog", lambda d: (ran.append(d.message), d.dismiss()))
        try:
            login(page, server, handle, notebook="studio.ipynb", timeout_ms=180_000)
            for notebook, ready in READY.items():
                where = f"{notebook} as {role}"
                if page.url.split("?")[0] != server.url(notebook):
                    page.goto(server.url(notebook))
                page.wait_for_selector(ready, timeout=180_000)
                assert page.locator(".sw-dashboard-error").count() == 0, page.inner_text(".sw-dashboard-error")
                # The "logged in as" bar shows the display name on every page the role may open.
                check(page, where, shown=page.locator(".sw-needs-role").count() == 0)
                if notebook == "lineage.ipynb":
                    click_tree_node(page, ids['remix'])
                    page.wait_for_selector(f".sw-node-selected[data-clip-id='{ids['remix']}']", timeout=60_000)
                    page.wait_for_function("() => (document.querySelector('.sw-remix-detail') || {innerText: ''})"
                                           ".innerText.includes('onerror')", timeout=60_000)
                    check(page, where + " (a remix's detail)")
                elif notebook == "my_cameo.ipynb":
                    page.wait_for_selector(".sw-use-status", timeout=60_000)
                    assert SEEN in page.inner_text(".sw-my-cameos")  # the use's prompt, as text
                    check(page, where + " (uses of my cameo)")
                elif notebook == "moderation.ipynb" and role != "creator":
                    page.click(".sw-claim-next")
                    page.wait_for_selector(".sw-case-id", timeout=60_000)
                    assert SEEN in page.inner_text(".sw-case-header")  # why held / report / appeal reason
                    check(page, where + " (a claimed case)")
                    page.click(".sw-release")
                    page.wait_for_function("() => !document.querySelector('.sw-case-id')", timeout=60_000)
                elif notebook == "admin.ipynb" and role == "admin":
                    page.wait_for_selector(".sw-admin-handle", timeout=60_000)
                    check(page, where + " (accounts)")
        finally:
            ctx.close()
