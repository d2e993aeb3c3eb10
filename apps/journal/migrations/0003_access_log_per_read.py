"""The access log keeps one row per read and set of fields, listing the records (was: one row per record)."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("journal", "0002_accesslogentry")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="record_ids",
            field=django.contrib.postgres.fields.ArrayField(base_field=models.UUIDField(), default=list, size=None),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE journal_accesslogentry SET record_ids = ARRAY[record_id]",
            reverse_sql="UPDATE journal_accesslogentry SET record_id = record_ids[1]",
        ),
        migrations.RemoveIndex(model_name="accesslogentry", name="access_record"),
        migrations.RemoveField(model_name="accesslogentry", name="record_id"),
        migrations.AddIndex(
            model_name="accesslogentry",
            index=django.contrib.postgres.indexes.GinIndex(fields=["record_ids"], name="access_records"),
        ),
    ]
