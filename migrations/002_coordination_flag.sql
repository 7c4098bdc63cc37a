-- The coordination on/off flag always exists, so the assignment transaction can lock it
-- (FOR SHARE) and a concurrent stop is strictly ordered before or after a pass.
INSERT INTO coordinator_state (key, value) VALUES ('coordination_running', 'true'::jsonb)
ON CONFLICT (key) DO NOTHING;
