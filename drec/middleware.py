"""Domain errors raised in portal views become the matching error page."""

from drec.errors import DomainError
from drec.views import error_page


class DomainErrorMiddleware:
    """A selector's 404 (not yours), a service's 403 or 409 raised while rendering a portal page
    answers that page in the portal's layout instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return error_page(request, int(exception.status_code), exception.message)
        return None
