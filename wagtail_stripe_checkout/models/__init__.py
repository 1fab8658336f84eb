from .orders import Order, OrderLine, WebhookEvent
from .products import Product
from .settings import ShopSettings

__all__ = ["Order", "OrderLine", "Product", "ShopSettings", "WebhookEvent"]
