"""B2B meetings at the venue (issue 12): a meeting is held when one side scans the other's badge, staff mark it
or the table host confirms it; nobody by NO_SHOW_AFTER past its start makes it a no-show that frees its table
and people for walk-ins; the organizers' live board. `rules.py` owns every one of these rules."""
