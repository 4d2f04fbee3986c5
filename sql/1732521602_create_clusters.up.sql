-- Clusters whose API servers use this service. name appears in the webhook
-- paths (/authenticate/token/NAME, /authorize/NAME) and is compared byte
-- for byte. client_cn (NULL = none) binds those paths to a client
-- certificate with exactly that CN.
CREATE TABLE clusters (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARBINARY(255) NOT NULL,
  master VARCHAR(2048) NOT NULL DEFAULT '',
  node VARCHAR(2048) NOT NULL DEFAULT '',
  kubeconfig MEDIUMTEXT NOT NULL,
  client_cn VARCHAR(255) NULL,
  created DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY clusters_name (name),
  KEY clusters_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
