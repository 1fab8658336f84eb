from django.urls import path

from . import buy_views, download_views, views

app_name = "wagtail_stripe_checkout"

urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("cart/clear/", views.cart_clear, name="cart_clear"),
    path("api/cart/", views.api_cart, name="api_cart"),
    path("api/cart/add/", views.api_cart_add, name="api_cart_add"),
    path("api/cart/update/", views.api_cart_update, name="api_cart_update"),
    path("api/cart/remove/", views.api_cart_remove, name="api_cart_remove"),
    path("api/cart/clear/", views.api_cart_clear, name="api_cart_clear"),
    path("webhook/", views.stripe_webhook, name="webhook"),
    path("buy/<slug:slug>/", buy_views.buy, name="buy"),
    path("qr/<int:product_id>.svg", buy_views.qr_svg, name="buy_qr_svg"),
    path("qr/<int:product_id>.png", buy_views.qr_png, name="buy_qr_png"),
    path("download/<str:token>/", download_views.download, name="download"),
]
