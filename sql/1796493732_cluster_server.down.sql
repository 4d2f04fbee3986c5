ALTER TABLE clusters
  DROP COLUMN certificate_authority_data,
  DROP COLUMN server;
