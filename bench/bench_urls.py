"""Bench-only URLs: everything bench/urls.py serves (the project's URLs, the convention
endpoints, the gadget floor) plus the complaint-intake floors (bench/complaint_floor.py).
Selected by bench.complaint_settings; never by the project's own settings."""

from django.urls import path

from bench import complaint_floor
from bench import urls as bench_urls

urlpatterns = [
    path("bench/hello", complaint_floor.hello),
    path("bench/complaints", complaint_floor.insert_complaint),
    path("bench/complaints-queued", complaint_floor.insert_complaint_and_queue),
    *bench_urls.urlpatterns,
]

handler400 = bench_urls.handler400
handler403 = bench_urls.handler403
handler404 = bench_urls.handler404
handler500 = bench_urls.handler500
