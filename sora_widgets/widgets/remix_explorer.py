"""``RemixExplorer``: a clip's remix tree in 2D, the whole forest in 3D, and "Remix this".

- 2D: :class:`RemixTree` (anywidget, front end in ``remix_tree.js``/``.css``)
  draws the tree of the selected original as SVG: thumbnails from
  ``clips.thumb_hash``, owner under each node, author and edit on each edge.
  Clicking a node selects it.
- 3D: the forest in ipyvolume (``ipv.figure`` + ``ipv.scatter`` + line segments):
  x = branch (cascades side by side, remixes spread inside), y = depth (remix
  steps), z = time (days since the first clip). Clicking a point selects it too.
- The selected clip plays in a :class:`ClipPlayer`; "Remix this" runs
  :func:`sora_widgets.remix.remix_clip` as a :class:`BackgroundJob` (the helper
  the Studio uses too) with a progress bar and a **Cancel** button; then the new
  node appears, selected, and :meth:`RemixExplorer.on_remixed` callbacks run.

The widget holds no rules: who may see a clip is decided by ``lineage.tree`` /
``forest`` / ``most_remixed`` with ``viewer=`` (the one visibility rule,
``access.viewable_clip_sql``): a clip the user may not see reaches the browser as a
bare node (id and place in the tree), never its owner, status, prompt or thumbnail.
What a remix does is ``remix.remix_clip``.
CSS classes (styling hooks, also used by the browser tests): ``sw-remix-explorer``,
``sw-remix-tree``, ``sw-node`` (with ``data-clip-id``), ``sw-remix-prompt``,
``sw-remix-button``, ``sw-remix-cancel``, ``sw-remix-progress``, ``sw-remix-status``,
``sw-remix-detail``, ``sw-remix-forest3d``, ``sw-remix-root``.
"""

from __future__ import annotations

import base64
import collections
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as W
import numpy as np
import pandas as pd
import traitlets

from .. import lineage
from ..store import NotFound, Store, normalise_handle
from ._html import escape
from ._messages import readable_error
from ._worker import BackgroundJob, Progress

__all__ = ["RemixExplorer", "RemixTree", "tree_layout", "forest_positions", "FULL_DRAW_MAX", "TREE_MAX_NODES"]

_HERE = Path(__file__).parent

#: Pixels between neighbouring leaves / between generations in the 2D tree.
X_STEP_PX, Y_STEP_PX = 120, 118
#: Trees up to this many nodes are drawn whole (every node in the SVG, every thumbnail sent with the tree);
#: bigger ones in layers (remix_tree.js: a canvas for what is far, full nodes only in view) with their
#: thumbnails sent as they come into view (``RemixTree.wanted``).
FULL_DRAW_MAX = 600
#: The most clips of one tree the explorer opens (``lineage.tree``'s limit; a 10,000-node cascade fits).
TREE_MAX_NODES = 20_000


def tree_layout(df: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(x, y) in pixels for every clip of one tree (rows shallowest first, as ``lineage.tree`` gives).

    Leaves take consecutive columns in depth-first order; a parent sits above the
    middle of its children; y is the depth. Deterministic, so tests can rely on it.
    """
    kids: dict[str, list[str]] = {}
    ids = list(df["clip_id"])
    present = set(ids)
    roots = []
    for cid, pid in zip(df["clip_id"], df["parent_id"], strict=True):
        if pid is None or (isinstance(pid, float) and np.isnan(pid)) or pid not in present:
            roots.append(cid)
        else:
            kids.setdefault(pid, []).append(cid)
    depth = dict(zip(df["clip_id"], df["depth"], strict=True))
    base = min(depth.values()) if depth else 0
    pos: dict[str, tuple[float, float]] = {}
    next_col = 0
    for r in roots:  # iterative post-order: a parent is placed after its children
        stack: list[tuple[str, bool]] = [(r, False)]
        while stack:
            node, done = stack.pop()
            children = kids.get(node, [])
            if done or not children:
                if children:
                    xs = [pos[c][0] for c in children]
                    x = (min(xs) + max(xs)) / 2
                else:
                    x = next_col * X_STEP_PX + X_STEP_PX / 2
                    next_col += 1
                pos[node] = (x, (depth[node] - base) * Y_STEP_PX + 50)
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(children))
    return pos


def forest_positions(df: pd.DataFrame) -> np.ndarray:
    """(N, 3) float positions for the 3D view: x = branch, y = depth, z = time (days since the first clip).

    Cascades sit side by side by rank (``root_rank`` from ``lineage.forest``);
    inside a cascade, clips spread by their order among clips of the same depth.
    """
    if df.empty:
        return np.zeros((0, 3))
    t = pd.to_datetime(df["created_at"])
    days = (t - t.min()).dt.total_seconds().to_numpy() / 86400.0
    spread = df.groupby(["root_rank", "depth"]).cumcount().to_numpy()
    width = df.groupby(["root_rank", "depth"])["clip_id"].transform("count").to_numpy()
    x = df["root_rank"].to_numpy(float) * 3.0 + (spread - (width - 1) / 2) / np.maximum(width, 1) * 2.4
    return np.column_stack([x, df["depth"].to_numpy(float), days])


class RemixTree(anywidget.AnyWidget):
    """The SVG tree. ``nodes``: dicts with clip_id, parent_id, x, y, thumb (hash), owner, status,
    visible, note, edge (author + edit). ``thumbs``: hash -> data URL. ``selected``: clip id (synced both ways)."""

    _esm = _HERE / "remix_tree.js"
    _css = _HERE / "remix_tree.css"

    # Dicts, sent as one JSON string: ipywidgets would otherwise walk every value of a 10,000-node tree looking
    # for binary buffers (0.2-0.8 s); the page parses it once per tree.
    nodes = traitlets.List().tag(sync=True, to_json=lambda value, _widget: json.dumps(value, separators=(",", ":")))
    thumbs = traitlets.Dict().tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    width_px = traitlets.Int(600).tag(sync=True)
    height_px = traitlets.Int(300).tag(sync=True)
    #: Nodes above which the tree is drawn in layers and thumbnails come on request (``FULL_DRAW_MAX``).
    full_draw_max = traitlets.Int(FULL_DRAW_MAX).tag(sync=True)
    #: Thumbnail hashes the page asks for (big trees: the nodes coming into view); answered in ``thumbs``.
    wanted = traitlets.List(traitlets.Unicode()).tag(sync=True)


def _edit_text(edit: Any) -> str:
    if edit is None or (isinstance(edit, float) and np.isnan(edit)):
        return ""
    if isinstance(edit, str):
        try:
            edit = json.loads(edit)
        except ValueError:
            return edit
    if not isinstance(edit, dict):
        return str(edit)
    text = str(edit.get("prompt") or "")
    changes = edit.get("changes") or {}
    if changes:
        text = (text + " " if text else "") + ", ".join(f"{k}={v}" for k, v in changes.items())
    return text


class RemixExplorer(W.VBox):
    """Browse remix chains and remix a clip.

    store : the Store. clip_id : the clip to open (default: the original of the
    largest cascade). user : who is looking (decides what is visible and who
    authors remixes; default the session's current user). max_nodes_3d : points
    drawn in the forest view.
    """

    def __init__(self, store: Store, clip_id: str | None = None, user: str | None = None, *,
                 max_nodes_3d: int = 3000, show_3d: bool = True):
        from ..session import current_user

        self.store = store
        self.user = normalise_handle(user) if user else current_user(store)
        try:
            self.role = store.get_user(self.user)["role"]
        except NotFound:
            self.role = None
        lineage.sync(store)
        self._thumb_cache: dict[str, str] = {}
        self._rows: dict[str, dict] = {}
        self._player_job: BackgroundJob | None = None
        self._opening: set[str] = set()  # clips being opened by _select (no second try when a tree lacks them)
        self._worker: BackgroundJob | None = None
        self._remixed = W.CallbackDispatcher()

        self.root_picker = W.Dropdown(description="Original", layout=W.Layout(width="480px"))
        self.root_picker.add_class("sw-remix-root")
        self.tree = RemixTree()
        self.tree.add_class("sw-remix-tree")
        self.title = W.HTML()
        self.title.add_class("sw-remix-title")
        self.detail = W.HTML("<i>Click a clip in the tree to play it.</i>")
        self.detail.add_class("sw-remix-detail")
        self.player_box = W.Box(layout=W.Layout(min_height="40px"))
        self._retired: collections.deque = collections.deque(maxlen=2)  # see _set_player
        self.player_box.add_class("sw-remix-player")
        self.prompt = W.Text(placeholder="now on the moon / make it blue / add two more balls",
                             description="Edit", layout=W.Layout(width="420px"))
        self.prompt.add_class("sw-remix-prompt")
        self.remix_button = W.Button(description="Remix this", button_style="primary", disabled=True, icon="")
        self.remix_button.add_class("sw-remix-button")
        self.cancel_button = W.Button(description="Cancel", button_style="warning", disabled=True,
                                      tooltip="Stop the remix (nothing is saved)")
        self.cancel_button.add_class("sw-remix-cancel")
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="240px", display="none"))
        self.progress.add_class("sw-remix-progress")
        self.progress_label = W.Label("")
        self.status = W.HTML("")
        self.status.add_class("sw-remix-status")
        self.remix_button.on_click(self._on_remix)
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.tree.observe(self._on_tree_select, "selected")
        self.tree.observe(self._on_thumbs_wanted, "wanted")
        self.root_picker.observe(self._on_root_pick, "value")

        self.forest_view = W.VBox()
        self.forest_view.add_class("sw-remix-forest3d")
        panel = W.VBox([self.title, self.detail, self.player_box,
                        W.HBox([self.prompt, self.remix_button, self.cancel_button]),
                        W.HBox([self.progress, self.progress_label], layout=W.Layout(align_items="center")),
                        self.status])
        panel.add_class("sw-remix-panel")
        tree_box = W.Box([self.tree], layout=W.Layout(overflow="auto", max_height="560px", width="100%"))
        super().__init__([self.root_picker, tree_box, panel, self.forest_view])
        self.add_class("sw-remix-explorer")

        self._fill_root_picker()
        start = clip_id or (self.root_picker.options[0][1] if self.root_picker.options else None)
        if start is not None:
            self.show(start)
        if show_3d:
            self._build_3d(max_nodes_3d)

    # ------------------------------------------------------------------ data
    @staticmethod
    def _visible(row: dict) -> bool:
        return bool(row.get("visible"))  # decided by lineage (access.viewable_clip_sql) for self.user

    def _thumb_urls(self, digests) -> dict[str, str]:
        """Data URLs of the thumbnails ``digests`` (one store read for those not cached; missing ones left out)."""
        wanted = {d for d in digests if isinstance(d, str) and d}
        missing = [d for d in wanted if d not in self._thumb_cache]
        if missing:
            try:
                found = self.store.media_bytes_many(missing)
            except OSError:  # an unreadable store must not break browsing: no pictures
                found = {}
            for d, data in found.items():
                self._thumb_cache[d] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return {d: self._thumb_cache[d] for d in wanted if d in self._thumb_cache}

    def _on_thumbs_wanted(self, change) -> None:
        # A big tree's page asks for the pictures of what came into view: send those (the page keeps them).
        urls = self._thumb_urls(change["new"] or [])
        if urls:
            self.tree.thumbs = urls

    def _fill_root_picker(self) -> None:
        top = lineage.most_remixed(self.store, 30, by="cascade", viewer=self.user)
        opts = []
        for cid, n, prompt, owner in zip(top["clip_id"], top["cascade_remixes"], top["prompt"], top["owner"],
                                         strict=True):
            opts.append((f"{prompt or cid} (@{owner}, {n} remixes)", cid))
        self.root_picker.unobserve(self._on_root_pick, "value")
        self.root_picker.options = opts
        self.root_picker.value = opts[0][1] if opts else None
        self.root_picker.observe(self._on_root_pick, "value")

    # ------------------------------------------------------------------ 2D tree
    def show(self, clip_id: str, *, select: str | None = None) -> None:
        """Draw the tree ``clip_id`` belongs to and select ``select`` (default ``clip_id``)."""
        df = lineage.tree(self.store, clip_id, viewer=self.user, max_nodes=TREE_MAX_NODES)
        pos = tree_layout(df)
        nodes = []
        self._rows = {}
        columns = list(df.columns)  # rows as dicts, built from column lists: DataFrame.to_dict boxes every cell
        records = [dict(zip(columns, values, strict=True)) for values in zip(*(df[c].tolist() for c in columns),
                                                                               strict=True)]
        whole = len(records) <= FULL_DRAW_MAX
        visible_thumbs = [r.get("thumb_hash") for r in records if self._visible(r)]
        # A small tree's thumbnails go with it (one store read); a big tree's when the page asks (``wanted``).
        thumbs = self._thumb_urls(visible_thumbs) if whole else {}
        known = set(thumbs) if whole else self._thumbs_known(visible_thumbs)
        for row in records:
            cid = row["clip_id"]
            self._rows[cid] = row
            visible = self._visible(row)
            th = row.get("thumb_hash") if visible else None
            note = "original removed" if row.get("original_removed") and visible else ""
            if not visible:
                note = "not available"  # why (draft, review, removal, block) is not this viewer's business
            parent = row.get("parent_id")
            nodes.append({
                "clip_id": cid, "parent_id": parent if isinstance(parent, str) else "",
                "x": float(pos[cid][0]), "y": float(pos[cid][1]), "thumb": th if th in known else "",
                "owner": row.get("owner") or "", "status": row.get("status") or "", "visible": visible,
                "has_media": bool(visible and isinstance(row.get("media_hash"), str)),
                "note": note,
                "edge": (f"@{row.get('author')}: {_edit_text(row.get('edit'))}" if visible and parent else ""),
                "prompt": (row.get("prompt") or "") if visible else "",
            })
        xs = [n["x"] for n in nodes] or [0]
        ys = [n["y"] for n in nodes] or [0]
        self.tree.thumbs = thumbs
        self.tree.width_px = int(max(xs) + X_STEP_PX)
        self.tree.height_px = int(max(ys) + 90)
        self.tree.nodes = nodes
        root_row = df.iloc[0] if len(df) else None
        if root_row is not None:
            self.title.value = (f"<b>Remix tree of {root_row['clip_id']}</b> — {len(df)} clips, "
                                f"{int(df['depth'].max())} generations deep")
        target = select or clip_id
        if self.tree.selected == target:
            self._select(target)
        else:
            self.tree.selected = target

    def _thumbs_known(self, digests) -> set[str]:
        """Which of ``digests`` have a stored picture (one query; the bytes are read when the page asks)."""
        wanted = sorted({d for d in digests if isinstance(d, str) and d})
        if not wanted:
            return set()
        found = self.store.sql("SELECT hash FROM media WHERE hash IN (SELECT unnest(?::TEXT[]))", [wanted])
        return set(found["hash"])

    def _on_root_pick(self, change) -> None:
        if change["new"]:
            self.show(change["new"])

    def _on_tree_select(self, change) -> None:
        if change["new"]:
            self._select(change["new"])

    def _select(self, clip_id: str) -> None:

        row = self._rows.get(clip_id)
        if row is None and clip_id not in self._opening:
            self._opening.add(clip_id)
            try:
                self.show(clip_id)
            finally:
                self._opening.discard(clip_id)
            return
        if row is None:  # beyond the tree's TREE_MAX_NODES: say so rather than open it again and again
            self.detail.value = f"<b>{escape(str(clip_id))}</b>: this clip is too far down a very large tree to show here."
            self._set_player(())
            self.remix_button.disabled = True
            return
        if not self._visible(row):
            self.detail.value = f"<b>{escape(str(clip_id))}</b>: you cannot open this clip."
            self._set_player(())
            self.remix_button.disabled = True
            return
        status_note = lineage.lineage_status(self.store, clip_id)
        edit = _edit_text(row.get("edit"))
        parts = [f"<b class='sw-selected-id'>{escape(clip_id)}</b> by @{escape(row.get('owner'))} · "
                 f"{escape(row.get('status'))}"]
        if row.get("prompt"):
            parts.append(f"“{escape(row['prompt'])}”")
        if row.get("parent_id"):
            parts.append(f"remix of {escape(row['parent_id'])} ({escape(edit)})")
        if status_note != "ok":
            parts.append(f"<span class='sw-lineage-note'>{escape(status_note)}</span>")
        self.detail.value = "<br>".join(parts)
        if isinstance(row.get("media_hash"), str):
            self._load_player(clip_id, str(row.get("prompt") or clip_id))
        else:
            note = W.HTML("<i>A record without video: remix it to render one.</i>")
            note.add_class("sw-remix-novideo")
            self._set_player((note,))
        self.remix_button.disabled = self.busy

    def _set_player(self, children: tuple) -> None:
        """Show ``children`` in the player's box. The widgets they replace are kept for the next two swaps
        instead of being dropped: a dropped widget is closed at once, and the browser may still be drawing
        it ("widget model not found" when a remix selects its new clip while the last player appears)."""
        self._retired.append(self.player_box.children)
        self.player_box.children = children

    def _load_player(self, clip_id: str, title: str) -> None:
        """Decode the clip and build its player on a background thread: the tree and the panel show at once.

        The player's first build in a kernel imports the audio analysis (librosa, numba: 5-12 s on a loaded
        2-core machine), which used to hold the whole lineage page back; now only the player waits.
        """
        from .clip_player import ClipPlayer

        loading = W.HTML("<i>loading the clip…</i>")
        loading.add_class("sw-remix-player-loading")
        self._set_player((loading,))
        store = self.store

        def job(_on_progress, _cancel):
            clip = store.get_clip(clip_id)
            return clip, ClipPlayer.media_traits(clip)

        def done(result) -> None:
            if self.tree.selected != clip_id:  # another clip was chosen meanwhile: its own job shows it
                return
            clip, media = result
            player = ClipPlayer(clip, title=title, display_px=256, media=media)
            player.add_class("sw-remix-clip-player")
            self._set_player((player,))

        def failed(exc: BaseException) -> None:  # a clip that cannot be decoded must not break browsing
            if self.tree.selected == clip_id:
                self._set_player((W.HTML(f"cannot play {escape(clip_id)}: {escape(readable_error(exc))}"),))

        self._player_job = BackgroundJob(job, name="sora-widgets-lineage-player", on_done=done, on_error=failed)
        self._player_job.start()

    def wait_player(self, timeout: float | None = None) -> None:
        """Block until the selected clip's player is built (for notebooks and tests)."""
        if self._player_job is not None:
            self._player_job.join(timeout)

    # ------------------------------------------------------------------ remix
    @property
    def busy(self) -> bool:
        """True while a remix runs."""
        return self._worker is not None and self._worker.running

    def on_remixed(self, callback: Callable, remove: bool = False) -> None:
        """Call ``callback(result)`` (a :class:`~sora_widgets.publishing.PublishResult`) after each remix is saved."""
        self._remixed.register_callback(callback, remove=remove)

    def remix(self, edit: str | None = None) -> BackgroundJob | None:
        """Remix the selected clip with ``edit`` (default: the Edit box) — what "Remix this" does."""
        parent = self.tree.selected
        if not parent or self.busy:
            return None
        text = (self.prompt.value if edit is None else edit).strip()
        if not text:
            self.status.value = "<span class='sw-error'>Type an edit first, e.g. “now on the moon”.</span>"
            return None
        store, user = self.store, self.user

        def job(on_progress, cancel):
            from ..remix import remix_clip

            return remix_clip(store, parent, text, author=user, on_progress=on_progress, cancel=cancel)

        self.remix_button.disabled = True
        self.cancel_button.disabled = False
        self.progress.value, self.progress.max = 0, 1
        self.progress.layout.display = ""
        self.progress_label.value = "starting…"
        self.status.value = f"remixing {escape(parent)}: “{escape(text)}”…"
        self._worker = BackgroundJob(job, name="sora-widgets-remix", on_progress=self._on_progress,
                                     on_done=self._on_done, on_cancelled=self._on_cancelled,
                                     on_error=self._on_error, keep_late_result=True)
        return self._worker.start()

    def _on_remix(self, _button=None) -> None:
        self.remix()

    def cancel(self) -> None:
        """Stop the running remix (the Cancel button); nothing is saved."""
        if self.busy:
            self._worker.cancel()
            self.cancel_button.disabled = True
            self.progress_label.value = "cancelling…"

    def _on_progress(self, p: Progress) -> None:
        with self.progress.hold_sync():
            self.progress.max = max(1, p.total)
            self.progress.value = min(p.step, p.total)
        # The last generation step done: moderation and saving are what is left.
        self.progress_label.value = "checking and saving…" if p.total and p.step >= p.total else p.describe()

    def _idle(self) -> None:
        self.progress.layout.display = "none"
        self.progress_label.value = ""
        self.cancel_button.disabled = True
        self.remix_button.disabled = False

    def _on_done(self, res) -> None:
        self.status.value = f"<span class='sw-remix-done' data-clip-id='{escape(res.clip_id)}'>{escape(res.message)}</span>"
        self.prompt.value = ""
        self.show(res.clip_id, select=res.clip_id)
        self._idle()
        if getattr(self, "_scatter", None) is not None:
            self._refresh_3d()
        self._remixed(res)

    def _on_cancelled(self) -> None:
        self.status.value = "remix cancelled: nothing was saved"
        self._idle()

    def _on_error(self, exc: BaseException) -> None:
        # Shown to the user; nothing is half-saved (publish is one transaction).
        self.status.value = f"<span class='sw-error' role='alert'>{escape(readable_error(exc))}</span>"
        self._idle()

    def wait(self, timeout: float | None = None) -> None:
        """Block until a running remix finishes (for notebooks and tests)."""
        if self._worker is not None:
            self._worker.join(timeout)

    # ------------------------------------------------------------------ 3D forest
    def _forest_frame(self) -> pd.DataFrame:
        df = lineage.forest(self.store, max_nodes=self._max_3d, viewer=self.user)
        return df[df["visible"].astype(bool)].reset_index(drop=True)

    def _build_3d(self, max_nodes: int) -> None:
        try:
            import ipyvolume as ipv
        except ImportError as exc:  # 3D is a bonus; the 2D tree still works
            self.forest_view.children = (W.HTML(f"3D view unavailable: {escape(str(exc))}"),)
            return
        self._max_3d = max_nodes
        df = self._forest_frame()
        self._forest_df = df
        xyz = forest_positions(df)
        fig = ipv.figure(width=640, height=420, controls=False)
        color = self._colors(df)
        self._scatter = ipv.scatter(*xyz.T.astype(np.float32), color=color, size=1.6, marker="sphere")
        self._lines = None
        seg = self._segments(df)
        if len(seg):
            self._lines = ipv.pylab.plot_trisurf(*xyz.T.astype(np.float32), lines=seg, color="#8899aa")
        ipv.xlabel("branch")
        ipv.ylabel("depth (remix steps)")
        ipv.zlabel("time (days)")
        (x0, x1), (y0, y1), (z0, z1) = _limits(xyz)
        ipv.xlim(x0, x1)
        ipv.ylim(y0, y1)
        ipv.zlim(z0, z1)
        ipv.view(azimuth=40, elevation=20)  # oblique, so depth, branch and time all show
        self._scatter.observe(self._on_3d_click, "clicked_index")
        self._fig = fig
        caption = W.HTML(f"<b>The remix forest</b>: {len(df)} clips; x = branch, y = depth, z = time. "
                         "Click a point to open it.")
        self.forest_view.children = (caption, fig)

    def _refresh_3d(self) -> None:
        df = self._forest_frame()
        xyz = forest_positions(df).astype(np.float32)
        with self._fig.hold_sync() if hasattr(self._fig, "hold_sync") else _null():
            self._scatter.x, self._scatter.y, self._scatter.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
            self._scatter.color = self._colors(df)
            if self._lines is not None:
                self._lines.x, self._lines.y, self._lines.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
                self._lines.lines = self._segments(df)
        self._forest_df = df

    @staticmethod
    def _segments(df: pd.DataFrame) -> np.ndarray:
        index = {c: i for i, c in enumerate(df["clip_id"])}
        seg = [(index[p], i) for i, p in enumerate(df["parent_id"]) if isinstance(p, str) and p in index]
        return np.asarray(seg, dtype=np.uint32).reshape(-1, 2)

    @staticmethod
    def _colors(df: pd.DataFrame) -> np.ndarray:
        depth = df["depth"].to_numpy(float)
        k = depth / max(1.0, depth.max() if len(depth) else 1.0)
        return np.column_stack([0.2 + 0.8 * k, 0.5 + 0.3 * (1 - k), 1.0 - 0.7 * k]).astype(np.float32)

    def _on_3d_click(self, change) -> None:
        i = change["new"]
        if i is None or i < 0 or i >= len(self._forest_df):
            return
        cid = self._forest_df["clip_id"].iloc[int(i)]
        if cid not in self._rows:
            self.show(cid)
        else:
            self.tree.selected = cid


def _limits(xyz: np.ndarray) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    if not len(xyz):
        return (0, 1), (0, 1), (0, 1)
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    pad = np.maximum((hi - lo) * 0.05, 0.5)
    return tuple((float(a - p), float(b + p)) for a, b, p in zip(lo, hi, pad, strict=True))


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


