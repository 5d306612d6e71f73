"""Demo state for the simulator: campaign groups, campaigns, outcomes and a few hundred contacts."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agentdesk.lcm.timezones import time_zone_by_index

from .models import Campaign, CampaignGroup, Contact, ContactMode, Outcome, SimAgent

TELEPHONY_OUTCOMES = [(3, "Busy"), (4, "CallBack"), (5, "DNC"), (8, "No Answer"), (9, "Reject")]
# (id, name, parent id, outcome group type)
BUSINESS_OUTCOMES = [
    (100, "Sale", None, "MANUAL"),
    (101, "Sale: annual plan", 100, "MANUAL"),
    (102, "Sale: monthly plan", 100, "MANUAL"),
    (110, "Not interested", None, "MANUAL"),
    (111, "Not interested: price", 110, "MANUAL"),
    (112, "Not interested: has a provider", 110, "MANUAL"),
    (120, "Wrong person", None, "MANUAL"),
    (130, "Dialer hang-up", None, "PREDICTIVE"),
]
GROUPS = {
    "Sales Manual Group": [("Spring Renewals", 84, "Renewals"), ("Win-back West", 15, "Win-back")],
    "Service Manual Group": [
        ("Service Follow-up", 44, "Service"),
        ("Onboarding Calls", 20, "Onboarding"),
    ],
}
FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
]
LAST_NAMES = [
    "Garcia",
    "Okafor",
    "Müller",
    "Smith",
    "Nguyen",
    "Rossi",
    "Kowalski",
    "Haddad",
    "O'Brien",
    "Tanaka",
    "Silva",
    "Dubois",
    "Jensen",
    "Patel",
    "Novak",
]
MODE_NAMES = ["Home", "Mobile", "Work"]
OTHER_ZONES = [84, 15, 10, 20, 44, 110, 4]


def seed_outcomes() -> None:
    for pk, name in TELEPHONY_OUTCOMES:
        Outcome.objects.update_or_create(pk=pk, defaults={"name": name, "kind": Outcome.TELEPHONY})
    for pk, name, _, group_type in BUSINESS_OUTCOMES:
        Outcome.objects.update_or_create(
            pk=pk, defaults={"name": name, "kind": Outcome.BUSINESS, "group_type": group_type}
        )
    for pk, _, parent, _ in BUSINESS_OUTCOMES:
        Outcome.objects.filter(pk=pk).update(parent_id=parent)


def seed_campaigns() -> list[Campaign]:
    campaigns = []
    for group_name, members in GROUPS.items():
        group, _ = CampaignGroup.objects.get_or_create(name=group_name)
        for name, tz_index, queue in members:
            campaign, _ = Campaign.objects.update_or_create(
                name=name, defaults={"group": group, "time_zone_index": tz_index, "queue": queue}
            )
            campaigns.append(campaign)
    return campaigns


def assign_agents(assignments: dict[str, list[str]]) -> None:
    """Assign agents (LCM agent ID → campaign group names) in the simulator."""
    for agent_id, group_names in assignments.items():
        agent, _ = SimAgent.objects.get_or_create(agent_id=agent_id)
        for group in CampaignGroup.objects.filter(name__in=group_names):
            group.agents.add(agent)


def seed_contacts(
    campaigns: list[Campaign], *, count: int, personal_for: list[str], seed: int = 7
) -> int:
    """Create `count` contacts spread over `campaigns`; returns how many were created."""
    rng = random.Random(seed)
    now = timezone.now()
    created = 0
    for index in range(count):
        campaign = campaigns[index % len(campaigns)]
        call_type = Contact.REGULAR
        reserved_for = ""
        callback_start = None
        expiry = now + timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 23))
        roll = rng.random()
        if roll < 0.03:
            expiry = now - timedelta(hours=rng.randint(1, 48))  # already expired: never handed out
        elif roll < 0.06:
            expiry = now + timedelta(minutes=rng.randint(10, 25))  # expires soon
        elif roll < 0.12:
            call_type = Contact.REGULAR_CALLBACK
            callback_start = now - timedelta(minutes=rng.randint(5, 120))
        elif roll < 0.15:
            call_type = Contact.REGULAR_CALLBACK
            callback_start = now + timedelta(hours=rng.randint(2, 48))  # not due yet
        if index < len(personal_for) * 3:
            call_type = Contact.PERSONAL_CALLBACK
            reserved_for = personal_for[index % len(personal_for)]
            callback_start = now - timedelta(minutes=10)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact = Contact.objects.create(
            campaign=campaign,
            status=Contact.OPEN,
            consent=rng.random() < 0.5,
            call_type=call_type,
            priority=rng.choice([0, 0, 0, 1, 2]),
            expiry=expiry,
            callback_start=callback_start,
            callback_end=callback_start + timedelta(hours=4) if callback_start else None,
            business_fields={"first_name": first, "last_name": last},
            reserved_for=reserved_for,
            prefix="9" if rng.random() < 0.1 else "",
        )
        modes = rng.sample(MODE_NAMES, rng.randint(1, 2))
        for position, mode_name in enumerate(modes):
            tz_index = campaign.time_zone_index if rng.random() < 0.7 else rng.choice(OTHER_ZONES)
            tz = time_zone_by_index(tz_index)
            ContactMode.objects.create(
                contact=contact,
                position=position,
                name=mode_name,
                number=f"{rng.randint(201, 989)}555{rng.randint(0, 9999):04d}",
                time_zone_index=tz_index,
                time_zone_label=tz.label if tz else "",
            )
        contact.lcm_key = contact.make_lcm_key()
        contact.save(update_fields=["lcm_key"])
        created += 1
    return created


@transaction.atomic
def seed(assignments: dict[str, list[str]], *, contacts: int = 400) -> int:
    """Idempotent: outcomes, groups and assignments are brought up to date; contacts are only
    created when the simulator has none. Returns the number of contacts created."""
    seed_outcomes()
    campaigns = seed_campaigns()
    assign_agents(assignments)
    if Contact.objects.exists():
        return 0
    personal = sorted(assignments)[:2]
    return seed_contacts(campaigns, count=contacts, personal_for=personal)
