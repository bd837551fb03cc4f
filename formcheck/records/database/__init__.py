"""The session database's parts, composed by ``formcheck.records.store.Store``: where it is
(``location``: the data folder's SQLite file, or a clinic's PostgreSQL server), the connection to
each engine (``connection`` for SQLite, ``postgres``: the one way SQL reaches it, and everything the
engine spells its own way), the sessions recorded while the server was away and left to index
(``pending``), the schema and its migrations, the queries by subject (people, sessions, reviews,
posture) as plain SQL strings, the rows they return, and the indexer that turns a session's
events into rows.

May import: ``formcheck.records.session_folder``, ``formcheck.exercises``, ``formcheck.core``,
``formcheck.paths``, ``formcheck.untrusted``. Never the store, the recorder or the other records
modules that use it.
"""
