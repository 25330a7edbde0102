from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    AUTHORISING_OFFICER = "authorising_officer", "Authorising officer"
    DEPLOYMENT_PLANNER = "deployment_planner", "Deployment planner"
    WATCHLIST_MANAGER = "watchlist_manager", "Watchlist manager"
    OPERATOR = "operator", "Operator"
    FIELD_OFFICER = "field_officer", "Field officer"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"


class Rank(models.TextChoices):
    CONSTABLE = "constable", "Constable"
    SERGEANT = "sergeant", "Sergeant"
    INSPECTOR = "inspector", "Inspector"
    CHIEF_INSPECTOR = "chief_inspector", "Chief Inspector"
    SUPERINTENDENT = "superintendent", "Superintendent"
    CHIEF_SUPERINTENDENT = "chief_superintendent", "Chief Superintendent"
    ASSISTANT_CHIEF_CONSTABLE = "assistant_chief_constable", "Assistant Chief Constable"
    DEPUTY_CHIEF_CONSTABLE = "deputy_chief_constable", "Deputy Chief Constable"
    CHIEF_CONSTABLE = "chief_constable", "Chief Constable"


class OfficerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer"
    )
    rank = models.CharField(max_length=40, choices=Rank.choices, default=Rank.CONSTABLE)
    collar_number = models.CharField(max_length=20, blank=True)

    def __str__(self):
        return f"{self.get_rank_display()} {self.user.get_full_name() or self.user.username}"
