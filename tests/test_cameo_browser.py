"""The owner opens "My cameo" in Voila, sees a clip another user made with the cameo, removes it;
it is gone from every other user's view. Screenshots land in test-artifacts/cameo-*.png."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import give_password, login

from sora_widgets import access, cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IGNORED_CONSOLE = ("ERR_NAME_NOT_RESOLVED", "ERR_INTERNET_DISCONNECTED", "font-awesome", "fontawesome")


def seed(home):
    store = open_store(home)
    for h in ("alice", "bob", "carol"):
        store.create_user(h, birthdate="1990-01-01")
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (12, 64, 64, 3), dtype=np.uint8)
    t = np.arange(12_000, dtype=np.float32) / 16_000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32)
    masks = np.zeros((12, 64, 64), bool)
    masks[:, 16:48, 16:48] = True
    cut = np.full((12, 32, 32, 4), 255, np.uint8)
    asset = CameoAsset("object", masks, [(16, 16, 48, 48)] * 12, cut, cut[0], 16.0)
    cid = cameo.create(store, owner="alice", clip=Clip(frames, tone, 16, 16_000), kind="object", name="mug",
                       asset=asset, audience="everyone")
    cameo.use(store, cid, user="bob")
    made = Clip(frames[::-1].copy(), tone, 16, 16_000, meta={"prompt": "@mug floats in space",
                                                            "recipe": {"cameo_ids": [cid]}})
    clip_id = store.save_clip(made, owner="bob", status="published")
    cameo.link_uses(store, clip_id=clip_id, user="bob", cameo_ids=[cid])
    return store, cid, clip_id


def test_owner_sees_and_removes_a_clip_made_with_her_cameo(tmp_path, voila, page, artifacts_dir):
    home = tmp_path / "home"
    store, cid, clip_id = seed(home)
    assert access.can_view(store, clip_id, "carol")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="cameo")
    login(page, server, give_password(store, "alice"), notebook="my_cameo.ipynb")
    row = f".sw-use-{clip_id}"
    page.wait_for_selector(row, timeout=120_000)
    assert "bob" in page.inner_text(row) and "published" in page.inner_text(row)
    page.click(f"{row} .sw-use-play")
    page.wait_for_selector(".sw-cameo-player video", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "cameo-before-remove.png"))
    page.click(f"{row} .sw-use-remove")
    page.wait_for_function(
        f"() => {{ const r = document.querySelector('{row} .sw-use-status'); return r && r.textContent === 'removed'; }}",
        timeout=30_000)
    assert "no one else can see it" in page.inner_text(".sw-cameo-status")
    page.screenshot(path=str(artifacts_dir / "cameo-after-remove.png"))
    # Gone from every other user's view: the author, a stranger, and the public listing.
    for user in ("bob", "carol"):
        assert not access.can_view(store, clip_id, user)
    assert clip_id not in set(store.list_clips(status="published").clip_id)
    assert list(cameo.uses(store, cid, by="alice").status) == ["removed"]
    errors = [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]
    assert not errors, errors
