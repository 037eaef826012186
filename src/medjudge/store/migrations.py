"""Append-only schema migrations. Never edit a released migration: add the next one."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

#: MIGRATIONS[i] brings the schema from version i to version i + 1 (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    # 1: items, runs, answers, MCQ scores.
    """
    CREATE TABLE items (
        dataset_sha256 TEXT NOT NULL,
        item_id        TEXT NOT NULL,
        position       INTEGER NOT NULL,
        record         TEXT NOT NULL,
        PRIMARY KEY (dataset_sha256, item_id)
    );
    CREATE TABLE runs (
        run_id            TEXT PRIMARY KEY,
        model             TEXT NOT NULL,
        benchmark         TEXT NOT NULL,
        benchmark_path    TEXT NOT NULL,
        benchmark_sha256  TEXT NOT NULL,
        dataset_sha256    TEXT NOT NULL,
        samples           INTEGER NOT NULL,
        sampling          TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        medjudge_version  TEXT NOT NULL
    );
    CREATE TABLE answers (
        run_id            TEXT NOT NULL REFERENCES runs(run_id),
        item_id           TEXT NOT NULL,
        sample            INTEGER NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        text              TEXT,
        error             TEXT,
        messages          TEXT NOT NULL,
        finish_reason     TEXT,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        latency_s         REAL,
        created_at        TEXT NOT NULL,
        UNIQUE (run_id, item_id, sample),
        CHECK ((status = 'ok') = (text IS NOT NULL AND error IS NULL))
    );
    CREATE TABLE mcq_scores (
        run_id   TEXT NOT NULL REFERENCES runs(run_id),
        item_id  TEXT NOT NULL,
        sample   INTEGER NOT NULL,
        choice   TEXT,
        rule     TEXT NOT NULL,
        correct  INTEGER NOT NULL,
        scorer   TEXT NOT NULL,
        UNIQUE (run_id, item_id, sample)
    );
    """,
    # 2: judge verdicts, one per (answer, judge, judge run, rubric version).
    """
    CREATE TABLE verdicts (
        run_id              TEXT NOT NULL REFERENCES runs(run_id),
        item_id             TEXT NOT NULL,
        sample              INTEGER NOT NULL,
        judge               TEXT NOT NULL,
        judge_run           INTEGER NOT NULL,
        rubric_id           TEXT NOT NULL,
        rubric_version      TEXT NOT NULL,
        prompt_hash         TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('scored', 'unscored')),
        judge_score         INTEGER CHECK (judge_score BETWEEN 1 AND 5),
        final_score         INTEGER CHECK (final_score BETWEEN 1 AND 5),
        capped              INTEGER NOT NULL,
        record              TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        UNIQUE (run_id, item_id, sample, judge, judge_run, rubric_id, rubric_version),
        CHECK ((status = 'scored') = (final_score IS NOT NULL))
    );
    CREATE INDEX verdicts_by_item ON verdicts (run_id, item_id);
    """,
    # 3: physicians' audit: reviewers (token hashes only) and append-only audits.
    """
    CREATE TABLE reviewers (
        name        TEXT PRIMARY KEY,
        token_hash  TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE audits (
        audit_id        INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id          TEXT NOT NULL REFERENCES runs(run_id),
        item_id         TEXT NOT NULL,
        sample          INTEGER NOT NULL,
        reviewer        TEXT NOT NULL REFERENCES reviewers(name),
        action          TEXT NOT NULL,
        mode            TEXT NOT NULL,
        judge           TEXT,
        judge_run       INTEGER,
        rubric_id       TEXT,
        rubric_version  TEXT,
        score           INTEGER CHECK (score BETWEEN 1 AND 5),
        safety_risk     TEXT,
        reason          TEXT,
        comment         TEXT,
        flag            TEXT,
        created_at      TEXT NOT NULL,
        request_id      TEXT UNIQUE
    );
    CREATE INDEX audits_by_answer ON audits (run_id, item_id, sample);
    """,
    # 4: indexes for the audit page's queue (fast with 10,000s of verdicts): per-answer verdict
    # summaries read from one covering index, answers by the judge's stated safety risk, each
    # reviewer's own audits, and items' queue order without reading their records.
    """
    CREATE INDEX verdicts_for_queue ON verdicts
        (run_id, item_id, sample, status, final_score, capped);
    CREATE INDEX verdicts_by_risk ON verdicts
        (json_extract(record, '$.output.safety_risk'), run_id, item_id, sample);
    CREATE INDEX audits_by_reviewer ON audits (reviewer, run_id, item_id, sample, action);
    CREATE INDEX items_position ON items (dataset_sha256, item_id, position);
    """,
    # 5: strict extraction beside the lenient one, so reports show both (NULL for scores
    # stored before this version: rescore to fill them).
    """
    ALTER TABLE mcq_scores ADD COLUMN strict_choice TEXT;
    ALTER TABLE mcq_scores ADD COLUMN strict_rule TEXT;
    """,
    # 6: leases, so two processes never send the same requests: one row per leased run
    # stage (e.g. "answer:<run_id>", "grade:<run_ids>"), who holds it and its last heartbeat.
    """
    CREATE TABLE leases (
        name          TEXT PRIMARY KEY,
        holder        TEXT NOT NULL,
        pid           INTEGER NOT NULL,
        host          TEXT NOT NULL,
        acquired_at   TEXT NOT NULL,
        heartbeat_at  TEXT NOT NULL
    );
    """,
    # 7: grading passes: the settings of each `grade` call (judge, base URL without secrets,
    # output mode, temperature, max_tokens, re-asks, rubric ids and versions), so any verdict
    # can be traced to the exact command that made it and re-run.
    """
    CREATE TABLE grading_passes (
        pass_id     INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id      TEXT NOT NULL REFERENCES runs(run_id),
        judge       TEXT NOT NULL,
        settings    TEXT NOT NULL,
        started_at  TEXT NOT NULL
    );
    CREATE INDEX grading_passes_by_run ON grading_passes (run_id, judge);
    """,
    # 8: a run's prompt settings (template, system prompt, chat template kwargs) as JSON
    # holding only what differs from the defaults; '{}' (the default prompt) for older runs.
    """
    ALTER TABLE runs ADD COLUMN prompt TEXT NOT NULL DEFAULT '{}';
    """,
    # 9: provider batches (OpenAI Batch API, Anthropic Message Batches). A batch's row and its
    # requests' custom ids are written before it is submitted (status 'submitting', with a
    # tag the provider keeps), its provider id as soon as the provider accepts it, so a rerun
    # polls it instead of paying twice; each request's reply (a Completion) or failure is
    # kept until a verdict or answer is made from it (`closed`).
    """
    CREATE TABLE batches (
        batch_row        INTEGER PRIMARY KEY AUTOINCREMENT,
        provider         TEXT NOT NULL,
        model            TEXT NOT NULL,
        stage            TEXT NOT NULL,
        run_ids          TEXT NOT NULL,
        tag              TEXT NOT NULL UNIQUE,
        batch_id         TEXT UNIQUE,
        status           TEXT NOT NULL
                         CHECK (status IN ('submitting', 'submitted', 'ended', 'abandoned')),
        provider_status  TEXT,
        structured       INTEGER NOT NULL,
        requests         INTEGER NOT NULL,
        counts           TEXT,
        reserved_usd     REAL NOT NULL DEFAULT 0,
        spent_usd        REAL,
        malformed        INTEGER NOT NULL DEFAULT 0,
        created_at       TEXT NOT NULL,
        created_unix     REAL NOT NULL,
        submitted_at     TEXT,
        finished_at      TEXT
    );
    CREATE INDEX batches_open ON batches (model, stage, status);
    CREATE TABLE batch_requests (
        custom_id   TEXT PRIMARY KEY,
        batch_row   INTEGER NOT NULL REFERENCES batches(batch_row),
        job_key     TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        status      TEXT NOT NULL
                    CHECK (status IN ('pending', 'replied', 'failed', 'abandoned')),
        completion  TEXT,
        reason      TEXT,
        retryable   INTEGER NOT NULL DEFAULT 0,
        closed      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX batch_requests_by_job ON batch_requests (job_key, closed);
    CREATE INDEX batch_requests_by_batch ON batch_requests (batch_row);
    """,
    # 10: the spend ledger: one row per billed request (answering and judging, re-asked and
    # failed requests too), with the tokens the provider reported, the price used (so a later
    # price change never rewrites history) and its cost (NULL when unpriced). `request_key`
    # is unique, so a request is never counted twice. Stores made before it are backfilled:
    # one row per stored verdict (its tokens and cost, all attempts together) and one per
    # answer that reported tokens, priced at the list prices medjudge then used (local
    # engines free); `backfilled` marks them. The index covers every aggregate the reports
    # and --max-cost read, so they never touch the table itself.
    """
    CREATE TABLE spend (
        spend_id           INTEGER PRIMARY KEY AUTOINCREMENT,
        request_key        TEXT NOT NULL UNIQUE,
        run_id             TEXT NOT NULL REFERENCES runs(run_id),
        stage              TEXT NOT NULL CHECK (stage IN ('answer', 'grade')),
        model              TEXT NOT NULL,
        item_id            TEXT NOT NULL,
        sample             INTEGER NOT NULL,
        pass_id            INTEGER,
        judge_run          INTEGER,
        attempt            INTEGER NOT NULL DEFAULT 0,
        prompt_tokens      INTEGER,
        completion_tokens  INTEGER,
        input_per_mtok     REAL,
        output_per_mtok    REAL,
        cost_usd           REAL,
        batch              INTEGER NOT NULL DEFAULT 0 CHECK (batch IN (0, 1)),
        backfilled         INTEGER NOT NULL DEFAULT 0 CHECK (backfilled IN (0, 1)),
        created_at         TEXT NOT NULL
    );
    CREATE INDEX spend_by_run ON spend
        (run_id, stage, model, cost_usd, prompt_tokens, completion_tokens, batch);
    INSERT INTO spend (request_key, run_id, stage, model, item_id, sample, judge_run,
                       attempt, prompt_tokens, completion_tokens, cost_usd, backfilled,
                       created_at)
        SELECT 'backfill:verdict:' || rowid, run_id, 'grade', judge, item_id, sample,
               judge_run, 0, json_extract(record, '$.prompt_tokens'),
               json_extract(record, '$.completion_tokens'),
               json_extract(record, '$.cost_usd'), 1, created_at
        FROM verdicts;
    CREATE TEMP TABLE list_prices_v8 (model TEXT PRIMARY KEY, input REAL, output REAL);
    INSERT INTO list_prices_v8 VALUES
        ('openai/gpt-4o', 2.50, 10.00), ('openai/gpt-4o-mini', 0.15, 0.60),
        ('openai/gpt-4.1', 2.00, 8.00), ('openai/gpt-4.1-mini', 0.40, 1.60),
        ('anthropic/claude-sonnet-4-5', 3.00, 15.00),
        ('anthropic/claude-sonnet-4-0', 3.00, 15.00),
        ('anthropic/claude-opus-4-1', 15.00, 75.00),
        ('anthropic/claude-haiku-4-5', 1.00, 5.00),
        ('anthropic/claude-3-5-haiku-latest', 0.80, 4.00);
    CREATE TEMP TABLE run_prices_v8 AS
        SELECT r.run_id AS run_id, 0.0 AS input, 0.0 AS output FROM runs AS r
        WHERE r.model LIKE 'vllm/%' OR r.model LIKE 'openai-compatible/%'
        UNION ALL
        SELECT r.run_id, l.input, l.output FROM runs AS r JOIN list_prices_v8 AS l
        ON l.model = (SELECT f.model FROM list_prices_v8 AS f
                      WHERE r.model = f.model OR r.model LIKE f.model || '-%'
                      ORDER BY length(f.model) DESC LIMIT 1);
    INSERT INTO spend (request_key, run_id, stage, model, item_id, sample, attempt,
                       prompt_tokens, completion_tokens, input_per_mtok, output_per_mtok,
                       cost_usd, backfilled, created_at)
        SELECT 'backfill:answer:' || a.rowid, a.run_id, 'answer', r.model, a.item_id,
               a.sample, 0, a.prompt_tokens, a.completion_tokens, p.input, p.output,
               CASE WHEN p.input = 0 AND p.output = 0 THEN 0.0
                    WHEN p.input IS NULL OR a.prompt_tokens IS NULL
                         OR a.completion_tokens IS NULL THEN NULL
                    ELSE (a.prompt_tokens * p.input + a.completion_tokens * p.output) / 1e6
               END, 1, a.created_at
        FROM answers AS a JOIN runs AS r ON r.run_id = a.run_id
        LEFT JOIN run_prices_v8 AS p ON p.run_id = a.run_id
        WHERE a.prompt_tokens IS NOT NULL OR a.completion_tokens IS NOT NULL;
    DROP TABLE run_prices_v8;
    DROP TABLE list_prices_v8;
    """,
    # 11: scoring and reports at scale. The strict letter's correctness is stored beside the
    # lenient one (NULL for scores stored before: the next `score` fills it), so totals are
    # one SUM; reports read verdicts by run and rubric version from one covering index,
    # never the JSON records (MCQ scores are read by run and item through their unique key).
    """
    ALTER TABLE mcq_scores ADD COLUMN strict_correct INTEGER;
    CREATE INDEX verdicts_for_reports ON verdicts
        (run_id, rubric_id, rubric_version, item_id, sample, judge, judge_run, status,
         final_score, capped);
    """,
)
