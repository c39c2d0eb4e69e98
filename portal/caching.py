"""Cache headers for public pages, so browsers and a CDN can serve them."""

from functools import wraps

from flask import current_app, make_response, request


def public(view):
    """Mark a view's successful responses cacheable, with an ETag and 304 support."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if (
            response.status_code != 200
            or response.direct_passthrough
            or response.cache_control.no_store
        ):
            return response  # an error, a file, or a page the view said not to keep
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["PUBLIC_CACHE_SECONDS"]
        # The page depends on the chosen language (cookie) and the browser's languages.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        response.add_etag()
        return response.make_conditional(request)

    return wrapper
