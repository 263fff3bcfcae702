"""Detractor tickets, no UI: ``query`` (what is asked), ``paging`` (pages, cache, fetch all),
``timeleft`` (the time-left rules), ``rows`` (how a ticket reads, search and sort), ``export``
(CSV and JSON files) and ``sources`` (which profiles offer tickets)."""
