from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from wagtail_stripe_checkout import error_pages

urlpatterns: list = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("shop/", include("wagtail_stripe_checkout.urls")),  # shop: the one URL include
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    # With DEBUG on, Django shows its own technical 404 and 500 pages; these
    # show the shop's, to look at and restyle while developing.
    urlpatterns += [
        path("errors/404/", error_pages.page_not_found),
        path("errors/500/", error_pages.server_error),
    ]

urlpatterns += [path("", include(wagtail_urls))]

# shop: the package's friendly error pages, in the site's base template.
handler400 = "wagtail_stripe_checkout.error_pages.bad_request"
handler403 = "wagtail_stripe_checkout.error_pages.permission_denied"
handler404 = "wagtail_stripe_checkout.error_pages.page_not_found"
handler500 = "wagtail_stripe_checkout.error_pages.server_error"
