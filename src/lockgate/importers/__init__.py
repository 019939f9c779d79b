"""Importing another tool's migrations: ``lockgate import alembic|yoyo DIR``.

Empty on purpose: the command line registers the command through
:mod:`.command` on every run, so importing this package must cost nothing;
the work is in :mod:`.importing`.
"""
