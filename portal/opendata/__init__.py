"""Open data: the registry, its monitoring and remediation, the public record of reports and
the departments' figures as downloads (CSV with BOM, XLSX, GeoJSON) at /data."""
