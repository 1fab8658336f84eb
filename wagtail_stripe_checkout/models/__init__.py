from .products import Product
from .settings import ShopSettings

__all__ = ["Product", "ShopSettings"]
