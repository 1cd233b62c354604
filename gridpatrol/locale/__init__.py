"""gridpatrol's gettext catalogs (``<lang>/LC_MESSAGES/gridpatrol.po`` and ``.mo``), the page
labels written from them (``labels.py``), and what pictures and names need in Chinese."""
