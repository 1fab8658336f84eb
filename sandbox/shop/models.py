from wagtail.admin.panels import FieldPanel
from wagtail.blocks import RichTextBlock
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_stripe_checkout.blocks import BuyBlock, ProductGridBlock


class HomePage(Page):
    body = StreamField(
        [
            ("text", RichTextBlock()),
            ("buy", BuyBlock()),
            ("product_grid", ProductGridBlock()),
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]


class ContentPage(Page):
    """An ordinary page: editors can drop buy blocks on it too."""

    body = StreamField(
        [("text", RichTextBlock()), ("buy", BuyBlock()), ("product_grid", ProductGridBlock())],
        blank=True,
    )
    content_panels = [*Page.content_panels, FieldPanel("body")]
