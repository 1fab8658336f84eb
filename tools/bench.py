#!/usr/bin/env python3
"""What the shop costs next to a plain Wagtail page, measured in one process.

    python3 tools/dev.py bench [--quick] [--json PATH] [--no-docs] [--reps N]
    .venv/bin/python tools/bench.py ...     (the same, with this interpreter)

A throwaway test database is created as Django's test runner creates one
(migrations and all), filled with a shop, and destroyed at the end. The
offline Stripe stand-in runs as a thread of this process. Every scenario is
timed with Django's test client, repetition by repetition interleaved with the
baseline, a plain Wagtail page (one rich-text block) on the shop's own base
template; its ratio is the median of the per-repetition ratios. Time spent
inside Stripe calls (the SDK, HTTP and the stand-in) is measured apart and left
out of the ratios. The webhook's throughput is measured on a live threaded
server against a trivial view's, at the same concurrency.

Settings: ``tests/settings.py`` (``WSC_DB=postgres`` for PostgreSQL,
``WSC_CACHE=redis`` for Redis, ``WSC_TASKS=db`` to queue the emails rather
than send them within the webhook's request), with rate limits raised out of
reach, an SQLite file in WAL mode with immediate transactions (so that the
load test's threads share it), and a database, a Redis database (12) and a
cache key prefix of its own, so that it never meets a test run.

``--json PATH`` writes the results as JSON. A full run rewrites its own
backend's block between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` in
``docs/performance.md`` (``--no-docs`` leaves the page alone); ``--quick`` is a
smoke run with small data and few repetitions and never touches the page.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import gc
import http.client
import importlib.metadata
import io
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import types
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
URLCONF = "wsc_bench_urls"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

SECRET_KEY = "sk_test_" + "bench" + "0" * 19
PUBLISHABLE_KEY = "pk_test_" + "bench" + "0" * 19
WEBHOOK_SECRET = "whsec_" + "bench" + "0" * 27
CHECKOUT_FORM = {"email": "shopper@example.com", "name": "Bench Shopper"}
SESSION_ID = re.compile(r"cs_test_[A-Za-z0-9]+")


class BenchError(RuntimeError):
    """The shop answered what a working shop would not: the numbers would be wrong."""


# Statistics --------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100), linear between the closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    """A median and the 10th and 90th percentiles around it."""

    median: float
    p10: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), percentile(values, 10), percentile(values, 90))

    def scaled(self, factor: float) -> Spread:
        return Spread(self.median * factor, self.p10 * factor, self.p90 * factor)


def paired_ratios(values: Sequence[float], baselines: Sequence[float]) -> list[float]:
    """Each repetition's value over the baseline measured next to it."""
    if len(values) != len(baselines):
        raise ValueError("every value needs the baseline measured with it")
    if any(b <= 0 for b in baselines):
        raise ValueError("a baseline must be positive")
    return [v / b for v, b in zip(values, baselines, strict=True)]


def most_common(values: Sequence[int]) -> int:
    """The value seen most often; of equally frequent ones, the largest."""
    if not values:
        raise ValueError("most common of no values")
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], v))


# What is run, and how much ------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    reps: int  # repetitions of each light scenario (and its baseline)
    heavy_reps: int  # of the orders list and the export
    warmup: int
    orders: tuple[int, int]  # the orders list and export: a small and a large shop
    load_requests: int  # per round of the throughput test
    load_rounds: int
    concurrency: int = 4
    cart_lines: tuple[int, ...] = (1, 10, 50, 200)
    checkout_lines: tuple[int, ...] = (1, 3, 20)


FULL = Plan(
    reps=25, heavy_reps=5, warmup=3, orders=(1_000, 10_000), load_requests=200, load_rounds=3
)
QUICK = Plan(reps=3, heavy_reps=1, warmup=1, orders=(100, 1_000), load_requests=16, load_rounds=1)


# Django, the database and the stand-in ------------------------------------------


def bench_settings(tmp: Path) -> dict[str, Any]:
    """``tests/settings.py`` with a database and cache of the benchmark's own."""
    sys.path.insert(0, str(ROOT))
    from tests import settings as base  # reads WSC_DB and WSC_CACHE

    values = {name: copy.deepcopy(getattr(base, name)) for name in dir(base) if name.isupper()}
    database = values["DATABASES"]["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # A file, not memory, so that the load test's server threads share it; set up
        # as SQLite is deployed for concurrent writers (Django's "database is locked" advice).
        database["TEST"] = {"NAME": str(tmp / "bench.sqlite3")}
        database["OPTIONS"] = {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    else:
        database["TEST"] = {"NAME": f"test_wsc_bench_{os.getpid()}"}
    cache = values.get("CACHES", {}).get("default", {})
    if "redis" in cache.get("BACKEND", "").lower():
        # Not the tests' database 15: their cache.clear() would flush the sessions here.
        cache["LOCATION"] = os.environ.get("WSC_REDIS_URL", "redis://127.0.0.1:6379/12")
        cache["KEY_PREFIX"] = f"wsc-bench-{os.getpid()}"  # removed at the end
    unlimited = "1000000/m"  # counted as in production, never reached
    values.update(
        ROOT_URLCONF=URLCONF,
        MEDIA_ROOT=str(tmp / "media"),
        SESSION_COOKIE_AGE=3600,
        WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY=SECRET_KEY,
        WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS=dict.fromkeys(
            ("checkout", "cart", "result"), unlimited
        ),
        WAGTAIL_STRIPE_CHECKOUT_MAX_PENDING_PER_ADDRESS=1_000_000,
        WAGTAIL_STRIPE_CHECKOUT_MAX_CART_LINES=max(FULL.cart_lines),
    )
    # Emails to memory: MAILERS from Django 6.1 (which refuses EMAIL_* beside it,
    # as tests/settings.py has it), EMAIL_BACKEND before.
    import django

    if django.VERSION < (6, 1):
        values["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    return values


def trivial_view(request: Any) -> Any:
    """The load test's yardstick: the middleware and nothing else."""
    from django.http import HttpResponse  # Django is configured by now

    return HttpResponse(b"ok", content_type="text/plain")


def configure(tmp: Path) -> None:
    """Configure Django; the site's URLs plus the trivial view."""
    import django
    from django.conf import settings

    settings.configure(**bench_settings(tmp))
    django.setup()
    from django.urls import path

    from tests import urls as site_urls

    module = types.ModuleType(URLCONF)
    module.__dict__.update(
        urlpatterns=[path("bench/trivial/", trivial_view), *site_urls.urlpatterns],
        **{f"handler{code}": getattr(site_urls, f"handler{code}") for code in (400, 403, 404, 500)},
    )
    sys.modules[URLCONF] = module


@contextlib.contextmanager
def throwaway_database() -> Iterator[None]:
    """A test database made as the test runner makes it (migrations), then dropped.

    ``setup_test_environment`` is left out on purpose: it instruments template
    rendering so that the test client copies every template's context, a cost
    no real request pays and one that grows with the templates a page includes.
    """
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextlib.contextmanager
def stripe_stand_in() -> Iterator[Any]:
    """The offline Stripe as a thread; webhooks are posted by the benchmark itself."""
    from django.conf import settings

    from wagtail_stripe_checkout.testing import StripeStandIn

    with StripeStandIn(webhook_secret=WEBHOOK_SECRET, deliver_webhooks=False) as stand_in:
        settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = stand_in.api_base
        yield stand_in


def forget_cache_keys() -> None:
    """Remove this run's keys from a shared Redis (its own prefix only)."""
    from django.conf import settings
    from django.core.cache import cache

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if not prefix.startswith("wsc-bench-"):
        return
    with contextlib.suppress(Exception):  # a cache gone away: its keys expire anyway
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


# Measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    queries: int
    stripe_seconds: float
    stripe_calls: int

    @property
    def own(self) -> float:
        """The time without what was spent inside Stripe calls."""
        return self.seconds - self.stripe_seconds


class Meter:
    """Counts this thread's queries, times the Stripe calls, measures steps."""

    def __init__(self, stand_in: Any) -> None:
        self.stand_in = stand_in
        self.queries = 0
        self.stripe_seconds = 0.0

    def __call__(self, execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Meter]:
        """Count queries and time every call of the Stripe service layer."""
        from django.db import connection

        from wagtail_stripe_checkout.services.gateway import StripeGateway

        original = StripeGateway._call
        meter = self

        def timed_call(gateway: Any, operation: str, fn: Any, **context: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(gateway, operation, fn, **context)
            finally:
                meter.stripe_seconds += time.perf_counter() - start

        StripeGateway._call = timed_call  # type: ignore[method-assign,assignment]
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            StripeGateway._call = original  # type: ignore[method-assign]

    def on_stripe(self, fn: Callable[[], Any]) -> Any:
        """Something Stripe does (the shopper paying on its page): Stripe's time."""
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.stripe_seconds += time.perf_counter() - start

    def measure(self, step: Callable[[], Any]) -> Sample:
        calls = len(self.stand_in.requests_to())
        self.queries, self.stripe_seconds = 0, 0.0
        start = time.perf_counter()
        step()
        seconds = time.perf_counter() - start
        made = len(self.stand_in.requests_to()) - calls
        return Sample(seconds, self.queries, self.stripe_seconds, made)


Step = Callable[[], Any]


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[dict[str, Result]], bool]


@dataclass
class Scenario:
    id: str
    name: str
    prepare: Callable[[], Step]  # untimed: sets up one repetition, returns its timed step
    reps: int
    target: Target | None = None
    stripe: bool = False  # report Stripe calls and Stripe time
    warmup: int | None = None  # warm-up repetitions, if not the plan's


@dataclass
class Result:
    id: str
    name: str
    reps: int
    unit: str  # "ms", or "req/s" for the throughput test
    median: float
    p10: float
    p90: float
    ratio: float
    ratio_p10: float
    ratio_p90: float
    queries: int
    queries_range: tuple[int, int]
    stripe_calls: int | None = None
    stripe_ms: float | None = None
    target: str | None = None
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario, pairs: list[tuple[Sample, Sample]]) -> Result:
        bases, samples = [p[0] for p in pairs], [p[1] for p in pairs]
        times = Spread.of([s.seconds for s in samples]).scaled(1000)
        ratios = paired_ratios([s.own for s in samples], [b.own for b in bases])
        queries = [s.queries for s in samples]
        return cls(
            id=scenario.id,
            name=scenario.name,
            reps=len(samples),
            unit="ms",
            median=times.median,
            p10=times.p10,
            p90=times.p90,
            ratio=statistics.median(ratios),
            ratio_p10=percentile(ratios, 10),
            ratio_p90=percentile(ratios, 90),
            queries=most_common(queries),
            queries_range=(min(queries), max(queries)),
            stripe_calls=most_common([s.stripe_calls for s in samples])
            if scenario.stripe
            else None,
            stripe_ms=(
                statistics.median(s.stripe_seconds for s in samples) * 1000
                if scenario.stripe
                else None
            ),
            target=scenario.target.text if scenario.target else None,
            extra={"baseline_ms": statistics.median(b.seconds for b in bases) * 1000},
        )

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "extra"}
        data["queries_range"] = list(self.queries_range)
        if self.stripe_calls is None:
            del data["stripe_calls"], data["stripe_ms"]
        return {**data, **self.extra}


@dataclass
class Bench:
    """One run: the meter, the plan, the baseline and what was measured."""

    meter: Meter
    plan: Plan
    baseline: Scenario | None = None
    results: dict[str, Result] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    baseline_samples: list[Sample] = field(default_factory=list)
    clock: float = field(default_factory=time.perf_counter)

    def run(self, scenario: Scenario) -> Result:
        """Warm up, then alternate baseline and scenario; a ratio per repetition."""
        baseline = self.baseline
        assert baseline is not None, "the baseline comes first"
        gc.collect()
        for _ in range(self.plan.warmup if scenario.warmup is None else scenario.warmup):
            baseline.prepare()()
            scenario.prepare()()
        pairs = []
        for rep in range(scenario.reps):
            order = (baseline, scenario) if rep % 2 == 0 else (scenario, baseline)
            got = {s.id: self.meter.measure(s.prepare()) for s in order}
            pairs.append((got[baseline.id], got[scenario.id]))
        self.baseline_samples.extend(p[0] for p in pairs)
        return self.add(Result.of(scenario, pairs), scenario.target)

    def add(self, result: Result, target: Target | None) -> Result:
        self.results[result.id] = result
        if target is not None:
            self.targets[result.id] = target
            result.target = target.text
        self.lap(result.name)
        return result

    def lap(self, what: str) -> None:
        """Say what was done and how long it took (on stderr)."""
        progress(f"{what}: {time.perf_counter() - self.clock:.1f} s")
        self.clock = time.perf_counter()

    def evaluate(self) -> None:
        for rid, target in self.targets.items():
            self.results[rid].met = bool(target.check(self.results))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Requests ------------------------------------------------------------------------


def expect(response: Any, status: int, what: str) -> Any:
    if response.status_code != status:
        where = f" to {response['Location']}" if response.has_header("Location") else ""
        raise BenchError(f"{what}: HTTP {response.status_code}{where}, expected {status}")
    return response


def consume(response: Any) -> int:
    """Read a response to its end, as a browser downloading it would; its size."""
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def getter(client: Any, url: str, status: int = 200) -> Step:
    return lambda: consume(expect(client.get(url), status, f"GET {url}"))


def same_step(step: Step) -> Callable[[], Step]:
    return lambda: step


def sign(payload: bytes) -> dict[str, str]:
    from wagtail_stripe_checkout.testing import sign_payload

    return {"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)}


def post_event(client: Any, payload: bytes) -> Any:
    from django.urls import reverse

    url = reverse("wagtail_stripe_checkout:webhook")
    response = client.post(url, payload, content_type="application/json", headers=sign(payload))
    return expect(response, 200, "the webhook")


# The shop --------------------------------------------------------------------------


@dataclass
class Shop:
    products: list[Any]
    plain_url: str
    grid_urls: dict[int, str]  # buy blocks -> the grid page's URL
    checkout_url: str


def png(index: int) -> Any:
    from django.core.files.images import ImageFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (index * 37 % 256, 90, 160)).save(buffer, format="PNG")
    return ImageFile(buffer, name=f"bench-{index}.png")


def make_products(count: int) -> list[Any]:
    """Stock-tracked products with an image each (the costlier kind)."""
    from wagtail.images import get_image_model

    from wagtail_stripe_checkout.models import Product

    image_model = get_image_model()
    images = [image_model.objects.create(title=f"Bench {i}", file=png(i)) for i in range(count)]
    products = [
        Product(
            name=f"Bench product {i:03d}",
            sku=f"BENCH-{i:03d}",
            slug=f"bench-product-{i:03d}",  # bulk_create skips save(), which makes slugs
            description="<p>Something to sell.</p>",
            price=Decimal("4.50") + i % 7,
            stock=1_000_000,
            image=image,
        )
        for i, image in enumerate(images)
    ]
    return list(Product.objects.bulk_create(products))


def configure_shop(site: Any) -> None:
    """USD, no tax, one shipping zone with one rate, free over $100."""
    from wagtail_stripe_checkout.models import ShippingRate, ShippingZone, ShopSettings

    shop = ShopSettings.for_site(site)
    shop.currency = "USD"
    shop.save()
    zone = ShippingZone.objects.create(settings=shop, name="Zone", countries="US, GB, FR, DE")
    ShippingRate.objects.create(
        zone=zone, name="Standard", amount=Decimal("5.00"), free_over=Decimal("100.00")
    )


def stream(*blocks: tuple[str, Any]) -> str:
    return json.dumps([{"type": t, "value": v, "id": str(uuid.uuid4())} for t, v in blocks])


def grid_body(products: list[Any], buy: list[Any]) -> str:
    items = [{"type": "item", "value": p.pk, "id": str(uuid.uuid4())} for p in products]
    grid = {"heading": "Our products", "products": items, "limit": 48, "show_quantity": False}
    blocks = [("grid", grid)]
    for product in buy:
        value = {"product": product.pk, "button_label": "", "show_quantity": True}
        blocks.append(("buy", {**value, "action": "cart", "show_description": True}))
    return stream(*blocks)


def build_shop() -> Shop:
    from wagtail.models import Site

    from tests.testapp.models import ShopContentPage
    from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage

    site = Site.objects.get(is_default_site=True)
    configure_shop(site)
    products = make_products(max(FULL.cart_lines))
    root = site.root_page
    text = "<p>" + "A plain page of the site, with some text on it. " * 20 + "</p>"
    plain = ShopContentPage(title="Plain", slug="plain", body=stream(("text", text)))
    root.add_child(instance=plain)
    grids = {}
    for count in (1, 10):
        body = grid_body(products[:24], products[24 : 24 + count])
        page = ShopContentPage(title=f"Grid {count}", slug=f"grid-{count}", body=body)
        root.add_child(instance=page)
        grids[count] = page.url
    checkout = root.add_child(instance=CheckoutPage(title="Checkout", slug="checkout"))
    checkout.add_child(instance=CheckoutResultPage(title="Thanks", slug="thanks"))
    return Shop(products, plain.url, grids, checkout.url)


def cart_client(products: Sequence[Any], **client_kwargs: Any) -> Any:
    """A browser whose session holds these products, one of each (an empty cart if none)."""
    from django.test import Client

    client = Client(**client_kwargs)
    set_cart(client, products)
    return client


def set_cart(client: Any, products: Sequence[Any]) -> None:
    from wagtail_stripe_checkout.conf import app_settings

    session = client.session
    lines = {str(p.pk): {"q": 1, "pv": p.price_version} for p in products}
    session[app_settings.CART_SESSION_KEY] = {"lines": lines}
    session.save()


# Scenarios: pages and the cart --------------------------------------------------------


def page_scenarios(bench: Bench, shop: Shop) -> list[Scenario]:
    plan, products = bench.plan, shop.products
    header = getter(cart_client(products[:3]), shop.plain_url)
    few = Target(
        "≤ 1.1× and ≤ 1 query more than an empty cart",
        lambda r: (
            r["header_3"].ratio <= 1.1 and r["header_3"].queries <= r["header_empty"].queries + 1
        ),
    )
    scenarios = [
        Scenario("header_empty", "plain page, empty cart (the baseline again)",
                 same_step(getter(cart_client([]), shop.plain_url)), plan.reps),
        Scenario("header_3", "plain page, 3-line cart in the header", same_step(header),
                 plan.reps, few),
    ]  # fmt: skip
    for lines in plan.cart_lines:
        step = getter(cart_client(products[:lines]), "/shop/cart/")
        name = f"cart page, {lines} line{'s' if lines > 1 else ''}"
        scenarios.append(Scenario(f"cart_{lines}", name, same_step(step), plan.reps))
    scenarios[-2].target = Target("≤ 1.5×", lambda r: r["cart_50"].ratio <= 1.5)
    scenarios[-1].target = Target(
        "≤ 3× and the same queries as 1 line",
        lambda r: r["cart_200"].ratio <= 3 and r["cart_200"].queries == r["cart_1"].queries,
    )
    return scenarios + add_scenarios(bench, shop) + grid_scenarios(bench, shop)


def add_scenarios(bench: Bench, shop: Shop) -> list[Scenario]:
    """Adding a fourth product to a 3-line cart; the cart is put back untimed."""
    in_cart, new = shop.products[:3], shop.products[3]

    def form() -> Step:
        client = bench_clients["form"]
        set_cart(client, in_cart)
        data = {"product": new.pk, "quantity": "1"}
        return lambda: expect(client.post("/shop/cart/add/", data), 302, "add to cart (form)")

    def api() -> Step:
        client = bench_clients["api"]
        set_cart(client, in_cart)
        body = json.dumps({"product": new.pk, "quantity": 1})
        post = lambda: client.post("/shop/api/cart/add/", body, content_type="application/json")  # noqa: E731
        return lambda: consume(expect(post(), 200, "add to cart (JSON)"))

    bench_clients = {"form": cart_client(in_cart), "api": cart_client(in_cart)}
    reps = bench.plan.reps
    return [
        Scenario("add_form", "add to cart, form POST", form, reps,
                 Target("≤ 1.0×", lambda r: r["add_form"].ratio <= 1.0)),
        Scenario("add_json", "add to cart, JSON API POST", api, reps,
                 Target("≤ 1.0×", lambda r: r["add_json"].ratio <= 1.0)),
    ]  # fmt: skip


def grid_scenarios(bench: Bench, shop: Shop) -> list[Scenario]:
    client = cart_client(shop.products[:3])
    target = Target(
        "≤ 2× and the same queries as 1 buy block",
        lambda r: r["grid_10"].ratio <= 2 and r["grid_10"].queries == r["grid_1"].queries,
    )
    return [
        Scenario("grid_10", "24-product grid + 10 buy blocks",
                 same_step(getter(client, shop.grid_urls[10])), bench.plan.reps, target),
        Scenario("grid_1", "24-product grid + 1 buy block",
                 same_step(getter(client, shop.grid_urls[1])), bench.plan.reps),
    ]  # fmt: skip


# Scenarios: checkout, sales and the webhook ----------------------------------------------


def checkout_step(shop: Shop, lines: int) -> Callable[[], Step]:
    """A fresh browser with ``lines`` products presses "Proceed to payment"."""

    def prepare() -> Step:
        client = cart_client(shop.products[:lines])
        return lambda: expect(client.post(shop.checkout_url, CHECKOUT_FORM), 303, "checkout")

    return prepare


def session_of(response: Any) -> str:
    match = SESSION_ID.search(response["Location"])
    if match is None:
        raise BenchError(f"checkout sent the shopper to {response['Location']}, not to Stripe")
    return match.group(0)


def pay(bench: Bench, session_id: str) -> tuple[str, bytes]:
    """The shopper pays on Stripe's page: their way back, and Stripe's event."""
    stand_in = bench.meter.stand_in

    def paying() -> tuple[str, bytes]:
        paid, back = stand_in.pay(session_id)
        if not paid:
            raise BenchError(f"the stand-in refused the payment: {back}")
        events = stand_in.events_of_type("checkout.session.completed")
        event = next(e for e in reversed(events) if e["data"]["object"]["id"] == session_id)
        return back, json.dumps(event).encode()

    result: tuple[str, bytes] = bench.meter.on_stripe(paying)
    return result


def sale_step(bench: Bench, shop: Shop, webhook_first: bool) -> Callable[[], Step]:
    """Checkout POST, paying, the webhook and the shopper's return, in either order."""
    from django.test import Client

    def prepare() -> Step:
        shopper, stripe = cart_client(shop.products[:3]), Client()

        def sale() -> None:
            response = expect(shopper.post(shop.checkout_url, CHECKOUT_FORM), 303, "checkout")
            back, event = pay(bench, session_of(response))
            if webhook_first:
                post_event(stripe, event)
            consume(expect(shopper.get(back), 200, "the result page"))
            if not webhook_first:
                post_event(stripe, event)

        return sale

    return prepare


def same_queries(rid: str, as_rid: str, text: str) -> Target:
    return Target(text, lambda r: r[rid].queries == r[as_rid].queries)


def stripe_calls_at_most(rid: str, most: int) -> Target:
    return Target(f"≤ {most} Stripe call{'s' if most > 1 else ''} per sale",
                  lambda r: (r[rid].stripe_calls or 0) <= most)  # fmt: skip


def checkout_scenarios(bench: Bench, shop: Shop) -> list[Scenario]:
    reps, lines = bench.plan.reps, bench.plan.checkout_lines
    scenarios = []
    for n in lines:
        first = f"checkout_{lines[0]}"
        same = same_queries(f"checkout_{n}", first, "queries independent of lines")
        name = f"checkout POST, {n} line{'s' if n > 1 else ''}"
        scenarios.append(
            Scenario(f"checkout_{n}", name, checkout_step(shop, n), reps,
                     same if n != lines[0] else None, stripe=True)
        )  # fmt: skip
    return [
        *scenarios,
        Scenario("sale_webhook_first", "sale, 3 lines: the webhook before the return",
                 sale_step(bench, shop, True), reps,
                 stripe_calls_at_most("sale_webhook_first", 1), stripe=True),
        Scenario("sale_return_first", "sale, 3 lines: the return before the webhook",
                 sale_step(bench, shop, False), reps,
                 stripe_calls_at_most("sale_return_first", 2), stripe=True),
    ]  # fmt: skip


@dataclass
class Paid:
    """Pending orders cloned from a real one, with their Stripe events, for the webhook."""

    template_id: int
    session_id: str
    event: str
    used: list[int] = field(default_factory=list)

    @classmethod
    def from_sale(cls, bench: Bench, shop: Shop) -> Paid:
        """One real checkout and payment; its order and event are the templates."""
        from wagtail_stripe_checkout.models import Order

        shopper = cart_client(shop.products[:3])
        response = expect(shopper.post(shop.checkout_url, CHECKOUT_FORM), 303, "checkout")
        session_id = session_of(response)
        _back, event = pay(bench, session_id)
        order = Order.objects.get(stripe_session_id=session_id)
        return cls(order.pk, session_id, event.decode())

    def orders(self, count: int) -> list[bytes]:
        """``count`` fresh pending orders like the template; the events that pay them."""
        from wagtail_stripe_checkout.models import Order, OrderLine

        template = Order.objects.get(pk=self.template_id)
        skip = {"id", "public_id", "reference", "stripe_session_id", "stripe_checkout_url"}
        skip |= {"checkout_key", "browser_key", "created_at", "updated_at", "status"}
        fields = {f.attname: getattr(template, f.attname) for f in Order._meta.concrete_fields}
        fields = {k: v for k, v in fields.items() if k not in skip}
        fields["stock_reserved"] = False
        ids = [uuid.uuid4().hex for _ in range(count)]
        orders = Order.objects.bulk_create(
            Order(**fields, stripe_session_id=f"cs_test_bench{i}") for i in ids
        )
        lines = list(template.lines.all())
        OrderLine.objects.bulk_create(
            OrderLine(order=o, **{f.attname: getattr(line, f.attname) for f in line_fields()})
            for o in orders
            for line in lines
        )
        self.used.extend(o.pk for o in orders)
        return [self.event_for(i) for i in ids]

    def event_for(self, suffix: str) -> bytes:
        event = json.loads(self.event)
        text = self.event.replace(self.session_id, f"cs_test_bench{suffix}")
        text = text.replace(event["id"], f"evt_bench{suffix}")
        intent = event["data"]["object"].get("payment_intent")
        return (text.replace(intent, f"pi_bench{suffix}") if intent else text).encode()

    def check_all_paid(self) -> None:
        from wagtail_stripe_checkout.models import Order

        paid = Order.objects.filter(pk__in=self.used, status=Order.Status.PAID).count()
        if paid != len(self.used):
            raise BenchError(f"{len(self.used) - paid} of {len(self.used)} webhooks paid nothing")


def line_fields() -> list[Any]:
    from wagtail_stripe_checkout.models import OrderLine

    return [f for f in OrderLine._meta.concrete_fields if f.attname not in ("id", "order_id")]


def webhook_scenario(bench: Bench, paid: Paid) -> Scenario:
    from django.test import Client

    stripe = Client()

    def prepare() -> Step:
        (event,) = paid.orders(1)
        return lambda: post_event(stripe, event)

    target = Target("≤ 10 queries per paid event", lambda r: r["webhook"].queries <= 10)
    return Scenario(
        "webhook", "webhook: checkout.session.completed fulfils", prepare, bench.plan.reps, target,
        stripe=True,
    )  # fmt: skip


# The webhook under load -------------------------------------------------------------------


@contextlib.contextmanager
def live_server() -> Iterator[tuple[str, int]]:
    """The site on a threaded WSGI server (as ``runserver``), in this process."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


Job = tuple[str, str, bytes | None]  # method, path, body


def send(address: tuple[str, int], job: Job) -> int:
    method, path, body = job
    headers = {"Content-Type": "application/json", **sign(body)} if body else {}
    connection = http.client.HTTPConnection(*address, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return int(response.status)
    finally:
        connection.close()


def hammer(address: tuple[str, int], jobs: Sequence[Job], concurrency: int) -> float:
    """Send ``jobs`` from ``concurrency`` threads; requests per second."""
    pending, lock, failures = iter(jobs), threading.Lock(), []

    def worker() -> None:
        while True:
            with lock:
                job = next(pending, None)
            if job is None:
                return
            status = send(address, job)
            if status != 200:
                failures.append(f"{job[0]} {job[1]}: HTTP {status}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise BenchError(f"{len(failures)} requests failed under load, e.g. {failures[0]}")
    return len(jobs) / elapsed


def webhook_load(bench: Bench, paid: Paid) -> Result:
    """Paid events against a trivial view, the same number at the same concurrency."""
    from django.urls import reverse

    plan, url = bench.plan, reverse("wagtail_stripe_checkout:webhook")
    rounds: list[tuple[float, float]] = []
    with live_server() as address:
        send(address, ("GET", "/bench/trivial/", None))  # the server's first answer is slower
        for n in range(plan.load_rounds):
            events = [("POST", url, event) for event in paid.orders(plan.load_requests)]
            trivial: list[Job] = [("GET", "/bench/trivial/", None)] * plan.load_requests
            if n % 2:
                hooks = hammer(address, events, plan.concurrency)
                plain = hammer(address, trivial, plan.concurrency)
            else:
                plain = hammer(address, trivial, plan.concurrency)
                hooks = hammer(address, events, plan.concurrency)
            rounds.append((hooks, plain))
    return load_result(bench, rounds)


def load_result(bench: Bench, rounds: list[tuple[float, float]]) -> Result:
    hooks = Spread.of([r[0] for r in rounds])
    ratios = [h / t for h, t in rounds]
    one = bench.results["webhook"]
    target = Target("≥ 0.2× a trivial view's throughput", lambda r: r["webhook_load"].ratio >= 0.2)
    result = Result(
        id="webhook_load",
        name=f"webhook under load, {bench.plan.concurrency} threads (vs a trivial view)",
        reps=len(rounds),
        unit="req/s",
        median=hooks.median,
        p10=hooks.p10,
        p90=hooks.p90,
        ratio=statistics.median(ratios),
        ratio_p10=percentile(ratios, 10),
        ratio_p90=percentile(ratios, 90),
        queries=one.queries,  # per event: the single-event row's count
        queries_range=one.queries_range,
        extra={
            "trivial_rps": statistics.median(r[1] for r in rounds),
            "requests_per_round": bench.plan.load_requests,
            "concurrency": bench.plan.concurrency,
        },
    )
    return bench.add(result, target)


# The orders admin -------------------------------------------------------------------------


def make_orders(count: int, start: int) -> None:
    """``count`` orders in the mix a shop has: mostly paid, some shipped, some pending."""
    from django.utils import timezone
    from wagtail.models import Site

    from wagtail_stripe_checkout.models import Order, OrderLine

    site = Site.objects.get(is_default_site=True)
    statuses = [Order.Status.PAID] * 6 + [Order.Status.SHIPPED] * 3 + [Order.Status.PENDING]
    batch = []
    for i in range(start, start + count):
        paid = statuses[i % 10] != Order.Status.PENDING
        batch.append(
            Order(
                site=site, email=f"shopper{i}@example.com", name=f"Shopper {i}", currency="USD",
                subtotal=1554, tax=0, shipping=500, total=2054, status=statuses[i % 10],
                stripe_session_id=f"cs_test_bulk{i:08d}", charged_total=2054 if paid else None,
                stripe_payment_intent_id=f"pi_bulk{i:08d}" if paid else "",
                paid_at=timezone.now() if paid else None, shipping_rate_name="Standard",
                shipping_address={"line1": f"{i} Main St", "city": "Springfield", "country": "US"},
            )
        )  # fmt: skip
    orders = Order.objects.bulk_create(batch, batch_size=1000)
    OrderLine.objects.bulk_create(
        (
            OrderLine(order=o, name="Mug", sku="MUG-01", unit_amount=777, quantity=2, total=1554)
            for o in orders
        ),
        batch_size=1000,
    )


def admin_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    if user is None:
        user = user_model.objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.force_login(user)
    return client


def peak_memory(step: Step) -> int:
    """The most memory Python held while ``step`` ran (tracemalloc), in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        step()
        return int(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def orders_admin(bench: Bench, size: str, count: int) -> None:
    from django.urls import reverse

    client, url = admin_client(), reverse("wagtail_stripe_checkout_orders:index")
    export = getter(client, url + "?export=csv")
    reps, label = bench.plan.heavy_reps, f"{count:,} orders"
    small, large = "orders_list_small", "orders_list_large"
    flat = Target(
        "queries independent of the number of orders",
        lambda r: r[large].queries == r[small].queries,
    )
    bench.run(
        Scenario(
            f"orders_list_{size}",
            f"orders admin list, {label}",
            same_step(getter(client, url)),
            reps,
            flat if size == "large" else None,
            warmup=1,
        )
    )
    streamed = Target(
        "streams: peak memory at the large size ≤ 2× the small",
        lambda r: r["export_large"].extra["peak_mb"] <= 2 * r["export_small"].extra["peak_mb"],
    )
    result = bench.run(Scenario(f"export_{size}", f"orders CSV export, {label}",
                                same_step(export), reps, streamed if size == "large" else None,
                                warmup=1))  # fmt: skip
    result.extra["peak_mb"] = peak_memory(export) / 2**20
    result.extra["orders"] = count


# The run ---------------------------------------------------------------------------------


def baseline_scenario(bench: Bench, shop: Shop) -> Scenario:
    step = getter(cart_client([]), shop.plain_url)
    return Scenario("baseline", "plain page (the baseline)", same_step(step), bench.plan.reps)


def run_all(bench: Bench) -> None:
    bench.lap("the test database")
    shop = build_shop()
    bench.lap("the shop")
    bench.baseline = baseline_scenario(bench, shop)
    for scenario in [*page_scenarios(bench, shop), *checkout_scenarios(bench, shop)]:
        bench.run(scenario)
    paid = Paid.from_sale(bench, shop)
    bench.lap("a first sale")
    bench.run(webhook_scenario(bench, paid))
    webhook_load(bench, paid)
    paid.check_all_paid()
    small, large = bench.plan.orders
    make_orders(small, 0)
    bench.lap(f"{small:,} orders")
    orders_admin(bench, "small", small)
    make_orders(large - small, small)
    bench.lap(f"{large - small:,} more orders")
    orders_admin(bench, "large", large)
    baseline_result(bench)
    bench.evaluate()


def baseline_result(bench: Bench) -> None:
    samples = bench.baseline_samples
    times = Spread.of([s.seconds for s in samples]).scaled(1000)
    queries = [s.queries for s in samples]
    result = Result(
        id="baseline", name="plain page (the baseline, every repetition)", reps=len(samples),
        unit="ms",
        median=times.median, p10=times.p10, p90=times.p90, ratio=1.0, ratio_p10=1.0,
        ratio_p90=1.0, queries=most_common(queries), queries_range=(min(queries), max(queries)),
    )  # fmt: skip
    bench.results = {"baseline": result, **bench.results}


# The machine -------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def cache_version() -> str:
    from django.core.cache import caches

    cache = caches["default"]
    name = type(cache).__name__
    with contextlib.suppress(Exception):
        client = cache._cache.get_client()  # type: ignore[attr-defined]
        return f"Redis {client.info()['redis_version']}"
    return {"LocMemCache": "local memory"}.get(name, name)


def tasks_backend() -> str:
    from django.conf import settings

    backend = str(getattr(settings, "TASKS", {}).get("default", {}).get("BACKEND", ""))
    if backend.endswith("ImmediateBackend"):
        return "immediate"  # the emails are sent within the webhook's request
    return "database queue" if "tasks_db" in backend else backend.rsplit(".", 1)[-1] or "none"


def git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip()
    return ""


def machine() -> dict[str, Any]:
    version = importlib.metadata.version
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": version("django"),
        "wagtail": version("wagtail"),
        "stripe": version("stripe"),
        "database": database_version(),
        "cache": cache_version(),
        "tasks": tasks_backend(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
    }


def backend_key(info: dict[str, Any]) -> str:
    """The docs block this run replaces: one per database and cache."""
    database = info["database"].split()[0].lower()
    cache = "redis" if info["cache"].startswith("Redis") else "locmem"
    tasks = "" if info["tasks"] == "immediate" else "-" + info["tasks"].split()[0].lower()
    return f"{database}-{cache}{tasks}"


# Reporting -----------------------------------------------------------------------------------


def cells(result: Result) -> list[str]:
    if result.unit == "req/s":
        median = f"{result.median:,.0f} req/s"
        spread = f"{result.p10:,.0f}–{result.p90:,.0f}"
        note = f"trivial view {result.extra['trivial_rps']:,.0f} req/s"
    else:
        median, spread = f"{result.median:.1f} ms", f"{result.p10:.1f}–{result.p90:.1f}"
        note = f"peak {result.extra['peak_mb']:.1f} MB" if "peak_mb" in result.extra else ""
    low, high = result.queries_range
    queries = str(result.queries) + (f" ({low}–{high})" if low != high else "")
    stripe = "" if result.stripe_calls is None else str(result.stripe_calls)
    stripe_ms = "" if result.stripe_ms is None else f"{result.stripe_ms:.1f} ms"
    met = {None: "", True: "met", False: "MISSED"}[result.met]
    ratio = f"{result.ratio:.2f}×"
    return [result.name, median, spread, ratio, queries, stripe, stripe_ms, note,
            result.target or "", met]  # fmt: skip


HEADINGS = ["scenario", "median", "p10–p90", "ratio", "queries", "Stripe calls",
            "Stripe time", "notes", "target", "met"]  # fmt: skip


def text_table(results: list[Result]) -> str:
    rows = [HEADINGS, *(cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADINGS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(results: list[Result]) -> str:
    rows = [HEADINGS, ["---"] * len(HEADINGS), *(cells(r) for r in results)]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows)


def summary(results: list[Result]) -> str:
    judged = [r for r in results if r.met is not None]
    missed = [f"{r.name} ({r.target})" for r in judged if not r.met]
    text = f"{len(judged) - len(missed)} of {len(judged)} targets met."
    return text + (" Missed: " + "; ".join(missed) + "." if missed else "")


def docs_block(report: dict[str, Any], results: list[Result]) -> str:
    info = report["machine"]
    return "\n".join(
        [
            f"### {info['database']}, {info['cache']} cache, {info['tasks']} tasks",
            "",
            f"Measured {info['date']} in {report['seconds']:.0f} s on {info['cpu']} "
            f"({info['cores']} cores), {info['os']}; Python {info['python']}, "
            f"Django {info['django']}, Wagtail {info['wagtail']}, stripe {info['stripe']}; "
            f"commit `{info['commit'] or 'unknown'}` with the working tree's changes.",
            "",
            markdown_table(results),
            "",
            summary(results),
            "",
        ]
    )


def write_docs(path: Path, key: str, block: str) -> None:
    """Replace this backend's block between the bench markers; nothing else changes."""
    text = path.read_text()
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise BenchError(f"{path} needs one {START} and one {END} marker, in that order")
    head, rest = text.split(START)
    body, tail = rest.split(END)
    pattern = re.compile(r"<!-- bench:([\w.+-]+):start -->\n(.*?)<!-- bench:\1:end -->", re.S)
    blocks = dict(pattern.findall(body))
    blocks[key] = block
    order = sorted(blocks, key=lambda k: (not k.startswith("sqlite"), k))
    inner = "".join(f"<!-- bench:{k}:start -->\n{blocks[k]}<!-- bench:{k}:end -->\n" for k in order)
    path.write_text(head + START + "\n" + inner + END + tail)


# The command -----------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/bench.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small data, few reps")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md as it is")
    parser.add_argument("--reps", type=int, help="repetitions of each light scenario")
    return parser.parse_args(argv)


def writes_docs(args: argparse.Namespace) -> bool:
    """A full run writes its numbers into the docs; a quick one is a smoke test."""
    return not (args.quick or args.no_docs)


def measure(plan: Plan) -> tuple[dict[str, Any], list[Result]]:
    with tempfile.TemporaryDirectory(prefix="wsc-bench-") as tmp:
        configure(Path(tmp))
        started = time.perf_counter()
        try:
            with throwaway_database(), stripe_stand_in() as stand_in:
                bench = Bench(Meter(stand_in), plan, clock=started)
                with bench.meter.installed():
                    run_all(bench)
                info = machine()
        finally:
            forget_cache_keys()
    results = list(bench.results.values())
    return {"machine": info, "plan": vars(plan)}, results


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # Stopped (kill, or tools/dev.py ended): clean up as after Ctrl-C, dropping the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    plan = QUICK if args.quick else FULL
    if args.reps:
        plan = Plan(**{**vars(plan), "reps": args.reps})
    started = time.perf_counter()
    report, results = measure(plan)
    report["seconds"] = time.perf_counter() - started
    report["quick"] = args.quick
    report["scenarios"] = [r.as_json() for r in results]
    print(text_table(results))
    print(f"\n{summary(results)} ({report['seconds']:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if writes_docs(args):
        write_docs(DOCS, backend_key(report["machine"]), docs_block(report, results))
        print(f"Written to {DOCS.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
