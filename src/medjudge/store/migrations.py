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
    # 8: scoring and reports at scale. The strict letter's correctness is stored beside the
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
