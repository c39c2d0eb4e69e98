"""Open311 GeoReport v2 (/open311/): complaints filed and read by other systems.

`views` is the spec (discovery, services, service definitions, requests, tokens) in JSON
and XML; `georeport` turns the portal's categories and public complaint summaries into the
spec's shapes; `keys` issues and checks the integrators' API keys (stored hashed);
`admin_views` is the admins' page for them.
"""
