"""Provenance signing, registry and checking (issue 16 items 3-6): every published clip is marked, signed
with C2PA and registered, and ``provenance.check`` grades a file found elsewhere.

Real parts throughout: sim-engine clips published through ``publishing.publish``, c2pa-python reading
and signing offline, ffmpeg (Debian's) for the files people make of our clips.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sora_widgets as sw
from sora_widgets import provenance
from sora_widgets.provenance import mark_id, registry, signing, stamp
from sora_widgets.publishing import generate_checked, publish
from sora_widgets.social.accounts import sign_up

FFMPEG = shutil.which("ffmpeg")
CLIP = dict(engine="sim", duration=4.0, fps=24, width=256, height=256)


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-y", "-loglevel", "error", *args], check=True)


def boxes(data: bytes):
    """(offset, size, type) of an MP4's top-level boxes."""
    i = 0
    while i < len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        if size == 1:
            size = struct.unpack(">Q", data[i + 8:i + 16])[0]
        size = size or len(data) - i
        yield i, size, kind.decode("latin1")
        i += size


def stored_path(store, clip_id) -> Path:
    return store.media_path(store.clip_info(clip_id)["media_hash"])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A store with two published originals (A, B) by alice and bob, and carol's remix of A."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is missing")
    home = tmp_path_factory.mktemp("prov-home")
    store = sw.open_store(home)
    for handle in ("alice", "bob", "carol"):
        sign_up(store, handle, birthdate="1990-01-01")
    a = publish(store, generate_checked(store, "a red ball bounces on a wooden floor", user="alice", seed=11,
                                        **CLIP), user="alice")
    b = publish(store, generate_checked(store, "a blue cube slides across the ice and a dog barks", user="bob",
                                        seed=12, **CLIP), user="bob")
    remix = publish(store, generate_checked(store, "a green ball bounces on a wooden floor", user="carol", seed=13,
                                            **CLIP), user="carol", parent_id=a.clip_id)
    work = tmp_path_factory.mktemp("prov-files")
    return {"store": store, "a": a.clip_id, "b": b.clip_id, "remix": remix.clip_id, "work": work}


# ------------------------------------------------------------------ signing and the registry
@pytest.mark.slow
def test_a_published_clip_is_marked_signed_and_registered(made):
    store, a = made["store"], made["a"]
    entry = registry.by_clip(store, a)
    info = store.clip_info(a)
    assert entry.file_sha256 == info["media_hash"] and entry.creator == "alice"
    assert info["meta"]["provenance"]["mark_id"] == entry.mark_id
    data = stored_path(store, a).read_bytes()
    reading = signing.read_manifest(data, signing.identity(store.home).trust_pem)
    assert reading.state == "Trusted" and not reading.failures
    labels = {x["label"]: x["data"] for x in reading.manifest["assertions"]}
    created = labels["c2pa.actions.v2"]["actions"][0]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == stamp.DIGITAL_SOURCE_TYPE
    assert created["parameters"]["engine"] == "sim" and len(created["parameters"]["recipe_sha256"]) == 64
    assert labels["c2pa.soft-binding"]["blocks"][0]["value"] == f"{entry.mark_id:012x}"
    assert labels[stamp.CLIP_ASSERTION]["clip_id"] == a
    # The marks are in the file itself: both invisible marks read back the registered id.
    from sora_widgets.provenance import picture_mark, sound_mark

    clip = sw.Clip.load(stored_path(store, a))
    assert picture_mark.detect(clip.frames).payload == entry.mark_id
    assert sound_mark.detect(clip.audio, clip.sample_rate).payload == entry.mark_id
    assert registry.fingerprints_of(store, a).seconds == 4
    assert registry.by_mark_id(store, entry.mark_id)[0].clip_id == a


@pytest.mark.slow
def test_a_remix_carries_its_parent_as_an_ingredient_and_its_lineage(made):
    store = made["store"]
    report = provenance.check(stored_path(store, made["remix"]), store=store)
    assert report.verdict == "intact" and report.creator == "carol"
    ingredients = report.manifest["ingredients"]
    assert [i["relationship"] for i in ingredients] == ["parentOf"]
    assert ingredients[0]["title"] == f"sora-widgets clip {made['a']}"
    assert ingredients[0]["validation_results"]["activeManifest"]["failure"] == []  # the parent's own manifest
    assert [x["clip_id"] for x in report.lineage] == [made["a"]]


def test_publish_marks_a_clip_that_was_not_marked(store, test_engines):
    sign_up(store, "dora", birthdate="1990-01-01")
    clip = sw.generate("square", engine="test-square", duration=2.0, fps=12, width=128, height=128)
    assert not stamp.is_marked(clip)
    res = publish(store, clip, user="dora", status="draft")
    assert stamp.is_marked(clip) and clip.meta["provenance"]["creator"] == "dora"
    entry = registry.by_clip(store, res.clip_id)
    assert entry.mark_id == clip.meta["provenance"]["mark_id"]
    # Drafts carry the marks too (docs/provenance.md): the stored file reads back as ours and intact.
    assert provenance.check(stored_path(store, res.clip_id), store=store).verdict == "intact"


def test_a_clip_edited_after_marking_is_marked_again(store, test_engines):
    sign_up(store, "dora", birthdate="1990-01-01")
    clip = generate_checked(store, "square", user="dora", engine="test-square", duration=1.0, fps=12,
                            width=64, height=64)
    first = clip.meta["provenance"]["mark_id"]
    assert stamp.is_marked(clip)
    clip.frames = np.full_like(clip.frames, 90)  # replaced after marking: the marks are gone
    assert not stamp.is_marked(clip)
    publish(store, clip, user="dora", status="draft")
    assert stamp.is_marked(clip) and clip.meta["provenance"]["mark_id"] != first


def test_private_keys_are_mode_0600_and_the_chain_is_made_once(tmp_path):
    first = signing.identity(tmp_path)
    folder = tmp_path / "provenance"
    for name in ("root.key", "signer.key"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    again = signing.identity(tmp_path)
    assert again.chain_pem == first.chain_pem and again.source == "generated"
    assert first.not_after - dt.datetime.now(dt.UTC) > dt.timedelta(days=signing.SIGNER_DAYS - 2)
    os.chmod(folder / "signer.key", 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        signing.identity(tmp_path)


def test_the_signer_is_renewed_from_the_root_before_it_expires(tmp_path):
    first = signing.identity(tmp_path)
    later = first.not_after - dt.timedelta(days=signing.RENEW_BEFORE_DAYS - 1)
    renewed = signing.identity(tmp_path, now=later)
    assert renewed.chain_pem != first.chain_pem and renewed.trust_pem == first.trust_pem
    assert renewed.not_after > first.not_after


def _org_chain(tmp_path: Path, *, self_signed: bool = False) -> tuple[Path, Path, Path]:
    """An organisation's CA and signer, made as a CA would (PEM files; key mode 0600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = signing._root_certificate(root_key, now)
    key = ec.generate_private_key(ec.SECP384R1())
    cert = root if self_signed else signing._signer_certificate(key, root, root_key, now)
    pem = serialization.Encoding.PEM
    chain, key_file, trust = tmp_path / "org-chain.pem", tmp_path / "org.key", tmp_path / "org-root.pem"
    chain.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(signing._pkcs8(root_key if self_signed else key))
    key_file.chmod(0o600)
    trust.write_bytes(root.public_bytes(pem))
    return chain, key_file, trust


def test_an_organisation_certificate_from_the_environment_signs_and_is_trusted(tmp_path, monkeypatch):
    chain, key, trust = _org_chain(tmp_path)
    home = tmp_path / "home"
    src = tmp_path / "t.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=128x128:rate=12:duration=1", "-pix_fmt", "yuv420p", str(src))
    manifest = {"claim_generator_info": [{"name": "t"}], "assertions": [{"label": "c2pa.actions", "data": {
        "actions": [{"action": "c2pa.created", "digitalSourceType": stamp.DIGITAL_SOURCE_TYPE}]}}]}
    before, _ = signing.sign_mp4(signing.identity(home), src.read_bytes(), manifest)  # signed before the switch
    elsewhere = signing.identity(tmp_path / "elsewhere").trust_pem  # another installation's roots
    monkeypatch.setenv(signing.ENV_CERT, str(chain))
    monkeypatch.setenv(signing.ENV_KEY, str(key))
    monkeypatch.setenv(signing.ENV_TRUST, str(trust))
    ident = signing.identity(home)
    assert ident.source == "organisation" and ident.alg == "es384"
    signed, _ = signing.sign_mp4(ident, src.read_bytes(), manifest)
    reading = signing.read_manifest(signed, ident.trust_pem)
    assert reading.state == "Trusted" and reading.manifest["signature_info"]["alg"].lower() == "es384"
    assert signing.read_manifest(before, ident.trust_pem).state == "Trusted"  # the generated root stays an anchor
    assert signing.read_manifest(signed, elsewhere).state != "Trusted"


def test_a_self_signed_organisation_certificate_is_refused_in_words(tmp_path, monkeypatch):
    chain, key, trust = _org_chain(tmp_path, self_signed=True)
    monkeypatch.setenv(signing.ENV_CERT, str(chain))
    monkeypatch.setenv(signing.ENV_KEY, str(key))
    with pytest.raises(ValueError, match="digitalSignature|self-signed"):
        signing.identity(tmp_path / "home")


def test_a_cameo_assertion_never_names_a_minor(store):
    sign_up(store, "ana", birthdate="1990-01-01")
    sign_up(store, "tess", birthdate=(dt.date.today() - dt.timedelta(days=15 * 365)).isoformat())
    with store.transaction() as con:
        for cameo_id, owner, kind in (("cam_a", "ana", "person"), ("cam_t", "tess", "person")):
            con.execute("INSERT INTO cameos (cameo_id, owner, kind, name) VALUES (?, ?, ?, ?)",
                        [cameo_id, owner, kind, f"{owner}cam"])
    meta = {"engine": "sim", "recipe": {"cameo_ids": ["cam_a", "cam_t"]},
            "provenance": {"mark_id": mark_id.new_mark_id(), "creator": "ana"}}
    definition = stamp.manifest_definition(store, meta, clip_id="c1")
    cameo = next(a for a in definition["assertions"] if a["label"] == stamp.CAMEO_ASSERTION)["data"]
    assert sorted((u["owner"] or "") for u in cameo["uses"]) == ["", "@ana"]
    text = str(definition)
    assert "tess" not in text  # neither the teen's handle nor her cameo's name


def test_nearest_finds_a_noisy_copy_among_many_by_its_bands(store):
    from sora_widgets.provenance.fingerprint import Fingerprints

    rng = np.random.default_rng(5)
    n_clips, seconds = 300, 6
    pictures = rng.integers(0, 2**63, (n_clips, seconds), dtype=np.int64).astype(np.uint64)
    with store.transaction() as con:
        for i in range(n_clips):
            fp = Fingerprints(pictures[i], np.zeros(seconds, np.uint64), np.zeros(seconds, bool))
            registry.record(con, clip_id=f"c{i}", mark_id=i + 1, creator="x", file_sha256=f"f{i}",
                            content_sha256=f"g{i}", manifest={}, manifest_store=b"", signer="s", fingerprints=fp)
    noisy = pictures[123].copy()
    for s in range(seconds):  # 8 bits flipped per second (a 10 % crop moves pHash by about this much)
        for bit in rng.choice(64, 8, replace=False):
            noisy[s] ^= np.uint64(1) << np.uint64(int(bit))
    found = registry.nearest(store, Fingerprints(noisy, np.zeros(seconds, np.uint64), np.zeros(seconds, bool)))
    assert [f.entry.clip_id for f in found][:1] == ["c123"] and found[0].match.picture_bits == 8
    unrelated = rng.integers(0, 2**63, seconds, dtype=np.int64).astype(np.uint64)
    assert registry.nearest(store, Fingerprints(unrelated, np.zeros(seconds, np.uint64),
                                                np.zeros(seconds, bool))) == []


# ------------------------------------------------------------------ the graded verdicts
@pytest.mark.slow
def test_the_signed_original_is_intact(made):
    store, a = made["store"], made["a"]
    report = provenance.check(stored_path(store, a), store=store)
    assert report.verdict == "intact" and report.clip_id == a and report.creator == "alice"
    assert report.manifest_state == "Trusted" and report.made_here


@pytest.mark.slow
def test_a_flipped_byte_is_modified(made):
    store, a, work = made["store"], made["a"], made["work"]
    data = bytearray(stored_path(store, a).read_bytes())
    offset, size, _ = next(b for b in boxes(bytes(data)) if b[2] == "mdat")
    data[offset + size // 2] ^= 0x01
    (work / "flipped.mp4").write_bytes(bytes(data))
    report = provenance.check(work / "flipped.mp4", store=store)
    assert report.verdict == "modified" and report.clip_id == a
    assert report.manifest_state == "Invalid"
    assert any("bytes changed" in line for line in report.evidence + report.changes)


@pytest.mark.slow
def test_a_replaced_audio_track_is_modified(made):
    store, a, b, work = made["store"], made["a"], made["b"], made["work"]
    out = work / "dubbed.mp4"
    ffmpeg("-i", str(stored_path(store, a)), "-i", str(stored_path(store, b)), "-map", "0:v", "-map", "1:a",
           "-c", "copy", str(out))
    report = provenance.check(out, store=store)
    assert report.verdict == "modified" and report.clip_id == a
    assert any("soundtrack was replaced" in c for c in report.changes), report.to_text()


@pytest.mark.slow
def test_frames_spliced_from_another_clip_are_modified(made):
    store, a, b, work = made["store"], made["a"], made["b"], made["work"]
    original, other = sw.Clip.load(stored_path(store, a)), sw.Clip.load(stored_path(store, b))
    frames = original.frames.copy()
    frames[24:48] = other.frames[24:48]  # the second second is bob's clip
    spliced = sw.Clip(frames, original.audio, original.fps, original.sample_rate, {})
    spliced.save(work / "spliced.mp4")
    report = provenance.check(work / "spliced.mp4", store=store)
    assert report.verdict == "modified" and report.clip_id == a
    assert any("spliced" in c and "1-2 s" in c for c in report.changes), report.to_text()


@pytest.mark.slow
def test_a_manifest_copied_onto_another_video_is_invalid(made):
    store, a, work = made["store"], made["a"], made["work"]
    signed = stored_path(store, a).read_bytes()
    uuid = next(signed[o:o + s] for o, s, kind in boxes(signed) if kind == "uuid")
    other = work / "other.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=256x256:rate=24:duration=4", "-f", "lavfi", "-i",
           "sine=frequency=300:duration=4", "-pix_fmt", "yuv420p", "-c:a", "aac", str(other))
    (work / "forged.mp4").write_bytes(other.read_bytes() + uuid)
    report = provenance.check(work / "forged.mp4", store=store)
    assert report.verdict == "invalid" and not report.made_here
    assert report.manifest_state == "Invalid" and report.clip_id is None


@pytest.mark.slow
@pytest.mark.parametrize("how", ["plain remux", "map_metadata -1"])
def test_a_stripped_manifest_is_traced_by_the_watermark(made, how):
    store, a, work = made["store"], made["a"], made["work"]
    out = work / f"stripped-{how.split()[0]}.mp4"
    extra = ["-map_metadata", "-1"] if "metadata" in how else []
    ffmpeg("-i", str(stored_path(store, a)), "-c", "copy", *extra, str(out))
    assert b"c2pa" not in out.read_bytes()[:4096]
    report = provenance.check(out, store=store)
    assert report.verdict == "stripped", report.to_text()
    assert (report.clip_id, report.creator) == (a, "alice") and report.created_at
    assert report.manifest["signature_info"]  # the original manifest, recovered from the registry
    assert any("picture mark" in e and "confidence" in e for e in report.evidence)


@pytest.mark.slow
def test_a_stripped_remix_is_traced_with_its_lineage(made):
    store, work = made["store"], made["work"]
    out = work / "remix-stripped.mp4"
    ffmpeg("-i", str(stored_path(store, made["remix"])), "-c", "copy", "-map_metadata", "-1", str(out))
    report = provenance.check(out, store=store)
    assert report.verdict == "stripped" and report.creator == "carol"
    assert [x["clip_id"] for x in report.lineage] == [made["a"]]


@pytest.mark.slow
def test_a_re_encoded_copy_is_made_here(made):
    store, a, work = made["store"], made["a"], made["work"]
    out = work / "reencoded.mp4"
    ffmpeg("-i", str(stored_path(store, a)), "-c:v", "libx264", "-crf", "28", "-c:a", "aac", "-b:a", "64k",
           str(out))
    report = provenance.check(out, store=store)
    assert report.made_here and report.clip_id == a and report.verdict in ("stripped", "copy"), report.to_text()


@pytest.mark.slow
def test_a_copy_without_marks_is_found_by_its_fingerprints(made):
    store, a, work = made["store"], made["a"], made["work"]
    out = work / "tiny.mp4"  # a quarter of the size and no sound: the marks do not survive, the pictures do
    ffmpeg("-i", str(stored_path(store, a)), "-vf", "scale=64:64", "-an", "-c:v", "libx264", "-crf", "30", str(out))
    report = provenance.check(out, store=store)
    assert report.made_here and report.clip_id == a, report.to_text()
    assert report.verdict in ("copy", "stripped", "modified")


@pytest.mark.slow
def test_an_unrelated_video_has_no_evidence(made):
    store, work = made["store"], made["work"]
    out = work / "testsrc.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=256x256:rate=24:duration=4", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=4", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out))
    report = provenance.check(out, store=store)
    assert report.verdict == "none" and not report.made_here and report.clip_id is None


def test_a_file_that_is_not_a_video_has_no_evidence(store, tmp_path):
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"hello, this is not a video" * 100)
    report = provenance.check(junk, store=store)
    assert report.verdict == "none" and any("could not be read" in e for e in report.evidence)
    with pytest.raises(sw.MediaError, match="no such file"):
        provenance.check(tmp_path / "missing.mp4", store=store)


@pytest.mark.slow
def test_the_cli_prints_the_verdict(made):
    store, a = made["store"], made["a"]
    from sora_widgets.cli import main

    env = os.environ.get("SORA_WIDGETS_HOME")
    os.environ["SORA_WIDGETS_HOME"] = str(store.home)
    try:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = main(["check", str(stored_path(store, a))])
    finally:
        if env is None:
            os.environ.pop("SORA_WIDGETS_HOME")
        else:
            os.environ["SORA_WIDGETS_HOME"] = env
    assert rc == 0 and "signed here and intact" in out.getvalue() and a in out.getvalue()


@pytest.mark.slow
def test_the_studio_download_is_the_signed_marked_file(made):
    store, a = made["store"], made["a"]
    data, name = stamp.export(store, a, user="bob")
    assert data == stored_path(store, a).read_bytes() and name.endswith(".mp4")
    draft = publish(store, generate_checked(store, "a yellow ball rolls", user="alice", seed=5, duration=2.0,
                                            fps=12, width=128, height=128), user="alice", status="draft")
    with pytest.raises(PermissionError):
        stamp.export(store, draft.clip_id, user="bob")  # someone else's draft
    assert stamp.export(store, draft.clip_id, user="alice")[0] == stored_path(store, draft.clip_id).read_bytes()


def test_the_studio_offers_the_signed_file_once_saved(store, test_engines):
    import base64
    import re

    from conftest import wait_until

    from sora_widgets.widgets.studio_history import HistoryEntry
    from sora_widgets.widgets.studio_publish import PublishPanel

    sign_up(store, "dora", birthdate="1990-01-01")
    clip = generate_checked(store, "square", user="dora", engine="test-square", duration=1.0, fps=12,
                            width=64, height=64)
    panel = PublishPanel(store, "dora")
    panel.show(HistoryEntry(clip, {}, 0.0))
    panel.publish("draft", wait=True)
    assert wait_until(lambda: "sw-download-link" in panel.download.value, 30)
    data = base64.b64decode(re.search(r"base64,([^']+)'", panel.download.value).group(1))
    clip_id = clip.meta["clip_id"]
    assert data == stored_path(store, clip_id).read_bytes()
    assert provenance.check(data, store=store).verdict == "intact"
