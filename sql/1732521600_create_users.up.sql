-- Local users: an id and the identity backend's name for the user (the LDAP
-- id_attribute value). Nothing else about a user is kept here.
-- username is VARBINARY: compared byte for byte ('Alice' <> 'alice',
-- 'a' <> 'a '), which utf8mb4_bin (a PAD SPACE collation) would not give.
-- The service only ever stores valid UTF-8 in it.
CREATE TABLE users (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  username VARBINARY(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY users_username (username),
  KEY users_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
