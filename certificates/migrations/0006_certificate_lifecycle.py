"""The certificate lifecycle of SPEC §13: holdings per (certificate, organization), transfers,
withdrawals, the claimer of each claim, and the ledger's ``withdrawal`` entries.

What was issued before is backfilled: each certificate's buyer holds its unclaimed volume and
made its claims (the only holder there was), so every earlier ledger entry still verifies.
"""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0005_contribution_references_checked_per_statement"),
        ("devices", "0004_code_list_notices"),
        ("organizations", "0005_device_list_version"),
        ("reservations", "0004_exclusion_constraints_in_the_models"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Holding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("held_wh", models.BigIntegerField(default=0)),
                ("claimed_wh", models.BigIntegerField(default=0)),
            ],
            options={
                "ordering": ["certificate", "id"],
            },
        ),
        migrations.CreateModel(
            name="Transfer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount_wh", models.BigIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Withdrawal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount_wh", models.BigIntegerField()),
                ("reason", models.CharField(max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="ledgerentry",
            name="ledger_kind_valid",
        ),
        migrations.AddField(
            model_name="certificate",
            name="withdrawn_wh",
            field=models.BigIntegerField(default=0, help_text="Withdrawn by the issuer (SPEC §13)"),
        ),
        migrations.AddField(
            model_name="claim",
            name="organization",
            field=models.ForeignKey(
                help_text="The claimer",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="organizations.organization",
            ),
        ),
        migrations.AlterField(
            model_name="certificate",
            name="claimed_wh",
            field=models.BigIntegerField(default=0, help_text="Claimed by any holder"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("issue", "Issue"),
                    ("claim", "Claim"),
                    ("transfer", "Transfer"),
                    ("withdrawal", "Withdrawal"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("withdrawn_wh__gte", 0),
                    (
                        "withdrawn_wh__lte",
                        django.db.models.expressions.CombinedExpression(
                            models.F("energy_wh"), "-", models.F("claimed_wh")
                        ),
                    ),
                ),
                name="withdrawn_within_unclaimed",
            ),
        ),
        migrations.AddField(
            model_name="holding",
            name="certificate",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="holdings",
                to="certificates.certificate",
            ),
        ),
        migrations.AddField(
            model_name="holding",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="holdings", to="organizations.organization"
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="certificate",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="transfers", to="certificates.certificate"
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="receiver",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transfers_received",
                to="organizations.organization",
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="sender",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transfers_sent",
                to="organizations.organization",
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="transferred_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="transfers", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="transfer",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entry",
                to="certificates.transfer",
            ),
        ),
        migrations.AddField(
            model_name="withdrawal",
            name="certificate",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="withdrawals", to="certificates.certificate"
            ),
        ),
        migrations.AddField(
            model_name="withdrawal",
            name="withdrawn_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="withdrawals", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="withdrawal",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entry",
                to="certificates.withdrawal",
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["issue", "claim", "transfer", "withdrawal"])), name="ledger_kind_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="holding",
            constraint=models.UniqueConstraint(
                fields=("certificate", "organization"), name="one_holding_per_organization"
            ),
        ),
        migrations.AddConstraint(
            model_name="holding",
            constraint=models.CheckConstraint(
                condition=models.Q(("held_wh__gte", 0)), name="holding_held_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="holding",
            constraint=models.CheckConstraint(
                condition=models.Q(("claimed_wh__gte", 0)), name="holding_claimed_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_wh__gt", 0)), name="transfer_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(("sender", models.F("receiver")), _negated=True),
                name="transfer_to_another_organization",
            ),
        ),
        migrations.AddConstraint(
            model_name="withdrawal",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_wh__gt", 0)), name="withdrawal_amount_positive"
            ),
        ),
        migrations.RunSQL(
            [
                "UPDATE certificates_claim c SET organization_id = t.owner_id "
                "FROM certificates_certificate t WHERE t.id = c.certificate_id",
                "INSERT INTO certificates_holding (certificate_id, organization_id, held_wh, claimed_wh) "
                "SELECT id, owner_id, energy_wh - claimed_wh, claimed_wh FROM certificates_certificate",
            ],
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="claim",
            name="organization",
            field=models.ForeignKey(
                help_text="The claimer",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="organizations.organization",
            ),
        ),
    ]
