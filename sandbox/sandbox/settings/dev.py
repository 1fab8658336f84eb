from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "sandbox-development-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
