"""What the public may see of complaints: the one rule behind Open311's reads and the open
data.

- Only complaints in categories whose reports are public (ComplaintCategory.is_public).
- Never the reporter, their contact details, or anything they typed themselves: the
  description and the address are free text and may name people or give a home address, so
  they are not published. What the agency writes publicly (status notes) is.
- The place only as a point coarsened to COMPLAINTS_PUBLIC_LOCATION_DECIMALS decimal places
  (3 ≈ 110 m), as the category's "reports are public" setting promises.

Public reads load only PUBLIC_COLUMNS, so personal data is never even read from the database
on their behalf.
"""

from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db.models import QuerySet

from complaints.models import Complaint

# The complaint columns a public read may load.
PUBLIC_COLUMNS = (
    "id",
    "tracking_number",
    "jurisdiction_id",
    "category_id",
    "agency_id",
    "district_id",
    "status",
    "latitude",
    "longitude",
    "resolution_due",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
)


def public_complaints() -> QuerySet[Complaint]:
    """Complaints the public may see (in a public category), with only the public columns."""
    return Complaint.objects.filter(category__is_public=True).only(*PUBLIC_COLUMNS)


def coarsened(coordinate: Decimal | None) -> float | None:
    """A latitude or longitude rounded to the public precision."""
    if coordinate is None:
        return None
    step = Decimal(1).scaleb(-settings.COMPLAINTS_PUBLIC_LOCATION_DECIMALS)
    return float(coordinate.quantize(step, rounding=ROUND_HALF_EVEN))
