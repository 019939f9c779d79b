
-- source: PostgreSQL 15 share/extension/unaccent--1.0--1.1.sql
/* contrib/unaccent/unaccent--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION


ALTER FUNCTION unaccent(regdictionary, text) PARALLEL SAFE;
ALTER FUNCTION unaccent(text) PARALLEL SAFE;
ALTER FUNCTION unaccent_init(internal) PARALLEL SAFE;
ALTER FUNCTION unaccent_lexize(internal, internal, internal, internal) PARALLEL SAFE;

-- source: PostgreSQL 15 share/extension/unaccent--1.1.sql
/* contrib/unaccent/unaccent--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION


CREATE FUNCTION unaccent(regdictionary, text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'unaccent_dict'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION unaccent(text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'unaccent_dict'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION unaccent_init(internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'unaccent_init'
	LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION unaccent_lexize(internal,internal,internal,internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'unaccent_lexize'
	LANGUAGE C PARALLEL SAFE;

CREATE TEXT SEARCH TEMPLATE unaccent (
	INIT = unaccent_init,
	LEXIZE = unaccent_lexize
);

CREATE TEXT SEARCH DICTIONARY unaccent (
	TEMPLATE = unaccent,
	RULES    = 'unaccent'
);
