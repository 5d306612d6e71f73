# Team moved here from the desk app. Its table (desk_team, and desk_team_leads) was created by
# desk's first migration and is kept, so this only takes the model over in Django's state.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("desk", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("monitors_open", models.IntegerField(default=0, editable=False, help_text="Open monitor pages")),
                        ("leads", models.ManyToManyField(blank=True, related_name="led_teams", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "desk_team"},
                ),
            ],
            database_operations=[],
        ),
    ]
