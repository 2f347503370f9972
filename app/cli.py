"""The ``conduit`` command (also ``python -m app``): serve, migrate, seed, check.

Heavy modules (the app, SQLAlchemy, Alembic) are imported inside the commands that need them,
so ``conduit --help`` and each command start quickly.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from config import get_settings

cli = typer.Typer(
    help="Conduit: the RealWorld publishing platform.", no_args_is_help=True, add_completion=False
)
console = Console(stderr=True)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the app with uvicorn (uvloop, httptools)."""
    import uvicorn  # noqa: PLC0415

    from app.logging_config import configure_logging  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=20,
    )


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Upgrade the database schema (serialised across processes on PostgreSQL)."""
    from app import migrations  # noqa: PLC0415

    migrations.upgrade(revision=revision)
    console.print(f"[green]database at {revision}[/green]")


@cli.command()
def seed(articles_per_user: Annotated[int, typer.Option(min=1, max=100)] = 4) -> None:
    """Load demo users, articles, tags, comments and follows (skipped if already there)."""
    from rich.progress import Progress  # noqa: PLC0415

    from app.demo_data import AUTHORS, DEMO_PASSWORD  # noqa: PLC0415
    from app.demo_data import seed as seed_demo  # noqa: PLC0415
    from app.services.context import AppContext  # noqa: PLC0415

    async def run() -> None:
        context = AppContext.from_settings(get_settings())
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
        else:
            console.print("demo data already present; nothing written")
        console.print(f"demo sign-in: {AUTHORS[0][0]}@example.com / {DEMO_PASSWORD}")

    asyncio.run(run())


@cli.command()
def check() -> None:
    """Validate the configuration, check that the database answers and its schema is at head."""
    from app import migrations  # noqa: PLC0415
    from app.services.context import AppContext  # noqa: PLC0415

    try:
        settings = get_settings()
    except Exception as error:  # pydantic's ValidationError lists every broken variable
        console.print(f"[red]configuration invalid:[/red] {error}")
        raise typer.Exit(1) from error
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
