-- AI generation jobs (issue 7): one row per job, written by the edge when an admin asks, updated by the
-- workflow (Step Functions, workflows/*.asl.json) as it works. The execution's status lives in Step Functions;
-- the row holds what the API shows beside it: progress, the result, the failure the workflow recorded.
CREATE TABLE generation_jobs (
    -- job-{kind}-{40 hex}: derived from the execution name, so a retried POST finds the same row.
    id             text        PRIMARY KEY CHECK (id ~ '^job-(course|video)-[0-9a-f]{40}$'),
    kind           text        NOT NULL CHECK (kind IN ('course', 'video')),
    execution_name text        NOT NULL UNIQUE CHECK (char_length(execution_name) BETWEEN 1 AND 80),
    requested_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    -- The canonical request (title, category, durationDays, targetAudience | lessonId, style).
    request        jsonb       NOT NULL CHECK (jsonb_typeof(request) = 'object'),
    -- Progress: lessons written (course jobs) or videos rendered (video jobs), of the total.
    steps_done     integer     NOT NULL DEFAULT 0 CHECK (steps_done >= 0),
    steps_total    integer     NOT NULL CHECK (steps_total >= 1),
    step_unit      text        NOT NULL CHECK (step_unit IN ('lessons', 'videos')),
    course_id      uuid        REFERENCES courses (id) ON DELETE SET NULL,
    lesson_id      uuid        REFERENCES lessons (id) ON DELETE SET NULL,
    error_code     text,
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX generation_jobs_requested_by_idx ON generation_jobs (requested_by);
