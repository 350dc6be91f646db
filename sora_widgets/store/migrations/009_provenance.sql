-- Provenance registry (issue 16): what the store knows about every MP4 it saved with marks and a
-- signed C2PA manifest, so a file found elsewhere can be traced back to its clip even when its
-- manifest was stripped or it was re-encoded (sora_widgets/provenance/registry.py reads and writes it).

CREATE TABLE provenance (
    clip_id        TEXT PRIMARY KEY,          -- clips.clip_id
    mark_id        UBIGINT NOT NULL,          -- 48-bit payload of the invisible marks (registry id + check code);
                                              -- the same marked content saved twice shares it
    creator        TEXT NOT NULL,             -- the handle the visible mark names
    file_sha256    TEXT NOT NULL,             -- the signed MP4 the store keeps and downloads give (clips.media_hash)
    content_sha256 TEXT NOT NULL,             -- the same MP4 before its manifest was embedded (what moderation checked)
    manifest       JSON NOT NULL,             -- the active manifest as a C2PA reader reports it
    manifest_store BLOB NOT NULL,             -- the signed manifest store (JUMBF) embedded in the file
    signer         TEXT NOT NULL,             -- the signing certificate's subject
    seconds        INTEGER NOT NULL,          -- whole seconds fingerprinted
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX provenance_mark ON provenance(mark_id);
CREATE INDEX provenance_file ON provenance(file_sha256);
CREATE INDEX provenance_content ON provenance(content_sha256);

-- One row per whole second: 64-bit perceptual hashes of the picture and the sound (sound_active false
-- where the second is silent).
CREATE TABLE provenance_fingerprints (
    clip_id      TEXT NOT NULL,
    second       INTEGER NOT NULL,
    picture      UBIGINT NOT NULL,
    sound        UBIGINT NOT NULL,
    sound_active BOOLEAN NOT NULL,
    PRIMARY KEY (clip_id, second)
);

-- The prefilter of the nearest-fingerprint search: each picture hash cut into four 16-bit bands,
-- band_key = band * 65536 + the band's bits. A copy keeps at least one band of most seconds intact, so
-- candidates are found by exact key lookups (an index) instead of comparing against every second stored.
CREATE TABLE provenance_bands (
    band_key UINTEGER NOT NULL,
    clip_id  TEXT NOT NULL,
    second   INTEGER NOT NULL
);
CREATE INDEX provenance_bands_key ON provenance_bands(band_key);
