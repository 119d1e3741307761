"""The certificate lifecycle beyond a claim (SPEC §13): who holds what of a certificate,
transfers between Buyer organizations, and the issuer's withdrawals. Each changes the
holdings under the certificate's row lock (the lock claims take too), so concurrent claims,
transfers and withdrawals never spend the same Wh twice; each is recorded on the ledger in
its own transaction."""

from django.db import transaction

from accounts.models import User
from certificates import ledger
from certificates.models import Certificate, EntryKind, Holding, Transfer, Withdrawal
from certificates.selectors import buyer_organizations
from drec.errors import Conflict, InvalidInput, NotFound
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_id_value
from webhooks import events


def holding_lock(*, user: User, certificate: Certificate, organization_id: object = None) -> Holding:
    """The caller's holding of the certificate, locked with the certificate (call inside a
    transaction): of the organization ``organizationId`` names, or of the only one of the
    caller's organizations that holds it. Held by none of them: 404, as for a certificate
    out of sight; by several and none named: 400 asking which."""
    # Claims, transfers and withdrawals of one certificate, one at a time: its row lock.
    Certificate.objects.select_for_update().filter(pk=certificate.pk).first()
    holdings = Holding.objects.select_for_update(of=("self",))  # (not the joined rows: issuance locks reservations)
    holdings = holdings.select_related("organization", "certificate__reservation")
    holdings = holdings.filter(certificate=certificate, organization__in=buyer_organizations(user))
    if organization_id not in (None, ""):
        holdings = holdings.filter(organization_id=organization_id_value(organization_id))
    found = list(holdings[:2])
    if not found:
        raise NotFound(f"No certificate found with id {certificate.pk}")
    if len(found) > 1:
        raise InvalidInput(
            f"Several of your organizations hold certificate {certificate.pk}: give organizationId, the one acting.",
            errors={"organizationId": ["Required: several of your organizations hold this certificate."]},
        )
    return found[0]


def _amount(amount_wh: object, what: str) -> int:
    if not isinstance(amount_wh, int) or isinstance(amount_wh, bool) or amount_wh <= 0:
        raise InvalidInput(f"amount must be a whole number of Wh above 0 to {what}.", errors={"amount": ["Above 0."]})
    return amount_wh


def _spend(holding: Holding, amount_wh: int, what: str) -> None:
    """Take ``amount_wh`` from what the holding may still claim or transfer, or 409."""
    if amount_wh > holding.held_wh:
        raise Conflict(
            f"{holding.organization.name} holds {holding.held_wh} Wh of certificate {holding.certificate_id} "
            f"unclaimed; {amount_wh} Wh cannot be {what}.",
            errors={"amount": [f"At most {holding.held_wh} Wh."]},
        )
    holding.held_wh -= amount_wh


def receiver_get(organization_id: object) -> Organization:
    """The receiver of a transfer: any active Buyer organization on the platform (transfers
    cross tenants by design). Unknown: 404; another type or not active: 400."""
    organization = Organization.objects.filter(pk=organization_id_value(organization_id)).first()
    if organization is None:
        raise NotFound(f"No organization found with id {organization_id}")
    if organization.organization_type != OrganizationType.BUYER:
        raise InvalidInput(
            f"Organization {organization.pk} is not a Buyer organization: certificates go to Buyer organizations only.",
            errors={"toOrganizationId": ["Not a Buyer organization."]},
        )
    if organization.is_denied:
        raise InvalidInput(
            f"Organization {organization.pk} is not active: it cannot receive certificates.",
            errors={"toOrganizationId": ["Not active."]},
        )
    return organization


@transaction.atomic
def transfer_create(
    *,
    acting_user: User,
    certificate: Certificate,
    amount_wh: object,
    receiver: Organization,
    organization_id: object = None,
) -> Transfer:
    """Move ``amount_wh`` of the caller's unclaimed holding to ``receiver``'s, on the ledger."""
    amount = _amount(amount_wh, "transfer")
    holding = holding_lock(user=acting_user, certificate=certificate, organization_id=organization_id)
    if receiver.pk == holding.organization_id:
        raise InvalidInput(
            f"{receiver.name} already holds this volume: transfer to another organization.",
            errors={"toOrganizationId": ["The sender itself."]},
        )
    _spend(holding, amount, "transferred")
    holding.save(update_fields=["held_wh"])
    received, _made = Holding.objects.select_for_update().get_or_create(
        certificate=holding.certificate, organization=receiver
    )
    received.held_wh += amount
    received.save(update_fields=["held_wh"])
    transfer = Transfer.objects.create(
        certificate=holding.certificate,
        sender=holding.organization,
        receiver=receiver,
        amount_wh=amount,
        transferred_by=acting_user,
    )
    ledger.append(
        kind=EntryKind.TRANSFER,
        certificate=holding.certificate,
        payload=ledger.transfer_payload(transfer),
        transfer=transfer,
    )
    events.certificate_transferred(transfer)
    return transfer


@transaction.atomic
def withdrawal_create(
    *, acting_user: User, certificate: Certificate, amount_wh: object = None, reason: str
) -> Withdrawal:
    """Take back unclaimed volume of a certificate (all of it unless ``amount_wh``): from its
    holders in the order they came to hold it (the buyer first), on the ledger with the
    reason. Claimed volume stays claimed (409), and the reads stay certified."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason is required: say why the volume is withdrawn.", errors={"reason": ["Required."]})
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    amount = certificate.unclaimed_wh if amount_wh in (None, "") else _amount(amount_wh, "withdraw")
    if amount > certificate.unclaimed_wh or amount == 0:
        raise Conflict(
            f"Only {certificate.unclaimed_wh} Wh of certificate {certificate.pk} are unclaimed; claimed volume "
            f"cannot be withdrawn ({amount} Wh asked).",
            errors={"amount": [f"At most {certificate.unclaimed_wh} Wh."]},
        )
    taken: dict[int, int] = {}
    left = amount
    for holding in Holding.objects.select_for_update().filter(certificate=certificate, held_wh__gt=0).order_by("id"):
        part = min(left, holding.held_wh)
        holding.held_wh -= part
        holding.save(update_fields=["held_wh"])
        taken[holding.organization_id] = part
        left -= part
        if not left:
            break
    if left:  # the holdings no longer add up to the certificate: refuse rather than guess
        raise Conflict(f"The holdings of certificate {certificate.pk} do not add up to its unclaimed volume.")
    certificate.withdrawn_wh += amount
    certificate.save(update_fields=["withdrawn_wh"])
    withdrawal = Withdrawal.objects.create(
        certificate=certificate, amount_wh=amount, reason=reason, withdrawn_by=acting_user
    )
    ledger.append(
        kind=EntryKind.WITHDRAWAL,
        certificate=certificate,
        payload=ledger.withdrawal_payload(withdrawal, taken),
        withdrawal=withdrawal,
    )
    return withdrawal
