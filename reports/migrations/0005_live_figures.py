"""The dashboard's figures kept as work happens (issue 17), on PostgreSQL.

Three tables and the functions and triggers that keep them:

* ``reports_casefact`` and ``reports_complaintfact``: one row per case and per complaint with what
  the figures need of it (its quarter of opening, of conclusion, whether late, its handling days,
  the quarters a report of it was returned, the times it was open and late, …), computed from the
  source tables by ``reports_live_case_facts`` / ``reports_live_complaint_facts``;
* ``reports_livefigure``: the sums of every fact's contributions per quarter, unit complained
  about and category (dimension ``c``) or channel (``h``). Figures about a moment (open, late,
  escalated while handled) are kept as changes per quarter and summed up to the quarter read.
  Rows of grain ``d`` hold the starts of lateness per day, for the quarter in progress.

A statement trigger on each source table (cases, referrals, reviews, complaints, ratings, the
calendar) recomputes the facts of the rows it touched, in the same transaction, and adds the
difference of their contributions to the sums (nothing when nothing counted changed). The rows of
the sums are per unit: two departments' work never waits on the same row. ``reports_live_recount()``
rebuilds all three tables from the source tables; ``reports_live_drift()`` lists what the sums
would change by, without writing.

SQLite (the embedded default) has none of this: the dashboard counts from the tables there.
"""

from django.db import migrations, models

SHANGHAI = "'Asia/Shanghai'"
ONE_US = "interval '1 microsecond'"

COMPLAINT_COUNTERS = [
    "received",
    "liaison_complaints",
    "rated",
    "rated_satisfied",
    "rated_basically",
    "rated_unsatisfied",
]
CASE_COUNTERS = [
    "accepted",
    "self_handled",
    "transferred",
    "assigned",
    "undecided",
    "concluded",
    "concluded_late",
    "handled",
    "handling_days",
    "returned",
    # Changes per quarter, summed up to the quarter read.
    "open_delta",
    "escalated_delta",
    "escalated_1_delta",
    "escalated_2_delta",
    "escalated_3_delta",
    "late_start",
    "late_end",
    # The quarter's starts of lateness that have happened, folded in from its day rows.
    "late_started",
    # Grain d: starts of lateness by day (at a midnight, or at an instant already past).
    "late_start_midnight",
    "late_start_instant",
]
COUNTERS = COMPLAINT_COUNTERS + CASE_COUNTERS
KEY = "grain, period, day, department_id, dimension, value"


# What the office rows keep (migration 0008): what the dispatch pack reads of them (accepted and
# concluded, open and open and late). The other counters stay 0 there, so that the escalation
# sweep, say, writes no office row.
OFFICE_COUNTERS = [
    "accepted",
    "concluded",
    "open_delta",
    "late_start",
    "late_end",
    "late_started",
    "late_start_midnight",
    "late_start_instant",
]


def _families(office: bool) -> tuple[str, str, str]:
    """How long rows spread over the families: the VALUES of the dimensions, the value of a row
    in each, and which rows take part (``office``: also the commission's office, dimension ``o``,
    migration 0008, for the cases' ``OFFICE_COUNTERS``; the contributions then carry an ``office``
    column, NULL for complaints)."""
    if not office:
        return "('c'), ('h')", "CASE f.dimension WHEN 'c' THEN category ELSE channel END", ""
    kept = ", ".join(f"'{name}'" for name in OFFICE_COUNTERS)
    return (
        "('c'), ('h'), ('o')",
        "CASE f.dimension WHEN 'c' THEN category WHEN 'h' THEN channel ELSE office::text END",
        f"\n  WHERE f.dimension <> 'o' OR (office IS NOT NULL AND name IN ({kept}))",
    )


def _sums(source: str, office: bool = False) -> str:
    """Long rows (grain, period, day, department_id, category, channel, name, n) of ``source``
    summed into the wide rows of reports_livefigure, one per family (category, channel); rows
    that sum to nothing left out."""
    columns = ",\n    ".join(f"coalesce(sum(n) FILTER (WHERE name = '{c}'), 0) AS {c}" for c in COUNTERS)
    nonzero = " OR ".join(f"coalesce(sum(n) FILTER (WHERE name = '{c}'), 0) <> 0" for c in COUNTERS)
    families, value, where = _families(office)
    return f"""
  SELECT grain, period, day, department_id, f.dimension,
    {value} AS value,
    {columns}
  FROM ({source}) AS contributions CROSS JOIN (VALUES {families}) AS f(dimension){where}
  GROUP BY grain, period, day, department_id, f.dimension, {value}
  HAVING {nonzero}"""


def _add(source: str, sums=None) -> str:
    # Appended, never updated in place: no writer waits for another's row, whatever the units
    # (reports_live_compact merges the rows of a key later; the sums read the same). ``sums``:
    # how the long rows become wide ones (migration 0007 passes a faster one).
    return f"""
INSERT INTO reports_livefigure ({KEY}, {", ".join(COUNTERS)}){(sums or _sums)(source)}"""


CASE_FACT_COLUMNS = """
  case_id bigint PRIMARY KEY,
  department_id integer NOT NULL,
  category varchar(20) NOT NULL,
  channel varchar(20) NOT NULL,
  opened_q date NOT NULL,
  disposition varchar(10) NOT NULL,
  closed_q date,
  concluded_q date,
  concluded_late boolean NOT NULL,
  handling_days integer,
  escalation_level smallint NOT NULL,
  returned_qs date[] NOT NULL,
  late tstzmultirange NOT NULL"""

COMPLAINT_FACT_COLUMNS = """
  complaint_id bigint PRIMARY KEY,
  department_id integer NOT NULL,
  category varchar(20) NOT NULL,
  channel varchar(20) NOT NULL,
  received_q date NOT NULL,
  liaison boolean NOT NULL,
  rated_qs date[] NOT NULL,
  rated_levels text[] NOT NULL"""

RUNNING = (
    "open_delta",
    "escalated_delta",
    "escalated_1_delta",
    "escalated_2_delta",
    "escalated_3_delta",
    "late_start",
    "late_end",
)

# The contributions of facts (a relation named ``facts``) in long rows. A change of a figure about
# a moment is also added to the unit's row of grain ``a`` (all quarters, dated 0001-01-01), so that
# a quarter is read as all of them less the later ones, however long the history.
CASE_CONTRIBUTIONS = """
SELECT y.grain, y.period, y.day, f.department_id, f.category, f.channel, {office}x.name, x.n * {sign} AS n
FROM {facts} AS f
CROSS JOIN LATERAL (
  SELECT 'q'::char(1) AS grain, f.opened_q AS period, f.opened_q AS day, 'accepted'::text AS name, 1 AS n
  UNION ALL
  SELECT 'q', f.opened_q, f.opened_q,
    CASE f.disposition WHEN 'self' THEN 'self_handled' WHEN 'transfer' THEN 'transferred'
      WHEN 'assign' THEN 'assigned' ELSE 'undecided' END, 1
  WHERE f.disposition IN ('self', 'transfer', 'assign', '')
  UNION ALL
  SELECT 'q', f.concluded_q, f.concluded_q, c.name, c.n
  FROM (VALUES ('concluded', 1), ('handled', 1), ('concluded_late', f.concluded_late::int),
               ('handling_days', coalesce(f.handling_days, 0))) AS c(name, n)
  WHERE f.concluded_q IS NOT NULL
  UNION ALL
  SELECT 'q', q, q, 'returned', 1 FROM unnest(f.returned_qs) AS q
  UNION ALL
  SELECT 'q', f.opened_q, f.opened_q, 'open_delta', 1
  UNION ALL
  SELECT 'q', f.closed_q, f.closed_q, 'open_delta', -1 WHERE f.closed_q IS NOT NULL
  UNION ALL
  SELECT 'q', e.period, e.period, e.name, e.n
  FROM (VALUES ('escalated_delta', f.escalation_level >= 1), ('escalated_1_delta', f.escalation_level = 1),
               ('escalated_2_delta', f.escalation_level = 2), ('escalated_3_delta', f.escalation_level = 3))
       AS l(name, reached)
  CROSS JOIN LATERAL (
    SELECT f.opened_q AS period, l.name, 1 AS n
    UNION ALL
    SELECT (f.closed_q + interval '3 months')::date, l.name, -1 WHERE f.closed_q IS NOT NULL
  ) AS e
  WHERE l.reached
  UNION ALL
  SELECT g.grain, reports_live_quarter(lower(r) - {one_us}), g.day, g.name, 1
  FROM unnest(f.late) AS r
  CROSS JOIN LATERAL (
    SELECT 'q'::char(1) AS grain, reports_live_quarter(lower(r) - {one_us}) AS day, 'late_start'::text AS name
    UNION ALL
    SELECT 'd', ((lower(r) - {one_us}) AT TIME ZONE {tz})::date,
      CASE WHEN lower(r) = date_trunc('day', lower(r) AT TIME ZONE {tz}) AT TIME ZONE {tz}
        THEN 'late_start_midnight' ELSE 'late_start_instant' END
  ) AS g
  UNION ALL
  SELECT 'q', reports_live_quarter(upper(r) - {one_us}), reports_live_quarter(upper(r) - {one_us}), 'late_end', 1
  FROM unnest(f.late) AS r WHERE NOT upper_inf(r)
) AS x
CROSS JOIN LATERAL (
  SELECT x.grain, x.period, x.day
  UNION ALL
  SELECT 'a', DATE '0001-01-01', DATE '0001-01-01' WHERE x.grain = 'q' AND x.name IN ({running})
) AS y
"""

# The part of CASE_CONTRIBUTIONS that depends on the escalation level (the sweep's fast path).
ESCALATION_CONTRIBUTIONS = """
SELECT y.grain, y.period, y.day, f.department_id, f.category, f.channel, {office}e.name, e.n * {sign} AS n
FROM {facts} AS f
CROSS JOIN LATERAL (VALUES ('escalated_delta', f.escalation_level >= 1), ('escalated_1_delta', f.escalation_level = 1),
  ('escalated_2_delta', f.escalation_level = 2), ('escalated_3_delta', f.escalation_level = 3)) AS l(name, reached)
CROSS JOIN LATERAL (
  SELECT f.opened_q AS period, l.name, 1 AS n
  UNION ALL
  SELECT (f.closed_q + interval '3 months')::date, l.name, -1 WHERE f.closed_q IS NOT NULL
) AS e
CROSS JOIN LATERAL (
  SELECT 'q'::char(1) AS grain, e.period, e.period AS day
  UNION ALL
  SELECT 'a', DATE '0001-01-01', DATE '0001-01-01'
) AS y
WHERE l.reached
"""

COMPLAINT_CONTRIBUTIONS = """
SELECT 'q'::char(1) AS grain, x.period, x.period AS day, f.department_id, f.category, f.channel, {office}x.name,
  x.n * {sign} AS n
FROM {facts} AS f
CROSS JOIN LATERAL (
  SELECT f.received_q AS period, 'received'::text AS name, 1 AS n
  UNION ALL
  SELECT f.received_q, 'liaison_complaints', 1 WHERE f.liaison
  UNION ALL
  SELECT r.q, c.name, 1
  FROM unnest(f.rated_qs, f.rated_levels) AS r(q, level)
  CROSS JOIN LATERAL (VALUES ('rated'), ('rated_' || r.level)) AS c(name)
) AS x
"""


# The office column of the contributions (migration 0008): a case's, none for a complaint.
CASE_OFFICE = "f.office_id AS office, "
COMPLAINT_OFFICE = "NULL::integer AS office, "


def _contributions(template: str, facts: str, sign: int, office: str = "") -> str:
    running = ", ".join(f"'{name}'" for name in RUNNING)
    return template.format(facts=facts, sign=sign, one_us=ONE_US, tz=SHANGHAI, running=running, office=office)


def _all_contributions(case_facts: str, complaint_facts: str, office: bool = False) -> str:
    return (
        _contributions(CASE_CONTRIBUTIONS, case_facts, 1, CASE_OFFICE if office else "")
        + " UNION ALL "
        + _contributions(COMPLAINT_CONTRIBUTIONS, complaint_facts, 1, COMPLAINT_OFFICE if office else "")
    )


def _case_facts(cases: str, extra: str = "") -> str:
    """The facts of the cases ``cases`` yields (rows of casework_case), computed set-wise: each
    table is read once for all of them (by index for a few, by scan for all). ``extra``: columns
    added at the end (migration 0008's office)."""
    return f"""
WITH cs AS MATERIALIZED ({cases}),
r AS (
  SELECT f.case_id, max(f.due_date) AS last_due,
    range_agg(CASE WHEN b.late_from < b.late_until OR b.late_until IS NULL
      THEN tstzrange(b.late_from, b.late_until, '[)') ELSE 'empty'::tstzrange END) AS late
  FROM cs AS c
  JOIN casework_referral AS f ON f.case_id = c.id
  CROSS JOIN LATERAL (
    SELECT greatest((f.due_date + 1)::timestamp AT TIME ZONE {SHANGHAI}, f.sent_at + {ONE_US},
                    c.opened_at + {ONE_US}) AS late_from,
           least(f.closed_at, c.closed_at) + {ONE_US} AS late_until
  ) AS b
  WHERE f.due_date IS NOT NULL
  GROUP BY f.case_id
),
v AS (
  SELECT f.case_id, array_agg(DISTINCT reports_live_quarter(w.reviewed_at)) AS qs
  FROM cs AS c
  JOIN casework_referral AS f ON f.case_id = c.id
  JOIN casework_handlingreport AS h ON h.referral_id = f.id
  JOIN casework_review AS w ON w.report_id = h.id
  WHERE w.decision = 'return'
  GROUP BY f.case_id
)
SELECT c.id, coalesce(c.department_id, 0)::integer, c.category, c.channel,
  reports_live_quarter(c.opened_at), c.disposition,
  reports_live_quarter(c.closed_at),
  CASE WHEN c.status = 'concluded' THEN reports_live_quarter(c.closed_at) END,
  coalesce(c.status = 'concluded' AND r.last_due < (c.closed_at AT TIME ZONE {SHANGHAI})::date, false),
  CASE WHEN c.status = 'concluded' AND c.closed_at IS NOT NULL THEN greatest(0, reports_live_working_days(
    (c.opened_at AT TIME ZONE {SHANGHAI})::date, (c.closed_at AT TIME ZONE {SHANGHAI})::date)) END,
  c.escalation_level,
  coalesce(v.qs, '{{}}'),
  coalesce(r.late, '{{}}'){extra}
FROM cs AS c
LEFT JOIN r ON r.case_id = c.id
LEFT JOIN v ON v.case_id = c.id"""


def _complaint_facts(complaints: str) -> str:
    return f"""
WITH ps AS MATERIALIZED ({complaints}),
r AS (
  SELECT x.complaint_id, array_agg(x.q ORDER BY x.q) AS qs, array_agg(x.level::text ORDER BY x.q) AS levels
  FROM (
    SELECT DISTINCT ON (g.complaint_id, reports_live_quarter(g.created_at))
      g.complaint_id, reports_live_quarter(g.created_at) AS q, g.level
    FROM ps AS p JOIN complaints_rating AS g ON g.complaint_id = p.id
    ORDER BY g.complaint_id, reports_live_quarter(g.created_at), g.created_at DESC, g.id DESC
  ) AS x
  GROUP BY x.complaint_id
)
SELECT p.id, coalesce(p.department_id, 0)::integer, p.category, p.channel,
  reports_live_quarter(p.received_at), p.channel IN ('liaison_point', 'supervisor'),
  coalesce(r.qs, '{{}}'), coalesce(r.levels, '{{}}')
FROM ps AS p
LEFT JOIN r ON r.complaint_id = p.id"""


def _facts_function(kind: str, table: str, select) -> str:
    """reports_live_<kind>_facts(ids): the facts of those rows, or of all of them (NULL)."""
    return f"""
CREATE FUNCTION reports_live_{kind}_facts(ids bigint[]) RETURNS SETOF reports_{kind}fact
LANGUAGE plpgsql STABLE SET jit = off AS $$
BEGIN
  IF ids IS NULL THEN
    RETURN QUERY {select(f"SELECT * FROM {table}")};
  ELSE
    RETURN QUERY {select(f"SELECT * FROM {table} WHERE id = ANY(ids)")};
  END IF;
END $$;
"""


CASE_FACTS = _facts_function("case", "casework_case", _case_facts)
COMPLAINT_FACTS = _facts_function("complaint", "complaints_complaint", _complaint_facts)


def _refresh(kind: str, key: str, template: str, sums=None, office: str = "", columns=None) -> str:
    table = f"reports_{kind}fact"
    new = _contributions(template, "new_facts", 1, office)
    old = _contributions(template, "old_facts", -1, office)
    columns = columns or _columns(kind)
    return f"""
-- (jit = off in every function a writer runs: a statement over a few rows is costed high enough
-- for PostgreSQL to compile it, which takes longer than running it.)
CREATE FUNCTION reports_live_refresh_{kind}s(ids bigint[]) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  -- One writer per row at a time, in one order: the facts read below are the ones last written.
  PERFORM 1 FROM {table} WHERE {key} = ANY(ids) ORDER BY {key} FOR UPDATE;
  WITH new_facts AS MATERIALIZED (SELECT * FROM reports_live_{kind}_facts(ids)),
  old_facts AS MATERIALIZED (SELECT * FROM {table} WHERE {key} = ANY(ids)),
  sums AS ({_add(f"{new} UNION ALL {old}", sums)}
    RETURNING 1),
  gone AS (DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM old_facts EXCEPT SELECT {key} FROM new_facts)
    RETURNING 1)
  INSERT INTO {table} SELECT * FROM new_facts
  ON CONFLICT ({key}) DO UPDATE SET ({", ".join(columns)}) = ROW({", ".join(f"EXCLUDED.{c}" for c in columns)})
  WHERE ({table}.*) IS DISTINCT FROM (EXCLUDED.*);
END $$;
"""


def _columns(kind: str) -> list[str]:
    text = CASE_FACT_COLUMNS if kind == "case" else COMPLAINT_FACT_COLUMNS
    return [line.split()[0] for line in text.strip().splitlines()][1:]


def _trigger(table: str, function: str) -> str:
    """Three statement triggers on ``table`` (a trigger with transition tables has one event)."""
    return f"""
CREATE TRIGGER reports_live_ins AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}('insert');
CREATE TRIGGER reports_live_upd AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}('update');
CREATE TRIGGER reports_live_del AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}('delete');
"""


def _folded(relation: str, sign: int) -> str:
    """``relation``'s rows as reports_live_fold(cutoff) leaves them, times ``sign``."""
    folding = "grain = 'd' AND day < cutoff"
    columns = []
    for c in COUNTERS:
        if c == "late_started":
            value = (
                f"late_started + CASE WHEN {folding} THEN late_start_midnight + late_start_instant ELSE 0 END"
            )
        elif c in ("late_start_midnight", "late_start_instant"):
            value = f"CASE WHEN {folding} THEN 0 ELSE {c} END"
        else:
            value = c
        columns.append(f"{sign} * ({value}) AS {c}")
    return f"""SELECT CASE WHEN {folding} THEN 'q' ELSE grain END AS grain, period,
        CASE WHEN {folding} THEN period ELSE day END AS day, department_id, dimension, value,
        {", ".join(columns)} FROM {relation}"""


def _changed_values(value: str, columns: list[str]) -> str:
    """``value`` on both sides of every row an UPDATE changed in ``columns``: one aggregate over
    the two transition tables, grouped by id. (Not a join of the two: PostgreSQL knows nothing of
    their sizes, and a nested loop over a spilled transition table turns a big update quadratic.)"""
    row = f"ROW({', '.join(columns)})::text"
    return f"""
      SELECT DISTINCT unnest(array_agg(x)) FROM (
        SELECT id, {value} AS x, {row} AS v FROM new_rows
        UNION ALL
        SELECT id, {value}, {row} FROM old_rows
      ) AS sides
      GROUP BY id HAVING min(v) IS DISTINCT FROM max(v)"""


CASE_COLUMNS = ["status", "department_id", "category", "channel", "disposition", "opened_at", "closed_at"]
_FACT_COLUMNS = _columns("case")


def _escalation_only(sums=None, case_columns=CASE_COLUMNS, fact_columns=_FACT_COLUMNS, office="") -> str:
    return f"""
    WITH moved AS MATERIALIZED (
      SELECT id, old_level, new_level FROM (
        SELECT id, max(escalation_level) FILTER (WHERE side) AS new_level,
          max(escalation_level) FILTER (WHERE NOT side) AS old_level,
          min(v) IS DISTINCT FROM max(v) AS rest_changed
        FROM (
          SELECT id, escalation_level, ROW({", ".join(case_columns)})::text AS v, true AS side FROM new_rows
          UNION ALL
          SELECT id, escalation_level, ROW({", ".join(case_columns)})::text, false FROM old_rows
        ) AS sides
        GROUP BY id
      ) AS pairs
      WHERE new_level IS DISTINCT FROM old_level AND NOT rest_changed
    ), new_facts AS (
      UPDATE reports_casefact AS f SET escalation_level = m.new_level FROM moved AS m
      WHERE f.case_id = m.id RETURNING f.*, m.old_level
    ), old_facts AS (
      SELECT f.case_id, {", ".join("f.old_level AS escalation_level" if c == "escalation_level" else f"f.{c}" for c in fact_columns)}
      FROM new_facts AS f
    ){_add(_contributions(ESCALATION_CONTRIBUTIONS, "new_facts", 1, office) + " UNION ALL " + _contributions(ESCALATION_CONTRIBUTIONS, "old_facts", -1, office), sums)}"""


def _on_case(sums=None, case_columns=CASE_COLUMNS, fact_columns=_FACT_COLUMNS, office="") -> str:
    return f"""
CREATE FUNCTION reports_live_on_case() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    PERFORM reports_live_refresh_cases(ARRAY(SELECT id FROM new_rows));
  ELSIF TG_ARGV[0] = 'delete' THEN
    PERFORM reports_live_refresh_cases(ARRAY(SELECT id FROM old_rows));
  ELSE
    -- The escalation sweep moves only the level: its cases' facts change in that column alone, so
    -- their contributions are told apart without computing the facts again.
    {_escalation_only(sums, case_columns, fact_columns, office)};
    PERFORM reports_live_refresh_cases(ARRAY({_changed_values("id", case_columns)}));
  END IF;
  RETURN NULL;
END $$;

"""


TRIGGER_FUNCTIONS = _on_case() + f"""CREATE FUNCTION reports_live_on_referral() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    PERFORM reports_live_refresh_cases(ARRAY(SELECT DISTINCT case_id FROM new_rows WHERE due_date IS NOT NULL));
  ELSIF TG_ARGV[0] = 'delete' THEN
    PERFORM reports_live_refresh_cases(ARRAY(SELECT DISTINCT case_id FROM old_rows));
  ELSE
    PERFORM reports_live_refresh_cases(ARRAY(
      {_changed_values("case_id", ["case_id", "due_date", "sent_at", "closed_at"])}));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION reports_live_on_review() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    PERFORM reports_live_refresh_cases(ARRAY(
      SELECT DISTINCT f.case_id FROM new_rows AS n JOIN casework_handlingreport AS h ON h.id = n.report_id
      JOIN casework_referral AS f ON f.id = h.referral_id WHERE n.decision = 'return'));
  ELSIF TG_ARGV[0] = 'delete' THEN
    PERFORM reports_live_refresh_cases(ARRAY(
      SELECT DISTINCT f.case_id FROM old_rows AS o JOIN casework_handlingreport AS h ON h.id = o.report_id
      JOIN casework_referral AS f ON f.id = h.referral_id WHERE o.decision = 'return'));
  ELSE
    PERFORM reports_live_refresh_cases(ARRAY(
      SELECT DISTINCT f.case_id
      FROM ({_changed_values("report_id", ["report_id", "decision", "reviewed_at"])}) AS x(report_id)
      JOIN casework_handlingreport AS h ON h.id = x.report_id
      JOIN casework_referral AS f ON f.id = h.referral_id));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION reports_live_on_complaint() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    PERFORM reports_live_refresh_complaints(ARRAY(SELECT id FROM new_rows));
  ELSIF TG_ARGV[0] = 'delete' THEN
    PERFORM reports_live_refresh_complaints(ARRAY(SELECT id FROM old_rows));
  ELSE
    PERFORM reports_live_refresh_complaints(ARRAY(
      {_changed_values("id", ["department_id", "category", "channel", "received_at"])}));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION reports_live_on_rating() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    PERFORM reports_live_refresh_complaints(ARRAY(SELECT DISTINCT complaint_id FROM new_rows));
  ELSIF TG_ARGV[0] = 'delete' THEN
    PERFORM reports_live_refresh_complaints(ARRAY(SELECT DISTINCT complaint_id FROM old_rows));
  ELSE
    PERFORM reports_live_refresh_complaints(ARRAY(
      {_changed_values("complaint_id", ["complaint_id", "level", "created_at"])}));
  END IF;
  RETURN NULL;
END $$;

-- The calendar: the handling days of the concluded cases whose span holds a changed day or year.
CREATE FUNCTION reports_live_on_calendar_days(first_day date, last_day date) RETURNS void LANGUAGE sql SET jit = off AS $$
  SELECT reports_live_refresh_cases(ARRAY(
    SELECT id FROM casework_case
    WHERE status = 'concluded' AND first_day IS NOT NULL
      AND opened_at < (last_day::timestamp AT TIME ZONE {SHANGHAI})
      AND closed_at >= (first_day::timestamp AT TIME ZONE {SHANGHAI})));
$$;

CREATE FUNCTION reports_live_on_calendarday() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  first_day date;
  last_day date;
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    SELECT min(date), max(date) INTO first_day, last_day FROM new_rows;
  ELSIF TG_ARGV[0] = 'delete' THEN
    SELECT min(date), max(date) INTO first_day, last_day FROM old_rows;
  ELSE
    SELECT min(x.d), max(x.d) INTO first_day, last_day
    FROM ({_changed_values("date", ["date", "is_working_day"])}) AS x(d);
  END IF;
  PERFORM reports_live_on_calendar_days(first_day, last_day);
  RETURN NULL;
END $$;

CREATE FUNCTION reports_live_on_calendaryear() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  first_year integer;
  last_year integer;
BEGIN
  IF TG_ARGV[0] = 'insert' THEN
    SELECT min(year), max(year) INTO first_year, last_year FROM new_rows WHERE complete;
  ELSIF TG_ARGV[0] = 'delete' THEN
    SELECT min(year), max(year) INTO first_year, last_year FROM old_rows WHERE complete;
  ELSE
    SELECT min(x.y), max(x.y) INTO first_year, last_year
    FROM ({_changed_values("year", ["year", "complete"])}) AS x(y);
  END IF;
  PERFORM reports_live_on_calendar_days(make_date(first_year, 1, 1), make_date(last_year, 12, 31));
  RETURN NULL;
END $$;
"""

def _drift(office: bool = False) -> str:
    return f"""CREATE FUNCTION reports_live_drift(cutoff date) RETURNS TABLE (
  grain char(1), period date, day date, department_id integer, dimension char(1), value varchar(20),
  {", ".join(f"{c} integer" for c in COUNTERS)}
) LANGUAGE sql STABLE AS $$
  WITH kept AS (
    SELECT {KEY}, {", ".join(COUNTERS)} FROM reports_livefigure
  ), counted AS ({_sums(_all_contributions("reports_live_case_facts(NULL)", "reports_live_complaint_facts(NULL)", office), office)}
  ), diff AS (
    SELECT {KEY}, {", ".join(f"sum({c})::integer AS {c}" for c in COUNTERS)}
    FROM ({_folded("counted", 1)} UNION ALL {_folded("kept", -1)}) AS both_sides
    GROUP BY {KEY}
  )
  SELECT * FROM diff WHERE {" OR ".join(f"{c} <> 0" for c in COUNTERS)}
$$;
"""


def _compact(extra: str = "") -> str:
    """reports_live_compact(); ``extra``: further CTEs over ``gone`` (the rows merged), such as
    migration 0006's totals."""
    return f"""CREATE FUNCTION reports_live_compact() RETURNS bigint LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  merged_rows bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('reports_livefigure'));
  WITH touched AS (
    SELECT DISTINCT {KEY} FROM reports_livefigure WHERE NOT merged
  ), gone AS (
    DELETE FROM reports_livefigure AS l USING touched AS t
    WHERE (l.grain, l.period, l.day, l.department_id, l.dimension, l.value)
        = (t.grain, t.period, t.day, t.department_id, t.dimension, t.value)
    RETURNING l.*
  ), added AS (
    INSERT INTO reports_livefigure ({KEY}, {", ".join(COUNTERS)}, merged)
    SELECT {KEY}, {", ".join(f"sum({c})" for c in COUNTERS)}, true FROM gone
    GROUP BY {KEY}
    HAVING {" OR ".join(f"sum({c}) <> 0" for c in COUNTERS)}
    RETURNING 1
  ){extra}
  SELECT count(*) INTO merged_rows FROM gone;
  RETURN merged_rows;
END $$;
"""


FORWARD = f"""
CREATE TABLE reports_casefact ({CASE_FACT_COLUMNS});
CREATE TABLE reports_complaintfact ({COMPLAINT_FACT_COLUMNS});
CREATE TABLE reports_livefigure (
  id bigserial PRIMARY KEY,
  grain char(1) NOT NULL,
  period date NOT NULL,
  day date NOT NULL,
  department_id integer NOT NULL,
  dimension char(1) NOT NULL,
  value varchar(20) NOT NULL,
  {", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in COUNTERS)},
  merged boolean NOT NULL DEFAULT false
);
CREATE INDEX reports_livefigure_key ON reports_livefigure ({KEY});
CREATE INDEX reports_livefigure_new ON reports_livefigure (id) WHERE NOT merged;
-- Rows come and go all day long (appended, merged every minute): keep its statistics fresh.
ALTER TABLE reports_livefigure SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);

CREATE FUNCTION reports_live_quarter(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('quarter', t AT TIME ZONE {SHANGHAI})::date
$$;

-- Working days after a up to and including b, as core.calendar counts them: weekdays, with the
-- staff's exceptions in the years marked complete.
CREATE FUNCTION reports_live_working_days(a date, b date) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN b <= a THEN 0 ELSE
    ((b - a) / 7) * 5
    + (SELECT count(*)::integer FROM generate_series(a + 1 + ((b - a) / 7) * 7, b, interval '1 day') AS d
       WHERE extract(isodow FROM d) < 6)
    + (SELECT coalesce(sum(CASE
          WHEN d.is_working_day AND extract(isodow FROM d.date) >= 6 THEN 1
          WHEN NOT d.is_working_day AND extract(isodow FROM d.date) < 6 THEN -1
          ELSE 0 END), 0)::integer
       FROM core_calendarday AS d
       JOIN core_calendaryear AS y ON y.year = extract(year FROM d.date) AND y.complete
       WHERE d.date > a AND d.date <= b)
  END
$$;

{CASE_FACTS}
{COMPLAINT_FACTS}
{_refresh("case", "case_id", CASE_CONTRIBUTIONS)}
{_refresh("complaint", "complaint_id", COMPLAINT_CONTRIBUTIONS)}

-- Every fact again from the source tables, and the sums from them, folded at ``cutoff``.
CREATE FUNCTION reports_live_recount(cutoff date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE reports_casefact, reports_complaintfact, reports_livefigure;
  INSERT INTO reports_casefact SELECT * FROM reports_live_case_facts(NULL);
  INSERT INTO reports_complaintfact SELECT * FROM reports_live_complaint_facts(NULL);
  INSERT INTO reports_livefigure ({KEY}, {", ".join(COUNTERS)}, merged)
  SELECT *, true FROM ({_sums(_all_contributions("reports_casefact", "reports_complaintfact"))}) AS counted;
  PERFORM reports_live_fold(cutoff);
  PERFORM reports_live_compact();
END $$;

-- The day rows of starts of lateness before ``cutoff`` (today on the Shanghai calendar: those
-- have all happened) folded into their quarter's row, where the quarter in progress reads them
-- at once instead of day by day. The sums read the same before and after.
CREATE FUNCTION reports_live_fold(cutoff date) RETURNS bigint LANGUAGE sql SET jit = off AS $$
  SELECT pg_advisory_xact_lock(hashtext('reports_livefigure'));
  WITH moved AS (
    DELETE FROM reports_livefigure WHERE grain = 'd' AND day < cutoff
    RETURNING period, department_id, dimension, value, late_start_midnight + late_start_instant AS n
  ), added AS (
    INSERT INTO reports_livefigure ({KEY}, late_started)
    SELECT 'q', period, period, department_id, dimension, value, sum(n) FROM moved
    GROUP BY period, department_id, dimension, value
    HAVING sum(n) <> 0
    RETURNING 1
  )
  SELECT count(*) FROM moved
$$;

-- The rows of every key that got new ones since the last run, merged into one row per key (the
-- sums read the same). Writers append and never wait for it; it waits for nobody but another
-- run or a fold (one at a time: the advisory lock).
{_compact()}
-- What the kept sums differ by from a recount (recount minus kept), both folded at ``cutoff``,
-- without writing anything.
{_drift()}
{TRIGGER_FUNCTIONS}
{_trigger("casework_case", "reports_live_on_case")}
{_trigger("casework_referral", "reports_live_on_referral")}
{_trigger("casework_review", "reports_live_on_review")}
{_trigger("complaints_complaint", "reports_live_on_complaint")}
{_trigger("complaints_rating", "reports_live_on_rating")}
{_trigger("core_calendarday", "reports_live_on_calendarday")}
{_trigger("core_calendaryear", "reports_live_on_calendaryear")}

SELECT reports_live_recount((now() AT TIME ZONE {SHANGHAI})::date);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reports_live_ins ON casework_case;
DROP TRIGGER IF EXISTS reports_live_upd ON casework_case;
DROP TRIGGER IF EXISTS reports_live_del ON casework_case;
DROP TRIGGER IF EXISTS reports_live_ins ON casework_referral;
DROP TRIGGER IF EXISTS reports_live_upd ON casework_referral;
DROP TRIGGER IF EXISTS reports_live_del ON casework_referral;
DROP TRIGGER IF EXISTS reports_live_ins ON casework_review;
DROP TRIGGER IF EXISTS reports_live_upd ON casework_review;
DROP TRIGGER IF EXISTS reports_live_del ON casework_review;
DROP TRIGGER IF EXISTS reports_live_ins ON complaints_complaint;
DROP TRIGGER IF EXISTS reports_live_upd ON complaints_complaint;
DROP TRIGGER IF EXISTS reports_live_del ON complaints_complaint;
DROP TRIGGER IF EXISTS reports_live_ins ON complaints_rating;
DROP TRIGGER IF EXISTS reports_live_upd ON complaints_rating;
DROP TRIGGER IF EXISTS reports_live_del ON complaints_rating;
DROP TRIGGER IF EXISTS reports_live_ins ON core_calendarday;
DROP TRIGGER IF EXISTS reports_live_upd ON core_calendarday;
DROP TRIGGER IF EXISTS reports_live_del ON core_calendarday;
DROP TRIGGER IF EXISTS reports_live_ins ON core_calendaryear;
DROP TRIGGER IF EXISTS reports_live_upd ON core_calendaryear;
DROP TRIGGER IF EXISTS reports_live_del ON core_calendaryear;
DROP FUNCTION IF EXISTS reports_live_on_case, reports_live_on_referral, reports_live_on_review,
  reports_live_on_complaint, reports_live_on_rating, reports_live_on_calendarday,
  reports_live_on_calendaryear, reports_live_on_calendar_days, reports_live_recount, reports_live_drift,
  reports_live_fold, reports_live_compact,
  reports_live_refresh_cases, reports_live_refresh_complaints, reports_live_case_facts,
  reports_live_complaint_facts, reports_live_working_days, reports_live_quarter;
DROP TABLE IF EXISTS reports_livefigure, reports_casefact, reports_complaintfact;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_efficiency_assessment"),
        ("casework", "0015_retention_timeline_redaction"),
        ("complaints", "0015_retention_purged_at"),
        ("core", "0012_exports_exportjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables, functions and triggers: SQL above, on PostgreSQL only.
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            # Declared to Django (reports.live_models) so that flush empties them with the rest.
            state_operations=[
        migrations.CreateModel(
            name='CaseFact',
            fields=[
                ('case_id', models.BigIntegerField(primary_key=True, serialize=False)),
            ],
            options={
                'db_table': 'reports_casefact',
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='ComplaintFact',
            fields=[
                ('complaint_id', models.BigIntegerField(primary_key=True, serialize=False)),
            ],
            options={
                'db_table': 'reports_complaintfact',
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='LiveFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.CharField(max_length=1)),
                ('period', models.DateField()),
                ('day', models.DateField()),
                ('department_id', models.IntegerField()),
                ('dimension', models.CharField(max_length=1)),
                ('value', models.CharField(max_length=20)),
                ('received', models.IntegerField(default=0)),
                ('liaison_complaints', models.IntegerField(default=0)),
                ('rated', models.IntegerField(default=0)),
                ('rated_satisfied', models.IntegerField(default=0)),
                ('rated_basically', models.IntegerField(default=0)),
                ('rated_unsatisfied', models.IntegerField(default=0)),
                ('accepted', models.IntegerField(default=0)),
                ('self_handled', models.IntegerField(default=0)),
                ('transferred', models.IntegerField(default=0)),
                ('assigned', models.IntegerField(default=0)),
                ('undecided', models.IntegerField(default=0)),
                ('concluded', models.IntegerField(default=0)),
                ('concluded_late', models.IntegerField(default=0)),
                ('handled', models.IntegerField(default=0)),
                ('handling_days', models.IntegerField(default=0)),
                ('returned', models.IntegerField(default=0)),
                ('open_delta', models.IntegerField(default=0)),
                ('escalated_delta', models.IntegerField(default=0)),
                ('escalated_1_delta', models.IntegerField(default=0)),
                ('escalated_2_delta', models.IntegerField(default=0)),
                ('escalated_3_delta', models.IntegerField(default=0)),
                ('late_start', models.IntegerField(default=0)),
                ('late_end', models.IntegerField(default=0)),
                ('late_started', models.IntegerField(default=0)),
                ('late_start_midnight', models.IntegerField(default=0)),
                ('late_start_instant', models.IntegerField(default=0)),
                ('merged', models.BooleanField(default=False)),
            ],
            options={
                'db_table': 'reports_livefigure',
                'default_permissions': (),
            },
        ),
            ],
        )
    ]
