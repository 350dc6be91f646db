"""A demo community: users and a realistic remix forest, so dashboards and notebooks have something to show.

``seed_demo(home)`` (the ``sora-widgets seed-demo`` command) writes

- users: a dozen creators, a reviewer (``rita``) and an admin (``adam``), signed up
  through ``social.accounts.sign_up`` with stated birthdates (adults);
- ``n_clips`` clips forming a remix forest grown by preferential attachment
  (a remix picks a popular clip more often), so cascade sizes are heavy-tailed,
  plus a few deliberately deep chains; every clip has a sim *scene* (the root's
  prompt parsed, each remix's edit applied to its parent's scene), so any clip
  can be remixed;
- ``n_rendered`` of them, the top of the largest cascade, rendered for real
  with the sim engine (2 s, 128 px, 12 fps) and stored as MP4 + thumbnail; the
  others are lightweight records (no MP4) that borrow a rendered thumbnail;
- one take-down by the reviewer (``moderation.takedown.take_down``), so "hidden"
  and "original removed" show up;
- two shared cameos (``DEMO_CAMEOS``), two user reports, and one clip held by publish's output check
  (``HELD_CLIP``), so the review queue shows both kinds of case.

Rows are written in bulk (a DataFrame registered with DuckDB, then INSERT ...
SELECT), and the seed is idempotent: clip ids derive from ``seed``, so running
it twice adds nothing (it only finishes renders a crash left undone).
Seed content is ours, so it is saved without the moderation pass that user
content goes through (``publishing.publish``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import lineage
from .moderation.takedown import take_down
from .social.accounts import sign_up
from .social.demo_community import seed_community
from .store import NotFound, Store, open_store, to_json

__all__ = ["seed_demo", "CREATORS", "REVIEWER", "ADMIN"]

CREATORS = ("ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu")
REVIEWER = "rita"
ADMIN = "adam"
#: The demo people's birthdates (all adults): (handles, birthdate, role).
_PEOPLE = ((CREATORS, "1995-05-05", "creator"), ((REVIEWER,), "1988-03-03", "reviewer"), ((ADMIN,), "1980-01-01", "admin"))

ROOT_PROMPTS = (
    "a red ball bounces on a wooden floor",
    "a basketball shot misses and bounces off the backboard",
    "three blue boxes slide down a ramp",
    "a green ball rolls across the grass",
    "two yellow balls collide in a gym",
    "a small dog runs across the beach",
    "a white mug falls off a table in the kitchen",
    "an orange ball bounces down the stairs",
    "a purple cube tumbles on the ice",
    "a big rubber ball bounces in the street at night",
)
EDITS = (
    "now on the moon", "make it blue", "add two more balls", "in the rain", "at night", "make it bigger",
    "make it red", "on the beach", "add a box", "make it roll left", "in the snow", "make it small",
    "add another ball", "make it green", "in a gym", "make it bounce higher",
)

#: Rendered clips: small so the whole seed stays fast on two cores.
RENDER = {"duration": 2.0, "fps": 12, "width": 128, "height": 128}
_EPOCH = dt.datetime(2026, 10, 1, 9, 0, 0)


def _forest(n: int, rng: np.random.Generator) -> list[int | None]:
    """Parents (None for originals) of ``n`` clips, each after its parent.

    Preferential attachment: a new remix picks its parent with probability
    proportional to (remixes it already has + 1), which gives the heavy tail;
    about one clip in five is a new original; three chains of 8-14 remixes of
    remixes are grown along the way.
    """
    parents: list[int | None] = [None]
    weight = [1.0]
    chains: list[tuple[int, int]] = []  # (current tip, remaining length)
    chain_starts = set(rng.choice(np.arange(max(2, n // 10), max(3, n - 20)), size=min(3, max(0, n // 40)),
                                  replace=False).tolist()) if n >= 40 else set()
    for i in range(1, n):
        if chains and rng.random() < 0.5:  # grow a deep chain
            tip, left = chains.pop(0)
            parents.append(tip)
            if left > 1:
                chains.append((i, left - 1))
        elif i in chain_starts:
            start = int(rng.integers(0, i))
            parents.append(start)
            chains.append((i, int(rng.integers(8, 15))))
        elif rng.random() < 0.2:
            parents.append(None)
        else:
            w = np.asarray(weight)
            parents.append(int(rng.choice(i, p=w / w.sum())))
        weight.append(1.0)
        if parents[-1] is not None:
            weight[parents[-1]] += 1.0
    return parents


def _plan(n: int, seed: int) -> pd.DataFrame:
    """Every clip's id, parent, owner, prompt/edit, time, status and reuse flag (no scenes yet)."""
    rng = np.random.default_rng(seed)
    parents = _forest(n, rng)
    ids = [f"demo{seed}x{i:05d}" for i in range(n)]
    minutes = np.cumsum(rng.exponential(30 * 24 * 60 / max(n, 1), size=n))  # about a month of activity
    # A few prolific creators and a long tail: owner k is picked with probability ~ 1 / (k + 2).
    activity = 1.0 / (np.arange(len(CREATORS)) + 2.0)
    owners = [CREATORS[int(k)] for k in rng.choice(len(CREATORS), size=n, p=activity / activity.sum())]
    has_remixes = {p for p in parents if p is not None}
    rows = []
    for i, p in enumerate(parents):
        if p is None:
            prompt, edit = ROOT_PROMPTS[int(rng.integers(len(ROOT_PROMPTS)))], None
        else:
            edit = EDITS[int(rng.integers(len(EDITS)))]
            prompt = edit
        rows.append({
            "clip_id": ids[i],
            "parent_id": None if p is None else ids[p],
            "owner": owners[i],
            "prompt": prompt,
            "edit": edit,
            "created_at": _EPOCH + dt.timedelta(minutes=float(minutes[i])),
            # Only a clip nobody remixed can be a draft: others cannot see (so cannot remix) drafts.
            "status": "draft" if rng.random() < 0.03 and i not in has_remixes else "published",
            "reuses_material": bool(rng.random() >= 0.15) if p is not None else True,
            "seed": int(rng.integers(0, 2**31 - 1)),
        })
    plan = pd.DataFrame(rows)
    for col in ("parent_id", "edit"):  # keep None (not NaN) for originals
        plan[col] = plan[col].astype(object).where(plan[col].notna(), None)
    return plan


def _scenes(plan: pd.DataFrame) -> list[dict]:
    """The sim scene of every clip: roots parse their prompt, remixes apply their edit to the parent's scene."""
    from .engines.sim import apply_edit, parse_prompt

    by_id: dict[str, dict] = {}
    out = []
    for cid, pid, prompt, edit in zip(plan["clip_id"], plan["parent_id"], plan["prompt"], plan["edit"], strict=True):
        if pid is None:
            scene = parse_prompt(prompt)
            scene.pop("unparsed", None)
        else:
            scene, _unparsed = apply_edit(by_id[pid], edit)
        scene.pop("notes", None)
        by_id[cid] = scene
        out.append(scene)
    return out


def _recipe(prompt: str, seed: int, scene_of_parent: dict | None) -> dict[str, Any]:
    options = {"base_scene": scene_of_parent} if scene_of_parent is not None else {}
    return {"engine": "sim", "prompt": prompt, "seed": seed, **RENDER, "negative_prompt": "", "options": options}


def _rendered_set(plan: pd.DataFrame, k: int) -> list[int]:
    """Row positions of the ``k`` clips to render: the largest cascades from the top, parents before children."""
    pos = {c: i for i, c in enumerate(plan["clip_id"])}
    kids: dict[int, list[int]] = {}
    root_of: list[int] = []
    for i, pid in enumerate(plan["parent_id"]):
        if pid is None:
            root_of.append(i)
        else:
            kids.setdefault(pos[pid], []).append(i)
            root_of.append(root_of[pos[pid]])
    sizes = pd.Series(root_of).value_counts()
    chosen: list[int] = []
    for r in sizes.index:  # biggest cascade first, breadth-first inside it
        frontier = [int(r)]
        while frontier and len(chosen) < k:
            nxt = []
            for i in frontier:
                if len(chosen) >= k:
                    break
                if plan["status"].iloc[i] == "published":
                    chosen.append(i)
                    nxt.extend(kids.get(i, []))
            frontier = nxt
        if len(chosen) >= k:
            break
    return chosen


def seed_demo(home: str | Path | None = None, *, n_clips: int = 400, n_rendered: int = 24, seed: int = 0) -> dict:
    """Fill ``home`` with the demo community; returns a summary (counts, featured clip, seconds)."""
    if n_clips < 1 or n_rendered < 0:
        raise ValueError(f"n_clips must be >= 1 and n_rendered >= 0; got {n_clips} and {n_rendered}")
    t0 = time.perf_counter()
    store = open_store(home)
    for handles, birthdate, role in _PEOPLE:
        for h in handles:
            try:
                store.get_user(h)  # a second seed adds nothing
            except NotFound:
                sign_up(store, h, birthdate=birthdate, role=role)

    plan = _plan(n_clips, seed)
    existing = set(store.sql(
        "SELECT clip_id FROM clips WHERE clip_id LIKE ?", [f"demo{seed}x%"]
    )["clip_id"])
    created = 0
    scenes = _scenes(plan)
    if len(existing) < len(plan):
        created = _insert_records(store, plan, scenes, existing)
    render_rows = _rendered_set(plan, min(n_rendered, n_clips))
    rendered_now = _render(store, plan, scenes, render_rows)
    lineage.sync(store)
    removal = _demo_removal(store, plan) if created else None
    community = seed_community(store, CREATORS, seed=seed)  # teens, guardians, follows, likes, comments, DMs
    cameos = _demo_cameos(store)
    held = _demo_held(store)

    stats = lineage.chain_stats(store)
    demo_stats = stats[stats["root_id"].str.startswith(f"demo{seed}x")]
    # The largest cascade whose original everyone may see: what dashboards open first.
    public = set(store.sql("SELECT clip_id FROM clips WHERE status = 'published' AND clip_id LIKE ?",
                           [f"demo{seed}x%"])["clip_id"])
    shown = demo_stats[demo_stats["root_id"].isin(public)]
    featured = shown["root_id"].iloc[0] if len(shown) else plan["clip_id"].iloc[0]
    return {
        "home": str(store.home),
        "users": len(CREATORS) + 2,
        "clips": int(len(plan)),
        "created_now": created,
        "rendered": len(render_rows),
        "rendered_now": rendered_now,
        "originals": int(len(demo_stats)),
        "largest_cascade": int(demo_stats["size"].max()) if len(demo_stats) else 0,
        "deepest_chain": int(demo_stats["depth"].max()) if len(demo_stats) else 0,
        "featured_clip": featured,
        "removed": removal,
        "community": community,
        "cameos": cameos,
        "held": held,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _insert_records(store: Store, plan: pd.DataFrame, scenes: list[dict], existing: set[str]) -> int:
    """Bulk-insert the clip rows and remix edges that are not there yet (one transaction)."""
    scene_of = dict(zip(plan["clip_id"], scenes, strict=True))
    df = plan[~plan["clip_id"].isin(existing)].copy()
    df["recipe"] = [
        to_json(_recipe(p, s, scene_of[pid] if pid is not None else None))
        for p, s, pid in zip(df["prompt"], df["seed"], df["parent_id"], strict=True)
    ]
    df["meta"] = [
        to_json({"prompt": p, "seed": s, "engine": "sim", "scene": scene_of[c], "demo": True})
        for c, p, s in zip(df["clip_id"], df["prompt"], df["seed"], strict=True)
    ]
    df["edit_json"] = [to_json({"prompt": e, "changes": {}, "engine": "sim"}) if e else None for e in df["edit"]]
    with store.transaction() as con:
        con.register("_demo", df)
        try:
            con.execute(
                """INSERT INTO clips (clip_id, owner, status, prompt, engine, recipe, meta, duration_s, fps,
                                      width, height, parent_id, created_at, updated_at)
                   SELECT clip_id, owner, status, prompt, 'sim', recipe::JSON, meta::JSON, ?, ?, ?, ?,
                          parent_id, created_at, created_at
                   FROM _demo""",
                [RENDER["duration"], RENDER["fps"], RENDER["width"], RENDER["height"]],
            )
            con.execute(
                """INSERT INTO remix_edges (child_id, parent_id, author, operation, edit, reuses_material, created_at)
                   SELECT clip_id, parent_id, owner, 'remix', edit_json::JSON, reuses_material, created_at
                   FROM _demo WHERE parent_id IS NOT NULL"""
            )
            store.audit("system", "demo.seed", "store", None, {"clips": len(df)}, con=con)
        finally:
            con.unregister("_demo")
    return len(df)


def _render(store: Store, plan: pd.DataFrame, scenes: list[dict], rows: list[int]) -> int:
    """Generate the chosen clips with the sim engine and attach MP4 + thumbnail; others borrow thumbnails."""
    from .engines import generate

    pos = {c: i for i, c in enumerate(plan["clip_id"])}
    have = store.sql(
        "SELECT clip_id, media_hash, thumb_hash FROM clips WHERE clip_id IN (SELECT unnest(?::TEXT[]))",
        [[plan["clip_id"].iloc[i] for i in rows]],
    )
    done = set(have.loc[have["media_hash"].notna(), "clip_id"])
    updates = []
    for i in rows:
        cid = plan["clip_id"].iloc[i]
        if cid in done:
            continue
        pid = plan["parent_id"].iloc[i]
        base = scenes[pos[pid]] if pid is not None else None
        kwargs = {"base_scene": base} if base is not None else {}
        clip = generate(plan["prompt"].iloc[i], engine="sim", seed=int(plan["seed"].iloc[i]), **RENDER, **kwargs)
        clip = clip.with_meta(clip_id=cid, author=plan["owner"].iloc[i], demo=True)
        mp4 = clip.to_mp4_bytes()
        png = clip.thumbnail_png(160)
        updates.append({
            "clip_id": cid,
            "media_hash": store.put_media_file_only(mp4, ".mp4"), "mp4_bytes": len(mp4),
            "thumb_hash": store.put_media_file_only(png, ".png"), "png_bytes": len(png),
            "recipe": to_json(clip.meta.get("recipe") or {}),
            "meta": to_json(clip.meta),
            "duration_s": clip.duration,
        })
    with store.transaction() as con:
        if updates:
            up = pd.DataFrame(updates)
            con.register("_up", up)
            try:
                con.execute(
                    """INSERT INTO media (hash, path, bytes, mime)
                       SELECT media_hash, 'media/' || media_hash[1:2] || '/' || media_hash || '.mp4', mp4_bytes, 'video/mp4'
                       FROM _up UNION ALL
                       SELECT thumb_hash, 'media/' || thumb_hash[1:2] || '/' || thumb_hash || '.png', png_bytes, 'image/png'
                       FROM _up
                       ON CONFLICT (hash) DO NOTHING"""
                )
                con.execute(
                    """UPDATE clips SET media_hash = u.media_hash, thumb_hash = u.thumb_hash, recipe = u.recipe::JSON,
                              meta = u.meta::JSON, duration_s = u.duration_s
                       FROM _up u WHERE clips.clip_id = u.clip_id"""
                )
            finally:
                con.unregister("_up")
        # Records without media keep no thumbnail: a picture borrowed from another clip showed the wrong scene
        # on the tree; the explorer draws them as "no video" instead.
    return len(updates)


#: The demo's shared cameos: (owner, name, sample subject, background, audience, approved handles).
DEMO_CAMEOS = (
    ("ana", "ana_cat", "cat", "grass", "everyone", ()),
    ("bo", "bo_mug", "mug", "brick", "approved", ("ana", "cy", "dee")),
)


def _demo_cameos(store: Store) -> int:
    """Two cameos others can use from the Studio's picker: one for everyone, one for approved people.

    Made through the same ``cameo.create`` as CameoMaker (extraction from a moving sample photo, about
    2 s each on 2 cores); a second seed adds nothing. Returns how many were made now.
    """
    from .cameo import consent, synthetic

    made = 0
    for owner, name, subject, background, audience, approved in DEMO_CAMEOS:
        if len(store.sql("SELECT 1 FROM cameos WHERE name = ? AND status = 'active'", [name])):
            continue
        clip, _masks, box, kind = synthetic.moving_cutout_clip(subject, background, size=160, seconds=1.5, fps=8)
        cameo_id = consent.create(store, owner=owner, clip=clip, kind=kind, name=name, box=box, audience=audience)
        if approved:
            consent.set_audience(store, cameo_id, by=owner, audience=audience, approved=approved)
        made += 1
    return made


#: The demo's clip that publish's output check holds for a reviewer: (author, prompt). Rude enough for a person
#: to look (harassment, in the review band of moderation/policy.json), not enough to be refused.
HELD_CLIP = ("gus", "a red ball bounces while a voice says you are a stupid worthless loser")


def _demo_held(store: Store) -> str | None:
    """A clip held by the output check, waiting in the review queue beside the user reports.

    Made the way a creator's clip is (``publishing.generate_checked`` then ``publishing.publish``, 2 s at
    128 px): the check, not the seed, decides to hold it. A second seed adds nothing. Returns the clip id
    when it is held (None if moderation let it through or refused it: then there is nothing to show).
    """
    from .publishing import Blocked, generate_checked, publish

    author, prompt = HELD_CLIP
    had = store.sql("SELECT clip_id, status FROM clips WHERE owner = ? AND prompt = ?", [author, prompt])
    if len(had):
        return str(had["clip_id"].iloc[0]) if had["status"].iloc[0] == "held" else None
    try:
        clip = generate_checked(store, prompt, user=author, engine="sim", seed=5, **RENDER)
        result = publish(store, clip, user=author)
    except Blocked:
        return None
    return result.clip_id if result.status == "held" else None


def _demo_removal(store: Store, plan: pd.DataFrame) -> dict | None:
    """Remove one mid-chain clip (by the reviewer) whose remixes include both kinds, if there is one."""
    table = lineage.lineage_table(store)
    table = table[table["clip_id"].isin(set(plan["clip_id"]))]
    kids = table.dropna(subset=["parent_id"]).groupby("parent_id")["reuses_material"].agg(["all", "any", "count"])
    mixed = kids[(kids["any"]) & (~kids["all"])]
    if mixed.empty:
        return None
    status = dict(zip(plan["clip_id"], plan["status"], strict=True))
    depth = table.set_index("clip_id")["depth"]
    candidates = [c for c in mixed.sort_values("count").index if depth[c] > 0 and status[c] == "published"]
    if not candidates:
        return None
    out = take_down(store, candidates[0], by=REVIEWER, reason="demo: a removed clip, to show the rule")
    return {"clip_id": out["removed"], "hidden": len(out["hidden"]), "kept": len(out["kept"])}
