
-- source: PostgreSQL 15 share/extension/fuzzystrmatch--1.0--1.1.sql
/* contrib/fuzzystrmatch/fuzzystrmatch--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION


ALTER FUNCTION levenshtein(text, text) PARALLEL SAFE;
ALTER FUNCTION levenshtein(text, text, int, int, int) PARALLEL SAFE;
ALTER FUNCTION levenshtein_less_equal(text, text, int) PARALLEL SAFE;
ALTER FUNCTION levenshtein_less_equal(text, text, int, int, int, int) PARALLEL SAFE;
ALTER FUNCTION metaphone(text, int) PARALLEL SAFE;
ALTER FUNCTION soundex(text) PARALLEL SAFE;
ALTER FUNCTION text_soundex(text) PARALLEL SAFE;
ALTER FUNCTION difference(text, text) PARALLEL SAFE;
ALTER FUNCTION dmetaphone(text) PARALLEL SAFE;
ALTER FUNCTION dmetaphone_alt(text) PARALLEL SAFE;

-- source: PostgreSQL 15 share/extension/fuzzystrmatch--1.1.sql
/* contrib/fuzzystrmatch/fuzzystrmatch--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION


CREATE FUNCTION levenshtein (text,text) RETURNS int
AS 'MODULE_PATHNAME','levenshtein'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION levenshtein (text,text,int,int,int) RETURNS int
AS 'MODULE_PATHNAME','levenshtein_with_costs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION levenshtein_less_equal (text,text,int) RETURNS int
AS 'MODULE_PATHNAME','levenshtein_less_equal'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION levenshtein_less_equal (text,text,int,int,int,int) RETURNS int
AS 'MODULE_PATHNAME','levenshtein_less_equal_with_costs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION metaphone (text,int) RETURNS text
AS 'MODULE_PATHNAME','metaphone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION soundex(text) RETURNS text
AS 'MODULE_PATHNAME', 'soundex'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION text_soundex(text) RETURNS text
AS 'MODULE_PATHNAME', 'soundex'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION difference(text,text) RETURNS int
AS 'MODULE_PATHNAME', 'difference'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION dmetaphone (text) RETURNS text
AS 'MODULE_PATHNAME', 'dmetaphone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION dmetaphone_alt (text) RETURNS text
AS 'MODULE_PATHNAME', 'dmetaphone_alt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
