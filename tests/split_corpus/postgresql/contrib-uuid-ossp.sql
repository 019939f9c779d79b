
-- source: PostgreSQL 15 share/extension/uuid-ossp--1.0--1.1.sql
/* contrib/uuid-ossp/uuid-ossp--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION


ALTER FUNCTION uuid_nil() PARALLEL SAFE;
ALTER FUNCTION uuid_ns_dns() PARALLEL SAFE;
ALTER FUNCTION uuid_ns_url() PARALLEL SAFE;
ALTER FUNCTION uuid_ns_oid() PARALLEL SAFE;
ALTER FUNCTION uuid_ns_x500() PARALLEL SAFE;
ALTER FUNCTION uuid_generate_v1() PARALLEL SAFE;
ALTER FUNCTION uuid_generate_v1mc() PARALLEL SAFE;
ALTER FUNCTION uuid_generate_v3(uuid, text) PARALLEL SAFE;
ALTER FUNCTION uuid_generate_v4() PARALLEL SAFE;
ALTER FUNCTION uuid_generate_v5(uuid, text) PARALLEL SAFE;

-- source: PostgreSQL 15 share/extension/uuid-ossp--1.1.sql
/* contrib/uuid-ossp/uuid-ossp--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION


CREATE FUNCTION uuid_nil()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_nil'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_ns_dns()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_ns_dns'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_ns_url()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_ns_url'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_ns_oid()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_ns_oid'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_ns_x500()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_ns_x500'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_generate_v1()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_generate_v1'
VOLATILE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_generate_v1mc()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_generate_v1mc'
VOLATILE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_generate_v3(namespace uuid, name text)
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_generate_v3'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_generate_v4()
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_generate_v4'
VOLATILE STRICT LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION uuid_generate_v5(namespace uuid, name text)
RETURNS uuid
AS 'MODULE_PATHNAME', 'uuid_generate_v5'
IMMUTABLE STRICT LANGUAGE C PARALLEL SAFE;
