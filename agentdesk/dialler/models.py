"""Campaigns open to contact import, API tokens, imported contacts and bulk import jobs."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TEXT_FIELDS = (
    "UserData",
    "Client",
    "Service",
    "ReferenceNumber",
    "Name",
    "FirstName",
    "Salutation",
    "Title",
    "Company",
    "Address",
    "PostalCode",
    "City",
    "Country",
    "AccountOwner",
    "AccountBank",
    "AccountNationalBankCode",
    "AccountBIC",
    "AccountNumber",
    "AccountIBAN",
    "FaxNumber",
    "Email",
    "Website",
    "Comment",
    "ReservedUsersUID",
    "FollowUpUsersUID",
    "Manufacturer",
    "Model",
    "Tag",
    "ExternalSystemLink",
)
PHONE_FIELDS = tuple(f"PhoneNumber{n}" for n in range(1, 7))
DATE_FIELDS = ("FollowUpDateTime", "dtBeginDate", "dtEndDate")
NUMBER_FIELDS = ("Amount", "RandomSortOrder")
ALL_FIELDS = (*TEXT_FIELDS, *PHONE_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS)


class DiallerCampaign(models.Model):
    """An LCM campaign that contacts may be imported into; its ID is `DiallerCampaignsID`."""

    name = models.CharField(max_length=100, unique=True, help_text="The LCM campaign (CampaignID)")
    campaign_group = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=120, help_text="LCM time zone label for its numbers")

    def __str__(self) -> str:
        return self.name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="First characters, to tell tokens apart"
    )
    campaigns = models.ManyToManyField(
        DiallerCampaign, blank=True, help_text="Campaigns it may use; none selected: all"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str) -> tuple["ApiToken", str]:
        """Create a token; the raw value is returned once and only its hash is stored."""
        raw = "adk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(name=name, token_hash=hash_token(raw), prefix=raw[:10])
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DiallerContact(models.Model):
    campaign = models.ForeignKey(DiallerCampaign, on_delete=models.PROTECT, related_name="contacts")
    user_data = models.CharField(max_length=255, blank=True, db_index=True)
    name = models.CharField(max_length=255)
    fields = models.JSONField(default=dict, help_text="Every other field of the seed, by its name")
    lcm_key = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    imported_by = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "user_data"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.campaign})"


class ImportClaim(models.Model):
    """Held while one import with overwriteDuplicates=true is under way for a UserData, so a
    concurrent retry cannot create a twin."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class ImportJob(models.Model):
    PREVIEW = "preview"
    RUNNING = "running"
    DONE = "done"
    STATES = [(PREVIEW, "Preview"), (RUNNING, "Importing"), (DONE, "Done")]

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    file_name = models.CharField(max_length=255)
    overwrite_duplicates = models.BooleanField(default=True)
    state = models.CharField(max_length=20, choices=STATES, default=PREVIEW)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"


class ImportRow(models.Model):
    PENDING = "pending"
    INVALID = "invalid"
    CREATED = "created"
    UPDATED = "updated"
    FAILED = "failed"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    data = models.JSONField()
    status = models.CharField(max_length=20, default=PENDING, db_index=True)
    message = models.TextField(blank=True)
    contact = models.ForeignKey(DiallerContact, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["line"]
        indexes = [models.Index(fields=["job", "status", "line"])]

    def __str__(self) -> str:
        return f"line {self.line}: {self.status}"
