"""Response headers that Django and django-csp do not set themselves."""

# The portal needs location for field evidence and nothing else a browser can grant.
# Only features every current browser knows: an unknown one is logged as an error.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
