-- Hand-written: routines, blocks and rules.
CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql IMMUTABLE
RETURN x + 1;

CREATE FUNCTION tagged() RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  s text := $$inner; dollar$$;
BEGIN
  s := s || 'a '';'' quote';
  PERFORM 1; -- a comment; inside
  /* nested /* comment; */ here */
  RETURN s;
END;
$fn$;

CREATE OR REPLACE FUNCTION atomic_body(a int, b int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a > b THEN a ELSE b END;
  SELECT 1 + CASE a WHEN 0 THEN 1 ELSE 2 END;
END;

CREATE PROCEDURE atomic_proc(x int)
LANGUAGE sql
begin atomic
  insert into "odd;log" values (x, 'a;b');
  update "odd;log" set v = 'end;' where x = x;
end;

CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  NEW.updated := now();
  RETURN NEW;
END
$$;

DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT 1 AS a LOOP
    RAISE NOTICE 'row %; done', r.a;
  END LOOP;
  BEGIN
    PERFORM 1/0;
  EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'caught;';
  END;
END
$$;

DO LANGUAGE plpgsql $do$ BEGIN EXECUTE $q$SELECT ';'$q$; END $do$;

CREATE RULE log_insert AS ON INSERT TO items DO ALSO (
  INSERT INTO audit VALUES (NEW.id, 'insert;');
  UPDATE counters SET n = n + 1 WHERE name = 'items'
);

CREATE RULE no_delete AS ON DELETE TO items DO INSTEAD NOTHING;

CREATE OR REPLACE RULE "rule;name" AS ON UPDATE TO items
  WHERE NEW.id <> OLD.id
  DO INSTEAD (SELECT 1; SELECT 2);

BEGIN;
CREATE TABLE t_in_tx (id int);
COMMIT;
START TRANSACTION ISOLATION LEVEL SERIALIZABLE;
END;

CREATE FUNCTION plain_sql_body() RETURNS int LANGUAGE sql AS 'SELECT 1; SELECT 2';
CREATE TRIGGER t_trg BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION trg();
CREATE FUNCTION begin_in_name(begin_at int, "end" int) RETURNS int LANGUAGE sql RETURN begin_at + "end";
