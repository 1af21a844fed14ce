-- Momentum: the Aurora PostgreSQL schema (PostgreSQL 15 compatible).
-- Never edit this file once it has shipped: add 0002_… instead (see migrations/README.md).

-- Users are created on their first authenticated request, keyed by their Cognito `sub`.
CREATE TABLE users (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    cognito_sub  text        NOT NULL UNIQUE,
    email        text,          -- Access tokens carry no email; filled from an ID token or the profile.
    name         text,
    role         text        NOT NULL DEFAULT 'free' CHECK (role IN ('admin', 'premium', 'free')),
    timezone     text        NOT NULL DEFAULT 'UTC',
    avatar_url   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE categories (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    slug         text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 64),
    description  text        NOT NULL DEFAULT '',
    icon_url     text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courses (
    id            uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    title         text          NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    description   text          NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    category_id   uuid          NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    duration_days integer       NOT NULL CHECK (duration_days BETWEEN 1 AND 365),
    -- Money is exact: numeric, never float.
    price         numeric(10,2) NOT NULL DEFAULT 0 CHECK (price >= 0),
    status        text          NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    -- Free-form extras (thumbnailUrl, level, instructor, …).
    metadata      jsonb         NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    -- Full-text search over title (weight A) and description (weight B).
    search        tsvector      GENERATED ALWAYS AS (
                      setweight(to_tsvector('english', title), 'A') ||
                      setweight(to_tsvector('english', description), 'B')
                  ) STORED
);
-- The catalog's keyset pagination walks (title, id) among published courses, optionally per category.
CREATE INDEX courses_catalog_idx          ON courses (status, title, id);
CREATE INDEX courses_category_catalog_idx ON courses (category_id, status, title, id);
CREATE INDEX courses_search_idx           ON courses USING gin (search);

CREATE TABLE lessons (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id    uuid        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    day          integer     NOT NULL CHECK (day >= 1),
    title        text        NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    content      text        NOT NULL DEFAULT '',
    video_url    text,
    action_items jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(action_items) = 'array'),
    resources    jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(resources) = 'array'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lessons_course_day_key UNIQUE (course_id, day)
);

CREATE TABLE payments (
    id                uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid          NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount            numeric(10,2) NOT NULL CHECK (amount >= 0),
    currency          char(3)       NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    stripe_payment_id text          UNIQUE,
    status            text          NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    metadata          jsonb         NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX payments_user_idx ON payments (user_id);

CREATE TABLE enrollments (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- RESTRICT: a course with learners is archived, never deleted (learners keep their progress).
    course_id              uuid        NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    enrolled_at            timestamptz NOT NULL DEFAULT now(),
    completed_at           timestamptz,
    payment_id             uuid        REFERENCES payments (id) ON DELETE SET NULL,
    stripe_subscription_id text,
    CONSTRAINT enrollments_user_course_key UNIQUE (user_id, course_id),
    CHECK (completed_at IS NULL OR completed_at >= enrolled_at)
);
CREATE INDEX enrollments_course_idx ON enrollments (course_id);

CREATE TABLE progress (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lesson_id          uuid        NOT NULL REFERENCES lessons (id) ON DELETE RESTRICT,
    completed          boolean     NOT NULL DEFAULT false,
    completed_at       timestamptz,
    time_spent_seconds integer     NOT NULL DEFAULT 0 CHECK (time_spent_seconds >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT progress_user_lesson_key UNIQUE (user_id, lesson_id),
    CHECK (completed = (completed_at IS NOT NULL))
);
CREATE INDEX progress_lesson_idx ON progress (lesson_id);
