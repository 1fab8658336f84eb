from .health import ReconcileRun, WebhookFailure
from .orders import Order, OrderLine, WebhookEvent
from .products import Product
from .settings import CheckoutField, ShopSettings
from .shipping import ShippingRate, ShippingZone

__all__ = [
    "CheckoutField",
    "Order",
    "OrderLine",
    "Product",
    "ReconcileRun",
    "ShippingRate",
    "ShippingZone",
    "ShopSettings",
    "WebhookEvent",
    "WebhookFailure",
]
