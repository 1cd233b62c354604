"""Model files shipped with gridpatrol (package data); see NOTICE.md for their origin and licences."""
