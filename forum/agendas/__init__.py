"""Each delegate's B2B agenda (issue 12): the phone page with what changed since they last looked, the PDFs
(per delegate, per table, per interpreter, the help desk's bundle), the ICS calendar with stable UIDs and a
private subscription URL, and the e-mail with the calendar attached when a schedule is published."""
