"""The original's buckets of devices' figures, in reservation and certificate answers."""

from datetime import date, datetime


def capacity_range(kw) -> str:
    """The original's capacity bucket of a capacity in kW (its gaps closed)."""
    kw = float(kw)
    if kw <= 1:
        return "0.1W - 1kW"
    if kw <= 50:
        return "1.01kW - 50kW"
    if kw <= 500:
        return "51kW - 500kW"
    if kw <= 5000:
        return "500kW - 5MW"
    return "5MW+"


def commissioning_date_range(commissioned: datetime, today: date) -> str:
    """The original's age bucket of a commissioning date: the quarter in the first year, then
    "Year 2".."Year 5", "6 - 10 years", "11 - 15 years", "15 years+" (its off-by-one and
    0-based-month slips fixed)."""
    year = today.year - commissioned.year + 1
    if year <= 1:
        return f"Year 1 - Q{(commissioned.month - 1) // 3 + 1}"
    if year <= 5:
        return f"Year {year}"
    if year <= 10:
        return "6 - 10 years"
    if year <= 15:
        return "11 - 15 years"
    return "15 years+"
