"""One visibility rule (issue 13 item 7): ``access.can_view`` and its SQL forms agree, and every list
that leaves the service layer (lineage trees, forest, most remixed, ancestors, RemixExplorer, publish's
parent) applies it.

The stateful test builds random states (users of every band and role, disabled or not; clips of every
status, some mature; blocks either way) and checks, pair by pair, that ``can_view`` equals the SQL
predicate ``viewable_clip_sql``, that the list predicate ``visible_clip_sql`` implies it, and that both
match a model of the rule written out here.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from conftest import served_copy, template_home
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sora_widgets import lineage
from sora_widgets.access import (
    MATURE_DECISION,
    can_view,
    require_view,
    viewable_clip_sql,
    viewer_params,
    visible_clip_sql,
)
from sora_widgets.social import graph
from sora_widgets.store import CLIP_STATUSES

# handle -> (birthdate, confirmed, role)
PEOPLE = {
    "ada": ("1990-03-04", True, "creator"),
    "ben": ("1985-06-07", True, "creator"),
    "tia": ("2011-05-05", True, "creator"),      # a teen
    "uno": ("1990-01-01", False, "creator"),     # unconfirmed birthdate: teen protections
    "rev": ("1980-01-01", True, "reviewer"),
    "adm": ("1975-01-01", True, "admin"),
}
TEENS = {"tia", "uno"}


def add_people(store) -> None:
    for h, (bd, confirmed, role) in PEOPLE.items():
        store.create_user(h, birthdate=bd, role=role, birthdate_confirmed=confirmed)


def add_clip(store, clip_id: str, owner: str, status: str = "published", *, mature: bool = False,
             parent_id: str | None = None, prompt: str | None = None) -> None:
    """A clip row without media (like the demo's records), optionally remixing ``parent_id``."""
    with store.transaction() as con:
        con.execute("INSERT INTO clips (clip_id, owner, status, prompt, parent_id) VALUES (?, ?, ?, ?, ?)",
                    [clip_id, owner, status, prompt or f"secret prompt of {clip_id}", parent_id])
        if parent_id:
            con.execute("INSERT INTO remix_edges (child_id, parent_id, author) VALUES (?, ?, ?)",
                        [clip_id, parent_id, owner])
        if mature:
            con.execute("INSERT INTO moderation_verdicts (verdict_id, target_kind, target_id, decision) "
                        "VALUES (?, 'clip', ?, ?)", [f"v_{clip_id}", clip_id, MATURE_DECISION])


def set_disabled(store, handle: str, disabled: bool) -> None:
    with store.transaction() as con:
        con.execute("INSERT INTO auth_accounts (handle, disabled_at, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (handle) DO UPDATE SET disabled_at = excluded.disabled_at",
                    [handle, time.time() if disabled else None, time.time()])


def sql_answers(store, viewer: str) -> dict[str, tuple[bool, bool]]:
    """{clip_id: (viewable, visible)} for ``viewer`` from the two SQL predicates."""
    p = viewer_params(store, viewer, role=True)
    with store.read() as con:
        rows = con.execute(f"SELECT c.clip_id, {viewable_clip_sql()}, {visible_clip_sql()} FROM clips c", p).fetchall()
    return {r[0]: (bool(r[1]), bool(r[2])) for r in rows}


class Visibility(RuleBasedStateMachine):
    """Random states; the two forms of the rule and a model of it must always agree."""

    @initialize()
    def setup(self):
        """A copy of a home with the six people, served in this process (conftest.served_copy): the invariant's
        ~40 store reads a step each cost a cursor instead of a file open."""
        self._stack = contextlib.ExitStack()
        self.store = self._stack.enter_context(served_copy(template_home("visibility-people", add_people)))
        self.clips: dict[str, dict] = {}
        self.blocks: set[tuple[str, str]] = set()
        self.disabled: set[str] = set()

    def teardown(self):
        if hasattr(self, "_stack"):
            self._stack.close()

    @rule(owner=st.sampled_from(sorted(PEOPLE)), status=st.sampled_from(CLIP_STATUSES), mature=st.booleans())
    def add(self, owner, status, mature):
        cid = f"c{len(self.clips)}"
        add_clip(self.store, cid, owner, status, mature=mature)
        self.clips[cid] = {"owner": owner, "status": status, "mature": mature}

    @rule(data=st.data(), status=st.sampled_from(CLIP_STATUSES))
    def restatus(self, data, status):
        if not self.clips:
            return
        cid = data.draw(st.sampled_from(sorted(self.clips)))
        self.store.set_clip_status(cid, status, actor="test")
        self.clips[cid]["status"] = status

    @rule(a=st.sampled_from(sorted(PEOPLE)), b=st.sampled_from(sorted(PEOPLE)))
    def block(self, a, b):
        if a == b or a in self.disabled:
            return
        graph.block(self.store, a, b)
        self.blocks.add((a, b))

    @rule(a=st.sampled_from(sorted(PEOPLE)), b=st.sampled_from(sorted(PEOPLE)))
    def unblock(self, a, b):
        if a in self.disabled:
            return
        graph.unblock(self.store, a, b)
        self.blocks.discard((a, b))

    @rule(who=st.sampled_from(sorted(PEOPLE)), disabled=st.booleans())
    def disable(self, who, disabled):
        set_disabled(self.store, who, disabled)
        (self.disabled.add if disabled else self.disabled.discard)(who)

    # One-step forms of the states where a rule shows (an author's clip published, then the author disabled or
    # blocking): with two-step sequences, 30 examples never reached them (a lists-ignore-disabled-authors mutant
    # of access.py survived 10 and 30 examples).
    @rule(owner=st.sampled_from(sorted(PEOPLE)), mature=st.booleans())
    def publish(self, owner, mature):
        self.add(owner, "published", mature)

    @rule(data=st.data(), disabled=st.booleans())
    def disable_an_author(self, data, disabled):
        if self.clips:
            self.disable(self.clips[data.draw(st.sampled_from(sorted(self.clips)))]["owner"], disabled)

    @rule(data=st.data(), b=st.sampled_from(sorted(PEOPLE)))
    def an_author_blocks(self, data, b):
        if self.clips:
            self.block(self.clips[data.draw(st.sampled_from(sorted(self.clips)))]["owner"], b)

    def model(self, viewer: str, cid: str) -> bool:
        """The rule written out independently of access.py."""
        c = self.clips[cid]
        role = PEOPLE.get(viewer, (None, None, None))[2]
        if role == "admin":
            return True
        if role == "reviewer" and (c["status"] != "draft" or c["owner"] == viewer):
            return True
        if c["owner"] == viewer:
            return c["status"] in ("draft", "held", "published")
        return self.model_list(viewer, cid)

    def model_list(self, viewer: str, cid: str) -> bool:
        """What a list or a feed may show ``viewer`` (the same for staff: lists show published clips)."""
        c = self.clips[cid]
        teen = viewer in TEENS or viewer not in PEOPLE
        return (c["status"] == "published" and c["owner"] not in self.disabled
                and (viewer, c["owner"]) not in self.blocks and (c["owner"], viewer) not in self.blocks
                and not (teen and c["mature"] and c["owner"] != viewer))

    @invariant()
    def can_view_equals_sql_equals_model(self):
        if not hasattr(self, "store") or not self.clips:
            return
        for viewer in [*PEOPLE, "ghost"]:
            answers = sql_answers(self.store, viewer)
            for cid in self.clips:
                viewable, visible = answers[cid]
                expected = self.model(viewer, cid)
                assert viewable == expected, (viewer, cid, self.clips[cid], viewable, expected)
                assert visible == self.model_list(viewer, cid), (viewer, cid, self.clips[cid], visible)
                assert not visible or viewable  # a list never shows what can_view refuses
        # can_view itself (one store round-trip per pair: checked on the newest clip for every viewer)
        cid = max(self.clips, key=lambda k: int(k[1:]))
        for viewer in [*PEOPLE, "ghost"]:
            assert bool(can_view(self.store, cid, viewer)) == self.model(viewer, cid), (viewer, cid)


Visibility.TestCase.settings = settings(max_examples=10, stateful_step_count=12, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_can_view_and_the_sql_predicate_agree_on_random_states = pytest.mark.slow(Visibility.TestCase)


# ---------------------------------------------------------------------- the rule's parts, one by one


@pytest.fixture
def people(store):
    add_people(store)
    return store


def test_each_exclusion_hides_a_published_clip_from_others_but_not_its_owner_or_staff(people):
    store = people
    add_clip(store, "pub", "ada")
    add_clip(store, "mature", "ada", mature=True)
    assert can_view(store, "pub", "ben") and can_view(store, "mature", "ben")
    assert not can_view(store, "mature", "tia") and "adults" in can_view(store, "mature", "tia").reason
    assert not can_view(store, "mature", "uno")  # unconfirmed birthdate: teen protections
    assert can_view(store, "pub", "tia")  # a teen sees ordinary clips

    graph.block(store, "ben", "ada")
    for viewer in ("ben",):
        d = can_view(store, "pub", viewer)
        assert not d and "block" in d.reason
        assert sql_answers(store, viewer)["pub"] == (False, False)
    assert can_view(store, "pub", "ada") and can_view(store, "pub", "rev") and can_view(store, "pub", "tia")
    graph.unblock(store, "ben", "ada")
    graph.block(store, "ada", "ben")  # the other direction hides it too
    assert not can_view(store, "pub", "ben")
    assert sql_answers(store, "ben")["pub"] == (False, False)  # and the list form (feed, lineage) agrees

    set_disabled(store, "ada", True)
    d = can_view(store, "pub", "tia")
    assert not d and "disabled" in d.reason
    assert can_view(store, "pub", "adm") and can_view(store, "pub", "rev")


def test_viewer_params_and_predicates_refuse_malformed_names():
    with pytest.raises(ValueError):
        visible_clip_sql("viewer")
    with pytest.raises(ValueError):
        visible_clip_sql("$viewer; DROP TABLE clips")
    with pytest.raises(ValueError):
        visible_clip_sql("$viewer", "c; --")


# ---------------------------------------------------------------------- lineage and the explorer


@pytest.fixture
def family(people):
    """c0 (ada, published) <- c1 (ben's draft) <- c2 (ada, published) and c0 <- c3 (ben, removed)."""
    store = people
    add_clip(store, "c0", "ada", prompt="the original")
    add_clip(store, "c1", "ben", "draft", parent_id="c0", prompt="ben's private idea")
    add_clip(store, "c2", "ada", parent_id="c1", prompt="ada's remix")
    add_clip(store, "c3", "ben", "removed", parent_id="c0", prompt="something removed")
    lineage.sync(store)
    return store


def test_tree_keeps_the_shape_but_not_the_details_of_what_the_viewer_may_not_see(family):
    t = lineage.tree(family, "c2", viewer="tia").set_index("clip_id")
    assert set(t.index) == {"c0", "c1", "c2", "c3"}
    assert t.loc["c1", "parent_id"] == "c0" and t.loc["c2", "parent_id"] == "c1"  # the shape stays
    for hidden in ("c1", "c3"):
        assert not t.loc[hidden, "visible"]
        for col in ("owner", "status", "prompt", "thumb_hash", "media_hash", "author", "edit"):
            assert t.loc[hidden, col] is None, (hidden, col)
    assert t.loc["c2", "visible"] and t.loc["c2", "prompt"] == "ada's remix"
    assert bool(t.loc["c3", "original_removed"]) is False

    own = lineage.tree(family, "c2", viewer="ben").set_index("clip_id")
    assert own.loc["c1", "visible"] and own.loc["c1", "prompt"] == "ben's private idea"  # his own draft
    assert not own.loc["c3", "visible"]  # removed: staff only
    staff = lineage.tree(family, "c2", viewer="rev").set_index("clip_id")
    assert staff.loc["c3", "visible"] and not staff.loc["c1", "visible"]  # reviewers: not others' drafts
    assert lineage.tree(family, "c2", viewer="adm")["visible"].all()


def test_forest_most_remixed_and_ancestors_apply_the_rule(family):
    f = lineage.forest(family, viewer="tia").set_index("clip_id")
    assert f.loc["c1", "prompt"] is None and f.loc["c0", "prompt"] == "the original"
    assert lineage.ancestors(family, "c2", viewer="tia") == ["c0"]
    assert lineage.ancestors(family, "c2", viewer="ben") == ["c1", "c0"]
    assert lineage.ancestors(family, "c2") == ["c1", "c0"]  # the analyst's raw index
    top = lineage.most_remixed(family, 10, viewer="tia")
    assert "c1" not in set(top["clip_id"]) and "c0" in set(top["clip_id"])
    assert "c1" in set(lineage.most_remixed(family, 10, viewer="ben")["clip_id"])
    graph.block(family, "tia", "ada")
    assert lineage.most_remixed(family, 10, viewer="tia").empty


def test_remix_explorer_sends_no_owner_status_or_prompt_of_hidden_nodes(family):
    from sora_widgets.widgets.remix_explorer import RemixExplorer

    ex = RemixExplorer(family, clip_id="c2", user="tia", show_3d=False)
    nodes = {n["clip_id"]: n for n in ex.tree.nodes}
    assert set(nodes) == {"c0", "c1", "c2", "c3"}
    for hidden in ("c1", "c3"):
        n = nodes[hidden]
        assert not n["visible"]
        assert n["owner"] == "" and n["status"] == "" and n["prompt"] == "" and n["thumb"] == "" and n["edge"] == ""
        assert n["note"] == "not available"
        assert "ben" not in repr(n) and "secret" not in repr(n) and "private" not in repr(n)
    assert nodes["c2"]["owner"] == "ada"
    assert all(opt[1] != "c1" for opt in ex.root_picker.options)


def test_publish_refuses_a_parent_the_author_may_not_see(family, square_clip):
    from sora_widgets import publish

    before = int(family.sql("SELECT count(*) AS n FROM clips")["n"][0])
    with pytest.raises(PermissionError, match="draft"):
        publish(family, square_clip, user="tia", parent_id="c1")  # ben's draft
    with pytest.raises(PermissionError):
        publish(family, square_clip, user="tia", parent_id="c3")  # removed
    assert int(family.sql("SELECT count(*) AS n FROM clips")["n"][0]) == before
    assert require_view(family, "c1", "ben")["owner"] == "ben"  # its owner may remix it
