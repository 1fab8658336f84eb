"""The emails after a payment are tasks on Wagtail's task framework, queued once
the payment has committed: sent at once with the immediate backend (as before),
by a real ``db_worker`` process with django-tasks-db's backend, and a failing
email never fails the payment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from smtplib import SMTPRecipientsRefused
from typing import Any

import django
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import signed_post
from wagtail_stripe_checkout.history import order_history
from wagtail_stripe_checkout.models import Order
from wagtail_stripe_checkout.tasks import send_order_emails

try:  # the framework tasks.py uses: Django's own from 6.0, else the backport
    from django.tasks.signals import task_enqueued
except ImportError:
    from django_tasks.signals import task_enqueued

ROOT = Path(__file__).resolve().parent.parent
ORDERS = "/admin/shop/orders/"
SHOPPER = "shopper@example.com"


@pytest.fixture
def paid_event(client, shop, make_product, checkout_pages, stripe_stand_in) -> dict[str, Any]:
    """Sam paid 2 mugs at the stand-in; its ``checkout.session.completed`` event."""
    configure_shop(shop, shipping_fee=Decimal("2.00"))
    mug = make_product("7.77", name="Mug", stock=5)
    client.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "2"})
    page, _result = checkout_pages
    response = client.post(page.url, {"email": SHOPPER, "name": "Sam"})
    stripe_stand_in.pay(response["Location"].rsplit("/", 1)[1])
    (event,) = stripe_stand_in.events_of_type("checkout.session.completed")
    return event


@contextmanager
def enqueued() -> Iterator[list[tuple[str, list[Any], dict[str, Any]]]]:
    """Every task queued while the block runs: its path, args and kwargs."""
    queued: list[tuple[str, list[Any], dict[str, Any]]] = []

    def receiver(sender: Any, task_result: Any, **kwargs: Any) -> None:
        queued.append(
            (task_result.task.module_path, list(task_result.args), dict(task_result.kwargs))
        )

    task_enqueued.connect(receiver, weak=False, dispatch_uid="wsc-test-enqueued")
    try:
        yield queued
    finally:
        task_enqueued.disconnect(dispatch_uid="wsc-test-enqueued")


def kinds_in_history(order: Order) -> list[tuple[str, str]]:
    return [
        (entry.action.rsplit(".", 1)[1], entry.detail)
        for entry in reversed(order_history(order))
        if ".email_" in entry.action
    ]


def test_with_the_immediate_backend_the_emails_are_sent_once_after_the_commit(
    paid_event, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_STRIPE_CHECKOUT_STAFF_EMAILS = ["staff@shop.example"]
    with enqueued() as queued:
        with django_capture_on_commit_callbacks(execute=False) as after_commit:
            response = signed_post(paid_event)
        assert response.status_code == 200
        order = Order.objects.get()
        assert order.status == "paid"
        assert (mail.outbox, queued) == ([], [])  # nothing before the commit
        with django_capture_on_commit_callbacks(execute=True):
            for callback in after_commit:
                callback()
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(paid_event).json()["duplicate"] is True
    # One task, with the order's id: JSON, never the instance.
    assert queued == [
        (
            "wagtail_stripe_checkout.tasks.send_order_emails",
            [order.pk, ["confirmation", "staff"]],
            {},
        )
    ]
    assert json.loads(json.dumps(queued[0][1])) == queued[0][1]
    assert [message.to for message in mail.outbox] == [[SHOPPER], ["staff@shop.example"]]
    assert kinds_in_history(order) == [("email_sent", "confirmation"), ("email_sent", "staff")]


def test_the_task_sends_an_orders_emails_from_its_id(db, site, mailoutbox):
    from tests.factories import OrderFactory

    order = OrderFactory.create(paid=True, email=SHOPPER)
    result = send_order_emails.enqueue(order.pk, ["confirmation", "shipped"])
    assert result.return_value == ["confirmation", "shipped"]
    assert [m.to for m in mailoutbox] == [[SHOPPER], [SHOPPER]]
    assert send_order_emails.enqueue(order.pk + 1000, ["confirmation"]).return_value == []


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient, naming them in its answer."""

    def send_messages(self, email_messages: Any) -> int:
        refused = {
            m.to[0]: (550, f"5.1.1 <{m.to[0]}> Sam: unknown".encode()) for m in email_messages
        }
        raise SMTPRecipientsRefused(refused)


def use_email_backend(settings: Any, backend: str) -> None:
    if django.VERSION >= (6, 1):  # MAILERS replaces EMAIL_BACKEND
        settings.MAILERS = {"default": {"BACKEND": backend}}
    else:
        settings.EMAIL_BACKEND = backend


def staff_who_may_fulfil(client: Any) -> Any:
    user = get_user_model().objects.create_user("clerk", "clerk@shop.example", "pw")
    group = Group.objects.create(name="Order staff")
    wanted = ("access_admin", "view_order", "fulfil_order")
    group.permissions.add(*Permission.objects.filter(codename__in=wanted))
    user.groups.add(group)
    client.force_login(user)
    return user


def test_a_failing_email_never_fails_the_payment_and_staff_can_send_it_again(
    paid_event, settings, caplog, django_capture_on_commit_callbacks, client
):
    use_email_backend(settings, "tests.test_tasks.RefusingBackend")
    caplog.clear()
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        response = signed_post(paid_event)
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == "paid"
    assert mail.outbox == []
    assert kinds_in_history(order) == [("email_failed", "confirmation · SMTPRecipientsRefused")]
    (failed,) = [r for r in caplog.records if r.message == "order_email_failed"]
    assert (failed.levelno, failed.order, failed.kind) == (
        logging.ERROR,
        order.reference,
        "confirmation",
    )
    # No address, no name, no server text anywhere in the log.
    for record in caplog.records:
        text = json.dumps(record.__dict__, default=str) + record.getMessage()
        assert SHOPPER not in text and "Sam" not in text, record.__dict__

    use_email_backend(settings, "django.core.mail.backends.locmem.EmailBackend")
    user = staff_who_may_fulfil(client)
    page = client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert "Resend confirmation email" in page and "Email failed" in page
    url = f"{ORDERS}resend/{order.pk}/"
    confirm = client.get(url).content.decode()
    assert f"Resend the confirmation of {order.reference}" in confirm
    assert "Yes, send it again" in confirm and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"confirm": "1"}, follow=True)
    assert "is being sent again" in done.content.decode()
    (email,) = mail.outbox
    assert email.to == [SHOPPER] and order.reference in email.subject
    assert kinds_in_history(order) == [
        ("email_failed", "confirmation · SMTPRecipientsRefused"),
        ("email_requested", "confirmation"),
        ("email_sent", "confirmation"),
    ]
    requested = next(e for e in order_history(order) if e.action.endswith("email_requested"))
    assert requested.who == user.get_username()


# A real worker -------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    os.environ.get("WSC_DB") != "postgres",
    reason="a db_worker process shares the test database: needs PostgreSQL (WSC_DB=postgres), "
    "which CI's tox postgres environments provide",
)


def worker(email_dir: Path) -> subprocess.Popen[bytes]:
    """django-tasks-db's ``manage.py db_worker`` on the test database."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "WSC_DB": "postgres",
        "WSC_PG_NAME": str(connection.settings_dict["NAME"]),
        "WSC_TASKS": "db",
        "WSC_EMAIL_DIR": str(email_dir),
    }
    command = [sys.executable, "-m", "django", "db_worker", "--interval", "0.2"]
    return subprocess.Popen(
        [*command, "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def emails_in(directory: Path) -> list[str]:
    """The ``To:`` of every email the file backend wrote."""
    return [
        line.removeprefix("To: ")
        for path in sorted(directory.iterdir())
        for line in path.read_text().splitlines()
        if line.startswith("To: ")
    ]


def wait_for(condition: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_a_db_worker_the_webhook_answers_first_and_the_emails_arrive_once(
    paid_event, settings, tmp_path
):
    pytest.importorskip("django_tasks_db")
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with CaptureQueriesContext(connection) as queries:
        response = signed_post(paid_event)
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == "paid"
    # Answered before anything was sent: the task waits for a worker.
    (queued,) = DBTaskResult.objects.all()
    assert (queued.status, queued.task_path) == (
        "READY",
        "wagtail_stripe_checkout.tasks.send_order_emails",
    )
    assert queued.args_kwargs == {"args": [order.pk, ["confirmation", "staff"]], "kwargs": {}}
    statements = [q["sql"].split(" ")[0] for q in queries.captured_queries]
    # The payment's transaction, then the task's row: nothing of the emails.
    assert statements == [
        *("BEGIN", "SAVEPOINT", "SELECT", "UPDATE", "INSERT", "RELEASE", "INSERT", "COMMIT"),
        "INSERT",
    ], "\n".join(q["sql"][:120] for q in queries.captured_queries)
    assert list(tmp_path.iterdir()) == [] and kinds_in_history(order) == []

    process = worker(tmp_path)
    try:
        finished = wait_for(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").exists())
        time.sleep(1)  # time enough for a second sending, were there one
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert finished, output
    assert emails_in(tmp_path) == [SHOPPER], output
    assert kinds_in_history(order) == [("email_sent", "confirmation")]
    assert signed_post(paid_event).json()["duplicate"] is True
    assert DBTaskResult.objects.count() == 1
