"""Ready-to-use checkout page types for sites on Wagtail's default page model.

Add ``"wagtail_stripe_checkout.contrib.pages"`` to ``INSTALLED_APPS``. Sites
with a custom base page model (Wagtail 8's ``WAGTAIL_PAGE_MODEL``) skip this
app and subclass the mixins in ``wagtail_stripe_checkout.page_mixins``.
"""
