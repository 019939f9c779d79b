-- The canonical schema: what running every script in busy/migration produces.
-- `migrate development.ini setup` installs it at once on a new database.
CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(100)
);

CREATE TABLE tasks (
    id INTEGER NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title VARCHAR(200) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'open'
);
CREATE INDEX ix_tasks_user_id ON tasks (user_id);

CREATE TABLE tags (
    id INTEGER NOT NULL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    label VARCHAR(50) NOT NULL,
    note TEXT
);
