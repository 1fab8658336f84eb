from wagtail.admin.panels import FieldPanel
from wagtail.blocks import RichTextBlock
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_stripe_checkout.blocks import BuyBlock, ProductGridBlock


class ShopContentPage(Page):
    """Any page of a site, with buy blocks in its body."""

    body = StreamField(
        [("buy", BuyBlock()), ("grid", ProductGridBlock()), ("text", RichTextBlock())],
        blank=True,
    )
    content_panels = [*Page.content_panels, FieldPanel("body")]
    template = "testapp/shop_content_page.html"
