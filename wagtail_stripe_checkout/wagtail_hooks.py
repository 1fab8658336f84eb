from wagtail.snippets.models import register_snippet

from .viewsets import ProductViewSet

register_snippet(ProductViewSet)
