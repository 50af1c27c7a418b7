"""The server-test fixtures themselves work: a real PostgreSQL database, and mail caught over real SMTP."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from tests.server.postgres import ThrowawayPostgres
from tests.server.smtp import MailCatcher


@pytest.mark.server
@pytest.mark.postgres
def test_postgres_database_round_trip(postgres: ThrowawayPostgres) -> None:
    name = f"selfcheck_{uuid.uuid4().hex[:8]}"
    url = postgres.create_database(name)
    assert url == postgres.url(name)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            assert "PostgreSQL" in conn.execute(sa.text("select version()")).scalar_one()
            conn.execute(sa.text("create table notes (id serial primary key, body text not null)"))
            conn.execute(sa.text("insert into notes (body) values (:body)"), [{"body": "héllo"}, {"body": "two"}])
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select body from notes order by id")).scalars().all()
        assert rows == ["héllo", "two"]
        # An open pooled connection must not stop the drop.
        held = engine.connect()
        held.execute(sa.text("select 1"))
        postgres.drop_database(name)
        held.invalidate()  # its server side is gone; discard it rather than roll it back into the pool
        held.close()
    finally:
        engine.dispose()
    with postgres.connect() as conn:
        assert conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None


@pytest.mark.server
def test_mail_catcher_receives_a_message(mail_catcher: MailCatcher) -> None:
    message = EmailMessage()
    message["From"] = "server@example.test"
    message["To"] = "Someone@Example.test"
    message["Subject"] = "Confirm your account 1234"
    message.set_content("Your code is 1234.")
    with smtplib.SMTP(mail_catcher.host, mail_catcher.port, timeout=10) as smtp:
        smtp.send_message(message)
    got = mail_catcher.wait_for("someone@example.test", "Confirm your")
    assert got["Subject"] == "Confirm your account 1234"
    assert got.get_content().strip() == "Your code is 1234."
    assert mail_catcher.messages_to("nobody@example.test") == []
    with pytest.raises(AssertionError, match="Confirm your account"):
        mail_catcher.wait_for("someone@example.test", "no such subject", timeout=0.2)
