-- 012: a person cameo's face descriptor, kept with the cameo (issue 13 item 5).
-- Publish compares every face in a clip with these (sora_widgets.cameo.recognise): a stored cameo's face
-- shown without a recorded cameo.use refuses the clip. Written when a person cameo is created; cameos made
-- before this migration are enrolled from their stored source clip the first time a publish needs them.
-- Deleted with the cameo (biometric data). Numbered 012, not 011: another change of the same session may take 011.
CREATE TABLE IF NOT EXISTS cameo_faces (
    cameo_id    TEXT PRIMARY KEY,
    embedding   BLOB,                       -- 128 float32, little-endian; NULL: the source clip showed no face
    model       TEXT NOT NULL,              -- the network that made it (recognise.MODEL_NAME)
    computed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
