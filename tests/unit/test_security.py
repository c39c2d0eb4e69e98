from portal.security import content_security_policy


def test_csp_allows_no_inline_script_and_only_the_tile_host_for_images():
    csp = content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "script-src 'self';" in csp + ";"
    assert "unsafe-inline" not in csp
    assert "img-src 'self' data: https://tile.openstreetmap.org" in csp


def test_csp_allows_subdomain_tile_servers():
    csp = content_security_policy("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY")
    assert "img-src 'self' data: https://*.tianditu.gov.cn" in csp
