"""Notifications: every message to a person lands in their in-app inbox, in their language,
and is then delivered by the pluggable email and SMS senders (cityportal.notifications.senders).

    notify(person=applicant, kind="application.approved",
           title=_("Your application %(reference)s was approved"),
           body=_("…"), context={"reference": "APP-…"}, link="/api/v1/applications/…")

Titles and bodies are lazy translations rendered in the recipient's language when the message
is written; delivery runs after commit on the `notifications` queue.
"""
