-- The user's stored id (users.username) on each token row, so that the
-- lookup every TokenReview makes reads one row of one table: the join with
-- users cost MariaDB a second index dive per review. users.username never
-- changes, so the copy cannot go stale; a user's deletion takes its tokens
-- (ON DELETE CASCADE). NULL on rows the previous release writes during a
-- rolling upgrade: the service then asks users for it.
ALTER TABLE tokens ADD COLUMN username VARBINARY(255) NULL AFTER user_id;
UPDATE tokens t JOIN users u ON u.id = t.user_id SET t.username = u.username;
