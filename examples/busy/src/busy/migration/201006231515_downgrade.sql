-- Reverts 201006231515_create_users.sql.
DROP TABLE users;
