"""Mail leaves in runs of bounded time, each failure is retried later than the last, and after too many a mail is
kept as undeliverable for the administrators, who can try it again."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.database import transaction
from app.database import utcnow
from app.mail.models import OutgoingMail
from app.mail.services import CLAIM
from app.mail.services import _claim
from app.mail.services import queue
from app.mail.services import send_pending_mail
from app.scheduler import smtp_settings
from tests import factories
from tests.app.relay import relay
from tests.conftest import build_app
from tests.conftest import drop_database_url
from tests.conftest import make_database_url


def queued(*recipients: str) -> list[int]:
    with transaction():
        for number, recipient in enumerate(recipients):
            queue(recipient, f"Subject {number}", f"Confidential body {number}")
    return list(db.session.scalars(select(OutgoingMail.id).order_by(OutgoingMail.id)))


def test_the_configuration_reaches_the_mail_job(app):
    settings = smtp_settings(app.config)
    assert (settings.batch_seconds, settings.retry_seconds, settings.max_attempts) == (20, 60, 8)


def test_a_failing_mail_is_retried_ever_later_then_kept_as_undeliverable(world):
    [mail_id] = queued("someone@example.org")
    start = utcnow()
    with relay(fail_data=True) as refusing:
        settings = replace(refusing.settings, retry_seconds=60, max_attempts=3)
        assert send_pending_mail(settings, now=start) == 0
        mail = db.session.get(OutgoingMail, mail_id)
        assert mail.attempts == 1 and mail.next_attempt_at == start + timedelta(seconds=60)
        assert mail.last_error.startswith("SMTPDataError") and mail.given_up_at is None
        send_pending_mail(settings, now=start + timedelta(seconds=59))  # not due yet
        assert refusing.attempts == 1
        send_pending_mail(settings, now=start + timedelta(seconds=60))
        db.session.refresh(mail)
        assert mail.attempts == 2 and mail.next_attempt_at == start + timedelta(seconds=60 + 120)
        send_pending_mail(settings, now=start + timedelta(seconds=180))
        db.session.refresh(mail)
        assert mail.attempts == 3 and mail.given_up_at == start + timedelta(seconds=180)
        send_pending_mail(settings, now=start + timedelta(days=30))  # undeliverable: never tried again on its own
    assert refusing.attempts == 3 and refusing.messages == []


def test_a_refused_address_does_not_hold_up_the_other_mail(world):
    refused_id, good_id = queued("refused@example.org", "welcome@example.org")
    with relay(refuse="refused") as picky:
        assert send_pending_mail(picky.settings) == 1
    assert picky.messages == [(["welcome@example.org"], "Subject 1")]
    refused, good = db.session.get(OutgoingMail, refused_id), db.session.get(OutgoingMail, good_id)
    assert refused.sent_at is None and refused.attempts == 1 and "SMTPRecipientsRefused" in refused.last_error
    assert good.sent_at is not None


def test_an_unreachable_relay_ends_the_run_and_charges_one_mail_only(world):
    first, second = queued("a@example.org", "b@example.org")
    with relay() as up:
        port = up.settings.port
    down = replace(up.settings, port=port, timeout=2)  # the relay has stopped: its port refuses connections
    assert send_pending_mail(down) == 0
    attempts = dict(db.session.execute(select(OutgoingMail.id, OutgoingMail.attempts)).all())
    assert attempts == {first: 1, second: 0}


def test_a_run_takes_no_new_mail_once_its_time_is_up(world):
    queued("a@example.org", "b@example.org", "c@example.org")
    with relay(delay=0.3) as slow:
        assert send_pending_mail(replace(slow.settings, batch_seconds=0.1)) == 1  # the first took longer than the run's time
    assert len(slow.messages) == 1
    waiting = db.session.scalar(select(func.count()).where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts == 0))
    assert waiting == 2


def test_a_mail_claimed_by_another_scheduler_is_left_to_it_until_its_claim_lapses(world):
    queued("a@example.org")
    now = utcnow()
    claimed = _claim(now)  # another scheduler took it, and died before it could say how the sending went
    assert claimed is not None
    with relay() as inbox:
        assert send_pending_mail(inbox.settings, now=now + timedelta(minutes=1)) == 0
        assert send_pending_mail(inbox.settings, now=now + CLAIM) == 1
    assert [subject for _to, subject in inbox.messages] == ["Subject 0"]


def test_each_batch_is_logged_by_counts_without_addresses(world, caplog):
    queued("refused@example.org", "welcome@example.org")
    with relay(refuse="refused") as picky, caplog.at_level(logging.INFO, logger="app.mail.services"):
        send_pending_mail(picky.settings)
    assert "mail batch: 1 sent, 1 failed (0 of them now undeliverable)" in caplog.messages
    assert not any("@" in message for message in caplog.messages)


@pytest.fixture
def admin(world):
    user = factories.make_user("admin@consilium.example", [], "Ada", "Admin")
    user.is_admin = True
    db.session.commit()
    return user


def _give_up(*ids: int) -> None:
    with transaction():
        for number, mail_id in enumerate(ids):
            mail = db.session.get(OutgoingMail, mail_id)
            mail.attempts, mail.last_error = 8, "SMTPRecipientsRefused: no such user"
            mail.given_up_at = utcnow() - timedelta(minutes=number)  # the first given up last: listed first


def test_administrators_see_undeliverable_mail_without_its_body_and_try_it_again(world, admin, login, monkeypatch, app):
    ids = queued("first@example.org", "second@example.org", "third@example.org", "sent@example.org")
    _give_up(*ids[:3])
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    client = login(admin)
    page = client.get("/admin/mail/undeliverable")
    assert page.status_code == 200
    assert "first@example.org" in page.text and "second@example.org" in page.text and "third@example.org" not in page.text
    assert "SMTPRecipientsRefused: no such user" in page.text and "Subject 0" in page.text and ">8<" in page.text
    assert "Confidential body" not in page.text and "sent@example.org" not in page.text
    second_page = client.get("/admin/mail/undeliverable?page=2")
    assert "third@example.org" in second_page.text and "2 / 2" in second_page.text and "first@example.org" not in second_page.text

    answer = client.post(f"/admin/mail/undeliverable/{ids[2]}/retry?page=2")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/mail/undeliverable?page=2")
    mail = db.session.get(OutgoingMail, ids[2])
    db.session.refresh(mail)
    assert (mail.given_up_at, mail.attempts) == (None, 0)
    assert "third@example.org" not in client.get("/admin/mail/undeliverable?page=2").text
    assert client.post(f"/admin/mail/undeliverable/{ids[2]}/retry").status_code == 404  # not undeliverable any more
    with relay() as inbox:
        assert send_pending_mail(inbox.settings) == 2  # the retried one and the one still queued
    assert sorted(to[0] for to, _subject in inbox.messages) == ["sent@example.org", "third@example.org"]


def test_only_administrators_reach_the_undeliverable_mail(world, login):
    [mail_id] = queued("someone@example.org")
    _give_up(mail_id)
    client = login(world.coordinator)
    assert client.get("/admin/mail/undeliverable").status_code == 403
    assert client.post(f"/admin/mail/undeliverable/{mail_id}/retry").status_code == 403
    assert db.session.get(OutgoingMail, mail_id).given_up_at is not None


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    """A database where the services really commit, for two schedulers in their own threads."""
    url = make_database_url(tmp_path_factory.mktemp("mail"), "mail")
    app = build_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database_url(url)


def test_two_schedulers_sending_at_once_send_each_mail_once(committed):
    app = committed
    with app.app_context():
        with transaction():
            for number in range(12):
                queue(f"person{number}@example.org", f"Mail {number}", "Hello.")
        db.session.remove()
    barrier = threading.Barrier(2)
    sent: list[int] = [0, 0]
    with relay(delay=0.02) as inbox:

        def scheduler(index: int) -> None:
            with app.app_context():
                barrier.wait()
                try:
                    sent[index] = send_pending_mail(inbox.settings)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=scheduler, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    subjects = sorted(subject for _to, subject in inbox.messages)
    assert subjects == sorted(f"Mail {number}" for number in range(12))  # each once
    assert sum(sent) == 12
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutgoingMail.sent_at.is_(None))) == 0
        db.session.remove()
