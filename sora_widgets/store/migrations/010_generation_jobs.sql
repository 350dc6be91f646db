-- The generation service's jobs (issue 19): one row per generate() call that went through the
-- service (SORA_WIDGETS_RAY set), with its state and timings, so no job is lost silently and an
-- analyst can query queue times:
--   SELECT user_handle, quantile_cont(queue_s, 0.95) FROM generation_jobs GROUP BY ALL;
-- Written by sora_widgets.service.jobs_log (the caller's kernel; the scheduler for a caller that went away).
CREATE TABLE IF NOT EXISTS generation_jobs (
    job_id        TEXT PRIMARY KEY,
    user_handle   TEXT NOT NULL,
    engine        TEXT NOT NULL,
    model         TEXT,                      -- the model option, if any (a folder or repo id)
    prompt        TEXT,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts      INTEGER DEFAULT 0,         -- workers it was started on (2: its first worker died)
    worker        TEXT,                      -- the worker that ran it last
    node          TEXT,                      -- that worker's Ray node id
    error         TEXT,                      -- why it failed or was cancelled
    submitted_at  TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    queue_s       DOUBLE,                    -- seconds from submitted to first started on a worker
    run_s         DOUBLE                     -- seconds from last started to finished
);
