"""What the database itself enforces on a shared PostgreSQL store, whatever program a
clerk connects with (psql included):

- a trail only grows: an UPDATE of a record by a role that is not privileged may append
  events, or take out its last change as ``cstool undo`` does (the events of one change,
  replaced by an ``undone`` event), never edit, remove or reorder others, nor move the
  record to another kind or id; nobody but the privileged deletes records, sequences or
  log entries, and an id counter never goes back;
- ``cstool store grant ROLE --as agent|supervisor|manager|auditor|administrator`` makes a
  database role a member of the group role of that name (``cstool_agent``, …), whose
  grants are what the role needs and no more;
- with ``[privacy] own_department_only = true``, row-level security shows a role only
  its own department's records (and those of none), unless its role may see others'.

Privileged: superusers, the owner of the tables, and members of ``cstool_administrator``
or ``cstool_manager`` (erasing a customer, purging, a re-import that rewrites history).
"""

from __future__ import annotations

GROUPS = {
    "agent": "cstool_agent",
    "supervisor": "cstool_supervisor",
    "manager": "cstool_manager",
    "auditor": "cstool_auditor",
    "administrator": "cstool_administrator",
}
PRIVILEGED = ("cstool_administrator", "cstool_manager")

# Whether the role running the statement may rewrite history. Qualified and with a fixed
# search_path: a clerk must not shadow a function or table the check reads.
_PRIVILEGED_SQL = """(
    (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname IN ('cstool_administrator', 'cstool_manager')
               AND pg_catalog.pg_has_role(current_user, r.oid, 'member'))
    OR pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
                              'member')
)"""

# A row a role sees (and changes) under `own_department_only`: of no department, of its own,
# or any when its role may see other departments'.
_OWN_DEPARTMENT = """(
    facets ->> 'department' IS NULL
    OR EXISTS (SELECT 1 FROM cstool_staff s WHERE s.login = current_user
               AND (s.sees_all OR s.department = cstool_records.facets ->> 'department'))
)"""

# Each statement may run again (a migration over a store an older version half made).
# The first statement of every guard: what a privileged role does passes untouched.
_PRIVILEGED_PASS = f"IF {_PRIVILEGED_SQL} THEN RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END IF;"

GUARDS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS cstool_staff (
        login text PRIMARY KEY,      -- a database role
        department text,             -- the department whose records it works on
        sees_all boolean NOT NULL DEFAULT false  -- its role may see other departments' records
    )""",
    f"""CREATE OR REPLACE FUNCTION cstool_guard_records() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        old_events jsonb; new_events jsonb; n_old int; n_new int; taken int; start int;
    BEGIN
        {_PRIVILEGED_PASS}
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'cstool: % may not delete record %', current_user, OLD.id USING ERRCODE = '42501';
        END IF;
        IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.id IS DISTINCT FROM OLD.id
           OR (NEW.doc::jsonb ->> 'kind') IS DISTINCT FROM (OLD.doc::jsonb ->> 'kind')
           OR (NEW.doc::jsonb ->> 'id') IS DISTINCT FROM (OLD.doc::jsonb ->> 'id') THEN
            RAISE EXCEPTION 'cstool: % may not move record % to another kind or id', current_user, OLD.id
                USING ERRCODE = '42501';
        END IF;
        old_events := coalesce(OLD.doc::jsonb -> 'events', '[]'::jsonb);
        new_events := coalesce(NEW.doc::jsonb -> 'events', '[]'::jsonb);
        n_old := jsonb_array_length(old_events);
        n_new := jsonb_array_length(new_events);
        IF n_new >= n_old AND (
            SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb)
            FROM jsonb_array_elements(new_events) WITH ORDINALITY AS t(e, i) WHERE i <= n_old
        ) = old_events THEN
            RETURN NEW;  -- events appended (or none: another column changed)
        END IF;
        -- cstool undo: the events of one change (the first marked with how many) taken out,
        -- everything else kept in order, one `undone` event appended
        taken := n_old - (n_new - 1);
        IF n_new >= 1 AND taken >= 1 AND new_events -> (n_new - 1) ->> 'type' = 'undone' THEN
            FOR start IN 0 .. n_old - taken LOOP
                IF (old_events -> start -> 'undo' ->> 'events') = taken::text AND (
                    SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb)
                    FROM jsonb_array_elements(old_events) WITH ORDINALITY AS t(e, i)
                    WHERE i <= start OR i > start + taken
                ) = (
                    SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb)
                    FROM jsonb_array_elements(new_events) WITH ORDINALITY AS t(e, i) WHERE i < n_new
                ) THEN
                    RETURN NEW;
                END IF;
            END LOOP;
        END IF;
        RAISE EXCEPTION 'cstool: % may only append to the trail of record %', current_user, OLD.id
            USING ERRCODE = '42501';
    END $$""",
    "DROP TRIGGER IF EXISTS cstool_guard_records ON cstool_records",
    """CREATE TRIGGER cstool_guard_records BEFORE UPDATE OF doc, kind, id OR DELETE ON cstool_records
        FOR EACH ROW EXECUTE FUNCTION cstool_guard_records()""",
    f"""CREATE OR REPLACE FUNCTION cstool_guard_sequences() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        {_PRIVILEGED_PASS}
        IF TG_OP = 'DELETE' OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.day IS DISTINCT FROM OLD.day
           OR NEW.last < OLD.last THEN
            RAISE EXCEPTION 'cstool: % may not take an id counter back (% %)', current_user, OLD.kind, OLD.day
                USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS cstool_guard_sequences ON cstool_sequences",
    """CREATE TRIGGER cstool_guard_sequences BEFORE UPDATE OR DELETE ON cstool_sequences
        FOR EACH ROW EXECUTE FUNCTION cstool_guard_sequences()""",
    f"""CREATE OR REPLACE FUNCTION cstool_guard_log() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        {_PRIVILEGED_PASS}
        RAISE EXCEPTION 'cstool: % may only append to the log %', current_user, OLD.name USING ERRCODE = '42501';
    END $$""",
    "DROP TRIGGER IF EXISTS cstool_guard_log ON cstool_log",
    """CREATE TRIGGER cstool_guard_log BEFORE UPDATE OR DELETE ON cstool_log
        FOR EACH ROW EXECUTE FUNCTION cstool_guard_log()""",
    # Row-level security, in force only while `own_department_only` turns it on (ENABLE);
    # the owner of the tables is never held by it.
    "DROP POLICY IF EXISTS cstool_add ON cstool_records",
    "CREATE POLICY cstool_add ON cstool_records FOR INSERT WITH CHECK (true)",
    "DROP POLICY IF EXISTS cstool_remove ON cstool_records",
    "CREATE POLICY cstool_remove ON cstool_records FOR DELETE USING (true)",
    "DROP POLICY IF EXISTS cstool_own_department ON cstool_records",
    f"CREATE POLICY cstool_own_department ON cstool_records FOR SELECT USING {_OWN_DEPARTMENT}",
    "DROP POLICY IF EXISTS cstool_own_department_changes ON cstool_records",
    f"CREATE POLICY cstool_own_department_changes ON cstool_records FOR UPDATE USING {_OWN_DEPARTMENT}",
)


def group_grants(schema: str) -> list[str]:
    """What each group role may do on the tables of ``schema`` (granted again at every
    ``store grant``: tables a later version adds are covered)."""
    groups = ", ".join(GROUPS.values())
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {groups}",
        f"GRANT SELECT ON cstool_schema, cstool_staff TO {groups}",
        f"GRANT SELECT, INSERT, UPDATE ON cstool_records, cstool_sequences, cstool_state TO {groups}",
        f"GRANT SELECT, INSERT ON cstool_log, cstool_files TO {groups}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {groups}",
        f"GRANT DELETE ON cstool_records, cstool_sequences, cstool_state, cstool_log TO {GROUPS['administrator']}",
        f"GRANT INSERT, UPDATE, DELETE ON cstool_staff TO {GROUPS['administrator']}",
        # an attachment goes with a customer's erasure (a manager's) or a purge past retention
        f"GRANT DELETE ON cstool_files TO {GROUPS['manager']}, {GROUPS['administrator']}",
    ]
