-- Development users for the local stack, one per role. Tokens for them come from the local origin's Cognito
-- stand-in (`local-origin mint-token --user free|premium|admin`), whose table of these users
-- (local-origin/src/cognito/users.rs) must hold the same values: its unit test checks this file.
-- Idempotent: fixed ids and ON CONFLICT (id) DO NOTHING. Never applied in production.
--
-- Id patterns (all v4-shaped): users 40000000-0000-4000-8000-00000000000N, Cognito subs 5f0e1a2b-0000-4000-8000-00000000000N.

INSERT INTO users (id, cognito_sub, email, name, role, timezone) VALUES
    ('40000000-0000-4000-8000-000000000001', '5f0e1a2b-0000-4000-8000-000000000001', 'free.learner@momentum.example', 'Fran Free', 'free', 'UTC'),
    ('40000000-0000-4000-8000-000000000002', '5f0e1a2b-0000-4000-8000-000000000002', 'premium.learner@momentum.example', 'Priya Premium', 'premium', 'Pacific/Auckland'),
    ('40000000-0000-4000-8000-000000000003', '5f0e1a2b-0000-4000-8000-000000000003', 'admin@momentum.example', 'Ada Admin', 'admin', 'America/New_York')
ON CONFLICT (id) DO NOTHING;
