-- The clusters a scoped token (tokens.scoped) is valid for. A cluster named
-- by a live token cannot be deleted (RESTRICT; the API answers 409); rows of
-- revoked tokens are removed with the cluster.
CREATE TABLE token_clusters (
  token_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  cluster_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (token_id, cluster_id),
  KEY token_clusters_cluster (cluster_id),
  CONSTRAINT token_clusters_token_fk FOREIGN KEY (token_id) REFERENCES tokens (id)
    ON DELETE CASCADE,
  CONSTRAINT token_clusters_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id)
    ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
