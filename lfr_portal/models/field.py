from django.conf import settings
from django.db import models
from django.utils.translation import ngettext

from .base import PublicModel
from .deployments import Deployment


class SignageRecord(PublicModel):
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="signage")
    description = models.CharField(max_length=300)
    location_name = models.CharField(max_length=200)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    placed_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    photo = models.FileField(upload_to="signage/%Y/%m/", blank=True)
    photo_deleted_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    # The public transparency page shows a photo only once a second person has checked
    # it shows the sign and no member of the public.
    photo_published_at = models.DateTimeField(null=True, blank=True)
    photo_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signage_photos_published",
    )

    class Meta:
        ordering = ["placed_at"]

    def __str__(self):
        return f"Sign at {self.location_name}"


class LeafletRecord(PublicModel):
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="leaflets")
    quantity = models.PositiveIntegerField()
    location_name = models.CharField(max_length=200)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    distributed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["distributed_at"]

    def __str__(self):
        noun = ngettext("leaflet", "leaflets", self.quantity)
        return f"{self.quantity} {noun} at {self.location_name}"
