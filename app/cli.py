"""Command-line interface: each command calls a service."""

from __future__ import annotations

import sys
from datetime import UTC
from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_administrator
from app.audit.services import RequestInfo
from app.backup import BackupError
from app.backup import create_backup
from app.backup import restore_backup
from app.backup import verify_backup
from app.database import db
from app.database import utcnow
from app.demo.data import DEMO_PASSWORD
from app.demo.data import USERS
from app.demo.services import demo_is_seeded
from app.demo.services import seed_demo
from app.documents.dicom_files import files_under
from app.documents.services import deidentification_secret
from app.documents.services import deidentify_folder_for_patient
from app.documents.services import import_folder
from app.documents.stores import storage_for
from app.errors import ConsiliumError
from app.errors import NotFound
from app.i18n import today_for
from app.mail.services import send_pending_mail
from app.processes.services import upgrade_running
from app.scheduler import run_forever
from app.scheduler import smtp_settings
from app.tasks.form_definitions import load_form_definitions
from app.workflows.services import deploy_shipped_definitions
from app.workflows.services import fire_due_timers
from app.workflows.services import validate_files


def register(app: Flask) -> None:
    app.cli.add_command(bpmn)
    app.cli.add_command(demo)
    app.cli.add_command(run_scheduler)
    app.cli.add_command(mail)
    app.cli.add_command(accounts)
    app.cli.add_command(dicom)
    app.cli.add_command(documents)
    app.cli.add_command(backup)


bpmn = AppGroup("bpmn", help="Process definitions (BPMN).")


@bpmn.command("validate", help="Validate BPMN files: one line per problem with its element id; exit 1 on any.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def bpmn_validate(files: tuple[str, ...]) -> None:

    reports = validate_files(files, current_app.config["FORMS_DIR"])
    failed = False
    for report in reports:
        for problem in report.problems:
            failed = True
            click.echo(f"{report.path}: {problem.element_id}: {problem.message}")
        if not report.problems:
            click.echo(f"{report.path}: ok")
    sys.exit(1 if failed else 0)


@bpmn.command("deploy", help="Deploy the shipped definitions in bpmn/ that changed (a new version each).")
def bpmn_deploy() -> None:

    for row in deploy_shipped_definitions(current_app.config["BPMN_DIR"], current_app.config["FORMS_DIR"]):
        click.echo(f"deployed {row.process_id} version {row.version}")


@bpmn.command("migrate", help="Move running instances of older shipped versions to the newest (every process unless named).")
@click.argument("process_ids", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Only say which instances would move, and why others cannot.")
def bpmn_migrate(process_ids: tuple[str, ...], dry_run: bool) -> None:

    origin = RequestInfo("cli", "flask bpmn migrate")
    for process_id in process_ids or sorted(path.stem for path in Path(current_app.config["BPMN_DIR"]).glob("*.bpmn")):
        try:
            upgrade = upgrade_running(process_id, origin, dry_run=dry_run)
        except LookupError as error:
            raise click.ClickException(str(error)) from None
        for candidate in upgrade.candidates:
            if dry_run or candidate.reasons:
                instance = candidate.instance
                verdict = "cannot move: " + "; ".join(candidate.reasons) if candidate.reasons else "can move"
                resets = f" (starts again: {', '.join(candidate.resets)})" if candidate.resets else ""
                click.echo(f"instance {instance.id} ({instance.subject_type} {instance.subject_id}): {verdict}{resets}")
        movable = sum(candidate.migratable for candidate in upgrade.candidates)
        total, version = len(upgrade.candidates), f"{process_id} version {upgrade.target.version}"
        if dry_run:
            click.echo(f"dry run: {movable} of {total} running instance(s) can move to {version}")
        else:
            click.echo(f"moved {upgrade.moved} of {total} running instance(s) to {version}")


@click.command("demo", help="Seed the demo / training data (SPEC §12). Reseeds from scratch unless --if-empty.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no data yet.")
@with_appcontext
def demo(if_empty: bool) -> None:

    if not current_app.config["DEMO_MODE"]:
        raise click.ClickException("Demo data goes only into a training environment: set CONSILIUM_DEMO_MODE=true.")
    deploy_shipped_definitions(current_app.config["BPMN_DIR"], current_app.config["FORMS_DIR"])
    if not (if_empty and demo_is_seeded()):
        seed_demo(load_form_definitions(current_app.config["FORMS_DIR"]), today_for(None), reset=not if_empty)
        click.echo("Demo data seeded.")

    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, first, last, specialisation, memberships, _areas in USERS:
        roles = ", ".join(f"{role} {ern}" + (f" @ {centre}" if centre else "") for ern, centre, role in memberships)
        click.echo(f"  {email:34} {first} {last}, {specialisation}: {roles}")


@click.command("run-scheduler", help="Run the timer scheduler in the foreground (for a dedicated process).")
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S"]), help="With --once: fire what is due at this UTC time.")
@with_appcontext
def run_scheduler(once: bool, at: datetime | None) -> None:

    if once:
        now = at.replace(tzinfo=UTC) if at else utcnow()
        click.echo(f"fired {fire_due_timers(now)} instance(s)")
        return
    run_forever(current_app._get_current_object())  # type: ignore[attr-defined]


mail = AppGroup("mail", help="Outgoing mail.")


@mail.command("send", help="Send the queued mail now.")
def mail_send() -> None:

    click.echo(f"sent {send_pending_mail(smtp_settings(current_app.config))} mail(s)")


accounts = AppGroup("accounts", help="Accounts.")


@accounts.command("create-admin", help="Create a system administrator and print the link to set its password.")
@click.argument("email")
@click.option("--first-name", default="System")
@click.option("--last-name", default="Administrator")
def accounts_create_admin(email: str, first_name: str, last_name: str) -> None:

    try:
        link = create_administrator(email, first_name, last_name)
    except ConsiliumError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Administrator {email} created. Set the password (the link works once) at:\n{link}")


dicom = AppGroup("dicom", help="DICOM files: bulk de-identification.")


@dicom.command("deidentify", help="De-identify every DICOM file under IN_DIR (subfolders and DICOMDIRs included) into OUT_DIR.")
@click.argument("in_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--patient", "cpms_id", required=True, help="The CPMS ID of an existing patient, e.g. ERN-BE10-EuroBloodNet-001.")
def dicom_deidentify(in_dir: str, out_dir: str, cpms_id: str) -> None:

    secret = deidentification_secret(current_app.config["SECRET_KEY"], current_app.config["DEIDENTIFICATION_SECRET"])
    total = len(files_under(Path(in_dir)))
    with click.progressbar(length=total, label=f"De-identifying {total} files", file=sys.stderr) as bar:
        try:
            summary = deidentify_folder_for_patient(cpms_id, in_dir, out_dir, secret, lambda _path: bar.update(1))
        except NotFound as error:
            raise click.ClickException(error.message) from None
    click.echo(f"{len(summary.written)} DICOM files de-identified into {out_dir}")
    if summary.dicomdirs:
        click.echo(f"{len(summary.dicomdirs)} DICOMDIR(s) read, not copied (their files are imported one by one)")
    for path, reason in summary.skipped:
        click.echo(f"skipped {path}: {reason}")
    if summary.held:
        click.echo(
            f"{len(summary.held)} file(s) held, not written: they may show identifying text in the picture. "
            "Attach them through Consilium, where the patient's centre reviews them before a panel sees them."
        )
    for path, reason in summary.held:
        click.echo(f"held {path}: {reason}")


documents = AppGroup("documents", help="Documents of patients: bulk import.")


@documents.command("import", help="Attach every file under FOLDER to a patient's record at their centre (DICOM de-identified).")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--patient", "cpms_id", required=True, help="The CPMS ID of an existing patient, e.g. ERN-BE10-EuroBloodNet-001.")
@click.option("--by", "email", required=True, help="E-mail of the person of the patient's centre who attaches the files.")
def documents_import(folder: str, cpms_id: str, email: str) -> None:

    actor = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if actor is None or not actor.is_active:
        raise click.ClickException(f"No active account has the e-mail {email}.")
    storage = storage_for(current_app.config)
    total = sum(1 for path in Path(folder).rglob("*") if path.is_file())
    with click.progressbar(length=total, label=f"Attaching {total} files", file=sys.stderr) as bar:
        try:
            summary = import_folder(
                actor,
                cpms_id,
                Path(folder),
                storage,
                int(current_app.config["MAX_FILE_BYTES"]),
                RequestInfo("cli", "flask documents import"),
                lambda _path: bar.update(1),
            )
        except ConsiliumError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"{summary.attached} files attached to {cpms_id} (DICOM files de-identified)")
    for path, reason in summary.skipped:
        click.echo(f"skipped {path}: {reason}")
    for name, removed, _active in summary.cleaned:
        click.echo(f"{name}: attached without its {removed}")


backup = AppGroup("backup", help="Backups: the database and every stored file, with a manifest to verify them by.")


@backup.command("create", help="Back up the database and every stored file into DIR (a new or empty folder).")
@click.argument("folder", type=click.Path(file_okay=False))
def backup_create(folder: str) -> None:

    try:
        summary = create_backup(db.engine, storage_for(current_app.config), Path(folder))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up the database and {summary.files} file(s) ({summary.bytes} bytes) into {folder}")
    if summary.unfiled:
        click.echo(f"warning: {summary.unfiled} document(s) had no file in storage; their rows are in the backup, their files are not")


@backup.command("verify", help="Check every file of the backup in DIR against its manifest; exit 1 on any problem.")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def backup_verify(folder: str) -> None:

    try:
        problems = verify_backup(Path(folder))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo(f"{folder}: every file matches the manifest")


@backup.command("restore", help="Restore the backup in DIR into the configured database and storage, which must be empty.")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Restore even into a database or storage that is not empty (overwrites).")
def backup_restore(folder: str, force: bool) -> None:

    try:
        summary = restore_backup(db.engine, storage_for(current_app.config), Path(folder), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored the database and {summary.files} file(s) ({summary.bytes} bytes) from {folder}")
