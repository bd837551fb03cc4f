"""The schema of the session database: one ordered list of steps (``MIGRATIONS``), each taking it
from version i to i + 1, run one transaction each when the database is opened.

The steps are plain SQL; the few words engines spell differently are named (``{id}``: the row id
column, ``{real}``: an 8-byte float, ``{random_uid}``: a new random uid) and each engine's
connection fills them in (``ddl_words``): the same steps build the SQLite file and a clinic's
PostgreSQL database.
"""

from __future__ import annotations

from formcheck.records.database.connection import Connection, StoreError, damaged

SCHEMA_VERSION = 9
TABLES = ("people", "sessions", "sets", "reps", "holds", "faults", "cues", "pain_stops", "verdicts", "notes",
          "programmes", "ratings", "person_uids", "posture_minutes", "posture_reminders")

# Each entry upgrades the schema from version i to i + 1. Never edit a released step: add one.
MIGRATIONS: tuple[str, ...] = (
    # 0 → 1
    """
    CREATE TABLE people (id {id}, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
    CREATE TABLE sessions (
        id {id}, person_id INTEGER NOT NULL REFERENCES people(id),
        started TEXT NOT NULL, ended TEXT, source TEXT NOT NULL, kind TEXT NOT NULL,
        folder TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'recording');
    CREATE TABLE sets (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id),
        exercise TEXT NOT NULL, number INTEGER NOT NULL, prescribed TEXT NOT NULL,
        started_s {real} NOT NULL, ended_s {real}, ended_by TEXT);
    CREATE TABLE reps (
        id {id}, set_id INTEGER NOT NULL REFERENCES sets(id), idx INTEGER NOT NULL,
        side TEXT, start_s {real} NOT NULL, end_s {real} NOT NULL, attempt INTEGER NOT NULL,
        metrics TEXT NOT NULL);
    CREATE TABLE holds (
        id {id}, set_id INTEGER NOT NULL REFERENCES sets(id),
        start_s {real} NOT NULL, end_s {real} NOT NULL, duration_s {real} NOT NULL, side TEXT);
    CREATE TABLE faults (
        id {id}, rep_id INTEGER REFERENCES reps(id), hold_id INTEGER REFERENCES holds(id),
        code TEXT NOT NULL, message TEXT NOT NULL, t_s {real} NOT NULL);
    CREATE TABLE cues (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id),
        t_s {real} NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
    CREATE TABLE pain_stops (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id),
        set_id INTEGER REFERENCES sets(id), t_s {real} NOT NULL);
    CREATE TABLE verdicts (
        id {id}, fault_id INTEGER NOT NULL UNIQUE REFERENCES faults(id),
        agree INTEGER NOT NULL, created TEXT NOT NULL);
    """,
    # 1 → 2: free-text therapist notes on a rep or a whole session (verdicts alone were too terse).
    """
    CREATE TABLE notes (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id),
        rep_id INTEGER REFERENCES reps(id), text TEXT NOT NULL, created TEXT NOT NULL);
    CREATE INDEX reps_by_set ON reps(set_id);
    CREATE INDEX faults_by_rep ON faults(rep_id);
    """,
    # 2 → 3: session identity (uid, for repair and sharing), the recording process (pid, host) so
    # a session left 'recording' by a crash can be recognised, why a session ended early, and the
    # exercise definition (thresholds) each set was judged with, and the rules a rep or hold could
    # not be judged on (and why).
    """
    ALTER TABLE sessions ADD COLUMN uid TEXT;
    ALTER TABLE sessions ADD COLUMN pid INTEGER;
    ALTER TABLE sessions ADD COLUMN host TEXT;
    ALTER TABLE sessions ADD COLUMN end_reason TEXT;
    ALTER TABLE sets ADD COLUMN definition TEXT;
    ALTER TABLE reps ADD COLUMN not_judged TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE holds ADD COLUMN not_judged TEXT NOT NULL DEFAULT '[]';
    UPDATE sessions SET uid = 'legacy-' || id;
    CREATE UNIQUE INDEX sessions_by_uid ON sessions(uid);
    """,
    # 3 → 4: home programmes (every version kept; the file in programmes/ is the durable copy), the
    # programme version a session followed, pain and effort ratings, and why a session was flagged
    # for the therapist (e.g. pain rose).
    """
    CREATE TABLE programmes (
        id {id}, person_id INTEGER NOT NULL REFERENCES people(id),
        version INTEGER NOT NULL, uid TEXT NOT NULL UNIQUE, created TEXT NOT NULL, body TEXT NOT NULL,
        UNIQUE(person_id, version));
    ALTER TABLE sessions ADD COLUMN programme_uid TEXT;
    ALTER TABLE sessions ADD COLUMN flag TEXT;
    CREATE TABLE ratings (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id),
        kind TEXT NOT NULL, moment TEXT NOT NULL, exercise TEXT, score INTEGER NOT NULL, t_s {real} NOT NULL);
    CREATE INDEX ratings_by_session ON ratings(session_id);
    """,
    # 4 → 5: the calibration profile each set was judged with ("population", or "Eve v3"); NULL for
    # sets recorded before profiles existed (they were judged with the population thresholds).
    """
    ALTER TABLE sets ADD COLUMN profile TEXT;
    """,
    # 5 → 6: who a person is across computers (a uid that travels in bundles, and the uids of the
    # same person made elsewhere that someone confirmed), when the recording process started (a
    # pid alone can be reused), programme versions from a bundle waiting for the therapist to
    # confirm them, and session folders relative to the data folder (copies and moves keep working).
    """
    ALTER TABLE people ADD COLUMN uid TEXT;
    UPDATE people SET uid = {random_uid};
    CREATE UNIQUE INDEX people_by_uid ON people(uid);
    CREATE TABLE person_uids (uid TEXT PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id));
    ALTER TABLE sessions ADD COLUMN pid_start INTEGER;
    ALTER TABLE programmes ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    UPDATE sessions SET folder = 'sessions/' || substr(folder, length(rtrim(folder, replace(folder, '/', ''))) + 1);
    """,
    # 6 → 7: posture sessions (issue 19): each minute watched (seconds upright / slouched / away; the
    # detail has every state and the measures' medians) and each reminder with the response to it
    # (outcome corrected / not_corrected / paused; corrected 1 / 0, NULL while waiting or paused).
    """
    CREATE TABLE posture_minutes (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id), minute INTEGER NOT NULL,
        upright_s {real} NOT NULL, slouched_s {real} NOT NULL, away_s {real} NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX posture_minutes_by_session ON posture_minutes(session_id);
    CREATE TABLE posture_reminders (
        id {id}, session_id INTEGER NOT NULL REFERENCES sessions(id), t_s {real} NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, lasted_s {real} NOT NULL, corrected INTEGER, after_s {real},
        outcome TEXT);
    """,
    # 7 → 8: the clinic a person is a patient of, on a clinic's shared server (FORMCHECK_CLINIC);
    # empty at home. A therapist's machine lists only the people of its clinic.
    """
    ALTER TABLE people ADD COLUMN clinic TEXT NOT NULL DEFAULT '';
    """,
    # 8 → 9: a verdict per flag and reviewer (two therapists judging one flag keep both), and who
    # wrote each note. Verdicts and notes from before have the reviewer '' ("earlier review"). A
    # UNIQUE column can't be changed in place in SQLite, so verdicts is built anew and renamed.
    """
    CREATE TABLE reviewer_verdicts (
        id {id}, fault_id INTEGER NOT NULL REFERENCES faults(id), reviewer TEXT NOT NULL,
        agree INTEGER NOT NULL, created TEXT NOT NULL, UNIQUE(fault_id, reviewer));
    INSERT INTO reviewer_verdicts(fault_id, reviewer, agree, created)
        SELECT fault_id, '', agree, created FROM verdicts ORDER BY id;
    DROP TABLE verdicts;
    ALTER TABLE reviewer_verdicts RENAME TO verdicts;
    ALTER TABLE notes ADD COLUMN reviewer TEXT NOT NULL DEFAULT '';
    """,
)


def statements(step: str, words: dict[str, str]) -> list[str]:
    """The SQL statements of one step, in an engine's words (its connection's ``ddl_words``)."""
    return [s.strip() for s in step.format_map(words).split(";") if s.strip()]


def migrate(db: Connection, target: int = SCHEMA_VERSION) -> None:
    """Bring the schema up to ``target``, one transaction per step. The version is read inside
    each step's transaction, so two first starts at once never both create the tables."""
    if db.schema_version() > SCHEMA_VERSION:
        raise StoreError(
            f"The session database {db.shown} was written by a newer formcheck (schema {db.schema_version()}; this "
            f"one knows up to {SCHEMA_VERSION}); update formcheck to use it. Nothing in it was changed.")
    while db.schema_version() < target:
        with db.transaction():
            step = db.schema_version()
            if step >= target:
                break
            for statement in statements(MIGRATIONS[step], db.ddl_words):
                db.execute(statement)
            db.set_schema_version(step + 1)


def check_tables(db: Connection) -> None:
    """Every table of the schema is there (a file can say version 7 and hold none of them)."""
    missing = [t for t in TABLES if t not in db.table_names()]
    if missing:
        raise damaged(db.shown, f"it has no {', '.join(missing)} table")
