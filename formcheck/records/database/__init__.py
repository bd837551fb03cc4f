"""The session database's parts, composed by ``formcheck.records.store.Store``: the connection (the
one way SQL reaches the engine, and everything the engine spells its own way), the schema and its
migrations, the queries by subject (people, sessions, reviews, posture) as plain SQL strings, the
rows they return, and the indexer that turns a session's events into rows.

May import: ``formcheck.records.session_folder``, ``formcheck.exercises``, ``formcheck.core``,
``formcheck.paths``, ``formcheck.untrusted``. Never the store, the recorder or the other records
modules that use it.
"""
