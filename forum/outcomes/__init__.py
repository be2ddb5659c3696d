"""What came out of the B2B meetings (issue 12): each side's outcome and next step, the reminder the day after,
and the organizers' funnel (requested, accepted, scheduled, held, cooperation likely) by country pair and by
sector, with its CSV and XLSX exports."""
