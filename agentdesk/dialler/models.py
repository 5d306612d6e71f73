"""Campaigns open to contact import, API tokens, imported contacts and bulk import jobs."""

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.lcm.timezones import find_time_zone
from agentdesk.shared import phones

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
# Consent evidence (agentdesk's own fields, kept by the compliance app; not sent to LCM).
CONSENT_FIELDS = ("ConsentGivenBy", "ConsentGivenAt", "ConsentChannel", "ConsentWording")
ALL_FIELDS = (*TEXT_FIELDS, *PHONE_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS, *CONSENT_FIELDS)


# LCM contact-mode names the seed's PhoneNumber1…6 become (seed 000 shows <Home>).
DEFAULT_MODE_NAMES = {
    "PhoneNumber1": "Home",
    "PhoneNumber2": "Mobile",
    "PhoneNumber3": "Work",
    "PhoneNumber4": "Other",
    "PhoneNumber5": "Alternate1",
    "PhoneNumber6": "Alternate2",
}
# BussinessFields names LCM gets for the seed's text fields; "" keeps a field in agentdesk only.
# Bank details never leave agentdesk by default; PostalCode goes as LCM's own ZipCode.
DEFAULT_BUSINESS_FIELDS = {
    "Name": "last_name",
    "FirstName": "first_name",
    "UserData": "user_data",
    "Client": "client",
    "Service": "service",
    "ReferenceNumber": "reference_number",
    "Salutation": "salutation",
    "Title": "title",
    "Company": "company",
    "Address": "address",
    "PostalCode": "",
    "City": "city",
    "Country": "country",
    "AccountOwner": "",
    "AccountBank": "",
    "AccountNationalBankCode": "",
    "AccountBIC": "",
    "AccountNumber": "",
    "AccountIBAN": "",
    "FaxNumber": "fax_number",
    "Email": "email",
    "Website": "website",
    "Comment": "comment",
    "ReservedUsersUID": "",
    "FollowUpUsersUID": "",
    "Manufacturer": "manufacturer",
    "Model": "model",
    "Tag": "tag",
    "ExternalSystemLink": "external_system_link",
    "Amount": "amount",
}


def default_mode_names() -> dict[str, str]:
    return dict(DEFAULT_MODE_NAMES)


def default_business_fields() -> dict[str, str]:
    return dict(DEFAULT_BUSINESS_FIELDS)


class DiallerCampaign(models.Model):
    """An LCM campaign that contacts may be imported into; its ID is `DiallerCampaignsID`.

    Also how its contacts are sent to LCM: the region national numbers are read in, the LCM
    mode name of each PhoneNumberN and the LCM business-field name of each seed field.
    """

    name = models.CharField(max_length=100, unique=True, help_text="The LCM campaign (CampaignID)")
    campaign_group = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=120, help_text="LCM time zone label for its numbers")
    default_region = models.CharField(
        max_length=2,
        blank=True,
        help_text=_(
            "Country (ISO 3166 code such as US or DE) that numbers without +country code are "
            "read in. Empty: the country of the campaign's time zone."
        ),
    )
    mode_names = models.JSONField(
        default=default_mode_names,
        blank=True,
        help_text=_("LCM contact-mode name for each of PhoneNumber1…PhoneNumber6."),
    )
    business_fields = models.JSONField(
        default=default_business_fields,
        blank=True,
        help_text=_(
            "LCM business-field name for each contact field; an empty name keeps that field "
            "in agentdesk only."
        ),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> str | None:
        """The region national numbers are read in: the admin's choice, else the time zone's."""
        if self.default_region:
            return self.default_region.upper()
        zone = find_time_zone(self.time_zone)
        return phones.region_for_time_zone(zone.iana) if zone else None

    def mode_name(self, phone_field: str) -> str:
        return (self.mode_names or {}).get(phone_field) or DEFAULT_MODE_NAMES[phone_field]

    def business_name(self, field: str) -> str:
        names = self.business_fields or {}
        return names[field] if field in names else DEFAULT_BUSINESS_FIELDS.get(field, "")

    def clean(self) -> None:
        from agentdesk.lcm.errors import MessageError
        from agentdesk.lcm.xmlfields import build_fields_xml

        errors: dict[str, Any] = {}
        if self.default_region and not phones.is_region(self.default_region):
            errors["default_region"] = _("Not a country code libphonenumber knows.")
        modes = self.mode_names or {}
        unknown = set(modes) - set(DEFAULT_MODE_NAMES)
        names = [self.mode_name(f) for f in DEFAULT_MODE_NAMES]
        try:
            build_fields_xml({name: "" for name in names}, "Modes")
        except MessageError as exc:
            errors["mode_names"] = exc.problem
        if unknown:
            errors["mode_names"] = _("Unknown keys: %s") % ", ".join(sorted(unknown))
        elif len(set(names)) != len(names):
            errors["mode_names"] = _("Each PhoneNumber needs its own mode name.")
        fields = self.business_fields or {}
        unknown = set(fields) - set(DEFAULT_BUSINESS_FIELDS)
        sent = [name for name in fields.values() if name]
        try:
            build_fields_xml({name: "" for name in sent})
        except MessageError as exc:
            errors["business_fields"] = exc.problem
        if unknown:
            errors["business_fields"] = _("Unknown keys: %s") % ", ".join(sorted(unknown))
        elif len(set(sent)) != len(sent):
            errors["business_fields"] = _("Two fields map to the same LCM name.")
        if errors:
            raise ValidationError(errors)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="First characters, to tell tokens apart"
    )
    campaigns = models.ManyToManyField(
        DiallerCampaign,
        blank=True,
        help_text=_("Campaigns a limited token may use"),
    )
    # Stored, not inferred from an empty `campaigns`: deleting a limited token's last campaign
    # must leave it refused, never unrestricted. Set when campaigns are first given to it.
    limited = models.BooleanField(
        _("limited to its campaigns"),
        default=False,
        help_text=_(
            "Only the campaigns below. A limited token left with no campaign is refused. "
            "Not ticked: every campaign, and it may take numbers off the do-not-call list."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Filled in when a request authenticates with the token: the campaign IDs it may use,
    # None for all (only for a token that is not limited).
    allowed_campaigns: set[int] | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, name: str, campaigns: "list[DiallerCampaign] | None" = None
    ) -> tuple["ApiToken", str]:
        """Create a token (limited to `campaigns` when given); the raw value is returned once
        and only its hash is stored."""
        raw = "adk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name, token_hash=hash_token(raw), prefix=raw[:10], limited=bool(campaigns)
        )
        if campaigns:
            token.campaigns.set(campaigns)
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def campaign_scope(self) -> set[int] | None:
        """The campaign IDs it may use, None for all; an empty set for a limited token whose
        campaigns were all deleted (refused)."""
        if not self.limited:
            return None
        return set(self.campaigns.values_list("pk", flat=True))


@receiver(m2m_changed, sender=ApiToken.campaigns.through)
def _campaigns_given_make_it_limited(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, reverse: bool, **_: Any
) -> None:
    """Giving a token campaigns limits it (`token.campaigns.set([...])`, the admin). Taking
    them away never widens it again; only unticking `limited` does."""
    if action != "post_add" or not pk_set:
        return
    if reverse:  # campaign.apitoken_set.add(token, …): pk_set holds tokens
        ApiToken.objects.filter(pk__in=pk_set).update(limited=True)
    elif not instance.limited:
        instance.limited = True
        ApiToken.objects.filter(pk=instance.pk).update(limited=True)


class DiallerContact(models.Model):
    CONFIRMED = "confirmed"
    SENDING = "sending"
    UNKNOWN = "unknown"
    LCM_STATES = [
        (CONFIRMED, "LCM holds it under lcm_key"),
        (SENDING, "CreateContact under way"),
        (UNKNOWN, "LCM's answer was lost: LCM may hold it"),
    ]

    campaign = models.ForeignKey(DiallerCampaign, on_delete=models.PROTECT, related_name="contacts")
    user_data = models.CharField(max_length=255, blank=True, db_index=True)
    name = models.CharField(max_length=255)
    fields = models.JSONField(default=dict, help_text="Every other field of the seed, by its name")
    lcm_key = models.CharField(max_length=80, blank=True)
    # Written before CreateContact is sent, so a lost answer or a killed worker leaves a
    # record that LCM may hold this contact (see docs/api.md, "Exactly once").
    lcm_state = models.CharField(max_length=12, choices=LCM_STATES, default=CONFIRMED)
    lcm_sent = models.JSONField(
        default=dict, blank=True, help_text="What LCM holds for lcm_key (to tell a change)"
    )
    uncertain_attempts = models.PositiveIntegerField(
        default=0, help_text="CreateContact calls whose answer was lost (LCM may hold a twin)"
    )
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
    task_id = models.CharField(max_length=64, blank=True, help_text="Its job-runner task")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it"
    )

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"


class ImportRow(models.Model):
    PENDING = "pending"
    IMPORTING = "importing"
    INVALID = "invalid"
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    UNKNOWN = "unknown"

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
