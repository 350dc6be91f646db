"""Age bands in one place: under-13 refused, 13-17 teen, unconfirmed birthdates protected as teens.

Real DuckDB homes; the migration test builds a home as an old release left it
(migrations 001-004, a visitor with the old placeholder birthdate) and opens it
with this code.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sora_widgets import cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict, review
from sora_widgets.social import accounts
from sora_widgets.social.accounts import age_band, confirm_birthdate, is_minor, protection_band, sign_up
from sora_widgets.store import Store, open_store

TODAY = dt.date(2026, 12, 1)


def years_before(n: int, today: dt.date = TODAY) -> dt.date:
    """The date ``n`` years before ``today`` (28 Feb for 29 Feb in a common year)."""
    try:
        return today.replace(year=today.year - n)
    except ValueError:
        return today.replace(year=today.year - n, day=28)


def tiny_cameo(store, owner: str, name: str, audience: str = "only_me") -> str:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    asset = CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)
    clip = Clip(np.full((2, 32, 32, 3), 90, np.uint8), np.zeros((1, 0), np.float32), 8, 16_000, meta={"tag": name})
    return cameo.create(store, owner=owner, clip=clip, kind="object", name=name, asset=asset, audience=audience)


# ------------------------------------------------------------------ the band function
def test_band_boundaries_to_the_day():
    assert age_band(years_before(13), today=TODAY) == "teen"
    assert age_band(years_before(13) + dt.timedelta(days=1), today=TODAY) == "child"
    assert age_band(years_before(18), today=TODAY) == "adult"
    assert age_band(years_before(18) + dt.timedelta(days=1), today=TODAY) == "teen"
    assert age_band("2000-02-29", today=dt.date(2013, 2, 28)) == "child"  # a leap-day birthday comes on 1 March
    assert age_band("2000-02-29", today=dt.date(2013, 3, 1)) == "teen"
    for bad in ("2030-01-01", "1850-01-01", "01/02/2000", "soon"):
        with pytest.raises(ValueError):
            age_band(bad, today=TODAY)


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
       today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_band_matches_the_calendar(birth, today):
    """Reference: you are N once ``today`` reaches your birthday N years on (1 March for 29 February)."""

    def turned(n: int) -> bool:
        try:
            anniversary = birth.replace(year=birth.year + n)
        except ValueError:
            anniversary = dt.date(birth.year + n, 3, 1)
        return today >= anniversary

    if today < birth or turned(accounts.MAX_AGE_YEARS + 1):
        with pytest.raises(ValueError):
            age_band(birth, today=today)
        return
    want = "adult" if turned(18) else "teen" if turned(13) else "child"
    assert age_band(birth, today=today) == want


# ------------------------------------------------------------------ sign-up and protections
def test_under_13_is_refused_and_nothing_is_created(store):
    with pytest.raises(PermissionError, match="13 and older"):
        sign_up(store, "kiddo", birthdate=years_before(12))
    with pytest.raises(ValueError, match="not plausible"):
        sign_up(store, "future", birthdate="2099-01-01")
    assert store.sql("SELECT count(*) n FROM users").n[0] == 0
    assert store.sql("SELECT count(*) n FROM audit_log WHERE action = 'user.create'").n[0] == 0


def test_a_15_year_old_is_a_teen_end_to_end(store):
    """Sign-up -> band -> the cameo rules for minors -> the review queue tells the reviewer."""
    teen = sign_up(store, "@Teen_Ty", birthdate=years_before(15, dt.date.today()), display_name="Ty")
    sign_up(store, "ada", birthdate="1985-03-04")
    assert teen == "teen_ty" and store.get_user(teen)["birthdate_confirmed"] is True
    assert protection_band(store, teen) == "teen" and is_minor(store, teen)
    assert protection_band(store, "ada") == "adult" and not is_minor(store, "ada")
    with pytest.raises(PermissionError, match="under 18"):
        tiny_cameo(store, teen, "tymug", audience="everyone")
    cid = tiny_cameo(store, teen, "tymug")
    cameo.set_audience(store, cid, by=teen, audience="approved", approved=["ada"])
    assert cameo.can_use(store, cid, "ada")
    with pytest.raises(PermissionError, match="under 18"):
        cameo.set_audience(store, cid, by=teen, audience="everyone")
    # Moderation: the case a teen's held clip opens says so.
    clip = Clip(np.zeros((2, 16, 16, 3), np.uint8), np.zeros((1, 0), np.float32), 8, 16_000, {"prompt": "x"})
    clip_id = store.save_clip(clip, owner=teen, status="held")
    sign_up(store, "rev", birthdate="1980-01-01", role="reviewer")
    case = review.open_case(store, clip_id, Verdict("review", {"hate": 0.5}, ["?"], [], {}, ["hate"]), actor="rev")
    assert review.get_case(store, case, reviewer="rev")["evidence"]["author_band"] == "teen"


def test_an_unconfirmed_birthdate_gets_teen_protections_until_confirmed(store):
    store.create_user("maybe", birthdate="1970-06-01", birthdate_confirmed=False)  # an adult date nobody confirmed
    sign_up(store, "ada", birthdate="1985-03-04", role="admin")
    sign_up(store, "bob", birthdate="1986-03-04")
    assert protection_band(store, "maybe") == "teen"
    with pytest.raises(PermissionError, match="under 18"):
        tiny_cameo(store, "maybe", "maybemug", audience="everyone")
    cid = tiny_cameo(store, "maybe", "maybemug")
    with store.transaction() as con:  # forced open: the minor rule still keeps it approved-only
        con.execute("UPDATE cameos SET audience = 'everyone' WHERE cameo_id = ?", [cid])
    assert not cameo.can_use(store, cid, "bob")
    with pytest.raises(PermissionError, match="only @maybe"):
        confirm_birthdate(store, "maybe", "1970-06-01", by="bob")
    with pytest.raises(PermissionError, match="13 and older"):
        confirm_birthdate(store, "maybe", years_before(10, dt.date.today()), by="maybe")
    assert protection_band(store, "maybe") == "teen"  # a refused confirmation confirms nothing
    assert confirm_birthdate(store, "maybe", "1970-06-01", by="maybe") == "adult"
    assert protection_band(store, "maybe") == "adult" and cameo.can_use(store, cid, "bob")
    assert confirm_birthdate(store, "bob", years_before(16, dt.date.today()), by="ada") == "teen"  # an admin may
    actions = list(store.sql("SELECT action FROM audit_log WHERE action LIKE 'user.birthdate%' ORDER BY seq").action)
    assert actions == ["user.birthdate_refused", "user.birthdate_confirmed", "user.birthdate_confirmed"]


def test_an_existing_store_flags_placeholder_users_on_migration(tmp_path):
    """A home from before migration 005: the ensure_user visitors (1990-01-01) become unconfirmed teens."""
    home = tmp_path / "old"
    (home / "media").mkdir(parents=True)
    con = duckdb.connect(str(home / Store.DB_NAME))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, "
                "applied_at TIMESTAMP DEFAULT current_timestamp)")
    for version, name, sql in Store.migrations():
        if version < 5:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    con.execute("INSERT INTO users (handle, birthdate, role) VALUES ('visitor', DATE '1990-01-01', 'creator'), "
                "('ada', DATE '1985-03-04', 'admin')")
    con.execute("INSERT INTO clips (clip_id, owner, status) VALUES ('gone', 'ada', 'removed'), ('ok', 'ada', 'published')")
    con.close()
    store = open_store(home)
    assert store.schema_version() >= 5
    assert store.get_user("visitor")["birthdate_confirmed"] is False
    assert store.get_user("ada")["birthdate_confirmed"] is True
    assert protection_band(store, "visitor") == "teen" and protection_band(store, "ada") == "adult"
    with pytest.raises(PermissionError, match="under 18"):
        tiny_cameo(store, "visitor", "visitormug", audience="everyone")
    # Clips removed before take-downs were rows stay removed: each got one standing take-down.
    assert list(store.sql("SELECT clip_id FROM takedowns WHERE lifted_at IS NULL").clip_id) == ["gone"]
