from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns: list = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("shop/", include("wagtail_stripe_checkout.urls")),  # shop: the one URL include
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

# shop: the package's friendly error pages, in the site's base template.
handler400 = "wagtail_stripe_checkout.error_pages.bad_request"
handler403 = "wagtail_stripe_checkout.error_pages.permission_denied"
handler404 = "wagtail_stripe_checkout.error_pages.page_not_found"
handler500 = "wagtail_stripe_checkout.error_pages.server_error"
