"""An Open311 GeoReport v2 server over the complaints app, at /open311/v2/."""
