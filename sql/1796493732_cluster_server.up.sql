-- What a user's kubeconfig needs to reach a cluster (GET /me/kubeconfig):
-- its API server's URL (https://) and the CA certificates that sign that
-- server's certificate (base64 of PEM, as a kubeconfig's
-- certificate-authority-data holds them). NULL = not set.
-- Nullable columns with no default: the previous release neither names
-- nor needs them, so hosts can be upgraded one by one.
ALTER TABLE clusters
  ADD COLUMN server VARCHAR(2048) NULL,
  ADD COLUMN certificate_authority_data MEDIUMTEXT NULL;
