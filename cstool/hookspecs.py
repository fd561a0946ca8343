"""Every hook a cstool plugin can implement. docs/hooks.md documents each one, with examples.

Families (spec section 10): record, classify, escalate, report, survey; plus commands,
policy checks and demo data. Hooks that see records receive them in batches (a list),
so an import of 100,000 rows makes one call, not 100,000.

Hooks are called in pluggy's order: last registered first, ``tryfirst`` / ``trylast``
to change that. Workspace plugins register after bundled and installed ones.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("cstool")


# ---- record family ---------------------------------------------------------------


@hookspec
def cstool_kinds():
    """Declare the record kinds this plugin provides.

    Called once per command, when the kinds are first needed.
    Arguments: none.
    Returns: a list of ``cstool.api.Kind``. Every result is collected; a kind name or id
    prefix declared twice is an error naming both plugins.
    """


@hookspec
def cstool_validate_records(kind, records, policy, lookup):
    """Refuse records that break a rule of your own, before anything is saved.

    Called by ``record``, ``import`` and ``update`` after every field has been parsed to
    its type and required fields checked, and before enrichment and classification.
    Arguments: ``kind`` (Kind), ``records`` (list of record dicts, not yet saved: new
    records have ``id`` None), ``policy`` (Policy), ``lookup`` (read-only, for checking
    links: ``lookup.get(kind_name, id)`` one stored record or None, ``lookup.count(
    kind_name, field)`` records per value of a field, ``lookup.where(kind_name, field,
    value)`` the records with that value, ``lookup(kind_name)`` every record).
    Returns: a list of ``(index, field, message)`` for the records at ``index`` in
    ``records`` that are refused, or None. Every plugin's answers are collected; any
    refusal stops the command (or, in an import, that row) and nothing is written.
    """


@hookspec
def cstool_enrich_records(kind, records, policy, lookup):
    """Fill in or derive values before records are saved.

    Called after validation and before classification, by ``record``, ``import`` and
    ``update``.
    Arguments: ``kind`` (Kind), ``records`` (list of record dicts about to be saved),
    ``policy`` (Policy), ``lookup`` (stored records of a kind, read-only, as for
    ``cstool_validate_records``).
    Change the dicts in ``records`` in place (only fields of the kind and the envelope
    keys department, category, priority, tags, customer_id). Returns None.
    """


@hookspec
def cstool_record_notes(kind, record, policy, lang):
    """Guidance to show beside a record when a person sees or works on it.

    Called by ``show``, ``record``, ``update``, ``respond``, ``status`` and ``assign`` in
    table format (never in JSON or CSV, which carry the record alone).
    Arguments: ``kind`` (Kind), ``record`` (the record dict as shown), ``policy``
    (Policy), ``lang`` ("zh" or "en").
    Returns: a list of ``(title, text)`` pairs, or None. Every plugin's notes are shown,
    in hook order.
    """


@hookspec
def cstool_case_actions(kind, record, app):
    """Offer actions on one record at the desk (``cstool desk``: key ``p`` on a case).

    Called when a person at the desk asks for the actions of ``record`` (of ``kind``).
    Arguments: ``kind`` (Kind), ``record`` (the record as stored: do not mutate), ``app``
    (the desk's Context: ``app.book`` changes records, ``app.may`` tells what the person may).
    Returns: a list of ``cstool.api.CaseAction`` (``name``, ``label``, ``run(app, record_id,
    text) -> record or a line to show``, ``ask``: the question for one line of text, or
    None), or None. Every
    implementation is called; the actions are listed in hook order.
    """


@hookspec
def cstool_reminders(kind, record, app):
    """Say what a person at the desk should know now about one record of their open work.

    Called by ``cstool desk`` for each record of the queue it shows, each time it reads the
    queue (at a change, or ``g``); each reminder is shown once (by its key).
    Arguments: ``kind`` (Kind), ``record`` (as stored), ``app`` (the desk's Context:
    ``app.user`` is who is at the desk, ``app.may`` what they may do).
    Returns: a list of ``(key, text)`` pairs (the key names the reminder, so it is said once),
    or None. Every implementation is called.
    """


# ---- classify family -------------------------------------------------------------


@hookspec
def cstool_check_reply(kind, record, policy, reply):
    """Hold a reply to the customer until a condition is met (a supervisor's approval), or
    refuse what it says (an apology where the company is not at fault).

    Called by ``cstool respond`` and by a ``status`` move into a resolved phase, inside the
    record's change, before the reply is written.
    Arguments: ``kind`` (Kind), ``record`` (the record as stored), ``policy`` (Policy),
    ``reply`` (the words of the reply: the ``--note`` of respond or status; None without).
    Returns: a message saying why the reply must wait, or None. Every implementation is
    asked; the first message refuses the change (exit 1, nothing written).
    """


@hookspec
def cstool_classify(kind, records, policy):
    """Suggest a category, priority and tags for records.

    Called on save (``record``, ``import``, ``update``) and by ``cstool classify``.
    Arguments: ``kind`` (Kind), ``records`` (list of record dicts), ``policy`` (Policy).
    Returns: a list as long as ``records``, each item None or a dict with any of
    ``category`` (str), ``priority`` (str), ``tags`` (list of str) and ``rules`` (list of
    rule names, for the audit trail), or None for no suggestions at all.
    All plugins' suggestions are merged: the first category offered wins (hook order),
    the most urgent priority wins, tags are joined. A value set by hand is never
    overwritten; only empty values and values set by an earlier classification are.
    Read ``records``, do not change them: stored records are shared with the rest of the
    command (cstool applies the merged suggestions itself, to copies).
    """


# ---- escalate family -------------------------------------------------------------


@hookspec
def cstool_notify(actions, policy, workspace, store):
    """Deliver escalation notices.

    Called by ``cstool escalate`` with the notices ready to go, after their ``escalated``
    events are written; notices raised while ``[notify] calendar`` is closed are held
    until it opens. Not called with ``--dry-run``.
    Arguments: ``actions`` (list of dicts shaped as in SPEC section 5, ``escalate``),
    ``policy`` (Policy), ``workspace`` (Workspace: this desk's folder), ``store``
    (RecordStore: what every desk shares; ``store.append_log`` keeps a log there).
    Returns: None. Every implementation is called in pluggy's order (tryfirst, plain ones
    last-registered first, trylast), each inside the hook's wrappers; one that raises is
    reported by name and the others still run.
    """


@hookspec(firstresult=True)
def cstool_send_report(path, title, recipients, policy, workspace, store):
    """Send a report file to the people who should read it (``cstool report NAME --send``).

    Called once per ``--send``, after the file is written. firstresult: the first
    implementation that sends it answers, the others are not asked; the bundled ``smtp``
    plugin mails it as an attachment when ``[notify.smtp]`` is set, else the bundled
    ``outbox`` plugin (trylast) keeps it in the store's outbox.
    Arguments: ``path`` (Path of the file), ``title`` (str: the report and its period, in
    the workspace's language), ``recipients`` (list of names, as in ``[departments]``),
    ``policy`` (Policy), ``workspace`` (Workspace), ``store`` (RecordStore).
    Returns: a line saying how it went ("e-mailed to 2 of 3 recipients"), or None to
    leave it to the next plugin.
    """


# ---- report family ---------------------------------------------------------------


@hookspec
def cstool_reports():
    """Declare reports for ``cstool report NAME``.

    Called once per command when reports are listed or run.
    Arguments: none.
    Returns: a list of ``cstool.api.Report``. A report name declared twice is an error.
    """


@hookspec
def cstool_output_formats():
    """Add file formats for ``--output FILE`` (and a report's ``--format``), by suffix.

    Called once per command when a file is written or a format is looked up.
    Arguments: none.
    Returns: a list of ``cstool.api.OutputFormat`` (``suffix``, ``label``, ``render(title,
    blocks, json_value) -> bytes``). The core's own (csv, xlsx, html, md, json) come first; a
    plugin's format with a suffix already taken is refused with a warning.
    """


@hookspec(firstresult=True)
def cstool_plugin_files():
    """The folder of files that ship with a plugin, laid out as a workspace's ``templates/``.

    Called when a new workspace is made (``cstool init``: the plugin's ``policy.toml`` is
    merged in), when a template is looked up by name (``import/NAME.toml`` for ``--map
    NAME``, ``forms/...``), and when the command tree is built (``locale/<lang>/LC_MESSAGES/
    <plugin>.mo``: its commands' help and, through ``api.catalogue_of``, its messages).
    Arguments: none.
    Returns: a ``pathlib.Path`` (usually ``Path(__file__).parent / "files"``), or None.
    firstresult: cstool asks each plugin for its own (one plugin at a time).
    """


# ---- record sources ---------------------------------------------------------------


@hookspec
def cstool_record_sources():
    """Add places ``cstool import KIND SOURCE`` reads rows from (a mailbox, an API), beside files.

    Called once per import, before anything is read.
    Arguments: none.
    Returns: a list of ``cstool.api.RecordSource`` (``name``, ``accepts(location) -> bool``,
    ``read(location, encoding) -> (header or None, rows)``, rows as ``api.SourceRow``). The
    first source that accepts the location reads it, plugins' before the core's files; its
    rows go through the same map, validation, idempotency and all-or-nothing write as a file's.
    """


# ---- the worker ------------------------------------------------------------------


@hookspec
def cstool_worker_jobs():
    """Add jobs to ``cstool worker``, which runs a department's work on its own.

    Called once when the worker starts.
    Arguments: none.
    Returns: a list of ``cstool.api.WorkerJob(name, args, every, summary=None, needs=None)``:
    the cstool command the job runs (``args`` without ``cstool``; ``{month}`` replaced with
    the month a monthly job covers), its default interval (``"1m"``, ``"1h"``, ``"1d"``,
    ``"monthly"``; ``[worker] NAME = "…"`` or ``"off"`` in policy overrides), the line to log
    from the command's JSON output, and a policy key without which it does not run. Each job
    runs as its own process, as the command would from cron, by the one worker of the store
    that leads. Every result is collected; a name already taken (the core's ``escalate``,
    ``purge``) is refused with a warning.
    """


# ---- survey family ---------------------------------------------------------------


@hookspec
def cstool_questionnaires():
    """Offer questionnaire files (TOML) for ``cstool survey``.

    Called by ``cstool survey list|run|due|import`` when questionnaires are looked up.
    Arguments: none.
    Returns: a list of ``pathlib.Path`` to questionnaire TOML files. The workspace's
    ``templates/surveys/`` are added by the core.
    """


@hookspec
def cstool_survey_answered(record, answers, policy):
    """React to a completed survey, e.g. open a follow-up for a low score.

    Called by ``cstool survey run`` after the answers are stored.
    Arguments: ``record`` (the record surveyed), ``answers`` (dict question id → answer),
    ``policy`` (Policy).
    Returns: None.
    """


# ---- commands, policy, demo ------------------------------------------------------


@hookspec
def cstool_commands(cli):
    """Add click commands to the ``cstool`` command group.

    Called once, after every plugin has loaded and the core commands are in place, so a
    plugin may add a command but not replace a core one.
    Arguments: ``cli`` (click.Group). Use ``cli.command()`` or ``cli.add_command``;
    ``click.get_current_context().obj`` inside a command is the ``cstool.api.Context``.
    Returns: None.
    """


@hookspec
def cstool_commitments(policy):
    """Add your department's promises to the published service commitments (服务承诺).

    Called by ``cstool commitments``, which writes the page customers read from the same
    policy that times the department.
    Arguments: ``policy`` (Policy).
    Returns: a list of ``(heading, lines)``: ``heading`` a ``label(en, zh)`` dict, ``lines``
    a list of such dicts, one promise each; or None. Every plugin's sections are shown,
    after the core's (opening hours, holidays, response and resolution times).
    """


@hookspec
def cstool_records_stored(kind, records, app):
    """React to records just stored: keep something derived from them up to date.

    Called after ``record``, ``import`` (once per batch of up to 5,000 of the records it
    added, read back from the store after its commit) and every change
    to a record (``update``, ``respond``, ``status``, ``assign``) has been written, outside
    its kind's lock. Not called by ``--dry-run``.
    Arguments: ``kind`` (Kind), ``records`` (the records as stored), ``app`` (the command's
    Context: ``app.store.transaction`` to write another kind's records).
    Returns: None. Every implementation is called.
    """


@hookspec(firstresult=True)
def cstool_store(url, app):
    """Open the record store that ``url`` names, when its scheme is yours.

    Called once per command, the first time records are read or written, when the
    workspace names a store (``cstool init --store URL``, ``[workspace] store``) or
    ``CSTOOL_STORE_URL`` is set; a workspace that names none keeps its records in its
    ``data/`` folder and this hook is not called.
    Arguments: ``url`` (the URL as given, perhaps with a password from the environment:
    never print it, use ``cstool.api.redact_url``), ``app`` (the command's Context: its
    kinds, user and ``warn``).
    Returns: a ``cstool.api.RecordStore`` (see docs/storage.md), or None when the URL is
    not for you. firstresult: the first store returned is used; none is an error naming
    the URL's scheme.
    """


@hookspec
def cstool_policy_keys():
    """Declare the policy keys your plugin reads, so that a misspelt one is caught.

    Called whenever the policy is checked (every command that loads it, ``policy check``,
    before ``policy set`` writes).
    Arguments: none.
    Returns: a list of dotted keys: ``"parcels.max_weight"`` (one key of a section), or
    ``"parcels.*"`` / ``"parcels"`` (a section whose keys are names a department chooses).
    Every result is collected. A top-level section nobody declares, or a key of a declared
    section nobody declares, is a policy problem with the closest known key suggested;
    the choices a kind's fields take from policy (``choices_from``) count as declared.
    """


@hookspec
def cstool_permissions():
    """Declare the permissions your plugin checks (``app.require("refund")``), so that
    ``[roles]`` may grant them and refusals say what they allow.

    Called once a command, when the staff directory is first read (the acting person, a
    permission check, ``cstool roles``, ``policy check``).
    Arguments: none.
    Returns: a dict of permission name to what it lets a person do, in English (the
    plugin's catalogue translates it), e.g. ``{"refund": "pay a refund"}``. Every result is
    collected; a name the core has already (``reveal``, ``export``, …) keeps the core's.
    Only the administrator role holds a plugin's permission until ``[roles]`` grants it.
    """


@hookspec
def cstool_check_policy(policy, kinds):
    """Check the policy sections your plugin reads.

    Called by ``cstool policy check``, before ``policy set`` writes, and whenever a
    command loads the policy.
    Arguments: ``policy`` (Policy: ``policy.get("a.b")`` reads plain values), ``kinds``
    (the registry of loaded kinds: ``kinds.names()``, ``kinds.get(name)``).
    Returns: a list of ``cstool.api.Problem(path, message)``, ``path`` a tuple of keys
    and array indexes; the core turns each into ``policy.toml:LINE: key: message``.
    """


@hookspec
def cstool_demo_records(rng, now, policy):
    """Contribute realistic records to ``cstool demo``.

    Called once by ``cstool demo`` on a new workspace.
    Arguments: ``rng`` (random.Random, seeded: use it for every choice so the demo is
    the same every time), ``now`` (aware datetime the demo is built around),
    ``policy`` (Policy).
    Returns: a list of ``cstool.api.DemoRecord``.
    """
