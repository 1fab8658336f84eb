from .orders import Order, OrderLine
from .products import Product
from .settings import ShopSettings

__all__ = ["Order", "OrderLine", "Product", "ShopSettings"]
