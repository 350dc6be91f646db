"""Cameos from the Studio (issue 14 item 1): the picker lists what consent allows; "@name" resolves through it.

Service and widget tests here; the browser test (two people on one server) is at the end.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import login, make_account
from playwright.sync_api import expect

from sora_widgets import cameo, publishing
from sora_widgets.cameo import directory
from sora_widgets.cameo.asset import CameoAsset, CameoError
from sora_widgets.media import Clip
from sora_widgets.serve import dashboards_dir
from sora_widgets.social.accounts import sign_up
from sora_widgets.widgets import PromptStudio

SMALL = dict(duration=0.5, fps=8, width=64, height=64, seed=1)


def tiny_clip(tag: str) -> Clip:
    rng = np.random.default_rng(abs(hash(tag)) % 2**32)
    return Clip(rng.integers(0, 255, (2, 32, 32, 3), dtype=np.uint8), np.zeros((1, 0), np.float32), 8, 16_000)


def tiny_asset() -> CameoAsset:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.zeros((2, 16, 16, 4), np.uint8)
    cut[..., 0], cut[..., 3] = 220, 255
    return CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)


def new_cameo(store, owner: str, name: str, audience: str) -> str:
    return cameo.create(store, owner=owner, clip=tiny_clip(name), kind="object", name=name, asset=tiny_asset(),
                        audience=audience)


def uses_of(store, cameo_id: str) -> int:
    return int(store.sql("SELECT count(*) AS n FROM cameo_uses WHERE cameo_id = ?", [cameo_id])["n"][0])


@pytest.fixture
def people(store):
    for h in ("alice", "bob"):
        sign_up(store, h, birthdate="1990-05-01")
    shared = new_cameo(store, "alice", "astro_me", "everyone")
    private = new_cameo(store, "alice", "alice_only", "only_me")
    return store, shared, private


def test_mentions_are_read_like_the_engine_reads_them():
    assert directory.mentions("@Astro_me dances with @bob. Mail me at x@y.org, @astro_me!") == ["astro_me", "bob"]
    assert directory.mentions("no cameo here") == []


def test_the_picker_lists_what_consent_allows(people):
    store, shared, private = people
    for_bob = [c["name"] for c in directory.usable(store, "bob")]
    for_alice = [c["name"] for c in directory.usable(store, "alice")]
    assert for_bob == ["astro_me"] and sorted(for_alice) == ["alice_only", "astro_me"]
    assert directory.preview_png(store, shared, user="bob").startswith(b"\x89PNG")
    with pytest.raises(PermissionError):
        directory.preview_png(store, private, user="bob")
    assert uses_of(store, shared) == 0  # looking records no use


def test_a_mention_resolves_through_consent_and_a_refusal_records_nothing(people):
    store, shared, private = people
    clip = publishing.generate_checked(store, "@astro_me dances on the beach", user="bob", **SMALL)
    assert clip.meta["recipe"]["cameo_ids"] == [shared] and uses_of(store, shared) == 1
    assert any(g.get("cameo") == "astro_me" for g in clip.meta["scene"]["objects"])
    with pytest.raises(PermissionError, match="@alice_only's owner has not let you use this cameo"):
        publishing.generate_checked(store, "@astro_me and @alice_only dance", user="bob", **SMALL)
    assert uses_of(store, private) == 0 and uses_of(store, shared) == 1  # all names checked before any use
    with pytest.raises(CameoError, match="there is no cameo @nobody"):
        publishing.generate_checked(store, "@nobody dances", user="bob", **SMALL)
    # The owner may always use their own.
    own = publishing.generate_checked(store, "@alice_only waves", user="alice", **SMALL)
    assert own.meta["recipe"]["cameo_ids"] == [private]


def test_the_studio_picker_inserts_the_name_and_the_take_has_the_cameo(people):
    store, shared, private = people
    s = PromptStudio(store, "bob")
    assert s.warmed_up.wait(120)
    names = [b.children[1].description for b in s.cameo_picker.items.children]
    assert names == ["@astro_me"]
    s.prompt.value = "surfs a huge wave"
    s.cameo_picker.items.children[0].children[1].click()
    assert s.prompt.value == "@astro_me surfs a huge wave"
    s.cameo_picker.pick("astro_me")  # once only
    assert s.prompt.value.count("@astro_me") == 1
    s.form.duration.value = 0.5
    s.generate()
    assert s.wait(60) == "done" and s.clip.meta["recipe"]["cameo_ids"] == [shared]
    s.prompt.value = "@alice_only waves"
    s.generate()
    assert s.wait(60) == "error" and "owner has not let you use this cameo" in s.status.value


@pytest.mark.slow
@pytest.mark.browser
def test_a_shared_cameo_is_in_another_users_picker_and_clip_and_a_private_one_is_not(voila, page, tmp_home,
                                                                                     artifacts_dir):
    from sora_widgets.store import open_store

    store = open_store(tmp_home)
    make_account(store, "alice")
    make_account(store, "bob")
    new_cameo(store, "alice", "astro_me", "everyone")
    new_cameo(store, "alice", "alice_only", "only_me")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="cameo-picker")
    login(page, server, "bob")
    picks = page.locator(".sw-cameo-pick")
    expect(picks).to_have_count(1, timeout=120_000)
    expect(picks.first).to_have_text("@astro_me")
    box = page.get_by_label("Prompt", exact=True)
    box.fill("dances on the beach")
    picks.first.click()
    expect(box).to_have_value("@astro_me dances on the beach", timeout=10_000)
    page.wait_for_timeout(300)
    page.locator("button.sw-generate").click()
    page.wait_for_selector(".sw-main-player video", timeout=120_000)
    expect(page.locator(".sw-understood")).to_contain_text("@astro_me", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "cameo-picker.png"), full_page=True)
    box.fill("@alice_only waves")
    page.wait_for_timeout(300)
    page.locator("button.sw-generate").click()
    expect(page.locator(".sw-status")).to_contain_text("owner has not let you use this cameo", timeout=60_000)
