"""`flask portal deliver`: cron-safe delivery of the outbox through a real SMTP server."""

import fcntl
from datetime import timedelta

import pytest
from flask.cli import AppGroup
from sqlalchemy import select

import portal.notify.models  # noqa: F401  (registers the table until portal/models.py does)
from portal.core.clock import utcnow
from portal.extensions import db
from portal.notify.cli import deliver_command
from portal.notify.models import OutboxMessage
from portal.notify.services import enqueue_email, enqueue_sms


@pytest.fixture
def mail_app(app, smtp_server, tmp_path):
    """The app pointed at the test SMTP server, with its run lock in tmp_path."""
    app.config.update(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_FROM="钦州市排污口信息公开平台 <noreply@pwk.example.test>",
        NOTIFY_LOCK_FILE=str(tmp_path / "deliver.lock"),
    )
    return app


def _enqueue(app, emails: int, sms: int = 0) -> None:
    with app.app_context():
        # Already due, whatever the wall clock says when the command runs.
        now = utcnow() - timedelta(seconds=1)
        for n in range(emails):
            enqueue_email(db.session, f"c{n}@example.test", f"投诉 {n} 已受理", "正文", now)
        for _n in range(sms):
            enqueue_sms(db.session, "13812345678", "短信", now)
        db.session.commit()


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return messages


def test_deliver_sends_due_messages_commits_and_prints_a_summary(mail_app, runner, smtp_server):
    _enqueue(mail_app, emails=2, sms=1)

    result = runner.invoke(deliver_command)

    assert result.exit_code == 0, result.output
    assert result.output == "Outbox: 3 sent, 0 to retry, 0 given up.\n"
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["投诉 0 已受理", "投诉 1 已受理"]
    assert all(m.sent_at is not None for m in _outbox(mail_app))  # committed, seen afresh


def test_running_deliver_again_sends_nothing_twice(mail_app, runner, smtp_server):
    _enqueue(mail_app, emails=1)
    runner.invoke(deliver_command)

    result = runner.invoke(deliver_command)

    assert result.output == "Outbox: 0 sent, 0 to retry, 0 given up.\n"
    assert len(smtp_server.messages) == 1


def test_deliver_works_inside_a_command_group_and_drains_the_outbox_in_rounds(
    mail_app, runner, smtp_server
):
    group = AppGroup("portal")  # the kind of group portal/cli.py registers it in
    group.add_command(deliver_command, "deliver")
    _enqueue(mail_app, emails=3)

    result = runner.invoke(group, ["deliver", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output
    assert len(smtp_server.messages) == 3


def test_deliver_records_a_retry_when_the_mail_server_is_down(mail_app, runner, smtp_server):
    _enqueue(mail_app, emails=1)
    smtp_server.stop()

    result = runner.invoke(deliver_command)

    assert result.exit_code == 0, result.output
    assert result.output == "Outbox: 0 sent, 1 to retry, 0 given up.\n"
    [message] = _outbox(mail_app)
    assert message.attempts == 1 and message.sent_at is None
    assert message.last_error.startswith("ConnectionRefusedError")


def test_deliver_does_nothing_while_another_run_holds_the_lock(mail_app, runner, smtp_server):
    _enqueue(mail_app, emails=1)

    with open(mail_app.config["NOTIFY_LOCK_FILE"], "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = runner.invoke(deliver_command)

    assert result.exit_code == 0, result.output
    assert "another delivery run is in progress" in result.output
    assert smtp_server.messages == []
    assert runner.invoke(deliver_command).output.startswith("Outbox: 1 sent")
