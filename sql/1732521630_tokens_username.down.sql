ALTER TABLE tokens DROP COLUMN username;
