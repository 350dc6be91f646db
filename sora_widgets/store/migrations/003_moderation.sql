-- 003: what the moderation service and the review queue need beyond 001.
-- Verdicts remember who asked and what was checked; cases carry their evidence,
-- why they were opened, the claim's start, the last decision and the creator's appeal.

ALTER TABLE moderation_verdicts ADD COLUMN user_handle TEXT;      -- who submitted the prompt / clip
ALTER TABLE moderation_verdicts ADD COLUMN subject TEXT;          -- the prompt text (NULL for clips)
ALTER TABLE moderation_verdicts ADD COLUMN flagged JSON;          -- categories at or above review

ALTER TABLE review_cases ADD COLUMN owner TEXT;                   -- the clip's author (the one who may appeal)
ALTER TABLE review_cases ADD COLUMN evidence JSON;                -- the verdict: scores, reasons, spans, frames, transcript
ALTER TABLE review_cases ADD COLUMN reason TEXT;                  -- why it was opened, readable
ALTER TABLE review_cases ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE review_cases ADD COLUMN last_decision TEXT;           -- approve | remove | escalate
ALTER TABLE review_cases ADD COLUMN decided_by TEXT;
ALTER TABLE review_cases ADD COLUMN appeal_reason TEXT;
ALTER TABLE review_cases ADD COLUMN appealed_at TIMESTAMP;
ALTER TABLE review_cases ADD COLUMN requested_status TEXT;        -- what the author asked for: published | draft
