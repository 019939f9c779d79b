"""busy: a to-do application, just big enough to show lockgate at work."""

from sqlalchemy import engine_from_config

from lockgate import DBMigrator, SQLFileSetUp


def main(global_config, **settings):
    """The WSGI application factory that PasteDeploy calls for ``use = egg:busy``.

    A new database gets the canonical schema with every script marked applied;
    an existing one is left alone here (deploys run ``migrate ... upgrade``).
    """
    engine = engine_from_config(settings, "sqlalchemy.")
    schema = settings.get("busy.schema", "busy:schema.sql")
    DBMigrator(engine, "busy.migration").set_up_migration(
        init_migration=SQLFileSetUp(schema), run_scripts=False)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"busy\n"]

    return app
