"""Download links of a paid order's digital goods: one per file bought, with a
random token, an expiry and a download limit; every download is recorded."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from .orders import Order, OrderLine


class DownloadLink(models.Model):
    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="downloads")
    line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="downloads"
    )
    document = models.ForeignKey(
        get_document_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=255)
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    max_downloads = models.PositiveIntegerField(_("downloads allowed"))
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("download link")
        verbose_name_plural = _("download links")

    def __str__(self) -> str:
        return self.title


class Download(models.Model):
    """One download through a link (when; nothing about who)."""

    wagtail_reference_index_ignore = True

    link = models.ForeignKey(DownloadLink, on_delete=models.CASCADE, related_name="records")
    downloaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.link} at {self.downloaded_at:%Y-%m-%d %H:%M}"
