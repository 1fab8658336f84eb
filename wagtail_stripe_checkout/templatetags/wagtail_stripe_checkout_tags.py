"""Template tags: ``{% load wagtail_stripe_checkout_tags %}``.

* ``{% cart_count %}``: the number of items in the cart (no database query).
* ``{% cart_summary %}``: a small cart with totals and a link to the cart page.
* ``{% cart_rows cart image_spec as rows %}``: the cart page's lines, ready to show
  (see :func:`cart_rows`).
* ``{% buy_button product label="Add to cart" show_quantity=True action="cart" %}``
* ``{% product_price product %}``: the product's price in the shop's currency.
* ``{% variant_choices product spec as choices %}``: a product's variants for its
  ``<select name="variant">`` (``None`` for a product without; see :func:`variant_choices`).
* ``{% product_image product spec "css-class" %}``: the product's ``<img>`` at a rendition.
* ``{{ amount|money:currency }}``: format a smallest-unit amount.
* ``{% csrf_input as csrf_input %}``: ``{% csrf_token %}``'s hidden input, rendered
  once for a page's many forms.
* ``{% stripe_test_mode_badge %}``: a discreet badge while Stripe is in test mode.
* ``{% shop_home_url %}``: the site's root page, for "Continue shopping".

A page may show hundreds of cart lines or dozens of products: what is the same
for all of them (URLs, the CSRF input, the currency's separators, translations)
is worked out once per page, and product images come with their renditions in
one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from html import (
    escape,  # Django's escape() is this, plus laziness and marking safe
    unescape,
)
from types import SimpleNamespace
from typing import Any

from django import template
from django.apps import apps
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from wagtail.images import get_image_model
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import Filter, SourceImageIOError

from .. import pricing
from ..cart import Cart, CartLine, PricedCart
from ..conf import app_settings
from ..shortcuts import home_url, priced_cart, shop_money, shop_url

register = template.Library()


def _request(context: template.Context) -> Any:
    return context.get("request")


@register.simple_tag(takes_context=True)
def cart_count(context: template.Context) -> int:
    request = _request(context)
    if request is None or not hasattr(request, "session"):
        return 0
    return Cart.for_request(request).count


@register.inclusion_tag("wagtail_stripe_checkout/includes/cart_summary.html", takes_context=True)
def cart_summary(context: template.Context) -> dict[str, Any]:
    request = _request(context)
    # No session (an error page raised before the session middleware): no cart.
    priced = priced_cart(request) if hasattr(request, "session") else None
    return {"request": request, "cart": priced}


# The cart page's lines ---------------------------------------------------------


@register.simple_tag
def cart_rows(cart: PricedCart | None, image_spec: str = "") -> list[dict[str, Any]]:
    """The cart's lines as the cart page shows them, one dict each:

    ``line`` and ``product`` (the priced line and its product), ``pk``,
    ``quantity`` and ``max_quantity`` (as text), ``name``, ``unit`` and
    ``total`` (the amounts, formatted), ``each`` ("$7.77 each"), ``of_name``
    ("of Mug", the quantity label's hidden end) and ``image`` (the ``<img>`` at
    ``image_spec``, class ``wsc-cart__thumb``; empty without a spec or an image).

    The images and their renditions come in one query for all lines; the
    translations and the currency's format are looked up once per page.
    """
    if cart is None or not cart.lines:
        return []
    sources = [line.image_source for line in cart.lines]
    images = _img_tags(sources, image_spec, "wsc-cart__thumb")
    money = pricing.amount_formatter(cart.currency)
    each, of_name = gettext("%(price)s each"), gettext("of %(name)s")
    return [
        _cart_row(line, money, each, of_name, images.get(source.image_id or 0, ""))
        for line, source in zip(cart.lines, sources, strict=True)
    ]


def _cart_row(
    line: CartLine,
    money: Callable[[int], str],
    each: str,
    of_name: str,
    image: str,
) -> dict[str, Any]:
    product = line.product
    name, unit = escape(line.display_name), escape(money(line.unit_amount))
    # Escaped here, once, so that the page shows them as they are; the translated
    # phrases as {% blocktrans %} renders them (the words as they are, the values escaped).
    return {
        "line": line,
        "product": product,
        "pk": SafeString(product.pk),
        "variant": SafeString(line.variant.pk) if line.variant is not None else "",
        "uid": SafeString(line.key.replace(":", "-")),
        "sku": SafeString(escape(line.sku)),
        "name": SafeString(name),
        "quantity": SafeString(line.quantity),
        "max_quantity": SafeString(line.max_quantity),
        "unit": SafeString(unit),
        "total": SafeString(escape(money(line.total))),
        "each": SafeString(each % {"price": unit}),
        "of_name": SafeString(of_name % {"name": name}),
        "image": image,
    }


# Products ------------------------------------------------------------------------


@register.inclusion_tag("wagtail_stripe_checkout/includes/buy_form.html", takes_context=True)
def buy_button(
    context: template.Context,
    product: Any,
    label: str = "",
    show_quantity: bool = True,
    action: str = "cart",
) -> dict[str, Any]:
    """The add-to-cart form; its URLs are reversed once per page and its words
    translated here (``button_text``, ``quantity_label``, ``message_invalid``,
    ``message_max``), so that many forms on a page cost little."""
    request = _request(context)
    most = product.limit_per_order(app_settings.MAX_QUANTITY) if product else 1
    if product is not None and product.stock is not None:
        most = max(1, min(most, product.stock))
    choices = variant_choices(context, product, str(context.get("rendition_spec") or ""))
    if choices is not None and choices.selected is not None:
        most = choices.selected["max"]
    button_text = label or (gettext("Buy now") if action == "checkout" else gettext("Add to cart"))
    return {
        "choices": choices,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "product": product,
        "label": label,
        "show_quantity": show_quantity,
        "action": action,
        "max_quantity": most,
        "next": request.get_full_path() if request is not None else "",
        "uid": f"wsc-buy-{uuid.uuid4().hex[:8]}",
        "add_url": shop_url(request, "cart_add"),
        "api_add_url": shop_url(request, "api_cart_add") if action != "checkout" else "",
        "button_text": button_text,
        "quantity_label": gettext("Quantity"),
        "message_invalid": gettext("Enter a whole number of at least 1."),
        "message_max": gettext("You can order at most %(most)s.") % {"most": most},
    }


@register.simple_tag(takes_context=True)
def product_price(context: template.Context, product: Any) -> str:
    request = _request(context)
    if request is None or product is None:
        return ""
    currency, money = shop_money(request)
    try:
        return money(product.unit_amount(currency))
    except pricing.PricingError:
        return ""


class VariantChoices(SimpleNamespace):
    """A product's variants as its buy form offers them.

    ``label`` names the options ("Size / Colour"); ``options``: one dict per
    variant on sale, in the editor's order, with ``pk``, ``label``, ``price``
    (formatted), ``text`` (what the ``<option>`` reads), ``sold_out``, ``max``
    (the most one cart may hold), ``message_max``, ``availability`` ("3 left",
    "Sold out"), ``image`` (its ``<img>`` at the spec; the product's when it has
    none) and ``image_url``/``image_width``/``image_height``; ``selected``: the
    first one not sold out (``None``: all are); ``available``: whether any can
    be bought."""


@register.simple_tag(takes_context=True)
def variant_choices(context: template.Context, product: Any, spec: str = "") -> Any:
    """``None`` for a product without variants, else its :class:`VariantChoices`,
    worked out once per product and page. Free of queries when the product came
    with its variants and options prefetched (as in the blocks)."""
    if product is None:
        return None
    cached = getattr(product, "_wsc_variant_choices", None)
    if cached is not None and cached.spec == spec:
        return cached.value
    variants = list(product.variants.all())
    choices = None
    if variants:
        choices = _choices(_request(context), product, variants, spec)
    product._wsc_variant_choices = SimpleNamespace(spec=spec, value=choices)
    return choices


def _choices(request: Any, product: Any, variants: list[Any], spec: str) -> VariantChoices:
    money: Callable[[int], str] = str
    currency = None
    if request is not None:
        currency, money = shop_money(request)
    image = _image_maker(spec, "wsc-product__image")
    limit = product.limit_per_order(app_settings.MAX_QUANTITY)
    options = []
    for variant in variants:
        if not variant.active:
            continue
        variant.product = product
        try:
            price = money(variant.unit_amount(currency)) if currency is not None else ""
        except pricing.PricingError:
            continue
        options.append(_choice(variant, price, limit, image(variant) or image(product)))
    label = " / ".join(option.name for option in product.options.all())
    selected = next((option for option in options if not option["sold_out"]), None)
    return VariantChoices(
        label=label or gettext("Option"),
        options=options,
        selected=selected,
        available=selected is not None,
    )


def _choice(variant: Any, price: str, limit: int, img: str) -> dict[str, Any]:
    sold_out = variant.sold_out
    most = limit if variant.stock is None else max(1, min(limit, variant.stock))
    if sold_out:
        availability = gettext("Sold out")
    elif variant.stock is not None:
        availability = ngettext("%(n)s left", "%(n)s left", variant.stock) % {"n": variant.stock}
    else:
        availability = gettext("In stock")
    text = f"{variant.label} – {availability if sold_out else price}"
    src = _attribute(img, "src")
    return {
        "pk": variant.pk,
        "label": variant.label,
        "price": price,
        "text": text,
        "sold_out": sold_out,
        "max": most,
        "message_max": gettext("You can order at most %(most)s.") % {"most": most},
        "availability": availability,
        "image": SafeString(img),
        "image_url": src,
        "image_width": _attribute(img, "width"),
        "image_height": _attribute(img, "height"),
    }


def _attribute(img: str, name: str) -> str:
    """An attribute's value in an ``<img>`` written by :func:`_img_tag` (unescaped)."""
    marker = f' {name}="'
    start = img.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    value = img[start : img.index('"', start)]
    return unescape(value)


@register.simple_tag
def product_image(product: Any, spec: str, css_class: str = "") -> str:
    """``<img>`` for the product's image at a rendition ``spec`` held in a variable.

    Without a query when the product came with its image and renditions
    (:func:`~wagtail_stripe_checkout.cart.prefetch_images`), as in the blocks."""
    return _image_maker(spec, css_class)(product)


@lru_cache(maxsize=64)
def _image_maker(spec: str, css_class: str) -> Callable[[Any], str]:
    """A function giving a product's ``<img>`` at ``spec``, as Wagtail's
    ``rendition.img_tag({"class": css_class, "alt": ""})`` writes it (the image
    is decorative: the product's name is next to it), or ``""``."""
    if not spec:
        return lambda product: ""
    try:
        spec_filter = _filter(spec)
    except InvalidFilterSpecError:
        return lambda product: ""
    defaults = getattr(apps.get_app_config("wagtailimages"), "default_attrs", {})

    def img(product: Any) -> str:
        image = getattr(product, "image", None)
        if image is None:
            return ""
        try:
            rendition = _rendition(image, spec_filter)
        except (SourceImageIOError, InvalidFilterSpecError):
            return ""
        size = {"width": rendition.width, "height": rendition.height}
        return _img_tag({"src": rendition.url, **size, **defaults, "class": css_class, "alt": ""})

    return img


# The focal point: what a rendition's ``focal_point_key`` is made of (Wagtail's
# fill and crop operations vary on these fields and no others).
FOCAL_FIELDS = ("focal_point_x", "focal_point_y", "focal_point_width", "focal_point_height")


def _img_tags(products: list[Any], spec: str, css_class: str) -> dict[int, SafeString]:
    """Each product image's ``<img>`` at ``spec`` (keyed by image id), as
    :func:`_image_maker` writes it, from one query that reads only the
    renditions' file names and sizes with the images' focal points: no model
    instances, however many lines. An image whose rendition does not exist yet
    (or a spec that varies on more than the focal point) goes Wagtail's way."""
    image_ids = list(dict.fromkeys(p.image_id for p in products if p.image_id is not None))
    if not spec or not image_ids:
        return {}
    try:
        spec_filter = _filter(spec)
    except InvalidFilterSpecError:
        return {}
    varies = {f for op in spec_filter.operations for f in getattr(op, "vary_fields", ())}
    tags: dict[int, SafeString] = {}
    if varies <= set(FOCAL_FIELDS) and "preserve-svg" not in spec:
        rendition_model = get_image_model().get_rendition_model()
        storage = rendition_model._meta.get_field("file").storage
        defaults = getattr(apps.get_app_config("wagtailimages"), "default_attrs", {})
        rows = rendition_model.objects.filter(image_id__in=image_ids, filter_spec=spec)
        columns = ("image_id", "file", "width", "height", "focal_point_key")
        focal = tuple(f"image__{f}" for f in FOCAL_FIELDS)
        for image_id, name, width, height, key, *point in rows.values_list(*columns, *focal):
            image = SimpleNamespace(**dict(zip(FOCAL_FIELDS, point, strict=True)))
            if key != spec_filter.get_cache_key(image):
                continue  # made for an earlier focal point
            attrs = {"src": storage.url(name), "width": width, "height": height}
            tags[image_id] = _img_tag({**attrs, **defaults, "class": css_class, "alt": ""})
    missing = [pk for pk in image_ids if pk not in tags]
    if missing:
        make = _image_maker(spec, css_class)
        for pk, image in get_image_model().objects.in_bulk(missing).items():
            tags[pk] = SafeString(make(SimpleNamespace(image=image)))
    return tags


@lru_cache(maxsize=64)
def _filter(spec: str) -> Filter:
    """A parsed rendition spec; raises InvalidFilterSpecError for a bad one."""
    spec_filter = Filter(spec=spec)
    spec_filter.operations  # noqa: B018  (parse now: a bad spec fails here)
    return spec_filter


def _rendition(image: Any, spec_filter: Filter) -> Any:
    """The image's rendition, from its prefetched renditions when it has them
    (as Wagtail's ``get_rendition`` would pick it), else Wagtail's way."""
    prefetched = getattr(image, "prefetched_renditions", None)
    if prefetched is not None and "preserve-svg" not in spec_filter.spec:
        key = spec_filter.get_cache_key(image)
        for rendition in prefetched:
            if rendition.filter_spec == spec_filter.spec and rendition.focal_point_key == key:
                return rendition
    return image.get_renditions(spec_filter.spec)[spec_filter.spec]


def _img_tag(attrs: dict[str, Any]) -> SafeString:
    """``<img>`` with ``attrs`` as Django's ``flatatt`` writes them (sorted; ``True``
    as a bare name; ``False`` and ``None`` left out), the values escaped."""
    pairs = sorted((k, v) for k, v in attrs.items() if v is not None and not isinstance(v, bool))
    flags = sorted(k for k, v in attrs.items() if v is True)
    html = "".join(f' {k}="{escape(str(v))}"' for k, v in pairs)
    return SafeString(f"<img{html}{''.join(f' {k}' for k in flags)}>")


# Small things ----------------------------------------------------------------------


@register.filter
def money(amount: int, currency: Any) -> str:
    if isinstance(currency, str):
        currency = pricing.get_currency(currency)
    return pricing.format_amount(int(amount), currency)


@register.simple_tag(takes_context=True)
def csrf_input(context: template.Context) -> SafeString:
    """What ``{% csrf_token %}`` renders, to render once and show in many forms."""
    return mark_safe(CsrfTokenNode().render(context))  # noqa: S308  (Django's own output)


@register.inclusion_tag("wagtail_stripe_checkout/includes/test_mode_badge.html")
def stripe_test_mode_badge() -> dict[str, Any]:
    return {"test_mode": app_settings.is_test_mode}


@register.simple_tag(takes_context=True)
def shop_home_url(context: template.Context) -> str:
    """The site's root page: where "Continue shopping" leads."""
    request = _request(context)
    return home_url(request) if request is not None else "/"


@register.simple_tag
def wsc_uid(prefix: str = "wsc") -> str:
    """A fresh id for ``id``/``aria-labelledby`` pairs in repeated blocks."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
