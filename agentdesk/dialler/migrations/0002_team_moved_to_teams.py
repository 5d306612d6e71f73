# Team moved to the teams app; the table stays, only Django's state changes. Runs before desk
# drops Team from its state, so no state ever points at a missing model.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dialler", "0001_initial"),
        ("teams", "0001_initial"),
    ]
    run_before = [("desk", "0002_team_moved_to_teams")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="importjob",
                    name="team",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="teams.team"),
                ),
            ],
            database_operations=[],
        ),
    ]
