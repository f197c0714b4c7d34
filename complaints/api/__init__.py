"""The complaints API. The `<tracking:number>` path converter is registered here, when the
package is first imported, so that every URL module of the package can use it while
complaints/api/urls.py imports them."""

from django.urls import register_converter


class TrackingNumberConverter:
    regex = "C-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingNumberConverter, "tracking")
