"""The contact on screen kept in agentdesk's own shape instead of LCM's wire format."""

from typing import Any

from django.db import migrations, models


def upgrade(apps: Any, schema_editor: Any) -> None:
    from agentdesk.desk.contact import upgrade_rows

    upgrade_rows(apps.get_model("desk", "AgentSession"))


def downgrade(apps: Any, schema_editor: Any) -> None:
    from agentdesk.desk.contact import downgrade_rows

    downgrade_rows(apps.get_model("desk", "AgentSession"))


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0010_day_counts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agentsession",
            name="contact",
            field=models.JSONField(
                blank=True,
                help_text="The contact on screen, in agentdesk's own shape (desk/contact.py)",
                null=True,
            ),
        ),
        migrations.RunPython(upgrade, downgrade),
    ]
