-- A plain SQL script: its statements run in one transaction with its tracking row.
CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE
);

INSERT INTO users (id, email) VALUES (1, 'admin@busy.example');
