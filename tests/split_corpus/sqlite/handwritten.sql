-- Hand-written: SQLite statements the splitter must keep whole.
PRAGMA foreign_keys = ON;
CREATE TABLE "odd;name" ([col;umn] TEXT, `back;tick` INT, note TEXT DEFAULT 'x;y');
CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT, "end" INT);
INSERT INTO "odd;name" VALUES ('it''s; fine', 1, 'C:\temp\'), ("a", 2, '/* not a comment; */');
/* a block comment; with a semicolon */
SELECT 1 -- a dash comment; too
  + 2;
CREATE TRIGGER odd_insert AFTER INSERT ON "odd;name"
WHEN new.[col;umn] <> 'skip;'
BEGIN
  INSERT INTO log (what, "end") VALUES ('insert; ' || new.note, 1);
  UPDATE log SET "end" = CASE WHEN "end" > 0 THEN 2 ELSE 0 END WHERE id = last_insert_rowid();
  DELETE FROM log WHERE what = 'END;';
END;
CREATE TEMP TRIGGER IF NOT EXISTS log_guard BEFORE DELETE ON log
BEGIN
  SELECT RAISE(ABORT, 'no; deleting') WHERE old."end" = 9;
END;
CREATE VIEW v AS SELECT [col;umn] AS "c;1", `back;tick` FROM "odd;name";
BEGIN TRANSACTION;
INSERT INTO "odd;name" VALUES ('x', 3, NULL);
COMMIT;
SELECT * FROM v -- the last statement has no semicolon
