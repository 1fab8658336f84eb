"""Digital goods: download links made at payment, served through a token, limited
by time and by count, revoked by a refund; digital-only carts ship nothing."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.checks import Error
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model

from tests.factories import OrderFactory, configure_shop
from tests.support.helpers import add_to_cart, signed_post
from wagtail_stripe_checkout import downloads
from wagtail_stripe_checkout.checks import check_limits
from wagtail_stripe_checkout.fulfilment import record_refund
from wagtail_stripe_checkout.models import (
    Download,
    DownloadLink,
    Order,
    OrderLine,
    ProductFile,
    ProductVariant,
)
from wagtail_stripe_checkout.order_states import OrderStatus

ORDERS = "/admin/shop/orders/"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def document(title: str = "The e-book", content: bytes = PDF, name: str = "ebook.pdf"):
    return get_document_model().objects.create(title=title, file=ContentFile(content, name=name))


@pytest.fixture
def ebook(make_product):
    product = make_product("9.00", name="E-book", sku="EBOOK-01", shipped=False)
    ProductFile.objects.create(product=product, document=document())
    return product


@pytest.fixture
def digital_shop(client, shop, ebook, checkout_pages, stripe_stand_in):
    configure_shop(
        shop, shipping_fee=Decimal("5.00"), free_shipping_threshold=None, shipping_countries="US"
    )
    checkout, result = checkout_pages
    return client, checkout, result, stripe_stand_in


def buy(client, checkout, stand_in, django_capture_on_commit_callbacks):
    """Checkout, pay at the stand-in, come back: the result page's HTML."""
    response = client.post(checkout.url, {"email": "reader@example.com", "name": "Ada"})
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[1]
    paid, success_url = stand_in.pay(session_id)
    assert paid
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(success_url)
    assert page.status_code == 200
    return page.content.decode(), session_id


def paid_order(*, product, variant=None, status=OrderStatus.PAID):
    """A paid order with one line of ``product`` and its links made, as at payment."""
    order = OrderFactory.create(paid=True, status=status, lines=[], has_downloads=True)
    OrderLine.objects.create(
        order=order,
        product=product,
        variant=variant,
        name=product.name,
        sku=product.sku,
        unit_amount=900,
        quantity=1,
        total=900,
        shipped=False,
    )
    downloads.make_links(order)
    return order


# The whole purchase ----------------------------------------------------------------


def test_a_paid_digital_order_gets_working_links_and_ships_nothing(
    digital_shop, ebook, mailoutbox, django_capture_on_commit_callbacks
):
    client, checkout, _result, stand_in = digital_shop
    add_to_cart(client, ebook)
    form = client.get(checkout.url).content.decode()
    assert 'name="country"' not in form and 'name="shipping_rate"' not in form

    html, session_id = buy(client, checkout, stand_in, django_capture_on_commit_callbacks)

    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert "shipping_address_collection" not in create.params
    assert "shipping_options" not in create.params
    session = stand_in.session(session_id)
    assert (session["collected_information"] or {}).get("shipping_details") is None
    assert session["shipping_cost"] is None and session["shipping_options"] == []
    assert session["amount_total"] == 900
    order = Order.objects.get()
    assert (order.status, order.shipping, order.total, order.charged_shipping) == (
        "paid",
        0,
        900,
        0,
    )
    assert order.shipping_address == {} and order.shipping_country == ""

    (link,) = DownloadLink.objects.filter(order=order)
    assert (link.title, link.max_downloads, link.download_count) == ("The e-book", 5, 0)
    assert order.paid_at is not None and order.site is not None
    hours = (link.expires_at - order.paid_at).total_seconds() / 3600
    assert 71.9 < hours < 72.1
    assert len(link.token) == 43
    url = reverse("wagtail_stripe_checkout:download", args=[link.token])
    assert f'href="{url}"' in html and "5 downloads left" in html
    assert "/media/" not in html.split("data-wsc-downloads", 1)[1].split("</section>")[0]

    # The confirmation email links to the same place, absolutely, on the order's site.
    (email,) = [m for m in mailoutbox if m.to == ["reader@example.com"]]
    absolute = f"{order.site.root_url}{url}"
    assert absolute in email.body and f'href="{absolute}"' in email.alternatives[0][0]
    assert "5 downloads left" in email.body
    # Nothing ships: no shipping line on the result page or in the email, and no
    # "Mark shipped" for staff.
    assert "data-wsc-shipping" not in html and "Shipping" not in email.body
    assert not order.can_ship

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="ebook.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert Download.objects.filter(link=link).count() == 1
    link.refresh_from_db()
    assert link.download_count == 1
    # Anyone with the link may download (it is sent by email): no session needed.
    assert Client().get(url).status_code == 200
    assert DownloadLink.objects.get(pk=link.pk).download_count == 2


def test_a_mixed_cart_still_ships_and_pays_for_shipping(
    digital_shop, ebook, make_product, django_capture_on_commit_callbacks
):
    client, checkout, _result, stand_in = digital_shop
    add_to_cart(client, ebook)
    add_to_cart(client, make_product("10.00", name="Mug", sku="MUG-01"))
    assert 'name="country"' in client.get(checkout.url).content.decode()
    buy(client, checkout, stand_in, django_capture_on_commit_callbacks)
    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert create.params["shipping_address_collection"] == {"allowed_countries": ["US"]}
    assert len(create.params["shipping_options"]) == 1
    order = Order.objects.get()
    assert (order.shipping, order.total, order.charged_shipping) == (500, 2400, 500)
    assert DownloadLink.objects.filter(order=order).count() == 1  # the e-book's file


def test_paying_twice_makes_the_links_once(digital_shop, ebook, django_capture_on_commit_callbacks):
    client, checkout, _result, stand_in = digital_shop
    add_to_cart(client, ebook)
    _html, session_id = buy(client, checkout, stand_in, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    # The success page again, and the webhook's event: still paid once, one link.
    assert client.get(f"{digital_shop[2].url}?session_id={session_id}").status_code == 200
    (event,) = stand_in.events_of_type("checkout.session.completed")
    assert signed_post(event).status_code == 200
    assert downloads.make_links(order) == []
    assert DownloadLink.objects.filter(order=order).count() == 1


# Files per product and variant ----------------------------------------------------


def test_product_files_go_with_every_variant_and_variant_files_with_theirs(db, make_product):
    album = make_product("9.00", name="Album", sku="ALBUM", shipped=False)
    flac = ProductVariant.objects.create(product=album, label="FLAC", sku="ALBUM-FLAC")
    mp3 = ProductVariant.objects.create(product=album, label="MP3", sku="ALBUM-MP3")
    ProductFile.objects.create(product=album, document=document("Booklet", name="booklet.pdf"))
    ProductFile.objects.create(
        product=album, variant=flac, document=document("FLAC files", name="a.zip")
    )
    ProductFile.objects.create(
        product=album, variant=mp3, document=document("MP3 files", name="b.zip")
    )
    flac_order = paid_order(product=album, variant=flac)
    assert sorted(
        DownloadLink.objects.filter(order=flac_order).values_list("title", flat=True)
    ) == [
        "Booklet",
        "FLAC files",
    ]
    mp3_order = paid_order(product=album, variant=mp3)
    assert sorted(DownloadLink.objects.filter(order=mp3_order).values_list("title", flat=True)) == [
        "Booklet",
        "MP3 files",
    ]
    tokens = list(DownloadLink.objects.values_list("token", flat=True))
    assert len(set(tokens)) == 4


def test_an_order_without_files_gets_no_links_and_no_history_line(db, make_product):
    mug = make_product("9.00", name="Mug", sku="MUG")
    order = paid_order(product=mug)
    assert not DownloadLink.objects.filter(order=order).exists()


# Refusals ----------------------------------------------------------------------------


@pytest.fixture
def link(db, ebook):
    order = paid_order(product=ebook)
    return DownloadLink.objects.get(order=order)


def get(client, token):
    return client.get(reverse("wagtail_stripe_checkout:download", args=[token]))


def test_links_expire_by_time(client, link, settings):
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    response = get(client, link.token)
    assert response.status_code == 410
    html = response.content.decode()
    assert "This download link has expired." in html and 'data-wsc-error="410"' in html
    assert PDF.decode()[:8] not in html
    assert Download.objects.count() == 0


def test_links_stop_after_the_configured_number_of_downloads(client, ebook, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = 2
    order = paid_order(product=ebook)
    link = DownloadLink.objects.get(order=order)
    assert [get(client, link.token).status_code for _ in range(3)] == [200, 200, 410]
    assert "used as often as it allows" in get(client, link.token).content.decode()
    link.refresh_from_db()
    assert (link.max_downloads, link.download_count) == (2, 2)
    assert Download.objects.filter(link=link).count() == 2


def test_expiry_follows_the_setting(ebook, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_EXPIRY_HOURS = 2
    order = paid_order(product=ebook)
    link = DownloadLink.objects.get(order=order)
    assert timedelta(hours=1, minutes=59) < link.expires_at - timezone.now() <= timedelta(hours=2)


@pytest.mark.parametrize("forge", ["random", "one_char", "malformed", "long"])
def test_forged_tokens_are_not_found(client, link, forge):
    token = {
        "random": downloads.new_token(),
        "one_char": link.token[:-1] + ("A" if link.token[-1] != "A" else "B"),
        "malformed": "abc",
        "long": link.token * 3,
    }[forge]
    response = get(client, token)
    assert response.status_code == 404
    assert "This download link is not valid." in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0")
        or "no-store" in (response["Cache-Control"])
    )
    link.refresh_from_db()
    assert link.download_count == 0


def test_another_orders_token_serves_only_that_orders_file_and_is_revoked_on_its_own(
    client, ebook, make_product
):
    other_product = make_product("5.00", name="Poster file", sku="POSTER-F", shipped=False)
    ProductFile.objects.create(
        product=other_product, document=document("Poster", b"PNGDATA", "poster.png")
    )
    mine = paid_order(product=ebook)
    theirs = paid_order(product=other_product)
    my_link = DownloadLink.objects.get(order=mine)
    their_link = DownloadLink.objects.get(order=theirs)
    downloads.revoke(mine)
    # My token is dead; theirs still gives their file, never mine.
    assert get(client, my_link.token).status_code == 410
    response = get(client, their_link.token)
    assert b"".join(response.streaming_content) == b"PNGDATA"
    with pytest.raises(downloads.DownloadRefused) as refused:
        downloads.verify(my_link.token)
    assert refused.value.refusal is downloads.Refusal.REVOKED


def test_a_full_refund_revokes_the_links_and_a_partial_one_does_not(client, ebook):
    order = paid_order(product=ebook)
    order.charged_total = 900
    order.save()
    link = DownloadLink.objects.get(order=order)
    assert record_refund(order.stripe_payment_intent_id, 300, "usd").applied
    assert get(client, link.token).status_code == 200
    assert record_refund(order.stripe_payment_intent_id, 900, "usd").applied
    order.refresh_from_db()
    link.refresh_from_db()
    assert order.status == "refunded" and link.revoked_at is not None
    response = get(client, link.token)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_an_unpaid_orders_link_is_refused(client, ebook):
    order = paid_order(product=ebook)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PENDING)
    link = DownloadLink.objects.get(order=order)
    assert get(client, link.token).status_code == 410


def test_a_deleted_file_gets_a_friendly_page(client, link):
    link.document.file.delete(save=False)
    response = get(client, link.token)
    assert response.status_code == 410
    assert "no longer available" in response.content.decode()
    link.refresh_from_db()
    assert link.download_count == 0


def test_only_get_is_allowed(client, link):
    url = reverse("wagtail_stripe_checkout:download", args=[link.token])
    assert client.post(url).status_code == 405


# The count cannot pass the limit --------------------------------------------------------


def test_a_download_checked_before_another_finished_cannot_pass_the_limit(ebook, settings):
    """Two requests verify the same link while one download is left; the count is
    decided by the conditional UPDATE, not by what each request read."""
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = 1
    order = paid_order(product=ebook)
    token = DownloadLink.objects.get(order=order).token
    first, second = downloads.verify(token), downloads.verify(token)
    downloads.record_download(first)
    with pytest.raises(downloads.DownloadRefused) as refused:
        downloads.record_download(second)
    assert refused.value.refusal is downloads.Refusal.USED_UP
    assert DownloadLink.objects.get(order=order).download_count == 1
    assert Download.objects.count() == 1


@pytest.mark.skipif(
    os.environ.get("WSC_DB") != "postgres", reason="real threads need PostgreSQL (WSC_DB=postgres)"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_concurrent_downloads_of_a_three_download_link_serve_three(ebook, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = 3
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"download": None}
    order = paid_order(product=ebook)
    url = reverse("wagtail_stripe_checkout:download", args=[order.downloads.get().token])
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def fetch() -> None:
        try:
            barrier.wait()
            statuses.append(Client().get(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 3 + [410] * 7
    assert order.downloads.get().download_count == 3
    assert Download.objects.count() == 3


# Rate limit, settings check ---------------------------------------------------------------


def test_downloads_are_rate_limited_per_address(client, link, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"download": "3/m"}
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = 10
    forged = [get(client, downloads.new_token()).status_code for _ in range(3)]
    assert forged == [404, 404, 404]
    response = get(client, link.token)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert "Too many downloads" in response.content.decode()
    link.refresh_from_db()
    assert link.download_count == 0
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert (
        other.get(reverse("wagtail_stripe_checkout:download", args=[link.token])).status_code == 200
    )


def test_the_download_settings_are_checked(settings):
    assert not [e for e in check_limits() if e.id == "wagtail_stripe_checkout.E016"]
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_EXPIRY_HOURS = 0
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = "many"
    errors = [e for e in check_limits() if e.id == "wagtail_stripe_checkout.E016"]
    assert [type(e) for e in errors] == [Error, Error]
    assert "DOWNLOAD_EXPIRY_HOURS" in errors[0].msg and "DOWNLOAD_LIMIT" in errors[1].msg


# Staff: the order page, resend and extend ----------------------------------------------------


def staff(client, *codenames):
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw")
    group = Group.objects.create(name="Shop staff")
    wanted = ("access_admin", "view_order", *codenames)
    group.permissions.add(*Permission.objects.filter(codename__in=wanted))
    user.groups.add(group)
    client.force_login(user)
    return user


def denied(response):
    return (response.status_code, response.get("Location")) == (302, "/admin/")


def test_the_order_page_lists_the_links_with_their_state(client, ebook):
    order = paid_order(product=ebook)
    ProductFile.objects.create(product=ebook, document=document("Extras", name="extras.zip"))
    DownloadLink.objects.filter(order=order).delete()
    downloads.make_links(order)
    first, second = DownloadLink.objects.filter(order=order)
    first.download_count = 2
    first.save()
    second.expires_at = timezone.now() - timedelta(hours=1)
    second.save()
    staff(client)
    html = client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert 'data-wsc-download-state="active"' in html and "2 / 5" in html
    assert 'data-wsc-download-state="expired"' in html
    assert "Download links created" in html
    assert "Resend download links" not in html  # no fulfil_order permission
    downloads.revoke(order)
    html = client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert html.count('data-wsc-download-state="revoked"') == 2
    assert "Download links revoked" in html


def test_resending_the_links_needs_fulfil_order_and_emails_them(
    client, ebook, mailoutbox, django_capture_on_commit_callbacks
):
    order = paid_order(product=ebook)
    link = DownloadLink.objects.get(order=order)
    url = f"{ORDERS}downloads/resend/{order.pk}/"
    staff(client)
    assert denied(client.get(url)) and denied(client.post(url, {"confirm": "1"}))
    assert mailoutbox == []
    client.logout()
    get_user_model().objects.all().delete()
    Group.objects.all().delete()
    user = staff(client, "fulfil_order")
    inspect = client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert f'href="{url}"' in inspect and "Resend download links" in inspect
    assert "Yes, send the links" in client.get(url).content.decode() and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "1"}, follow=True)
    assert "are being sent again" in response.content.decode()
    (email,) = mailoutbox
    assert email.to == [order.email]
    assert order.reference in email.subject and "download" in email.subject.lower()
    assert reverse("wagtail_stripe_checkout:download", args=[link.token]) in email.body
    assert "5 downloads left" in email.body
    history = client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert "Email resend requested" in history and user.username in history


def test_extending_the_links_needs_fulfil_order_and_resets_nothing_else(client, ebook, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_LIMIT = 1
    order = paid_order(product=ebook)
    link = DownloadLink.objects.get(order=order)
    assert get(client, link.token).status_code == 200
    DownloadLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    url = f"{ORDERS}downloads/extend/{order.pk}/"
    staff_client = Client()
    staff(staff_client)
    assert denied(staff_client.post(url, {"hours": "48", "confirm": "1"}))
    get_user_model().objects.all().delete()
    Group.objects.all().delete()
    staff_client = Client()
    staff(staff_client, "fulfil_order")
    form = staff_client.get(url).content.decode()
    assert 'name="hours"' in form and 'value="72"' in form  # the setting's default
    settings.WAGTAIL_STRIPE_CHECKOUT_DOWNLOAD_EXPIRY_HOURS = 24
    assert 'value="24"' in staff_client.get(url).content.decode()
    assert staff_client.post(url, {"hours": "0"}).status_code == 200  # refused, shown again
    response = staff_client.post(url, {"hours": "48"}, follow=True)
    assert "1 download link of order" in response.content.decode()
    link.refresh_from_db()
    assert timedelta(hours=47, minutes=59) < link.expires_at - timezone.now() <= timedelta(hours=48)
    assert link.download_count == 1  # still used up
    assert get(client, link.token).status_code == 410
    staff_client.post(url, {"hours": "48", "reset_counts": "on"})
    link.refresh_from_db()
    assert link.download_count == 0
    assert get(client, link.token).status_code == 200
    assert Download.objects.filter(link=link).count() == 2  # the records stay
    history = staff_client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert "Download links extended" in history and "File downloaded" in history


def test_extending_does_not_bring_back_revoked_links(ebook):
    order = paid_order(product=ebook)
    downloads.revoke(order)
    assert downloads.extend(order, 24) == 0
    assert DownloadLink.objects.get(order=order).revoked_at is not None
