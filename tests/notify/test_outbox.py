"""The transactional outbox: enqueue in the caller's transaction, deliver with retries."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import portal.notify.models  # noqa: F401  (registers the table until portal/models.py does)
from portal.extensions import db
from portal.notify.models import Channel, OutboxMessage
from portal.notify.senders import PermanentDeliveryError
from portal.notify.services import (
    MAX_ATTEMPTS,
    MAX_ERROR_LENGTH,
    DeliveryReport,
    backoff,
    deliver_due,
    enqueue_email,
    enqueue_sms,
)
from tests.notify.fakes import RecordingSender
from tests.support import ON_POSTGRES

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _email(
    to="citizen@example.test", subject="投诉已受理", body="您的投诉编号为 TS-0001。", now=NOW
):
    return enqueue_email(db.session, to, subject, body, now)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


class Crash(BaseException):
    """Stands in for the process dying (kill -9, power cut) in the middle of a run."""


# --- enqueue -------------------------------------------------------------------------------


def test_enqueue_flushes_into_the_callers_transaction_and_does_not_commit(app_ctx):
    message = _email()
    assert message.id is not None  # flushed: the row exists inside the transaction
    db.session.rollback()  # the announced change is rolled back, and its message with it
    assert _count() == 0


def test_enqueued_email_is_due_at_once(app_ctx):
    message = _email()
    db.session.commit()
    db.session.expire_all()
    assert message.channel is Channel.email
    assert (message.recipient, message.subject) == ("citizen@example.test", "投诉已受理")
    assert message.created_at == message.next_attempt_at == NOW
    assert (message.attempts, message.sent_at, message.failed_at, message.last_error) == (
        0,
        None,
        None,
        "",
    )


@pytest.mark.parametrize(
    "to",
    ["", "citizen", "a@b", "a@example.test, b@example.test", "王 <a@example.test>", "a @x.cn"],
)
def test_enqueue_email_refuses_anything_but_one_address(app_ctx, to):
    with pytest.raises(ValueError):
        _email(to=to)


def test_enqueue_email_flattens_line_breaks_and_shortens_the_subject(app_ctx):
    message = _email(subject="关于\r\nBcc: evil@example.test " + "长" * 300)
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.startswith("关于 Bcc: evil@example.test 长")
    assert len(message.subject) == 200 and message.subject.endswith("…")


def test_enqueue_sms_keeps_only_the_digits_of_the_number(app_ctx):
    message = enqueue_sms(db.session, "+86 138-1234-5678", "您的投诉已办结。", NOW)
    assert (message.channel, message.recipient, message.subject) == (
        Channel.sms,
        "+8613812345678",
        "",
    )


@pytest.mark.parametrize("to", ["", "12", "138abcd5678", "1381234567812345678901"])
def test_enqueue_sms_refuses_what_is_not_a_phone_number(app_ctx, to):
    with pytest.raises(ValueError):
        enqueue_sms(db.session, to, "x", NOW)


# --- deliver_due ---------------------------------------------------------------------------


def test_due_messages_are_sent_oldest_first_and_marked_sent(app_ctx):
    newer = _email(now=NOW - timedelta(minutes=1))
    older = _email(now=NOW - timedelta(minutes=5))
    sms = enqueue_sms(db.session, "13812345678", "短信", NOW - timedelta(minutes=3))
    email_sender, sms_sender = RecordingSender(), RecordingSender()

    report = deliver_due(db.session, NOW, {Channel.email: email_sender, Channel.sms: sms_sender})

    assert report == DeliveryReport(sent=3)
    assert email_sender.sent == [older.id, newer.id]
    assert sms_sender.sent == [sms.id]
    assert {m.sent_at for m in (newer, older, sms)} == {NOW}


def test_messages_not_yet_due_sent_or_given_up_are_left_alone(app_ctx):
    later = _email(now=NOW + timedelta(seconds=1))
    sent = _email()
    sent.sent_at = NOW - timedelta(hours=1)
    given_up = _email()
    given_up.failed_at = NOW - timedelta(hours=1)
    db.session.flush()
    sender = RecordingSender()

    report = deliver_due(db.session, NOW, {Channel.email: sender})

    assert report == DeliveryReport()
    assert sender.sent == []
    assert later.sent_at is None and later.attempts == 0
    assert deliver_due(db.session, later.next_attempt_at, {Channel.email: sender}).sent == 1
    assert sender.sent == [later.id]


def test_one_call_sends_at_most_a_batch(app_ctx):
    ids = [_email(now=NOW - timedelta(seconds=n)).id for n in range(5)]
    sender = RecordingSender()

    assert deliver_due(db.session, NOW, {Channel.email: sender}, batch=2).sent == 2
    assert sender.sent == ids[::-1][:2]
    assert deliver_due(db.session, NOW, {Channel.email: sender}, batch=10).sent == 3


def test_a_channel_without_a_sender_is_kept_for_when_one_is_configured(app_ctx):
    sms = enqueue_sms(db.session, "13812345678", "短信", NOW)

    report = deliver_due(db.session, NOW, {Channel.email: RecordingSender()})

    assert report == DeliveryReport()
    assert (sms.sent_at, sms.attempts, sms.next_attempt_at) == (None, 0, NOW)


def test_a_failed_send_is_retried_with_backoff_until_it_succeeds(app_ctx):
    message = _email()
    sender = RecordingSender(error=ConnectionRefusedError(111, "Connection refused"))

    assert deliver_due(db.session, NOW, {Channel.email: sender}) == DeliveryReport(retried=1)
    assert message.sent_at is None and message.failed_at is None
    assert message.attempts == 1
    assert message.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert message.next_attempt_at == NOW + timedelta(minutes=1)

    # Not due yet: a run half a minute later leaves it alone.
    assert deliver_due(db.session, NOW + timedelta(seconds=30), {Channel.email: sender}) == (
        DeliveryReport()
    )
    second_try = NOW + timedelta(minutes=1)
    assert deliver_due(db.session, second_try, {Channel.email: sender}).retried == 1
    assert message.attempts == 2
    assert message.next_attempt_at == second_try + timedelta(minutes=2)

    sender.error = None
    third_try = message.next_attempt_at
    assert deliver_due(db.session, third_try, {Channel.email: sender}) == DeliveryReport(sent=1)
    assert message.sent_at == third_try and message.attempts == 2
    assert sender.sent == [message.id]


def test_a_long_error_is_truncated(app_ctx):
    message = _email()
    sender = RecordingSender(error=RuntimeError("x" * 5000))

    deliver_due(db.session, NOW, {Channel.email: sender})

    assert len(message.last_error) == MAX_ERROR_LENGTH
    assert message.last_error.startswith("RuntimeError: xxx")


def test_a_message_is_given_up_after_max_attempts(app_ctx):
    message = _email()
    sender = RecordingSender(error=TimeoutError("timed out"))
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        assert deliver_due(db.session, now, {Channel.email: sender}).retried == 1
        assert message.attempts == attempt and message.failed_at is None
        now = message.next_attempt_at
        assert now - NOW >= backoff(attempt)

    assert deliver_due(db.session, now, {Channel.email: sender}) == DeliveryReport(failed=1)
    assert message.attempts == MAX_ATTEMPTS
    assert message.failed_at == now and message.sent_at is None

    sender.error = None  # even once the server is back, a given-up message stays given up
    assert deliver_due(db.session, now + timedelta(days=1), {Channel.email: sender}).attempted == 0


def test_a_permanent_refusal_is_given_up_at_once(app_ctx):
    message = _email()
    sender = RecordingSender(error=PermanentDeliveryError("550 no such user"))

    assert deliver_due(db.session, NOW, {Channel.email: sender}) == DeliveryReport(failed=1)
    assert (message.attempts, message.failed_at) == (1, NOW)
    assert message.last_error == "PermanentDeliveryError: 550 no such user"


def test_deliver_due_flushes_but_leaves_the_commit_to_the_caller(app_ctx):
    message = _email()
    db.session.commit()

    deliver_due(db.session, NOW, {Channel.email: RecordingSender()})
    db.session.rollback()

    assert db.session.get(OutboxMessage, message.id).sent_at is None


def test_a_crash_after_sending_re_sends_at_most_that_one_message(app_ctx):
    ids = [_email(now=NOW - timedelta(seconds=3 - n)).id for n in range(3)]
    db.session.commit()

    class CrashesAfterSecondHandOver(RecordingSender):
        def send(self, message):
            super().send(message)
            if len(self.sent) == 2:
                raise Crash  # handed to the server, but the process dies before recording it

    sender = CrashesAfterSecondHandOver()
    with pytest.raises(Crash):
        deliver_due(db.session, NOW, {Channel.email: sender}, checkpoint=db.session.commit)
    db.session.rollback()  # what the database keeps of a dead process

    report = deliver_due(db.session, NOW, {Channel.email: sender}, checkpoint=db.session.commit)

    assert report == DeliveryReport(sent=2)
    # Nothing lost, and only the message in flight at the crash went out twice.
    assert sender.sent == [ids[0], ids[1], ids[1], ids[2]]
    db.session.expire_all()
    assert all(db.session.get(OutboxMessage, i).sent_at == NOW for i in ids)


@pytest.mark.skipif(
    not ON_POSTGRES, reason="SQLite has no row locks; the CLI's file lock covers it"
)
def test_a_concurrent_run_skips_the_message_another_run_is_sending(app_ctx):
    first, second = _email(now=NOW - timedelta(seconds=2)), _email(now=NOW - timedelta(seconds=1))
    db.session.commit()
    first_id, second_id = first.id, second.id
    other_run_sender = RecordingSender()

    with Session(db.engine) as other_session:
        # Without SKIP LOCKED the other run would wait on our lock: fail instead of hanging.
        other_session.execute(text("SET lock_timeout = '2s'"))

        class StartsAnotherRunMidSend(RecordingSender):
            def send(self, message):
                super().send(message)
                if len(self.sent) == 1:  # while this run still holds `first`
                    report = deliver_due(other_session, NOW, {Channel.email: other_run_sender})
                    other_session.commit()
                    assert report == DeliveryReport(sent=1)

        this_run_sender = StartsAnotherRunMidSend()
        report = deliver_due(
            db.session, NOW, {Channel.email: this_run_sender}, checkpoint=db.session.commit
        )

    assert report == DeliveryReport(sent=1)
    assert this_run_sender.sent == [first_id]
    assert other_run_sender.sent == [second_id]
