"""Consent rules: who may use a cameo, every use recorded and linked, the owner's controls.

Real DuckDB store, real MP4s; cameos are created from a tiny clip with a
hand-made asset so these tests stay fast (extraction is tested on its own).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import served_copy, template_home
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip

ADULTS = ("alice", "bob", "carol")
TEEN = "teen"


def tiny_clip(tag: str = "") -> Clip:
    rng = np.random.default_rng(abs(hash(tag)) % 2**32)
    frames = rng.integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    return Clip(frames, np.zeros((1, 0), np.float32), 8, 16_000, meta={"tag": tag})


def tiny_asset() -> CameoAsset:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    return CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)


def users(store):
    for h in ADULTS:
        store.create_user(h, birthdate="1990-05-01")
    store.create_user(TEEN, birthdate="2011-01-01")
    store.create_user("root", birthdate="1980-01-01", role="admin")


def new_cameo(store, owner: str, name: str, audience: str = "only_me") -> str:
    return cameo.create(store, owner=owner, clip=tiny_clip(name), kind="object", name=name, asset=tiny_asset(),
                        audience=audience)


def save_with(store, user: str, cameo_ids: list[str], tag: str = "") -> str:
    """What ``publishing.publish`` does after moderation: save, then link the recipe's cameo uses."""
    clip = tiny_clip(tag).with_meta(recipe={"prompt": "x", "cameo_ids": cameo_ids})
    cid = store.save_clip(clip, owner=user, status="published")
    cameo.link_uses(store, clip_id=cid, user=user, cameo_ids=cameo_ids)
    return cid


@pytest.fixture
def st_(store):
    users(store)
    return store


def test_owner_only_by_default_and_refusal_is_readable(st_):
    cid = new_cameo(st_, "alice", "mug")
    assert cameo.can_use(st_, cid, "alice")
    d = cameo.can_use(st_, cid, "bob")
    assert not d and "only @alice" in d.reason
    with pytest.raises(PermissionError, match="can't use this cameo: only @alice"):
        cameo.use(st_, cid, user="bob")
    log = st_.sql("SELECT actor, action FROM audit_log WHERE target_id = ? ORDER BY seq", [cid])
    assert list(log.action) == ["cameo.create", "cameo.use_refused"]
    assert st_.sql("SELECT count(*) n FROM cameo_uses").n[0] == 0


def test_use_returns_the_stored_asset_and_records_it(st_):
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    a = cameo.use(st_, cid, user="bob")
    assert a.cameo_id == cid and a.name == "mug" and a.use_id
    assert a.masks.sum() == tiny_asset().masks.sum() and a.cutouts.shape == (2, 16, 16, 4)
    row = st_.sql("SELECT user_handle, clip_id FROM cameo_uses WHERE use_id = ?", [a.use_id])
    assert row.user_handle[0] == "bob" and row.clip_id.isna()[0]


def test_approved_and_followers(st_):
    cid = new_cameo(st_, "alice", "mug")
    cameo.set_audience(st_, cid, by="alice", audience="approved", approved=["bob"])
    assert cameo.can_use(st_, cid, "bob") and not cameo.can_use(st_, cid, "carol")
    cameo.set_audience(st_, cid, by="alice", audience="followers")
    assert not cameo.can_use(st_, cid, "carol")
    with st_.transaction() as con:
        con.execute("INSERT INTO follows (follower, followee) VALUES ('carol', 'alice')")
    assert cameo.can_use(st_, cid, "carol")
    with pytest.raises(PermissionError, match="only @alice can choose"):
        cameo.set_audience(st_, cid, by="bob", audience="everyone")


def test_minor_cameo_usable_only_by_approved(st_):
    with pytest.raises(PermissionError, match="under 18"):
        new_cameo(st_, TEEN, "teenmug", audience="everyone")
    cid = new_cameo(st_, TEEN, "teenmug")
    for audience in ("followers", "everyone"):
        with pytest.raises(PermissionError, match="under 18"):
            cameo.set_audience(st_, cid, by=TEEN, audience=audience)
    # Even a row forced to "everyone" (e.g. the owner's birthday data was fixed later) stays approved-only.
    with st_.transaction() as con:
        con.execute("UPDATE cameos SET audience = 'everyone' WHERE cameo_id = ?", [cid])
        con.execute("INSERT INTO follows (follower, followee) VALUES ('bob', 'teen')")
    assert not cameo.can_use(st_, cid, "bob")
    with st_.transaction() as con:
        con.execute("INSERT INTO cameo_permissions (cameo_id, handle) VALUES (?, 'carol')", [cid])
    assert cameo.can_use(st_, cid, "carol") and not cameo.can_use(st_, cid, "bob")


def test_saving_links_the_use_and_the_owner_sees_drafts_too(st_):
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    cameo.use(st_, cid, user="bob")
    clip = tiny_clip("draft").with_meta(recipe={"cameo_ids": [cid]})
    draft = st_.save_clip(clip, owner="bob", status="draft")
    cameo.link_uses(st_, clip_id=draft, user="bob", cameo_ids=[cid])
    seen = cameo.uses(st_, cid, by="alice")
    assert list(seen.clip_id) == [draft] and seen.user[0] == "bob" and seen.status[0] == "draft"
    assert list(cameo.uses(st_, cid, by="root").clip_id) == [draft]  # admins too
    with pytest.raises(PermissionError, match="only @alice"):
        cameo.uses(st_, cid, by="bob")


def test_a_smuggled_cameo_id_is_refused_and_the_clip_taken_down(st_):
    cid = new_cameo(st_, "alice", "mug")  # only_me
    clip = tiny_clip("smuggle").with_meta(recipe={"cameo_ids": [cid]})
    clip_id = st_.save_clip(clip, owner="bob", status="published")
    with pytest.raises(PermissionError, match="never obtained"):
        cameo.link_uses(st_, clip_id=clip_id, user="bob", cameo_ids=[cid])
    assert st_.clip_info(clip_id)["status"] == "removed"


def test_one_use_many_clips_rechecks_permission(st_):
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    cameo.use(st_, cid, user="bob")
    c1 = save_with(st_, "bob", [cid], "one")
    c2 = save_with(st_, "bob", [cid], "two")  # a second clip from the same use: a new, checked use
    assert set(cameo.uses(st_, cid, by="alice").clip_id) == {c1, c2}
    cameo.revoke(st_, cid, by="alice")
    with pytest.raises(PermissionError, match="revoked"):
        save_with(st_, "bob", [cid], "three")


def test_remove_use_takes_down_the_clip_and_its_remixes(st_):
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    cameo.use(st_, cid, user="bob")
    clip_id = save_with(st_, "bob", [cid], "orig")
    remix = st_.save_clip(tiny_clip("remix"), owner="carol", parent_id=clip_id, status="published")
    idea = st_.save_clip(tiny_clip("idea"), owner="carol", parent_id=clip_id, status="published", reuses_material=False)
    with pytest.raises(PermissionError, match="does not use a cameo of yours"):
        cameo.remove_use(st_, clip_id, by="carol")
    removed = cameo.remove_use(st_, clip_id, by="alice")
    assert set(removed) == {clip_id, remix}
    assert st_.clip_info(idea)["status"] == "published"  # only the idea was reused: no likeness in it
    assert st_.sql("SELECT count(*) n FROM audit_log WHERE action = 'cameo.remove_use'").n[0] == 1


def test_revoke_with_remove_past_and_delete_removes_media(st_):
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    cameo.use(st_, cid, user="bob")
    clip_id = save_with(st_, "bob", [cid])
    assert cameo.revoke(st_, cid, by="alice", remove_past=True) == [clip_id]
    assert st_.clip_info(clip_id)["status"] == "removed"
    assert not cameo.can_use(st_, cid, "alice")
    # The media hashes, read as an operator would (cameo.get no longer shows them: issue 13 item 5).
    info = st_.sql("SELECT asset_hash, source_hash FROM cameos WHERE cameo_id = ?", [cid]).iloc[0]
    paths = [st_.media_path(info["asset_hash"]), st_.media_path(info["source_hash"])]
    assert all(p.exists() for p in paths)
    with pytest.raises(PermissionError):
        cameo.delete(st_, cid, by="bob")
    cameo.delete(st_, cid, by="alice")
    assert not any(p.exists() for p in paths)
    assert cameo.get(st_, cid)["status"] == "deleted"
    assert cameo.list_cameos(st_, owner="alice").empty


# ------------------------------------------------------------------ the property test
class Model:
    """The rules, restated independently of the implementation, as the oracle."""

    def __init__(self):
        self.cameos: dict[str, dict] = {}
        self.follows: set[tuple[str, str]] = set()
        self.clips: dict[str, set[str]] = {}  # cameo_id -> clip ids saved with it

    def allowed(self, cid: str, user: str) -> bool:
        c = self.cameos[cid]
        if c["status"] != "active":
            return False
        if user == c["owner"]:
            return True
        approved = user in c["approved"]
        if c["owner"] == TEEN:
            return approved and c["audience"] != "only_me"
        return (c["audience"] == "everyone" or (c["audience"] in ("approved", "followers") and approved)
                or (c["audience"] == "followers" and (user, c["owner"]) in self.follows))


EVERYONE = (*ADULTS, TEEN, "root")
op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from((*ADULTS, TEEN))),
    st.tuples(st.just("audience"), st.sampled_from(EVERYONE), st.integers(0, 3),
              st.sampled_from(cameo.AUDIENCES), st.sets(st.sampled_from(EVERYONE), max_size=3)),
    # the cameo's own owner (None) sets it: one step to the owner-only rules (a teen's cameo never goes wider than
    # approved people; an is_minor-always-False mutant survived 25 examples without this)
    st.tuples(st.just("audience"), st.none(), st.integers(0, 3),
              st.sampled_from(cameo.AUDIENCES), st.sets(st.sampled_from(EVERYONE), max_size=3)),
    st.tuples(st.just("follow"), st.sampled_from(EVERYONE), st.sampled_from(EVERYONE)),
    st.tuples(st.just("use"), st.sampled_from(EVERYONE), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("smuggle"), st.sampled_from(EVERYONE), st.integers(0, 3)),
    st.tuples(st.just("revoke"), st.sampled_from(EVERYONE), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("remove"), st.sampled_from(EVERYONE), st.integers(0, 20)),
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=3, max_size=18))
def test_no_unpermitted_use_ever_gets_through(ops):
    # Each example: a copy of a home with the five users, served in this process (conftest.served_copy), so a
    # step's store operations cost a cursor each instead of a file open.
    with served_copy(template_home("consent-users", users)) as store:
        _consent_rules_hold(store, ops)


def _consent_rules_hold(store, ops) -> None:
    model = Model()
    ids: list[str] = []
    saved: list[str] = []
    for step, (kind, *args) in enumerate(ops):
        if kind == "create":
            (owner,) = args
            cid = new_cameo(store, owner, f"c{step}")
            ids.append(cid)
            model.cameos[cid] = {"owner": owner, "audience": "only_me", "approved": set(), "status": "active"}
            model.clips[cid] = set()
            continue
        if kind == "follow":
            a, b = args
            if a != b:
                with store.transaction() as con:
                    con.execute("INSERT INTO follows VALUES (?, ?, current_timestamp) ON CONFLICT DO NOTHING", [a, b])
                model.follows.add((a, b))
            continue
        if kind == "remove":
            by, k = args
            if not saved:
                continue
            clip_id = saved[k % len(saved)]
            owners = {model.cameos[c]["owner"] for c, clips in model.clips.items() if clip_id in clips}
            if by in owners or by == "root":
                cameo.remove_use(store, clip_id, by=by)
                assert store.clip_info(clip_id)["status"] == "removed"
            else:
                with pytest.raises(PermissionError):
                    cameo.remove_use(store, clip_id, by=by)
            continue
        if not ids:
            continue
        cid = ids[args[1] % len(ids)]
        c = model.cameos[cid]
        if kind == "audience":
            by, _, audience, approved = args
            by = c["owner"] if by is None else by
            ok = by == c["owner"] and c["status"] == "active" and not (
                c["owner"] == TEEN and audience in ("followers", "everyone"))
            if ok:
                cameo.set_audience(store, cid, by=by, audience=audience, approved=approved)
                c.update(audience=audience, approved=set(approved))
            else:
                with pytest.raises(PermissionError):
                    cameo.set_audience(store, cid, by=by, audience=audience, approved=approved)
        elif kind == "use":
            user, _, save = args
            if model.allowed(cid, user):
                asset = cameo.use(store, cid, user=user)
                assert asset.cameo_id == cid
                if save:
                    saved.append(save_with(store, user, [cid], f"s{step}"))
                    model.clips[cid].add(saved[-1])
            else:
                with pytest.raises(PermissionError):
                    cameo.use(store, cid, user=user)
        elif kind == "smuggle":
            user = args[0]
            had_use = bool(store.sql("SELECT count(*) n FROM cameo_uses WHERE cameo_id = ? AND user_handle = ?",
                                     [cid, user]).n[0])
            if had_use and model.allowed(cid, user):
                saved.append(save_with(store, user, [cid], f"s{step}"))
                model.clips[cid].add(saved[-1])
            else:
                with pytest.raises(PermissionError):
                    save_with(store, user, [cid], f"s{step}")
                assert store.sql("SELECT status FROM clips ORDER BY created_at DESC LIMIT 1").status[0] == "removed"
        elif kind == "revoke":
            by, _, remove_past = args
            if by in (c["owner"], "root") and c["status"] != "deleted":
                removed = cameo.revoke(store, cid, by=by, remove_past=remove_past)
                c["status"] = "revoked"
                if remove_past:
                    assert model.clips[cid] <= set(removed) | set(
                        store.sql("SELECT clip_id FROM clips WHERE status = 'removed'").clip_id)
            else:
                with pytest.raises(PermissionError):
                    cameo.revoke(store, cid, by=by, remove_past=remove_past)

        # Invariants after every step.
        for cid2, clips in model.clips.items():
            owner = model.cameos[cid2]["owner"]
            listed = set(cameo.uses(store, cid2, by=owner).clip_id)
            recorded = {
                r.clip_id for r in store.sql("SELECT clip_id, recipe FROM clips").itertuples()
                if cid2 in json.loads(r.recipe).get("cameo_ids", [])
                and store.clip_info(r.clip_id)["status"] != "removed"
            }
            assert listed == clips
            assert recorded <= listed  # every visible clip naming the cameo is a linked, permitted use
        # Nobody holds a use the rules did not allow at the time: each use row matches a granted use.
        for r in store.sql("SELECT cameo_id, user_handle FROM cameo_uses").itertuples():
            assert r.cameo_id in model.cameos


def _html_values(widget) -> list[str]:
    """Every HTML string a widget tree sends to the browser."""
    out = [widget.value] if widget.__class__.__name__ == "HTML" else []
    for child in getattr(widget, "children", ()):
        out += _html_values(child)
    return out


def test_my_cameo_shows_a_users_prompt_as_text_never_as_markup(st_):
    """Stored XSS: someone allowed to use a cameo publishes a prompt with markup; the owner opens My cameo."""
    from sora_widgets.widgets.cameo_maker import MyCameos

    payload = '@mug <img src=x onerror="alert(1)">'
    cid = new_cameo(st_, "alice", "mug", audience="everyone")
    cameo.use(st_, cid, user="bob")
    clip = tiny_clip("xss").with_meta(prompt=payload, recipe={"prompt": payload, "cameo_ids": [cid]})
    clip_id = st_.save_clip(clip, owner="bob", status="published")
    cameo.link_uses(st_, clip_id=clip_id, user="bob", cameo_ids=[cid])
    shown = "\n".join(_html_values(MyCameos(st_, "alice")))
    assert clip_id in shown, "the use is not listed at all"
    assert "<img" not in shown
    assert "&lt;img src=x onerror=" in shown
