from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("shop/", include("wagtail_stripe_checkout.urls")),
    path("", include(wagtail_urls)),
]

# The package's friendly error pages, as the docs tell sites to wire them.
handler400 = "wagtail_stripe_checkout.error_pages.bad_request"
handler403 = "wagtail_stripe_checkout.error_pages.permission_denied"
handler404 = "wagtail_stripe_checkout.error_pages.page_not_found"
handler500 = "wagtail_stripe_checkout.error_pages.server_error"
