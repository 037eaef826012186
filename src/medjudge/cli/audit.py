"""`medjudge audit`: the physicians' review page and its reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import console, err_console, friendly_errors
from medjudge.errors import StoreError
from medjudge.scoring.physician import RatingMode

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Physicians audit the judge: reviewers, the review page, agreement.",
                        no_args_is_help=True)


@audit_app.command("add-reviewer")
@friendly_errors
def add_reviewer(
    name: Annotated[str, typer.Argument(help="The physician's name (unique in the store).")],
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
) -> None:
    """Add a reviewer and print their sign-in token (shown once; only its hash is stored)."""
    from medjudge.audit import add_reviewer as register

    token = register(store, name)
    console.print(f"reviewer [bold]{name}[/] added. Their sign-in token (shown only now):",
                  highlight=False)
    typer.echo(token)


@audit_app.command("serve")
@friendly_errors
def serve(
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless --allow-remote.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (prints a warning).")
    ] = False,
    session_hours: Annotated[
        float, typer.Option(min=0.01, help="How long a sign-in lasts, in hours.")
    ] = 12.0,
) -> None:
    """Serve the review page (sign in with a token from `medjudge audit add-reviewer`)."""
    from medjudge.audit import check_host
    from medjudge.audit import serve as run_server

    if not store.is_file():
        raise StoreError(f"{store}: no such store; run `medjudge answer` and `medjudge grade` "
                         "first")
    if check_host(host, allow_remote=allow_remote):
        err_console.print(
            f"[bold yellow]warning:[/] serving on {host}: other machines can reach this page. "
            "It speaks plain HTTP; put it behind TLS and a firewall you trust.",
            highlight=False,
        )
    shown = f"[{host}]" if ":" in host else host
    console.print(f"audit page on http://{shown}:{port}/ (Ctrl-C to stop)", highlight=False)
    run_server(store, host=host, port=port, allow_remote=allow_remote,
               session_ttl_s=session_hours * 3600)


# -- agreement: `medjudge audit stats` and `medjudge audit export` -----------------------------


@audit_app.command("stats")
@friendly_errors
def stats(
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    format: Annotated[
        Literal["table", "json", "csv"], typer.Option(help="Output format.")
    ] = "table",
    mode: Annotated[
        RatingMode,
        typer.Option(help="blind: physicians' blind ratings only (unanchored); "
                          "all: agree and override count too."),
    ] = "blind",
    run: Annotated[list[str] | None, typer.Option(help="Run id(s); default: every run.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap CIs.")] = 0,
    rubric_version: Annotated[
        list[str] | None,
        typer.Option("--rubric-version", help="Rubric version whose verdicts to compare: "
                     "RUBRIC_ID=VERSION (repeatable), or VERSION for every rubric. Default: "
                     "the latest version of each rubric; versions are never mixed."),
    ] = None,
) -> None:
    """Judge vs physician agreement per category with 95% CIs, and physician vs physician."""
    from medjudge.interchange.audit_export import store_agreement
    from medjudge.report.agreement import agreement_to_csv, agreement_to_json, render_agreement
    from medjudge.scoring.versions import parse_version_choice

    if not store.exists():
        raise StoreError(f"{store}: no such store")
    pick = parse_version_choice(rubric_version) if rubric_version else None
    report = store_agreement(store, mode=mode, run_ids=run, seed=seed, pick=pick)
    if format == "json":
        typer.echo(agreement_to_json(report))
    elif format == "csv":
        typer.echo(agreement_to_csv(report).rstrip("\n"))
    else:
        console.print(render_agreement(report))


@audit_app.command("export")
@friendly_errors
def export(
    what: Annotated[Literal["audits", "agreement"], typer.Argument(help="What to export.")],
    out: Annotated[Path, typer.Argument(help="Output file: .jsonl or .csv.")],
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    mode: Annotated[
        RatingMode, typer.Option(help="Ratings the agreement table counts.")
    ] = "blind",
    run: Annotated[list[str] | None, typer.Option(help="Run id(s); default: every run.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap CIs.")] = 0,
) -> None:
    """Export the physicians' audits, or the agreement table, to JSONL or CSV."""
    from medjudge.interchange.audit_export import export_agreement, export_audits

    if what == "audits":
        count = export_audits(store, out, run_ids=run)
        console.print(f"wrote {count} audits to {out}", highlight=False)
    else:
        count = export_agreement(store, out, mode=mode, run_ids=run, seed=seed)
        console.print(f"wrote {count} agreement rows to {out}", highlight=False)
