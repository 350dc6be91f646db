"""FeedView in a plain Jupyter kernel (what JupyterLab runs: no Voila, no dashboard).

The cells run in a real ``python3`` kernel through ``nbclient``: the kernel makes a store, people and
clips, displays a ``FeedView`` (JupyterLab receives a widget view, not an error), pages through it with
the same message the browser sends for the down key, and opens a shared link.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.slow]

SETUP = """\
import numpy as np
from sora_widgets.media import Clip
from sora_widgets.social import feed
from sora_widgets.social.accounts import sign_up
from sora_widgets.store import open_store

store = open_store(HOME)
for h in ("ada", "abe", "zed"):
    sign_up(store, h, birthdate="1985-05-05")
ids = [store.save_clip(Clip(np.full((4, 32, 18, 3), 20 * i, np.uint8), np.zeros((1, 800), np.float32), 8, 16_000,
                            {"prompt": f"clip {i}"}), owner=("ada", "abe")[i % 2], status="published")
       for i in range(7)]
feed.refresh_stats(store)"""

SHOW = """\
from sora_widgets.widgets.feed_view import FeedView

view = FeedView(store, "zed", page_size=3)
view"""

PAGE = """\
import json
seen = [view.player.clip_id]
for _ in range(6):
    view.player._handle(view.player, {"type": "nav", "step": 1}, [])  # what the down key sends
    seen.append(view.player.clip_id)
shared = FeedView(store, "zed", page_size=3, open_clip=ids[0])
print(json.dumps({"seen": seen, "ids": ids, "shared": shared.player.clip_id, "reason": shared.current.reason}))"""


def test_feedview_renders_and_pages_in_a_plain_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(f"HOME = {str(tmp_path / 'home')!r}\n" + SETUP),
                nbformat.v4.new_code_cell(SHOW), nbformat.v4.new_code_cell(PAGE)]
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = nb.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown), shown
    result = json.loads("".join(o["text"] for o in nb.cells[2].outputs if o.output_type == "stream"))
    seen, ids = result["seen"], result["ids"]
    assert len(seen) == 7 and len(set(seen)) == 7 and set(seen) == set(ids)  # paged through every clip, once
    assert result["shared"] == ids[0] and result["reason"] == "shared with you"
