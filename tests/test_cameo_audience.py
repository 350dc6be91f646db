"""Change who may use my cameo after creating it, from My cameo (issue 14 item 4)."""

from __future__ import annotations

import numpy as np

from sora_widgets import cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.social.accounts import sign_up
from sora_widgets.widgets.cameo_maker import MyCameos


def tiny_asset() -> CameoAsset:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    return CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)


def make(store, owner: str, name: str) -> str:
    clip = Clip(np.zeros((2, 32, 32, 3), np.uint8), np.zeros((1, 0), np.float32), 8, 16_000)
    return cameo.create(store, owner=owner, clip=clip, kind="object", name=name, asset=tiny_asset())


def panel_controls(widget: MyCameos, cameo_id: str):
    for panel in widget.list_box.children:
        for child in panel.children:
            if "sw-cameo-audience" in child._dom_classes:
                save = child.children[2]
                if f"sw-audience-save-{cameo_id}" in save._dom_classes:
                    return child.children
    raise AssertionError("no audience controls for " + cameo_id)


def test_the_owner_widens_then_narrows_the_audience_from_my_cameo_and_each_change_is_audited(store):
    for h in ("alice", "bob", "carol"):
        sign_up(store, h, birthdate="1990-05-01")
    cid = make(store, "alice", "mug")
    mine = MyCameos(store, "alice")
    audience, approved, save = panel_controls(mine, cid)
    assert audience.value == "Only me" and not cameo.can_use(store, cid, "bob")

    audience.value, approved.value = "People I approve", "bob, @Carol"
    save.click()
    assert "saved" in mine.status.value
    assert cameo.can_use(store, cid, "bob") and cameo.can_use(store, cid, "carol")
    audience, approved, save = panel_controls(mine, cid)  # the panel shows what was saved
    assert audience.value == "People I approve" and approved.value == "bob, carol"

    audience.value, approved.value = "Everyone", ""
    save.click()
    assert cameo.can_use(store, cid, "bob") and cameo.can_use(store, cid, "carol")
    audience, approved, save = panel_controls(mine, cid)
    audience.value = "Only me"
    save.click()
    assert not cameo.can_use(store, cid, "bob")
    changes = store.sql("SELECT actor, detail FROM audit_log WHERE action = 'cameo.audience' AND target_id = ?", [cid])
    assert len(changes) == 3 and set(changes["actor"]) == {"alice"}


def test_an_unknown_handle_or_a_minors_wide_audience_is_refused_in_words_and_changes_nothing(store):
    sign_up(store, "alice", birthdate="1990-05-01")
    sign_up(store, "kid", birthdate="2011-03-01")
    cid, kid_cid = make(store, "alice", "mug"), make(store, "kid", "kidcam")
    mine = MyCameos(store, "alice")
    audience, approved, save = panel_controls(mine, cid)
    audience.value, approved.value = "People I approve", "nobody_here"
    save.click()
    assert "nobody_here" in mine.status.value and "color:#b00020" in mine.status.value
    assert cameo.get(store, cid, by="alice")["audience"] == "only_me"

    theirs = MyCameos(store, "kid")
    audience, approved, save = panel_controls(theirs, kid_cid)
    audience.value = "Everyone"
    save.click()
    assert "color:#b00020" in theirs.status.value
    assert cameo.get(store, kid_cid, by="kid")["audience"] == "only_me"
