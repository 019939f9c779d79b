"""PyMySQL's "TLS if the server offers it" mode, with one default TLS context per process.

PyMySQL 1.1.2 and later try TLS on every connection that names no TLS option
(the mysql client's PREFERRED mode) and build a new default
``ssl.SSLContext`` for each connection to do it. With OpenSSL 3 that means
reading the system's certificate bundle every time: about 45 ms of CPU per
connection on a 2-core machine, against 0.5 ms for the rest of the connect.
A context holds no state of one connection, so one built once per process
serves them all, with the very settings PyMySQL gives it (no certificate
check, as PyMySQL does without a CA). Connections that name any TLS option,
or read an option file that may, are left to PyMySQL as they are.
"""

from __future__ import annotations

import threading
from typing import Any

#: Connect arguments after which PyMySQL's own handling applies unchanged.
_OWN_TLS_SETTINGS = ("ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_key_password", "ssl_verify_cert",
                     "ssl_verify_identity", "ssl_disabled", "read_default_file")

_lock = threading.Lock()
_classes: dict[type, type] = {}
_shared_context: Any = None


def connection_class(base: type) -> type:
    """A subclass of PyMySQL's ``Connection`` whose preferred-TLS context is built once per process.

    Keyed by the base class, so that a PyMySQL imported afresh (its errors are
    then new classes too) gets a subclass of its own ``Connection``.
    """
    with _lock:
        if base not in _classes:

            class SharedTLSContextConnection(base):
                def _create_ssl_ctx(self, sslp):
                    if sslp != {}:  # explicit TLS settings: PyMySQL's own context
                        return super()._create_ssl_ctx(sslp)
                    global _shared_context
                    with _lock:
                        if _shared_context is None:
                            _shared_context = super()._create_ssl_ctx({})
                        return _shared_context

            _classes[base] = SharedTLSContextConnection
        return _classes[base]


def connect(dialect, connection_record, cargs, cparams):
    """SQLAlchemy's ``do_connect`` event: PyMySQL's connection, with the shared default context.

    Returns None (SQLAlchemy then connects as usual) when the arguments name
    TLS settings of their own, or the driver has no ``connections.Connection``.
    """
    base = getattr(getattr(dialect.loaded_dbapi, "connections", None), "Connection", None)
    if base is None or any(name in cparams for name in _OWN_TLS_SETTINGS):
        return None
    return connection_class(base)(*cargs, **cparams)
