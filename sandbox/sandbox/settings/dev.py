import os

import django

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "sandbox-development-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Emails go to the console, or to files in SANDBOX_EMAIL_DIR (the browser tests
# read them there).
_mail_dir = os.environ.get("SANDBOX_EMAIL_DIR")
_mail_backend = "filebased" if _mail_dir else "console"
if django.VERSION >= (6, 1):  # Django 6.1 refuses EMAIL_BACKEND beside MAILERS
    MAILERS = {
        "default": {
            "BACKEND": f"django.core.mail.backends.{_mail_backend}.EmailBackend",
            **({"OPTIONS": {"file_path": _mail_dir}} if _mail_dir else {}),
        }
    }
else:
    EMAIL_BACKEND = f"django.core.mail.backends.{_mail_backend}.EmailBackend"
    EMAIL_FILE_PATH = _mail_dir

# shop: with no Stripe keys in the environment, talk to the offline stand-in
# that `tools/dev.py serve` starts beside the site (test mode, no network, no
# money). Set STRIPE_SECRET_KEY etc. to use Stripe's own test mode instead.
if not os.environ.get("STRIPE_SECRET_KEY"):
    WAGTAIL_STRIPE_CHECKOUT_API_BASE = os.environ.get(
        "SANDBOX_STRIPE_API_BASE", "http://127.0.0.1:12111"
    )
    WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = "sk_test_" + "sandboxstandin0000000000"
    WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = "pk_test_" + "sandboxstandin0000000000"
    WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = os.environ.get(
        "SANDBOX_WEBHOOK_SECRET", "whsec_" + "sandboxstandin0000000000"
    )
    # The stand-in's pay page stands where Stripe Checkout would.
    _origin = "/".join(WAGTAIL_STRIPE_CHECKOUT_API_BASE.split("/")[:3])
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(_origin)  # noqa: F405

WAGTAIL_STRIPE_CHECKOUT_STAFF_EMAILS = ["orders@sandbox.example"]
