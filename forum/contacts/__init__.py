"""Delegates saving each other's contacts by scanning badges (issue 11): the card, "My contacts", vCard/CSV."""
