-- Authorization rules (doc/policies.md) and the counter that tells the
-- workers' caches that they changed.
--
-- rule holds the whole rule as the admin API spells it, without its id
-- (JSON text written by policy_rule_to_json, read back with
-- policy_rule_from_json_text).
-- name and cluster_id repeat what the database itself must enforce: unique
-- names (byte for byte: VARBINARY), and no cluster deleted while a rule
-- names it (RESTRICT; the API answers 409).
CREATE TABLE policies (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARBINARY(253) NOT NULL,
  cluster_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  rule MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY policies_name (name),
  KEY policies_cluster (cluster_id),
  CONSTRAINT policies_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id)
    ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Change counters, one row per cached thing. Every change of policies (and
-- every deletion of a cluster) adds one to 'policies' in the same
-- transaction; workers compare it with the value their compiled rules were
-- built from, at most every authorization.refresh. Hosts sharing the
-- database thereby notice each other's changes.
CREATE TABLE generations (
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  generation BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO generations (name, generation) VALUES ('policies', 1);
