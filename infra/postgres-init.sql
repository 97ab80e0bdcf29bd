-- Run once by the postgres image on an empty data directory: Prefect's own database beside
-- ocrflow's (POSTGRES_DB), both owned by the ocrflow user.
CREATE DATABASE prefect OWNER ocrflow;
