-- Bearer tokens. The secret itself is never stored: token_hmac is
-- HMAC-SHA256(k_mac, token), the lookup key; token_enc (NULL with
-- tokens.reveal: false) is nonce || AES-256-GCM(k_enc, token, aad = id) || tag.
-- key_id names the key of tokens.key_file both were made with. All times UTC.
CREATE TABLE tokens (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_hmac BINARY(32) NOT NULL,
  token_enc VARBINARY(255) NULL,
  key_id INT UNSIGNED NOT NULL,
  description VARCHAR(1024) NOT NULL DEFAULT '',
  scoped BOOLEAN NOT NULL DEFAULT FALSE,
  expiry DATETIME(6) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY tokens_hmac (token_hmac),
  KEY tokens_user (user_id, created_at),
  KEY tokens_expiry (expiry),
  CONSTRAINT tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
