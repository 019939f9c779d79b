-- Hand-written: every way PostgreSQL hides a semicolon from the splitter.
/* A block comment /* with a nested one; */ and a semicolon after it; */
SET standard_conforming_strings = on;

CREATE TABLE "odd;name" ("col;umn" text, "say ""hi;""" int, plain text);
INSERT INTO "odd;name" VALUES ('it''s; quoted', 1, 'C:\temp\');
INSERT INTO "odd;name" VALUES (E'escaped \' quote; still inside', 2, e'back\\slash\\');
INSERT INTO "odd;name" VALUES (E'tab\there\n', 3, U&'d\0061t\+000061;');
SELECT 'one' -- a comment; with a semicolon
  'continued on the next line;';
SELECT B'1010', X'1F', 5 # 3, 4 / 2, -1 - -1, 7 % 3;
SELECT /* inline; */ 1 /* a /* b /* c; */ */ */ + 2;
SELECT $$dollar; quoted$$, $tag$ a $$ b ; c $tag$, $_1$;$_1$;
SELECT '{"a;": [1, 2]}'::jsonb ->> 'a;', ARRAY['x;y', 'z'];
SELECT "odd;name"."col;umn" FROM "odd;name" WHERE plain LIKE '%;%';
PREPARE q(int, text) AS SELECT $1, $2 || ';';
EXECUTE q(1, 'x');
DEALLOCATE q;
SELECT 1
-- a comment as the last thing before the semicolon;
;
/* a comment-only statement */ ;
SELECT 'multi
line; string', $x$
and a multi-line
dollar quote; $x$;
SELECT date '2020-01-01', interval '1 day;';
