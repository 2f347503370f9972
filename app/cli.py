"""The ``conduit`` command (also ``python -m app``): serve, migrate, seed, create-admin, check.

Heavy modules (the app, SQLAlchemy, Alembic) are imported inside the commands that need them,
so ``conduit --help`` and each command start quickly.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from app.bench.commands import Server
from config import Settings, get_settings
from config.settings import describe_errors

cli = typer.Typer(
    help="Conduit: the RealWorld publishing platform.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables include the settings and the environment they came from.
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)
T = TypeVar("T")
GRACEFUL_SHUTDOWN_SECONDS = 20  # keep below the orchestrator's kill timeout (systemd's default is 90 s)
# With --workers N, uvicorn's supervisor kills a worker that does not answer its health check within
# this time. A new worker imports the whole app first (its logging configuration does), which on a
# busy host takes longer than uvicorn's default 5 s: the workers were killed and respawned forever.
WORKER_HEALTHCHECK_SECONDS = 30
FORWARDED_ALLOW_IPS = "127.0.0.1,::1"  # the proxies believed by default: only this host


def _exit_cleanly(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


# How `serve` runs uvicorn; the benchmark's ceiling app is served with the same options.
SERVER_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,  # our access log replaces uvicorn's
    "server_header": False,
    "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
}


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="FORWARDED_ALLOW_IPS",
            help="Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For "
            "and X-Forwarded-Proto are believed (client address, https); '*' trusts any peer.",
        ),
    ] = FORWARDED_ALLOW_IPS,
) -> None:
    """Serve the app with uvicorn (uvloop, httptools).

    On SIGTERM, open event streams end at once and in-flight requests get up to 20 s to finish
    (GRACEFUL_SHUTDOWN_SECONDS); then the process exits with status 0."""
    import uvicorn  # noqa: PLC0415

    # Uvicorn restores the handler it found once it has shut down gracefully, then raises the signal
    # again: with this one, a requested stop ends with status 0 rather than "killed by SIGTERM".
    signal.signal(signal.SIGTERM, _exit_cleanly)

    from app.observability.logs import logging_config  # noqa: PLC0415

    if workers > 1 and not get_settings().uses_postgres_events:
        console.print(
            "[yellow]warning: the in-process event bus (SQLite, or EVENTS_BACKEND=memory) only reaches "
            "streams of the worker that made the change; live updates need --workers 1 or PostgreSQL[/yellow]"
        )
    options: dict[str, Any] = dict(  # uvicorn's keyword arguments, as uvicorn.run takes them
        app="app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Applied by uvicorn in every worker process.
        log_config=logging_config(get_settings()),
        # Forwarded headers only from the listed proxies: anyone else could claim to be https
        # (and get Secure cookies over plain http) or forge their address.
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **SERVER_OPTIONS,
    )
    if workers == 1:
        uvicorn.run(**options)
    else:
        from app.supervisor import run_workers  # noqa: PLC0415

        run_workers(uvicorn.Config(**options))


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    wait: Annotated[
        float,
        typer.Option(
            min=0,
            help="First wait up to this many seconds for the database to accept connections "
            "(0: do not wait). Errors that waiting cannot fix, such as a wrong password, fail at once.",
        ),
    ] = 0,
) -> None:
    """Upgrade the database schema (serialised across processes on PostgreSQL)."""
    from app import migrations  # noqa: PLC0415

    if wait > 0:
        try:
            migrations.wait_for_database(
                timeout_seconds=wait,
                on_retry=lambda error: console.print(
                    f"waiting for the database: {migrations.describe_error(error)}"
                ),
            )
        except migrations.DatabaseNotReady as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
        except Exception as error:
            console.print(f"[red]cannot use the database: {migrations.describe_error(error)}[/red]")
            raise typer.Exit(1) from error
    migrations.upgrade(revision=revision)
    console.print(f"[green]database at {revision}[/green]")


@cli.command()
def seed(articles_per_user: Annotated[int, typer.Option(min=1, max=100)] = 4) -> None:
    """Load demo users, articles, tags, comments and follows, and a demo staff account for /admin
    (each skipped if already there). Development and test only: refused in staging and production."""
    from rich.progress import Progress  # noqa: PLC0415

    from app.demo_data import AUTHORS, DEMO_PASSWORD, DEMO_STAFF_EMAIL  # noqa: PLC0415
    from app.demo_data import seed as seed_demo  # noqa: PLC0415
    from app.services.context import AppContext  # noqa: PLC0415

    settings = get_settings()
    if settings.is_production_like:
        console.print(
            f"[red]refusing to seed demo data when APP_ENV={settings.app_env.value}: "
            "its accounts have a published password[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(1)

    async def run() -> None:
        context = AppContext.from_settings(settings)
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("seeding", total=len(AUTHORS) * (1 + articles_per_user))
                report = await seed_demo(
                    context, articles_per_user=articles_per_user, progress=lambda n: progress.advance(task, n)
                )
        finally:
            await context.close()
        if report.created:
            console.print(f"[green]seeded {report.users} users and {report.articles} articles[/green]")
        elif report.staff_created:
            console.print("demo data already present; added the demo staff account")
        else:
            console.print("demo data already present; nothing written")
        console.print(f"demo sign-in: {AUTHORS[0][0]}@example.com / {DEMO_PASSWORD}")
        console.print(f"staff sign-in, for /admin: {DEMO_STAFF_EMAIL} / {DEMO_PASSWORD}")

    asyncio.run(run())


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="Their email. An existing account with it is promoted.")],
    username: Annotated[str | None, typer.Option(help="The username of a new account.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="The password of a new account; asked for (hidden, twice) when not given."),
    ] = None,
) -> None:
    """Make a staff account for the admin console (/admin), or make the account with EMAIL staff."""
    from pydantic import TypeAdapter, ValidationError  # noqa: PLC0415

    from app import domain  # noqa: PLC0415
    from app.api.errors import validation_fields  # noqa: PLC0415
    from app.exceptions import ConduitError  # noqa: PLC0415
    from app.schemas.users import Email, NewUser  # noqa: PLC0415
    from app.services import moderation, users  # noqa: PLC0415
    from app.services.context import AppContext  # noqa: PLC0415

    def refuse(*problems: str) -> NoReturn:
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2)

    def refuse_invalid(error: ValidationError) -> NoReturn:
        fields = validation_fields(error.errors())
        refuse(*(f"{name} {problem}" for name, found in fields.items() for problem in found))

    async def with_context(use: Callable[[AppContext], Awaitable[T]]) -> T:
        context = AppContext.from_settings(get_settings())
        try:
            return await use(context)
        except ConduitError as error:
            refuse(error.message)
        finally:
            await context.close()

    try:
        address = TypeAdapter(Email).validate_python(email)
    except ValidationError:
        refuse(f"email {email!r} is not a valid email address")
    grant = asyncio.run(with_context(lambda ctx: moderation.grant_staff(ctx, address, username=username)))
    if grant is not None:
        state = "was already staff" if grant.already_staff else "is now staff"
        console.print(f"[green]existing account {grant.username} ({address}) {state}[/green]")
        if password is not None:
            console.print("its password was left as it was")
        if not grant.is_active:
            console.print("[yellow]it is deactivated: reactivate it before it can sign in[/yellow]")
        return
    if username is None:
        refuse(f"no account has the email {address}: give --username (and a password) to create one")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = NewUser(username=username, email=address, password=password)
    except ValidationError as error:
        refuse_invalid(error)
    # Registering signs in: the session is listed as this command's until the admin ends it.
    made_here = domain.SignInClient(user_agent="conduit create-admin", address="")
    account = asyncio.run(with_context(lambda ctx: users.register(ctx, data, made_here, staff=True)))
    console.print(f"[green]created staff account {account.username} ({account.email})[/green]")


@cli.command()
def check() -> None:
    """Validate the configuration, check that the database answers and its schema is at head."""
    from app import migrations  # noqa: PLC0415
    from app.services.context import AppContext  # noqa: PLC0415

    try:
        settings = get_settings()
    except ValidationError as error:
        _report_invalid(error)
        raise typer.Exit(1) from None
    console.print(f"environment: {settings.app_env.value}; database: {settings.database_url.split('@')[-1]}")

    async def schema_revision() -> str | None:
        context = AppContext.from_settings(settings)
        try:
            return await migrations.current_revision(context.db.engine)
        finally:
            await context.close()

    try:
        revision = asyncio.run(schema_revision())
    except Exception as error:
        console.print(f"[red]database unreachable:[/red] {type(error).__name__}: {error}")
        raise typer.Exit(1) from error
    head = migrations.head_revision()
    if revision != head:
        console.print(
            f"[red]database schema at {revision or 'nothing'}, expected {head}: run `conduit migrate`[/red]"
        )
        raise typer.Exit(1)
    console.print(f"database: ok, schema at head ({head})")


@cli.command()
def bench(
    scale: Annotated[str, typer.Option(help="Data set: tiny, small, medium or large.")] = "small",
    database_url: Annotated[
        str | None,
        typer.Option(
            help="A dedicated database to seed (it is emptied) and measure. Default: a PostgreSQL "
            "server kept in ./var/bench-pg, one database per scale, seeded once."
        ),
    ] = None,
    sqlite: Annotated[bool, typer.Option("--sqlite", help="Measure SQLite (./var/bench/sqlite).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 1,
    server: Annotated[
        Server,
        typer.Option(
            help="HTTP server for Conduit and the ceiling: uvicorn is `conduit serve` (uvloop, "
            "httptools); the others are for comparison."
        ),
    ] = Server.UVICORN,
    connections: Annotated[int, typer.Option(min=1, help="Open connections (wrk -c).")] = 32,
    threads: Annotated[int, typer.Option(min=1, help="Load generator threads (wrk -t).")] = 1,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of load per endpoint.")] = 10.0,
    warmup: Annotated[float, typer.Option(min=0, help="Seconds of unmeasured load first.")] = 2.0,
    endpoints: Annotated[
        list[str] | None, typer.Option("--endpoint", help="Measure only these (repeatable), e.g. 'feed'.")
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the result as JSON here.")
    ] = None,
    markdown_path: Annotated[
        str | None, typer.Option("--markdown", help="Also write the table as Markdown here.")
    ] = None,
    reseed: Annotated[bool, typer.Option(help="Seed again even if the data is there.")] = False,
    ceiling: Annotated[
        bool,
        typer.Option(
            help="Measure the ceilings too: no database, each read's data ceiling, the write ceiling."
        ),
    ] = True,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache",
            help="Also measure the anonymous reads with the response cache on: '<endpoint> (cached)'.",
        ),
    ] = False,
) -> None:
    """Benchmark every endpoint under wrk against a seeded database (reads, then writes and the
    contention scenarios), with bare-ASGI ceilings."""
    from pathlib import Path  # noqa: PLC0415

    from app.bench.runner import Options, run  # noqa: PLC0415
    from app.bench.scales import SCALES  # noqa: PLC0415

    if scale not in SCALES:
        console.print(f"[red]unknown scale {scale!r}; choose from {', '.join(SCALES)}[/red]")
        raise typer.Exit(2)
    options = Options(
        scale=SCALES[scale],
        database_url=database_url,
        sqlite=sqlite,
        workers=workers,
        server=server,
        connections=connections,
        threads=threads,
        duration=duration,
        warmup=warmup,
        endpoints=tuple(endpoints or ()),
        reseed=reseed,
        ceiling=ceiling,
        cache=cache,
    )
    try:
        report = run(options, console)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    # Piped or redirected output would be cut to 80 columns: the table needs about 140.
    Console(width=None if sys.stdout.isatty() else 160).print(report.table())
    if json_path:
        report.write_json(Path(json_path))
    if markdown_path:
        Path(markdown_path).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown_path).write_text(report.markdown() + "\n")
    print(report.to_json())


def _report_invalid(error: ValidationError) -> None:
    """One line per invalid setting; never a value (see ``describe_errors``), never a traceback."""
    for line in describe_errors(error):
        console.print(f"[red]configuration invalid:[/red] {escape(line)}", soft_wrap=True)


def main() -> None:
    try:
        cli()
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        _report_invalid(error)
        sys.exit(1)


if __name__ == "__main__":
    main()
