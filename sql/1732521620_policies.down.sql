DROP TABLE policies;
DROP TABLE generations;
