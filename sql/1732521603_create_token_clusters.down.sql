DROP TABLE token_clusters;
