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

# Demo numbers come from the ranges numbering authorities keep for fiction, so a demo dial
# never reaches a real person, and they are valid numbers so the card offers them for dialing:
# in North America 555-0100…0199 under real area codes of the contact's zone; in the UK
# Ofcom's drama ranges (020 7946 0xxx, 0113/0161 496 0xxx); in Germany the Bundesnetzagentur's
# drama numbers (030 23125 xxx, 089 99998 xxx). The last digits are drawn at random.
FICTION_BY_ZONE: dict[int, list[str]] = {
    4: ["808555{:04d}"],
    5: ["907555{:04d}"],
    15: ["213555{:04d}", "415555{:04d}", "206555{:04d}"],
    10: ["303555{:04d}", "602555{:04d}"],
    20: ["312555{:04d}", "214555{:04d}"],
    84: ["202555{:04d}", "212555{:04d}", "617555{:04d}"],
}
UK_DRAMA = ["0207946{:04d}", "0113496{:04d}", "0161496{:04d}"]  # the last four: 0000…0999
DE_DRAMA = ["03023125{:03d}", "08999998{:03d}"]  # the last three: 000…999
# A few numbers that cannot be dialled, on purpose, to show how the card says why; the
# contact's note says so too (every EVERY_BAD_NUMBER-th contact gets one).
BAD_NUMBERS = [
    ("202 555 014", "Demo: one digit short, so the card says it cannot be dialled."),
    (
        "637 555 0150",
        "Demo: area code 637 is not in service, so the number is not offered for dialing.",
    ),
    ("ask at reception", "Demo: not a phone number at all, so the card says so."),
]
EVERY_BAD_NUMBER = 40


def fictional_number(tz_index: int, rng: random.Random) -> str:
    """A valid number from a range reserved for fiction, in the country of the time zone."""
    if tz_index == 44:
        return rng.choice(UK_DRAMA).format(rng.randint(0, 999))
    if tz_index == 110:
        return rng.choice(DE_DRAMA).format(rng.randint(0, 999))
    patterns = FICTION_BY_ZONE.get(tz_index, FICTION_BY_ZONE[84])
    return rng.choice(patterns).format(rng.randint(100, 199))


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
        fields = {"first_name": first, "last_name": last}
        bad = None
        if index % EVERY_BAD_NUMBER == EVERY_BAD_NUMBER - 1:
            bad = BAD_NUMBERS[(index // EVERY_BAD_NUMBER) % len(BAD_NUMBERS)]
            fields["note"] = bad[1]
        contact = Contact.objects.create(
            campaign=campaign,
            status=Contact.OPEN,
            consent=rng.random() < 0.5,
            call_type=call_type,
            priority=rng.choice([0, 0, 0, 1, 2]),
            expiry=expiry,
            callback_start=callback_start,
            callback_end=callback_start + timedelta(hours=4) if callback_start else None,
            business_fields=fields,
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
                number=bad[0] if bad and position == 0 else fictional_number(tz_index, rng),
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
