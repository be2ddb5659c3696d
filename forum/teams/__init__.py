"""Forum teams: who may do what for which forum (permissions per forum, checked in one guard)."""
