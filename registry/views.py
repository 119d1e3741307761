"""The public registry page (SPEC §13, no login): totals per country and month with a chart,
and a searchable certificate list linking to each certificate's verification page."""

from django.shortcuts import render

from drec.errors import DomainError
from drec.pagination import paginate
from drec.permissions import PUBLIC, page, portal_view
from registry import selectors
from registry.formats import registry_certificate_json
from registry.selectors import STATUSES


@portal_view({"GET": page(PUBLIC, twin="GET api-registry-summary")})
def registry(request):
    summary = selectors.registry_summary()
    chart = {
        "labels": [row["month"] for row in summary["months"]],
        "values": [row["issuedWh"] / 1000 for row in summary["months"]],
    }
    certificates, problem = None, None
    try:
        certificates = paginate(
            request,
            selectors.registry_certificates(request.GET),
            key="certificates",
            serialize=lambda rows: [registry_certificate_json(c) for c in rows],
            default_limit=20,
        )
    except DomainError as error:
        problem = error.message
    context = {
        "summary": summary,
        "chart": chart,
        "page": certificates,
        "problem": problem,
        # The search's countries: those the registry has certificates of, by name.
        "countries": sorted(
            ((row["countryCode"], row["countryName"]) for row in summary["countries"]), key=lambda c: c[1]
        ),
        "statuses": list(STATUSES),
        "query": {key: request.GET.get(key, "") for key in ("countryCode", "from", "to", "status")},
    }
    return render(request, "registry/registry.html", context)
