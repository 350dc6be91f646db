"""Issue 15 safety rules: DMs, guardians, the teen feed limits, notifications (social.messages,
social.guardians, social.limits, social.notifications).

Stateful property tests (hypothesis) drive random sequences of people and actions against the
real store; the refusal tests check each bad input is refused with a readable reason and
changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import shutil
import time

import pytest
from conftest import served_here
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sora_widgets.social import feed, graph, guardians, limits, messages, notifications
from sora_widgets.social.accounts import is_minor, sign_up
from sora_widgets.social.guardians import GuardianError
from sora_widgets.social.messages import MessageRefused
from sora_widgets.store import NotFound, open_store

TEEN_BIRTHDATE = f"{time.localtime().tm_year - 15}-01-01"
ADULTS = ("ada", "abe", "amy")          # amy is disabled in every home
TEENS = ("tia", "tom")
PEOPLE = ADULTS + TEENS
NOW = dt.datetime(2026, 11, 2, 12, 0, 0)   # a Monday noon: no quiet hours in the way


def _disable(store, handle):
    from sora_widgets.auth import LOCAL_OWNER
    from sora_widgets.auth.admin import disable

    disable(store, handle, by=LOCAL_OWNER, reason="test")


@pytest.fixture(scope="module")
def people_template(tmp_path_factory):
    """Five people and 40 published clips, made once; each example starts from a copy."""
    home = tmp_path_factory.mktemp("social-template")
    store = open_store(home)
    for h in ADULTS:
        sign_up(store, h, birthdate="1985-05-05")
    for h in TEENS:
        sign_up(store, h, birthdate=TEEN_BIRTHDATE)
    _disable(store, "amy")
    with store.transaction() as con:
        for i in range(40):
            owner = ("ada", "abe", "tia", "tom")[i % 4]
            con.execute("INSERT INTO clips (clip_id, owner, status, prompt, created_at) VALUES (?, ?, 'published', ?, ?)",
                        [f"clip{i:03d}", owner, f"a ball bounces {i}", NOW - dt.timedelta(hours=i)])
    feed.refresh_stats(store)
    return home


def _copy(template, tmp_path_factory):
    home = tmp_path_factory.mktemp("social")
    shutil.copytree(template, home, dirs_exist_ok=True)
    return open_store(home)


class _ServedCopy:
    """Stateful machines start from a copy of the template served in this process (conftest.served_here): their
    hundreds of store operations each cost a cursor instead of a file open (DMs + teen feed: ~5x less CPU)."""

    store = None

    def _serve_copy(self, template, tmp_path_factory):
        home = tmp_path_factory.mktemp("social")
        shutil.copytree(template, home, dirs_exist_ok=True)
        self._stack = contextlib.ExitStack()
        self.store = self._stack.enter_context(served_here(home))

    def teardown(self):
        if self.store is not None:
            self._stack.close()


def _counts(store) -> dict:
    tables = ("messages", "conversations", "notifications", "guardian_links", "guardian_invitations", "follows")
    with store.read() as con:
        out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        out["used_codes"] = con.execute("SELECT count(*) FROM guardian_invitations WHERE used_at IS NOT NULL").fetchone()[0]
        out["settings"] = con.execute("SELECT list(settings ORDER BY guardian, teen) FROM guardian_links").fetchone()[0]
    return out


def _link(store, guardian, teen, now=None):
    code = guardians.create_invitation(store, guardian=guardian, now=now)
    return guardians.accept_invitation(store, teen=teen, code=code, now=now)


# ================================================================== DMs and guardians, stateful
class DirectMessages(_ServedCopy, RuleBasedStateMachine):
    """Random links, unlinks, DM settings, follows, blocks and messages between adults and teens.

    Properties: no adult->teen (or teen->adult) message is delivered unless the adult is that
    teen's guardian at that moment; a teen whose DMs are "off" exchanges messages with nobody but
    their guardians; nobody messages themselves, a disabled account or someone blocked; a refused
    message changes nothing.
    """

    @initialize()
    def start(self):
        self._serve_copy(DirectMessages.template, DirectMessages.factory)
        self.delivered = 0

    def _guardians(self, teen):
        return set(guardians.guardians_of(self.store, teen))

    @rule(g=st.sampled_from(ADULTS[:2]), t=st.sampled_from(TEENS))
    def link(self, g, t):
        had = self._guardians(t)
        with_consent = bool(had) and g not in had
        try:
            _link(self.store, g, t)
        except GuardianError as e:
            assert g in had or with_consent, e  # refused only when already linked or a second guardian
            assert self._guardians(t) == had
            return
        assert not had, "a second guardian linked without the first one's consent"
        assert self._guardians(t) == {g}

    @rule(g=st.sampled_from(ADULTS[:2]), t=st.sampled_from(TEENS))
    def consent_and_link(self, g, t):
        had = self._guardians(t)
        if not had or g in had:
            return
        first = sorted(had)[0]
        guardians.consent_to_guardian(self.store, by=first, teen=t, new_guardian=g)
        _link(self.store, g, t)
        assert self._guardians(t) == had | {g}

    @rule(t=st.sampled_from(TEENS), by_teen=st.booleans())
    def unlink(self, t, by_teen):
        had = sorted(self._guardians(t))
        if not had:
            return
        g = had[0]
        guardians.unlink(self.store, by=t if by_teen else g, guardian=g, teen=t)
        assert g not in self._guardians(t)

    @rule(g=st.sampled_from(ADULTS[:2]), t=st.sampled_from(TEENS), dms=st.sampled_from(guardians.DM_SETTINGS))
    def set_dms(self, g, t, dms):
        linked = g in self._guardians(t)
        try:
            guardians.update_settings(self.store, by=g, teen=t, dms=dms)
        except GuardianError:
            assert not linked
            return
        assert linked

    @rule(g=st.sampled_from(ADULTS[:2]), t=st.sampled_from(TEENS), dms=st.sampled_from(guardians.DM_SETTINGS))
    def guard_and_set_dms(self, g, t, dms):
        """Link (when the teen has no guardian) and set their DMs in one step, so sequences often reach a teen
        whose DMs are open: only then does the guardian check stand alone (the DM setting refuses strangers
        otherwise). Without it, 100 examples missed an adult messaging a teen with no guardian check at all."""
        had = self._guardians(t)
        if not had:
            _link(self.store, g, t)
            had = {g}
        guardians.update_settings(self.store, by=sorted(had)[0], teen=t, dms=dms)

    @rule(a=st.sampled_from(ADULTS), t=st.sampled_from(TEENS), to_teen=st.booleans())
    def across_the_age_line(self, a, t, to_teen):
        """A message between an adult and a teen (the case the rules are about; ``send`` draws it 1 time in 3)."""
        sender, recipient = (a, t) if to_teen else (t, a)
        self.send(sender, recipient, "hi!")

    @rule(first=st.sampled_from(TEENS))
    def between_teens(self, first):
        """A message between the two teens (each one's DM setting applies; ``send`` draws it 1 time in 15)."""
        self.send(first, TEENS[1 - TEENS.index(first)], "hi!")

    @rule(t=st.sampled_from(TEENS), dms=st.sampled_from(guardians.DM_SETTINGS))
    def teen_tries_settings(self, t, dms):
        before = guardians.settings_for(self.store, t)
        with pytest.raises(GuardianError):
            guardians.update_settings(self.store, by=t, teen=t, dms=dms)
        assert guardians.settings_for(self.store, t) == before

    @rule(a=st.sampled_from(PEOPLE), b=st.sampled_from(PEOPLE), on=st.booleans())
    def follow(self, a, b, on):
        try:
            (graph.follow if on else graph.unfollow)(self.store, a, b)
        except (ValueError, PermissionError, NotFound):
            pass

    @rule(a=st.sampled_from(PEOPLE), b=st.sampled_from(PEOPLE))
    def befriend(self, a, b):
        """Follow each other (what "followed back only" DMs need): one step, so sequences reach it often."""
        for x, y in ((a, b), (b, a)):
            try:
                graph.follow(self.store, x, y)
            except (ValueError, PermissionError, NotFound):
                pass

    @rule(a=st.sampled_from(PEOPLE), b=st.sampled_from(PEOPLE), on=st.booleans())
    def block(self, a, b, on):
        try:
            (graph.block if on else graph.unblock)(self.store, a, b)
        except (ValueError, PermissionError, NotFound):
            pass

    @rule(s=st.sampled_from(PEOPLE), r=st.sampled_from(PEOPLE + ("nobody",)),
          text=st.sampled_from(("hi!", "see you at practice", "nice clip")))
    def send(self, s, r, text):
        before = _counts(self.store)
        facts = None
        if r != "nobody":
            facts = {"s_minor": is_minor(self.store, s), "r_minor": is_minor(self.store, r),
                     "s_guards_r": s in self._guardians(r) if r in TEENS else False,
                     "r_guards_s": r in self._guardians(s) if s in TEENS else False,
                     "blocked": graph.is_blocked(self.store, s, r),
                     "dms": {t: guardians.settings_for(self.store, t)["dms"] for t in TEENS}}
        try:
            messages.send(self.store, sender=s, recipient=r, text=text)
        except (MessageRefused, NotFound, ValueError) as e:
            assert str(e), "a refusal must say why"
            after = _counts(self.store)
            assert {k: after[k] for k in ("messages", "conversations", "notifications")} == \
                   {k: before[k] for k in ("messages", "conversations", "notifications")}
            return
        self.delivered += 1
        assert r != "nobody" and s != r and "amy" not in (s, r)
        assert not facts["blocked"]
        if facts["r_minor"] and not facts["s_minor"]:
            assert facts["s_guards_r"], f"adult @{s} messaged teen @{r} without being their guardian"
        if facts["s_minor"] and not facts["r_minor"]:
            assert facts["r_guards_s"], f"teen @{s} messaged adult @{r} who is not their guardian"
        for teen, other, guarded in ((s, r, facts["r_guards_s"]), (r, s, facts["s_guards_r"])):
            if teen in TEENS and facts["dms"][teen] == "off":
                assert guarded, f"@{teen}'s DMs are off, yet @{other} exchanged a message with them"
        assert _counts(self.store)["messages"] == before["messages"] + 1

    @invariant()
    def only_guardians_cross_the_age_line(self):
        if self.store is None:
            return
        # Every stored adult<->teen message was sent while a link existed (audited as guardian.link before it).
        with self.store.read() as con:
            rows = con.execute("SELECT sender, recipient FROM messages").fetchall()
        for s, r in rows:
            if (s in TEENS) != (r in TEENS):
                teen, adult = (s, r) if s in TEENS else (r, s)
                with self.store.read() as con:
                    ever = con.execute("SELECT count(*) FROM audit_log WHERE action = 'guardian.link' AND target_id = ? "
                                       "AND json_extract_string(detail, '$.guardian') = ?", [teen, adult]).fetchone()[0]
                assert ever, f"@{s} -> @{r} crossed the age line with no guardian link ever"


@pytest.mark.slow
def test_direct_message_rules_hold_for_any_sequence(people_template, tmp_path_factory):
    DirectMessages.template = people_template
    DirectMessages.factory = tmp_path_factory
    DirectMessages.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None,
                                                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
    DirectMessages.TestCase().runTest()


# ================================================================== feed: personalisation and the daily limit
class TeenFeed(_ServedCopy, RuleBasedStateMachine):
    """A teen scrolls with whatever the client sends (sizes, modes, old, foreign or forged cursors)
    while the guardian changes personalisation and limits and the clock moves.

    Properties: no page is personalised while the guardian says no; the clips served in a day
    never exceed the clip limit in force, nor ceil(minutes * 60 / SECONDS_PER_CLIP) for a minute
    limit; a new day starts a new count.
    """

    @initialize(limit=st.integers(1, 15))
    def start(self, limit):
        self._serve_copy(TeenFeed.template, TeenFeed.factory)
        _link(self.store, "ada", "tia", now=NOW)
        guardians.update_settings(self.store, by="ada", teen="tia", daily_limit_clips=limit, daily_limit_minutes=None)
        self.now = NOW
        self.served_today = 0
        self.cursors = [None, "fs0000000000000000:0", "garbage", "fs0123456789abcdef:99"]

    @rule(on=st.booleans())
    def set_personalised(self, on):
        guardians.update_settings(self.store, by="ada", teen="tia", personalised=on)

    @rule(clips=st.one_of(st.none(), st.integers(1, 15)), minutes=st.one_of(st.none(), st.integers(1, 2)))
    def set_limits(self, clips, minutes):
        guardians.update_settings(self.store, by="ada", teen="tia", daily_limit_clips=clips, daily_limit_minutes=minutes)

    @rule(seconds=st.integers(0, 400))
    def wait(self, seconds):
        before = self.now.date()
        self.now += dt.timedelta(seconds=seconds)
        if self.now.date() != before:
            self.served_today = 0

    @rule()
    def next_day(self):
        self.now = dt.datetime.combine(self.now.date() + dt.timedelta(days=1), dt.time(12, 0))
        self.served_today = 0

    @rule(mode=st.sampled_from(feed.MODES), size=st.integers(1, 20), pick=st.integers(0, 100))
    def scroll(self, mode, size, pick):
        s = guardians.settings_for(self.store, "tia")
        cursor = self.cursors[pick % len(self.cursors)]
        try:
            page = feed.page(self.store, "tia", mode=mode, cursor=cursor, size=size, now=self.now)
        except (ValueError, PermissionError):
            return  # a forged or foreign cursor: refused, nothing served
        if not s["personalised"]:
            assert page.mode != "personalised", "a personalised page after the guardian turned it off"
        self.served_today += len(page.items)
        # A guardian may lower a limit below what was already served today: then nothing more is served
        # (checked when the page serves something, since earlier pages cannot be taken back).
        if s["daily_limit_clips"] is not None and page.items:
            assert self.served_today <= s["daily_limit_clips"], (self.served_today, s)
        if s["daily_limit_minutes"] is not None and page.items:
            top = math.ceil(s["daily_limit_minutes"] * 60 / limits.SECONDS_PER_CLIP)
            assert self.served_today <= top, (self.served_today, s)
        if page.stopped:
            assert not page.items
            assert "feed for today" in page.stopped
        for c in (page.next_cursor, page.cursor, page.prev_cursor):
            if c and c not in self.cursors:
                self.cursors.append(c)

    @invariant()
    def server_count_matches(self):
        if self.store is None:
            return
        # What the server counted today is at least what this client received (it cannot under-count).
        assert limits.usage_today(self.store, "tia", now=self.now)["clips_served"] >= self.served_today


@pytest.mark.slow
def test_teen_feed_limits_hold_whatever_the_client_sends(people_template, tmp_path_factory):
    TeenFeed.template = people_template
    TeenFeed.factory = tmp_path_factory
    TeenFeed.TestCase.settings = settings(max_examples=12, stateful_step_count=16, deadline=None,
                                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
    TeenFeed.TestCase().runTest()


def test_minute_limit_counts_server_time_and_breaks(people_template, tmp_path_factory):
    """A 1-minute limit: pages 30 s apart use it up (the server's clock); a long break is not counted."""
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia", now=NOW)
    guardians.update_settings(store, by="ada", teen="tia", daily_limit_minutes=1, daily_limit_clips=None)
    now = NOW
    limits.record_served(store, "tia", 1, now=now)
    now += dt.timedelta(hours=2)  # a break: not scrolling
    limits.record_served(store, "tia", 1, now=now)
    assert limits.usage_today(store, "tia", now=now)["active_s"] == 0
    for _ in range(2):
        now += dt.timedelta(seconds=30)
        limits.record_served(store, "tia", 1, now=now)
    a = limits.feed_allowance(store, "tia", now=now)
    assert a.remaining == 0 and a.reason == limits.STOP_REASON
    assert limits.feed_allowance(store, "tia", now=now + dt.timedelta(days=1)).remaining > 0


def test_quiet_hours_stop_the_feed(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia", now=NOW)
    guardians.update_settings(store, by="ada", teen="tia", quiet_hours=("22:00", "07:00"))
    night = dt.datetime(2026, 11, 2, 23, 30)
    page = feed.page(store, "tia", now=night)
    assert page.items == [] and "Quiet hours" in page.stopped
    assert feed.page(store, "tia", now=NOW).items


def test_teen_defaults_and_adults(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    s = guardians.settings_for(store, "tom")
    assert s["minor"] and s["daily_limit_minutes"] == guardians.TEEN_DEFAULT_LIMIT_MINUTES and s["dms"] != "on"
    assert limits.feed_allowance(store, "ada").remaining is None
    # Without a guardian, adults still cannot message a teen, even one who follows them.
    graph.follow(store, "tom", "ada")
    graph.follow(store, "ada", "tom")
    with pytest.raises(MessageRefused, match="adults cannot message teens"):
        messages.send(store, sender="ada", recipient="tom", text="hi")


# ================================================================== bad input: refused, nothing changed
@pytest.mark.parametrize("text, match", [("", "empty"), ("   \n ", "empty"), ("x" * 10_000, "keep it under"),
                                         (None, "empty")])
def test_bad_message_text_is_refused(people_template, tmp_path_factory, text, match):
    store = _copy(people_template, tmp_path_factory)
    before = _counts(store)
    with pytest.raises(ValueError, match=match):
        messages.send(store, sender="ada", recipient="abe", text=text)
    assert _counts(store) == before


@pytest.mark.parametrize("sender, recipient, match", [
    ("ada", "ada", "yourself"),
    ("ada", "nobody_here", "no account"),
    ("ada", "amy", "disabled"),
    ("amy", "ada", "disabled"),
    ("ada", "tia", "adults cannot message teens"),
    ("tia", "abe", "teens can only message adults who are their guardian"),
])
def test_bad_recipients_are_refused(people_template, tmp_path_factory, sender, recipient, match):
    store = _copy(people_template, tmp_path_factory)
    before = _counts(store)
    with pytest.raises(MessageRefused, match=match):
        messages.send(store, sender=sender, recipient=recipient, text="hello")
    assert not messages.may_message(store, sender, recipient)
    assert _counts(store) == before


def test_blocked_people_cannot_message(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    messages.send(store, sender="ada", recipient="abe", text="hello")
    graph.block(store, "abe", "ada")
    before = _counts(store)
    for s, r in (("ada", "abe"), ("abe", "ada")):
        with pytest.raises(MessageRefused, match="blocked"):
            messages.send(store, sender=s, recipient=r, text="still there?")
    assert _counts(store) == before


def test_guardian_dm_settings(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia")
    messages.send(store, sender="ada", recipient="tia", text="dinner at 7")   # a guardian may
    messages.send(store, sender="tia", recipient="ada", text="ok")
    with pytest.raises(MessageRefused, match="follow"):                        # followed_back by default
        messages.send(store, sender="tom", recipient="tia", text="hi")
    graph.follow(store, "tom", "tia")
    graph.follow(store, "tia", "tom")
    messages.send(store, sender="tom", recipient="tia", text="hi")
    guardians.update_settings(store, by="ada", teen="tia", dms="off")
    with pytest.raises(MessageRefused, match="turned off by their guardian"):
        messages.send(store, sender="tom", recipient="tia", text="hi again")
    with pytest.raises(MessageRefused, match="turned off by their guardian"):
        messages.send(store, sender="tia", recipient="tom", text="can't talk")
    messages.send(store, sender="ada", recipient="tia", text="still me")        # the guardian still can
    kinds = [n["kind"] for n in notifications.list_for(store, "tia")]
    assert "guardian_setting" in kinds and "message" in kinds


def test_moderated_message_is_not_sent(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    before = _counts(store)
    with pytest.raises(MessageRefused, match="not sent"):
        messages.send(store, sender="ada", recipient="abe", text="go hang yourself")
    assert _counts(store) == before


def test_shared_clip_must_be_visible_to_both(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    with store.transaction() as con:
        con.execute("INSERT INTO clips (clip_id, owner, status, prompt) VALUES ('draft1', 'ada', 'draft', 'secret')")
    with pytest.raises(MessageRefused, match="cannot see"):
        messages.send(store, sender="ada", recipient="abe", clip_id="draft1")
    m = messages.send(store, sender="ada", recipient="abe", clip_id="clip000")
    assert m["kind"] == "clip"


def test_read_receipts_are_opt_in(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    messages.send(store, sender="ada", recipient="abe", text="hi")
    messages.thread(store, "abe", "ada")  # abe reads it
    assert messages.thread(store, "ada", "abe")[0]["read_at"] is None  # receipts off: ada cannot tell
    messages.set_read_receipts(store, "abe", True)
    assert messages.thread(store, "ada", "abe")[0]["read_at"] is not None
    assert messages.conversations(store, "abe")[0]["unread"] == 0


def test_codes_reused_expired_guessed_and_rate_limited(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    code = guardians.create_invitation(store, guardian="ada", now=NOW)
    stale = guardians.create_invitation(store, guardian="abe", now=NOW)
    later = NOW + dt.timedelta(seconds=guardians.INVITATION_TTL_S + 1)
    before = _counts(store)
    with pytest.raises(GuardianError, match="expired"):
        guardians.accept_invitation(store, teen="tom", code=stale, now=later)
    assert {k: v for k, v in _counts(store).items()} == before
    assert guardians.accept_invitation(store, teen="tia", code=code.lower().replace("-", " "), now=NOW) == "ada"
    with pytest.raises(GuardianError, match="already used"):
        guardians.accept_invitation(store, teen="tom", code=code, now=NOW)
    assert guardians.guardians_of(store, "tom") == []
    fresh = guardians.create_invitation(store, guardian="abe", now=NOW)
    for i in range(guardians.MAX_FAILED_CODES - 2):  # plus tom's expired and reused ones above: the limit
        with pytest.raises(GuardianError, match="not valid"):
            guardians.accept_invitation(store, teen="tom", code=f"AAAA-BBBB-CC{i:02d}", now=NOW)
    with pytest.raises(GuardianError, match="too many wrong codes"):
        guardians.accept_invitation(store, teen="tom", code=fresh, now=NOW)   # even the right one, for now
    assert guardians.guardians_of(store, "tom") == []
    after_window = NOW + dt.timedelta(seconds=guardians.CODE_WINDOW_S + 1)
    assert guardians.accept_invitation(store, teen="tom", code=fresh, now=after_window) == "abe"


def test_who_may_link(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    with pytest.raises(GuardianError, match="only adults"):
        guardians.create_invitation(store, guardian="tom")
    with pytest.raises(GuardianError, match="disabled"):
        guardians.create_invitation(store, guardian="amy")
    code = guardians.create_invitation(store, guardian="ada")
    before = _counts(store)
    with pytest.raises(GuardianError, match="teen accounts"):
        guardians.accept_invitation(store, teen="abe", code=code)
    assert _counts(store) == before  # the code is not spent on a refusal


def test_second_guardian_needs_the_first_ones_consent(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia")
    code = guardians.create_invitation(store, guardian="abe")
    before = _counts(store)
    with pytest.raises(GuardianError, match="must agree"):
        guardians.accept_invitation(store, teen="tia", code=code)
    assert _counts(store) == before and guardians.guardians_of(store, "tia") == ["ada"]
    with pytest.raises(GuardianError, match="only @tia's guardian"):
        guardians.consent_to_guardian(store, by="tia", teen="tia", new_guardian="abe")
    guardians.consent_to_guardian(store, by="ada", teen="tia", new_guardian="abe")
    assert guardians.accept_invitation(store, teen="tia", code=code) == "abe"
    assert guardians.guardians_of(store, "tia") == ["ada", "abe"]
    # Two guardians: the stricter setting of each applies.
    guardians.update_settings(store, by="ada", teen="tia", dms="on", daily_limit_minutes=30)
    guardians.update_settings(store, by="abe", teen="tia", dms="off", daily_limit_minutes=90, personalised=False)
    s = guardians.settings_for(store, "tia")
    assert (s["dms"], s["daily_limit_minutes"], s["personalised"]) == ("off", 30, False)


def test_bad_settings_change_nothing(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia")
    before = _counts(store)
    for bad in ({"dms": "sometimes"}, {"personalised": "yes"}, {"daily_limit_clips": 0},
                {"daily_limit_minutes": 100_000}, {"quiet_hours": ("25:00", "07:00")}, {"bedtime": "21:00"}):
        with pytest.raises(ValueError):
            guardians.update_settings(store, by="ada", teen="tia", **bad)
    with pytest.raises(GuardianError):
        guardians.update_settings(store, by="abe", teen="tia", dms="on")
    assert _counts(store) == before


def test_unlink_by_either_side_is_told_to_both_and_audited(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    _link(store, "ada", "tia")
    with pytest.raises(GuardianError, match="only the guardian or the teen"):
        guardians.unlink(store, by="abe", guardian="ada", teen="tia")
    guardians.unlink(store, by="tia", guardian="ada", teen="tia")
    for who in ("ada", "tia"):
        n = notifications.list_for(store, who, limit=1)[0]
        assert n["kind"] == "guardian_link" and n["detail"]["event"] == "unlinked" and n["detail"]["by"] == "tia"
    audit = store.sql("SELECT actor FROM audit_log WHERE action = 'guardian.unlink'")
    assert list(audit["actor"]) == ["tia"]
    assert guardians.settings_for(store, "tia")["guardians"] == []


def test_notifications_are_each_persons_own(people_template, tmp_path_factory):
    store = _copy(people_template, tmp_path_factory)
    graph.follow(store, "abe", "ada")
    graph.like(store, "abe", "clip000")          # ada's clip
    assert notifications.notify(store, recipient="ada", kind="like", actor="ada") is None  # not told of oneself
    ada = notifications.list_for(store, "ada")
    assert {n["kind"] for n in ada} == {"follow", "like"}
    assert notifications.mark_read(store, "abe", [n["notification_id"] for n in ada]) == 0  # not abe's to mark
    assert notifications.unread_count(store, "ada") == 2
    assert notifications.mark_read(store, "ada") == 2 and notifications.unread_count(store, "ada") == 0
    with pytest.raises(ValueError, match="kind"):
        notifications.notify(store, recipient="ada", kind="poke", actor="abe")


def test_the_cameo_owner_is_notified_of_each_use(people_template, tmp_path_factory):
    """A clip saved with someone's cameo tells the cameo's owner (kind cameo_use), naming the clip."""
    import numpy as np

    from sora_widgets.cameo import consent
    from sora_widgets.cameo.asset import CameoAsset
    from sora_widgets.media import Clip

    store = _copy(people_template, tmp_path_factory)
    frames = np.random.default_rng(1).integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    asset = CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)
    cid = consent.create(store, owner="ada", clip=Clip(frames, np.zeros((1, 0), np.float32), 8, 16_000),
                         kind="object", name="mug", asset=asset, audience="everyone")
    consent.use(store, cid, user="abe")
    clip = Clip(frames[::-1].copy(), np.zeros((1, 0), np.float32), 8, 16_000).with_meta(
        recipe={"prompt": "x", "cameo_ids": [cid]})
    saved = store.save_clip(clip, owner="abe", status="published")
    consent.link_uses(store, clip_id=saved, user="abe", cameo_ids=[cid])
    told = [n for n in notifications.list_for(store, "ada") if n["kind"] == "cameo_use"]
    assert [(n["actor"], n["target_id"], n["detail"]["cameo"]) for n in told] == [("abe", saved, "mug")]


def test_a_reporter_learns_the_decision(people_template, tmp_path_factory):
    """A report's case decided by a reviewer: the reporter is told the outcome, not who decided."""
    from sora_widgets.moderation import review

    store = _copy(people_template, tmp_path_factory)
    sign_up(store, "rev", birthdate="1980-01-01", role="reviewer")
    case_id = graph.report(store, "abe", "clip000", "spam")["case_id"]
    review.claim(store, "rev", case_id)
    review.decide(store, "rev", case_id, "remove", "spam")
    told = [n for n in notifications.list_for(store, "abe") if n["kind"] == "report_decided"]
    assert [(n["actor"], n["target_id"], n["detail"]["decision"]) for n in told] == [(None, "clip000", "remove")]
