from .catalogue import ProductFile, ProductOption, ProductVariant
from .downloads import Download, DownloadLink
from .health import ReconcileRun, WebhookFailure
from .orders import Order, OrderLine, WebhookEvent
from .products import Product
from .settings import CheckoutField, ShopSettings
from .shipping import ShippingRate, ShippingZone

__all__ = [
    "CheckoutField",
    "Download",
    "DownloadLink",
    "Order",
    "OrderLine",
    "Product",
    "ProductFile",
    "ProductOption",
    "ProductVariant",
    "ReconcileRun",
    "ShippingRate",
    "ShippingZone",
    "ShopSettings",
    "WebhookEvent",
    "WebhookFailure",
]
