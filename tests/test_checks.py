import pytest

from wagtail_stripe_checkout.checks import check_shop_options, check_stripe_keys

SK_TEST = "sk_test_" + "a" * 24
SK_LIVE = "sk_live_" + "a" * 24
PK_TEST = "pk_test_" + "a" * 24
PK_LIVE = "pk_live_" + "a" * 24
WHSEC = "whsec_" + "a" * 32


def ids(messages):
    return sorted(m.id for m in messages)


@pytest.fixture
def keys(settings):
    def set_keys(secret="", publishable="", webhook="", debug=False):
        settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = secret
        settings.WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = publishable
        settings.WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = webhook
        settings.DEBUG = debug
        return check_stripe_keys()

    return set_keys


def test_good_test_keys_pass(keys):
    assert keys(SK_TEST, PK_TEST, WHSEC) == []
    assert keys("rk_test_" + "b" * 24, PK_TEST, [WHSEC, "whsec_" + "c" * 32]) == []


def test_missing_secret_is_an_error_in_production_and_a_warning_in_debug(keys):
    assert ids(keys(webhook=WHSEC)) == ["wagtail_stripe_checkout.E001"]
    assert ids(keys(webhook=WHSEC, debug=True)) == ["wagtail_stripe_checkout.W001"]


def test_a_missing_webhook_secret_is_an_error_in_production_only(keys):
    (error,) = keys(SK_TEST, PK_TEST)
    assert error.id == "wagtail_stripe_checkout.E015"
    assert "webhook events will be refused" in error.msg
    assert "reconcile_stripe" in error.hint
    assert keys(SK_TEST, PK_TEST, debug=True) == []  # developing: not every machine has one


def test_malformed_keys_are_errors_with_hints(keys):
    (error,) = keys("pk_test_" + "a" * 24, PK_TEST, WHSEC)
    assert error.id == "wagtail_stripe_checkout.E002"
    assert "publishable key" in error.hint
    assert "a" * 24 not in error.msg  # the key itself is never echoed
    (error,) = keys(SK_TEST, SK_TEST, WHSEC)
    assert error.id == "wagtail_stripe_checkout.E003"
    assert "never put it where browsers can read it" in error.hint
    (error,) = keys(SK_TEST, PK_TEST, "secret")
    assert error.id == "wagtail_stripe_checkout.E004"


def test_mixing_test_and_live_keys_is_an_error(keys):
    assert ids(keys(SK_TEST, PK_LIVE, WHSEC)) == ["wagtail_stripe_checkout.E005"]


def test_live_keys_with_debug_warn(keys):
    assert ids(keys(SK_LIVE, PK_LIVE, debug=True)) == ["wagtail_stripe_checkout.W002"]
    assert keys(SK_LIVE, PK_LIVE, WHSEC) == []


def test_shop_options_are_checked(settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_DEFAULT_CURRENCY = "XYZ"
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_QUANTITY = 0
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_CART_LINES = 150
    assert ids(check_shop_options()) == [
        "wagtail_stripe_checkout.E006",
        "wagtail_stripe_checkout.E007",
        "wagtail_stripe_checkout.E008",
    ]


def test_test_mode_is_derived_from_the_keys(settings):
    from wagtail_stripe_checkout.conf import app_settings

    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = SK_LIVE
    assert app_settings.mode == "live" and not app_settings.is_test_mode
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = SK_TEST
    assert app_settings.mode == "test" and app_settings.is_test_mode


def test_test_mode_badge_shows_only_in_test_mode(client, settings, shop):
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = SK_TEST
    assert "Test mode" in client.get("/shop/cart/").content.decode()
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = SK_LIVE
    settings.WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = PK_LIVE
    assert "Test mode" not in client.get("/shop/cart/").content.decode()


def test_rate_limits_must_be_rates_and_counted_in_a_shared_cache(settings):
    from wagtail_stripe_checkout.checks import check_limits

    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert check_limits() == []
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"checkout": "lots", "cart": None}
    assert ids(check_limits()) == ["wagtail_stripe_checkout.E013"]
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (warning,) = check_limits()
    assert warning.id == "wagtail_stripe_checkout.W003" and "every process" in warning.msg
    settings.DEBUG = True
    assert check_limits() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRUSTED_PROXIES", -1), ("MAX_PENDING_PER_ADDRESS", 0), ("UNSENT_ORDER_MINUTES", "soon")],
)
def test_limit_numbers_must_be_whole_numbers(settings, name, value):
    from wagtail_stripe_checkout.checks import check_limits

    settings.DEBUG = True
    setattr(settings, f"WAGTAIL_STRIPE_CHECKOUT_{name}", value)
    assert ids(check_limits()) == ["wagtail_stripe_checkout.E014"]


def test_no_key_is_needed_in_development_against_the_stand_in(keys, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = "http://127.0.0.1:12111"
    assert keys(debug=True) == []
    # Without DEBUG a missing key is an error whatever the API base.
    assert "wagtail_stripe_checkout.E001" in ids(keys())


@pytest.mark.parametrize(
    ("secret", "ok"),
    [
        ("whsec_test_fake", True),
        ("whsec_" + "A1b2+/=" * 5, True),
        ("whsec_localdevelopment", True),
        ("whsec_short", False),
        ("whsec_with space", False),
        ("wh_sec_0123456789", False),
    ],
)
def test_webhook_secrets_are_whsec_and_at_least_eight_more_characters(keys, secret, ok):
    assert (ids(keys(SK_TEST, PK_TEST, secret)) == []) is ok
